// The environment skopeo runs with.
//
// skopeo 1.9.3 still searches $XDG_RUNTIME_DIR/containers/auth.json (or /run/containers/UID/
// auth.json when XDG_RUNTIME_DIR is unset), $XDG_CONFIG_HOME/containers/auth.json,
// $DOCKER_CONFIG/config.json or ~/.docker/config.json, and ~/.dockercfg when the auth file it was
// given has no entry for a registry, and it reads credential helpers from registries.conf. To keep
// the user's own logins out of a copy, the child gets a fresh environment: those variables point
// into the private directory, and only the variables skopeo needs to reach the network are kept.
#pragma once

#include <string>
#include <vector>

namespace ferry::skopeo {

// Directories inside the private directory that replace the user's.
struct IsolatedPaths {
    std::string home;
    std::string xdg_runtime_dir;
    std::string xdg_config_home;
    std::string docker_config;
};

// Variables copied from the parent environment when set: PATH, TMPDIR, the proxy variables in
// both spellings, and SSL_CERT_FILE / SSL_CERT_DIR (the CA bundle Go's TLS uses). Everything else,
// REGISTRY_AUTH_FILE and CONTAINERS_REGISTRIES_CONF included, is dropped.
const std::vector<std::string>& inherited_variables();

// Builds the child's environment as "NAME=value" entries from parent (also "NAME=value").
// PATH defaults to /usr/local/bin:/usr/bin:/bin when the parent has none.
std::vector<std::string> build_child_environment(const std::vector<std::string>& parent,
                                                 const IsolatedPaths& paths);

// The environment of the current process as "NAME=value" entries.
std::vector<std::string> current_environment();

} // namespace ferry::skopeo
