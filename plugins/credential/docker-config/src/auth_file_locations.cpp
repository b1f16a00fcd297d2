#include "auth_file_locations.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace ferry::docker_config {
namespace {

std::optional<std::string> environment_value(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        return std::nullopt;
    }
    return std::string(value);
}

std::optional<std::string> home_from_password_database() {
    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
    passwd entry{};
    passwd* result = nullptr;
    if (getpwuid_r(getuid(), &entry, buffer.data(), buffer.size(), &result) != 0 || result == nullptr ||
        result->pw_dir == nullptr || *result->pw_dir == '\0') {
        return std::nullopt;
    }
    return std::string(result->pw_dir);
}

bool is_set(const std::optional<std::string>& value) { return value.has_value() && !value->empty(); }

} // namespace

LocationInputs LocationInputs::from_process(std::optional<std::string> authfile_setting) {
    LocationInputs inputs;
    inputs.authfile_setting = std::move(authfile_setting);
    inputs.registry_auth_file = environment_value("REGISTRY_AUTH_FILE");
    inputs.xdg_runtime_dir = environment_value("XDG_RUNTIME_DIR");
    inputs.xdg_config_home = environment_value("XDG_CONFIG_HOME");
    inputs.docker_config = environment_value("DOCKER_CONFIG");
    inputs.home = environment_value("HOME");
    if (!inputs.home) {
        inputs.home = home_from_password_database();
    }
    inputs.uid = getuid();
    return inputs;
}

std::vector<AuthFileLocation> auth_file_locations(const LocationInputs& inputs) {
    if (is_set(inputs.authfile_setting)) {
        return {{*inputs.authfile_setting, AuthFileFormat::config_json, true, "--authfile"}};
    }
    if (is_set(inputs.registry_auth_file)) {
        return {{*inputs.registry_auth_file, AuthFileFormat::config_json, true, "REGISTRY_AUTH_FILE"}};
    }

    std::vector<AuthFileLocation> locations;
    const bool has_home = is_set(inputs.home);

    if (is_set(inputs.xdg_runtime_dir)) {
        locations.push_back({*inputs.xdg_runtime_dir + "/containers/auth.json", AuthFileFormat::config_json, false,
                             "XDG_RUNTIME_DIR"});
    } else {
        locations.push_back({"/run/containers/" + std::to_string(inputs.uid) + "/auth.json",
                             AuthFileFormat::config_json, false, "default"});
    }

    if (is_set(inputs.xdg_config_home)) {
        locations.push_back({*inputs.xdg_config_home + "/containers/auth.json", AuthFileFormat::config_json, false,
                             "XDG_CONFIG_HOME"});
    } else if (has_home) {
        locations.push_back({*inputs.home + "/.config/containers/auth.json", AuthFileFormat::config_json, false,
                             "default"});
    }

    if (is_set(inputs.docker_config)) {
        locations.push_back({*inputs.docker_config + "/config.json", AuthFileFormat::config_json, false,
                             "DOCKER_CONFIG"});
    } else if (has_home) {
        locations.push_back({*inputs.home + "/.docker/config.json", AuthFileFormat::config_json, false, "default"});
    }

    if (has_home) {
        locations.push_back({*inputs.home + "/.dockercfg", AuthFileFormat::legacy_dockercfg, false, "default"});
    }
    return locations;
}

} // namespace ferry::docker_config
