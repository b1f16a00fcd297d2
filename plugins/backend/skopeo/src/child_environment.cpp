#include "child_environment.hpp"

#include <algorithm>
#include <string_view>

extern char** environ;

namespace ferry::skopeo {

const std::vector<std::string>& inherited_variables() {
    static const std::vector<std::string> names = {
        "PATH",        "TMPDIR",      "http_proxy", "HTTP_PROXY",    "https_proxy",
        "HTTPS_PROXY", "no_proxy",    "NO_PROXY",   "all_proxy",     "ALL_PROXY",
        "SSL_CERT_FILE", "SSL_CERT_DIR",
    };
    return names;
}

std::vector<std::string> build_child_environment(const std::vector<std::string>& parent,
                                                 const IsolatedPaths& paths) {
    std::vector<std::string> child;
    bool has_path = false;

    for (const std::string& entry : parent) {
        const std::size_t equals = entry.find('=');
        if (equals == std::string::npos) {
            continue;
        }
        const std::string_view name(entry.data(), equals);
        const auto& inherited = inherited_variables();
        if (std::find(inherited.begin(), inherited.end(), name) == inherited.end()) {
            continue;
        }
        has_path = has_path || name == "PATH";
        child.push_back(entry);
    }

    if (!has_path) {
        child.emplace_back("PATH=/usr/local/bin:/usr/bin:/bin");
    }
    child.push_back("HOME=" + paths.home);
    child.push_back("XDG_RUNTIME_DIR=" + paths.xdg_runtime_dir);
    child.push_back("XDG_CONFIG_HOME=" + paths.xdg_config_home);
    child.push_back("DOCKER_CONFIG=" + paths.docker_config);
    return child;
}

std::vector<std::string> current_environment() {
    std::vector<std::string> entries;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        entries.emplace_back(*entry);
    }
    return entries;
}

} // namespace ferry::skopeo
