// The docker-config credential source: credentials from the files and credential helpers that
// Docker, Podman, Buildah and Skopeo use.
#pragma once

#include "auth_file.hpp"
#include "auth_file_locations.hpp"
#include "credential_helper.hpp"

#include <ferry/sdk.hpp>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ferry::docker_config {

// Settings of the source, parsed and checked.
struct SourceSettings {
    std::optional<std::string> authfile;                               // setting "authfile"
    std::chrono::milliseconds helper_timeout = default_helper_timeout; // setting "helper-timeout"

    // Throws sdk::Error (FERRY_ERROR_INVALID_INPUT) for a helper-timeout that is not a number
    // of seconds in (0, 3600]. Unknown keys are logged as warnings and ignored.
    static SourceSettings parse(const sdk::Settings& settings, const sdk::Host& host);
};

// Lookup order, per registry (the README has the reasons):
//   Files come in the order of auth_file_locations(), and the first one that supplies
//   credentials wins. Within one file, a credHelpers entry for the registry decides alone.
//   Without one, credsStore is asked first, then the longest matching auths entry is used.
//   An empty auths entry supplies nothing, so the search moves on to the next file.
//
// A file that cannot be used (unreadable, not JSON, wrong top-level types) stops the lookup
// with an error when the search reaches it, because it might hold the registry's credentials.
// When an earlier file already supplied them, it only causes a warning, once per file.
class DockerConfigSource : public sdk::CredentialSource {
public:
    DockerConfigSource(sdk::Host host, const sdk::Settings& settings);

    // For tests: the environment and PATH to use instead of the process's. The authfile
    // setting, when given, replaces inputs.authfile_setting.
    DockerConfigSource(sdk::Host host, const sdk::Settings& settings, LocationInputs inputs,
                       std::string path_variable);

    std::optional<sdk::Credential> lookup(const sdk::CredentialQuery& query) override;

private:
    DockerConfigSource(sdk::Host host, SourceSettings settings, std::optional<LocationInputs> inputs,
                       std::string path_variable);

    void load_files();
    std::optional<sdk::Credential> lookup_in_file(const AuthFile& file, const std::string& registry,
                                                  const std::string& repository);
    void warn_about_unused_files(std::size_t first_unused, const std::string& registry,
                                 const std::string& used_file);

    sdk::Host host_;
    SourceSettings settings_;
    std::vector<AuthFileLocation> locations_;
    std::optional<std::vector<AuthFile>> files_; // loaded on the first lookup
    CredentialHelperClient helpers_;
    std::set<std::string> warned_files_;
};

} // namespace ferry::docker_config
