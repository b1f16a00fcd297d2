#include "kv_path.hpp"

#include <ferry/sdk.hpp>

#include <algorithm>

namespace ferry::vault {

namespace {

constexpr std::string_view kPlaceholder = "{registry}";
constexpr std::string_view kDataSegment = "data/";

bool is_plain_registry(const std::string& registry) {
    if (registry.empty() || registry.find("..") != std::string::npos) {
        return false;
    }
    return std::all_of(registry.begin(), registry.end(), [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    });
}

std::string trim_slashes(const std::string& text) {
    const auto first = text.find_first_not_of('/');
    if (first == std::string::npos) {
        return "";
    }
    return text.substr(first, text.find_last_not_of('/') - first + 1);
}

} // namespace

std::string expand_path_template(const std::string& path_template, const std::string& registry) {
    if (!is_plain_registry(registry)) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                         "invalid registry \"" + registry + "\": expected host[:port]");
    }

    std::string path;
    std::size_t position = 0;
    while (position < path_template.size()) {
        const auto open = path_template.find('{', position);
        if (open == std::string::npos) {
            path += path_template.substr(position);
            break;
        }
        path += path_template.substr(position, open - position);
        if (path_template.compare(open, kPlaceholder.size(), kPlaceholder) != 0) {
            const auto close = path_template.find('}', open);
            throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                             "unknown placeholder \"" +
                                 path_template.substr(open, close == std::string::npos
                                                                ? std::string::npos
                                                                : close - open + 1) +
                                 "\" in path-template \"" + path_template +
                                 "\"; only {registry} is replaced");
        }
        path += registry;
        position = open + kPlaceholder.size();
    }

    path = trim_slashes(path);
    if (path.empty()) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                         "path-template \"" + path_template + "\" gives an empty path");
    }
    return path;
}

KvMount parse_mount(const nlohmann::json& data) {
    if (!data.is_object() || !data.contains("path") || !data["path"].is_string() ||
        data["path"].get<std::string>().empty()) {
        throw sdk::Error(FERRY_ERROR, "the mount information has no mount path");
    }

    KvMount mount;
    mount.path = trim_slashes(data["path"].get<std::string>()) + "/";

    // options is null for KV v1 mounts made without -version and for non-KV engines.
    const auto options = data.find("options");
    if (options != data.end() && options->is_object()) {
        const auto version = options->find("version");
        if (version != options->end() && version->is_string() && *version == "2") {
            mount.version = 2;
        }
    }
    return mount;
}

std::string kv_read_path(const std::string& secret_path, const KvMount& mount) {
    if (mount.version != 2) {
        return secret_path;
    }

    if (secret_path.rfind(mount.path, 0) != 0) {
        throw sdk::Error(FERRY_ERROR, "Vault reported the mount " + mount.path + " for " +
                                          secret_path + ", which is not a prefix of it");
    }

    std::string rest = secret_path.substr(mount.path.size());
    if (rest.rfind(kDataSegment, 0) == 0) {
        rest = rest.substr(kDataSegment.size());
    } else if (rest == "data") {
        rest.clear();
    }
    if (rest.empty()) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                         "the path " + secret_path + " names the KV mount " + mount.path +
                             " itself, not a secret in it");
    }
    return mount.path + std::string(kDataSegment) + rest;
}

} // namespace ferry::vault
