// The locations of credential files and the order in which they are read.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ferry::docker_config {

enum class AuthFileFormat {
    // {"auths": {...}, "credHelpers": {...}, "credsStore": "..."}: auth.json and config.json.
    config_json,
    // The pre-1.7 Docker ~/.dockercfg: the `auths` map itself at the top level.
    legacy_dockercfg,
};

// One file to read, with the reason it is read, for messages.
struct AuthFileLocation {
    std::string path;
    AuthFileFormat format = AuthFileFormat::config_json;
    // True for a file the user named (the authfile setting or REGISTRY_AUTH_FILE): it must exist.
    bool explicit_choice = false;
    // The source of the path, for messages: "--authfile" (the authfile setting),
    // "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG" or "default".
    std::string origin;
};

// The environment that decides the locations. An empty value counts as unset.
struct LocationInputs {
    std::optional<std::string> authfile_setting;
    std::optional<std::string> registry_auth_file;
    std::optional<std::string> xdg_runtime_dir;
    std::optional<std::string> xdg_config_home;
    std::optional<std::string> docker_config;
    std::optional<std::string> home;
    unsigned long uid = 0;

    // Reads REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, DOCKER_CONFIG and HOME (the
    // password database when HOME is unset) from the process environment.
    static LocationInputs from_process(std::optional<std::string> authfile_setting);
};

// Returns the files to read, first match first.
//
// A file the user named is the only one read: the authfile setting, else REGISTRY_AUTH_FILE.
// Otherwise, as containers/image (pkg/docker/config) orders them:
//   1. $XDG_RUNTIME_DIR/containers/auth.json, or /run/containers/<uid>/auth.json when unset
//   2. $XDG_CONFIG_HOME/containers/auth.json, XDG_CONFIG_HOME defaulting to $HOME/.config
//   3. $DOCKER_CONFIG/config.json when DOCKER_CONFIG is set, else $HOME/.docker/config.json
//   4. $HOME/.dockercfg (legacy format)
// Paths under $HOME are left out when no home directory is known.
std::vector<AuthFileLocation> auth_file_locations(const LocationInputs& inputs);

} // namespace ferry::docker_config
