#include "credential_helper.hpp"

#include "auth_entry.hpp"
#include "helper_output.hpp"
#include "helper_process.hpp"
#include "redaction.hpp"
#include "registry_key.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace ferry::docker_config {
namespace {

// "30 s", "0.5 s": the timeout as the user gives it in the helper-timeout setting.
std::string format_seconds(std::chrono::milliseconds duration) {
    std::string text = std::to_string(duration.count() / 1000);
    const auto fraction = duration.count() % 1000;
    if (fraction != 0) {
        std::string digits = std::to_string(1000 + fraction).substr(1);
        digits.erase(digits.find_last_not_of('0') + 1);
        text += "." + digits;
    }
    return text + " s";
}

std::string describe_failure(const ProcessOutcome& outcome) {
    std::string text = "exit status " + std::to_string(outcome.exit_code);
    const std::string output = redact_helper_text(outcome.stdout_text.reveal());
    const std::string errors = redact_helper_text(outcome.stderr_text);
    if (!output.empty()) {
        text += ": " + output;
    }
    if (!errors.empty()) {
        text += (output.empty() ? ": stderr: " : "; stderr: ") + errors;
    }
    return text;
}

// Returns the advice appended to a helper failure. It offers --creds-from input because a copy
// may need no stored credentials at all.
std::string failure_advice(const std::string& configured_by) {
    return "; fix the helper, remove " + configured_by +
           ", or use --creds-from input to skip Docker's credential files";
}

} // namespace

std::optional<std::string> find_program_on_path(std::string_view program, std::string_view path_variable) {
    std::size_t start = 0;
    while (start <= path_variable.size()) {
        std::size_t end = path_variable.find(':', start);
        if (end == std::string_view::npos) {
            end = path_variable.size();
        }
        const std::string_view directory = path_variable.substr(start, end - start);
        start = end + 1;

        if (directory.empty() || directory.front() != '/') {
            continue;
        }
        std::string candidate(directory);
        if (candidate.back() != '/') {
            candidate += '/';
        }
        candidate += program;

        struct stat status {};
        if (::stat(candidate.c_str(), &status) == 0 && S_ISREG(status.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return std::nullopt;
}

CredentialHelperClient::CredentialHelperClient(sdk::Host host, std::chrono::milliseconds timeout,
                                               std::string path_variable)
    : host_(host), timeout_(timeout), path_variable_(std::move(path_variable)) {}

std::optional<sdk::Credential> CredentialHelperClient::get(const std::string& name, std::string_view registry,
                                                           const std::string& configured_by) {
    const std::string server_url = helper_server_url(registry);
    const std::string cache_key = name + '\n' + server_url;

    auto cached = outcomes_.find(cache_key);
    if (cached == outcomes_.end()) {
        Outcome outcome = run(name, registry, server_url, configured_by);
        cached = outcomes_.emplace(cache_key, std::move(outcome)).first;
    } else {
        host_.debug("credential helper \"" + name + "\" was already asked about " + server_url +
                    "; reusing the result");
    }

    if (cached->second.error) {
        throw sdk::Error(FERRY_ERROR, *cached->second.error);
    }
    return cached->second.credential;
}

CredentialHelperClient::Outcome CredentialHelperClient::run(const std::string& name, std::string_view registry,
                                                            const std::string& server_url,
                                                            const std::string& configured_by) {
    const std::string program = "docker-credential-" + name;
    const std::string subject = "credential helper " + program + " (" + configured_by + ")";
    const std::string target = " for " + std::string(registry);
    Outcome result;

    const std::optional<std::string> path = find_program_on_path(program, path_variable_);
    if (!path) {
        warn_unusable(program, configured_by,
                      subject + " is not on PATH. Looking for " +
                          std::string(registry) + " credentials without it; install " + program + ", remove " +
                          configured_by + ", or use --creds-from input to skip Docker's credential files");
        return result;
    }

    ProcessRequest request;
    request.program = *path;
    request.arguments = {"get"};
    request.input = server_url;
    request.timeout = timeout_;
    request.cancelled = [host = host_]() { return host.cancelled(); };

    host_.debug("asking " + subject + " for credentials for " + server_url);
    ProcessOutcome outcome;
    try {
        outcome = run_process(request);
    } catch (const sdk::Error& error) {
        result.error = subject + target + ": " + error.what() + failure_advice(configured_by);
        return result;
    }

    switch (outcome.ending) {
    case ProcessOutcome::Ending::cancelled:
        throw sdk::Error(FERRY_ERROR_CANCELLED, subject + " was stopped because ferry was interrupted");
    case ProcessOutcome::Ending::timed_out:
        result.error = subject + " timed out after " + format_seconds(timeout_) + target +
                       " and was killed with its process group; check that it runs without a prompt, "
                       "raise the docker-config setting helper-timeout, remove " +
                       configured_by + ", or use --creds-from input to skip Docker's credential files";
        return result;
    case ProcessOutcome::Ending::output_too_large:
        result.error = subject + " printed more than " + std::to_string(request.max_stdout / 1024) +
                       " KiB" + target + " and was killed with its process group" + failure_advice(configured_by);
        return result;
    case ProcessOutcome::Ending::signalled:
        result.error = subject + " was killed by signal " + std::to_string(outcome.signal_number) + " (" +
                       ::strsignal(outcome.signal_number) + ")" + target + failure_advice(configured_by);
        return result;
    case ProcessOutcome::Ending::exited:
        break;
    }

    if (outcome.exit_code != 0) {
        if (is_not_found_output(outcome.stdout_text.reveal())) {
            host_.debug(subject + " has no credentials for " + server_url);
            return result;
        }
        if (is_no_session_bus_output(outcome.stdout_text.reveal()) || is_no_session_bus_output(outcome.stderr_text)) {
            warn_unusable(program, configured_by,
                          subject + " cannot reach a keyring because this session has no D-Bus session bus (" +
                              describe_failure(outcome) + "). Looking for " + std::string(registry) +
                              " credentials without it; run ferry in a session with an unlocked keyring, remove " +
                              configured_by + ", or use --creds-from input to skip Docker's credential files");
            return result;
        }
        result.error = subject + " failed" + target + " with " + describe_failure(outcome) +
                       failure_advice(configured_by);
        return result;
    }

    try {
        result.credential = parse_helper_output(outcome.stdout_text.reveal());
    } catch (const HelperOutputError& error) {
        result.error = subject + " printed invalid output" + target + ": " + error.what() +
                       failure_advice(configured_by);
        return result;
    }
    if (is_empty_credential(*result.credential)) {
        host_.debug(subject + " returned empty credentials for " + server_url + "; treating them as none");
        result.credential.reset();
    }
    return result;
}

// Logs the first report of an unusable helper as a warning, because the user may expect its
// credentials. Later reports for other registries go to the debug level.
void CredentialHelperClient::warn_unusable(const std::string& program, const std::string& configured_by,
                                           const std::string& message) {
    if (warned_unusable_.insert(program + '\n' + configured_by).second) {
        host_.warning(message);
    } else {
        host_.debug(message);
    }
}

} // namespace ferry::docker_config
