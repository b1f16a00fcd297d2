#include "registry_key.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace ferry::docker_config {
namespace {

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char left, char right) {
        return std::tolower(static_cast<unsigned char>(left)) == std::tolower(static_cast<unsigned char>(right));
    });
}

std::string to_lower(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

std::string_view trim_trailing_slashes(std::string_view text) {
    while (!text.empty() && text.back() == '/') {
        text.remove_suffix(1);
    }
    return text;
}

std::string canonical_host(std::string_view host) {
    static constexpr std::array<std::string_view, 3> hub_hosts = {"docker.io", "index.docker.io",
                                                                  "registry-1.docker.io"};
    std::string lower = to_lower(host);
    if (std::find(hub_hosts.begin(), hub_hosts.end(), lower) != hub_hosts.end()) {
        return std::string(docker_hub_registry);
    }
    return lower;
}

} // namespace

std::string canonical_registry(std::string_view registry) {
    return canonical_host(trim_trailing_slashes(registry));
}

std::string canonical_auth_key(std::string_view key) {
    for (std::string_view scheme : {std::string_view("https://"), std::string_view("http://")}) {
        if (starts_with_ignoring_case(key, scheme)) {
            key.remove_prefix(scheme.size());
            break;
        }
    }
    key = trim_trailing_slashes(key);

    const std::size_t slash = key.find('/');
    const std::string_view host = key.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view() : key.substr(slash + 1);

    // Docker's CLI once wrote API URLs such as "https://index.docker.io/v1/" as keys. A path that
    // is only a version names the registry, not a namespace called "v1".
    if (path == "v1" || path == "v2") {
        path = {};
    }

    std::string canonical = canonical_host(host);
    if (!path.empty()) {
        canonical += '/';
        canonical += path;
    }
    return canonical;
}

std::vector<std::string> lookup_keys(std::string_view registry, std::string_view repository) {
    std::string key = canonical_registry(registry);
    const std::size_t registry_length = key.size();

    repository = trim_trailing_slashes(repository);
    if (!repository.empty()) {
        key += '/';
        key += repository;
    }

    std::vector<std::string> keys;
    while (true) {
        keys.push_back(key);
        const std::size_t slash = key.rfind('/');
        if (slash == std::string::npos || slash < registry_length) {
            break;
        }
        key.resize(slash);
    }
    return keys;
}

std::string helper_server_url(std::string_view registry) {
    std::string canonical = canonical_registry(registry);
    if (canonical == docker_hub_registry) {
        return std::string(docker_hub_server_url);
    }
    return std::string(registry);
}

} // namespace ferry::docker_config
