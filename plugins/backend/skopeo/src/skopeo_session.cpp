#include "skopeo_session.hpp"

#include "auth_file.hpp"
#include "child_environment.hpp"
#include "skopeo_failure.hpp"

#include <cerrno>
#include <cstdio>
#include <thread>
#include <cstring>

namespace ferry::skopeo {

namespace {

// Accepts every image: ferry copies what the user named, and signature policy is not part of
// what it promises.
const char* const kPolicy = R"({"default":[{"type":"insecureAcceptAnything"}]})";

// A per-user registries.conf makes containers/image skip /etc/containers/registries.conf and its
// drop-in directory, so no system-wide credential helper or mirror changes what skopeo reaches.
const char* const kRegistriesConf =
    "# Written by ferry: no mirrors, no credential helpers, no short-name aliases.\n";

} // namespace

SkopeoSession::SkopeoSession(sdk::Host host, core::RetryPolicy* policy)
    : host_(host), policy_(policy), directory_(PrivateDirectory::create()) {
    IsolatedPaths paths;
    paths.home = directory_.make_directory("home");
    paths.xdg_config_home = directory_.make_directory("home/.config");
    paths.xdg_runtime_dir = directory_.make_directory("runtime");
    paths.docker_config = directory_.make_directory("docker");
    directory_.make_directory("home/.config/containers");
    directory_.write_file("home/.config/containers/registries.conf", kRegistriesConf);

    policy_file_ = directory_.write_file("policy.json", kPolicy);
    environment_ = build_child_environment(current_environment(), paths);
}

SideAccess SkopeoSession::prepare(const sdk::Side& side, const std::string& label) {
    SideAccess access;
    access.transport = side.image.transport;
    access.image_name = skopeo_image_name(side.image, side.role);
    access.tls_verify = side.tls_verify;
    access.cert_dir = side.cert_dir;
    if (side.image.transport != FERRY_TRANSPORT_DOCKER) {
        return access;
    }

    const AuthForm form = auth_form_of(side.credential);
    const std::string origin = side.credential && !side.credential->source_name.empty()
                                   ? " from " + side.credential->source_name
                                   : std::string();
    if (form == AuthForm::anonymous) {
        host_.debug(label + " " + side.image.registry + ": anonymous" + origin);
        return access;
    }

    sdk::Secret content = render_auth_file(side.image.registry, *side.credential);
    memory_files_.push_back(MemoryFile::create(label + "-auth.json", content.reveal()));
    access.auth_file = memory_files_.back().child_path();
    for (sdk::Secret& secret : sensitive_strings(*side.credential)) {
        secrets_.push_back(std::move(secret));
    }
    host_.debug(label + " " + side.image.registry + ": " + describe(form) + origin +
                ", passed in an in-memory auth file");
    return access;
}

LayoutLock SkopeoSession::lock_layout(const std::string& directory) const {
    host_.debug("locking the layout " + directory + " for the copy; waits while another copy writes into it");
    try {
        return LayoutLock::acquire(directory, [this] {
            return host_.cancelled() || (policy_ != nullptr && policy_->deadline_passed());
        });
    } catch (const sdk::Error& error) {
        if (error.status() == FERRY_ERROR_CANCELLED && !host_.cancelled()) {
            throw sdk::Error(FERRY_ERROR_TRANSIENT, "the deadline for the copy was reached (--deadline) while "
                                                    "waiting for another copy into " + directory + " to finish");
        }
        throw;
    }
}

ProcessResult SkopeoSession::run(const std::string& step, const std::vector<std::string>& argv) {
    check_cancelled(step);
    host_.debug(step + ": running " + format_command(argv));

    ProcessSpec spec;
    spec.argv = argv;
    spec.environment = environment_;
    for (const MemoryFile& file : memory_files_) {
        spec.inherited_fds.push_back(file.fd());
    }
    if (policy_ != nullptr && policy_->deadline_passed()) {
        throw sdk::Error(FERRY_ERROR_TRANSIENT,
                         step + ": the deadline for the copy was reached (--deadline) before skopeo started");
    }
    // PR_SET_PDEATHSIG watches the thread that forks skopeo, which is this one. It stays inside
    // run_process until skopeo is reaped, so the signal fires only when this thread dies with
    // ferry, never when some other thread of the host ends.
    ProcessResult result = run_process(
        spec, [this] { return host_.cancelled() || (policy_ != nullptr && policy_->deadline_passed()); });

    if (result.spawn_error != 0) {
        const int error = result.spawn_error;
        const bool missing = error == ENOENT || error == EACCES || error == ENOEXEC;
        throw sdk::Error(missing ? FERRY_ERROR_UNSUPPORTED : FERRY_ERROR,
                         step + ": cannot run " + argv.front() + ": " + std::strerror(error) +
                             (missing ? "; install skopeo with `apt-get install skopeo`, or use "
                                        "`--backend native`"
                                      : ""));
    }
    if (result.stopped && !host_.cancelled()) {
        throw sdk::Error(FERRY_ERROR_TRANSIENT,
                         step + ": the deadline for the copy was reached (--deadline); skopeo was stopped");
    }
    if (result.stopped) {
        throw sdk::Error(FERRY_ERROR_CANCELLED, step + ": cancelled; skopeo was stopped");
    }
    return result;
}

std::string SkopeoSession::run_checked(const std::string& step,
                                       const std::vector<std::string>& argv) {
    ProcessResult result = run_with_reruns(step, argv);
    if (!result.succeeded()) {
        throw failure_error(step, result, secrets_);
    }
    return std::move(result.out);
}

ProcessResult SkopeoSession::run_with_reruns(const std::string& step,
                                             const std::vector<std::string>& argv) {
    for (int retry = 1;; ++retry) {
        ProcessResult result = run(step, argv);
        if (result.succeeded()) {
            return result;
        }

        sdk::Error error = failure_error(step, result, secrets_);
        if (policy_ == nullptr || error.status() != FERRY_ERROR_TRANSIENT) {
            return result;
        }
        const core::Failure failure = failure_facts(failure_reason(result.err));
        const core::RetryDecision decision = policy_->decide(retry, failure);
        const std::string rate_limit = failure.rate_limited() ? " (rate limited)" : "";
        if (!decision.retry()) {
            throw sdk::Error(FERRY_ERROR_TRANSIENT,
                             std::string(error.what()) + rate_limit + "; gave up after " +
                                 std::to_string(retry) + (retry == 1 ? " run: " : " runs: ") +
                                 core::describe_verdict(decision.verdict, policy_->max_retries()));
        }

        char delay[32];
        std::snprintf(delay, sizeof delay, "%.1f s", static_cast<double>(decision.delay.count()) / 1000.0);
        host_.warning(std::string(error.what()) + rate_limit + "; rerunning skopeo in " + delay + " (retry " +
                      std::to_string(retry) + " of " + std::to_string(policy_->max_retries()) + ")");
        wait_before_rerun(decision.delay);
    }
}

void SkopeoSession::wait_before_rerun(std::chrono::milliseconds delay) const {
    constexpr auto kSlice = std::chrono::milliseconds(100);
    const auto end = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < end) {
        check_cancelled("rerunning skopeo");
        std::this_thread::sleep_for(kSlice);
    }
}

void SkopeoSession::check_cancelled(const std::string& next_step) const {
    if (host_.cancelled()) {
        throw sdk::Error(FERRY_ERROR_CANCELLED, "cancelled before " + next_step);
    }
}

} // namespace ferry::skopeo
