// Everything one backend call needs to run skopeo safely: in-memory auth files, a private directory
// for policy and configuration, the isolated environment, and the secrets to keep out of messages.
#pragma once

#include "command_line.hpp"
#include "layout_lock.hpp"
#include "memory_file.hpp"
#include "private_directory.hpp"
#include "process.hpp"

#include <ferry/core/retry_policy.hpp>
#include <ferry/sdk.hpp>

#include <string>
#include <vector>

namespace ferry::skopeo {

// Creates the private directory on construction and removes it on destruction: after success,
// after an error and after a cancellation alike. The in-memory auth files are closed with the
// session. NOTE: when ferry is killed, the private directory (policy, configuration, no
// credentials) stays in TMPDIR.
class SkopeoSession {
public:
    // policy, when given, reruns skopeo after a transient failure (run_checked) and stops a run
    // that outlasts the policy's deadline (run and run_checked).
    explicit SkopeoSession(sdk::Host host, core::RetryPolicy* policy = nullptr);

    // Writes the side's auth file when it has credentials and returns how skopeo reaches it.
    // label ("source", "destination") names the side in logs and memfd names. The auth file is a
    // sealed memfd that skopeo opens as /dev/fd/N, so the credentials never reach a file system
    // and nothing is left behind even when ferry is killed (the SIGKILL test in
    // tests/e2e/test_skopeo_copy.py checks TMPDIR). skopeo 1.9.3 reads such a path for
    // copy, inspect and login (which only reads it, because stdin is /dev/null and login cannot
    // prompt for new credentials).
    SideAccess prepare(const sdk::Side& side, const std::string& label);

    // Takes the exclusive lock on an OCI layout directory, creating the directory first when it is
    // missing, and waits while another copy holds it. Throws ferry::sdk::Error:
    // FERRY_ERROR_CANCELLED when the host is cancelled while waiting, FERRY_ERROR_TRANSIENT when
    // the deadline passes while waiting, FERRY_ERROR when the directory cannot be locked.
    LayoutLock lock_layout(const std::string& directory) const;

    // Runs skopeo, with every in-memory auth file inherited, and returns its result, whatever the
    // exit status. Throws ferry::sdk::Error:
    // FERRY_ERROR_CANCELLED when the host was cancelled (skopeo is stopped first),
    // FERRY_ERROR_TRANSIENT when the deadline passed (skopeo is stopped first),
    // FERRY_ERROR_UNSUPPORTED when the executable cannot be started.
    ProcessResult run(const std::string& step, const std::vector<std::string>& argv);

    // Like run, but with a policy reruns skopeo after a transient failure (classified from its
    // stderr) after the policy's delay, logged as a warning. Returns the last result: a success or
    // a failure that is not transient. Throws FERRY_ERROR_TRANSIENT once the policy ends the
    // reruns.
    ProcessResult run_with_reruns(const std::string& step, const std::vector<std::string>& argv);

    // Like run, but returns stdout and throws the classified, redacted failure_error when skopeo
    // does not succeed. With a policy, a transient failure reruns skopeo after the policy's
    // delay, logged as a warning, until the policy ends the retries.
    std::string run_checked(const std::string& step, const std::vector<std::string>& argv);

    // Throws FERRY_ERROR_CANCELLED when the host was cancelled, naming the step not begun.
    void check_cancelled(const std::string& next_step) const;

    const std::vector<sdk::Secret>& secrets() const noexcept { return secrets_; }
    const std::string& policy_file() const noexcept { return policy_file_; }
    std::string file(std::string_view name) const { return directory_.file(name); }

private:
    void wait_before_rerun(std::chrono::milliseconds delay) const;

    sdk::Host host_;
    core::RetryPolicy* policy_;
    PrivateDirectory directory_;
    std::vector<MemoryFile> memory_files_;
    std::vector<std::string> environment_;
    std::vector<sdk::Secret> secrets_;
    std::string policy_file_;
};

} // namespace ferry::skopeo
