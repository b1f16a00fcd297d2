// Asks Docker credential helpers (docker-credential-<name> get) for credentials.
#pragma once

#include <ferry/sdk.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace ferry::docker_config {

// Default time a helper may take. Above the 25 s D-Bus call timeout, so that a helper blocked
// on a locked keyring reports its own error before ferry kills it.
inline constexpr std::chrono::milliseconds default_helper_timeout{30000};

// Returns the absolute path of the first executable regular file named program in the
// directories of path_variable. Empty and relative entries are skipped, so the working
// directory is never searched.
std::optional<std::string> find_program_on_path(std::string_view program, std::string_view path_variable);

class CredentialHelperClient {
public:
    // path_variable: the PATH to search for helpers; the helpers themselves run with the
    // process environment.
    CredentialHelperClient(sdk::Host host, std::chrono::milliseconds timeout, std::string path_variable);

    // Returns what helper `name` stores for the registry, or std::nullopt when it has nothing.
    // The helper gets the server URL of helper_server_url(registry) on stdin. configured_by
    // names the file entry that chose the helper, for messages: "credsStore in /root/.docker/config.json".
    //
    // A helper that cannot be used in this environment also returns std::nullopt, after one
    // warning per helper and file entry: one missing from PATH, or one that reports that no
    // D-Bus session bus exists (docker-credential-secretservice in a headless session).
    //
    // Runs each helper at most once per registry: later calls return the first outcome, an
    // error included. Throws sdk::Error (FERRY_ERROR) naming the helper, the registry and the
    // reason when the helper fails, times out or prints invalid JSON, because credentials it
    // stores but cannot return would otherwise turn into anonymous access. Throws
    // FERRY_ERROR_CANCELLED when the host was interrupted meanwhile.
    std::optional<sdk::Credential> get(const std::string& name, std::string_view registry,
                                       const std::string& configured_by);

private:
    struct Outcome {
        std::optional<sdk::Credential> credential;
        std::optional<std::string> error;
    };

    Outcome run(const std::string& name, std::string_view registry, const std::string& server_url,
                const std::string& configured_by);
    void warn_unusable(const std::string& program, const std::string& configured_by, const std::string& message);

    sdk::Host host_;
    std::chrono::milliseconds timeout_;
    std::string path_variable_;
    // Key: helper name, '\n', server URL.
    std::map<std::string, Outcome> outcomes_;
    // Key: program, '\n', configured_by. Helpers already reported as unusable.
    std::set<std::string> warned_unusable_;
};

} // namespace ferry::docker_config
