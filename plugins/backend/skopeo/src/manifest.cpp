#include "manifest.hpp"

#include <ferry/sdk.hpp>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <array>
#include <cstdio>

namespace ferry::skopeo {

namespace {

std::string string_field(const nlohmann::json& object, const char* key) {
    auto found = object.find(key);
    if (found == object.end() || !found->is_string()) {
        return std::string();
    }
    return found->get<std::string>();
}

std::optional<Platform> platform_from_json(const nlohmann::json& object) {
    Platform platform;
    platform.os = string_field(object, "os");
    platform.architecture = string_field(object, "architecture");
    platform.variant = string_field(object, "variant");
    if (platform.os.empty() || platform.architecture.empty()) {
        return std::nullopt;
    }
    return platform;
}

} // namespace

Platform Platform::parse(std::string_view text) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = text.find('/', start);
        parts.emplace_back(text.substr(start, slash == std::string_view::npos ? text.npos
                                                                             : slash - start));
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }

    const bool valid_count = parts.size() == 2 || parts.size() == 3;
    bool all_filled = true;
    for (const std::string& part : parts) {
        all_filled = all_filled && !part.empty();
    }
    if (!valid_count || !all_filled) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                         "invalid platform \"" + std::string(text) +
                             "\": expected os/arch or os/arch/variant, e.g. linux/arm64/v8");
    }

    Platform platform;
    platform.os = parts[0];
    platform.architecture = parts[1];
    platform.variant = parts.size() == 3 ? parts[2] : std::string();
    return platform;
}

std::string Platform::text() const {
    std::string out = os + "/" + architecture;
    if (!variant.empty()) {
        out += "/" + variant;
    }
    return out;
}

std::string sha256_digest(std::string_view bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> hash{};
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), hash.data(), &length, EVP_sha256(), nullptr) != 1) {
        throw sdk::Error(FERRY_ERROR, "computing a SHA-256 digest with OpenSSL failed");
    }

    std::string digest = "sha256:";
    for (unsigned int i = 0; i < length; ++i) {
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x", hash[i]);
        digest += hex;
    }
    return digest;
}

Manifest parse_manifest(std::string_view raw) {
    const nlohmann::json document = nlohmann::json::parse(raw, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        throw sdk::Error(FERRY_ERROR, "the manifest skopeo returned is not a JSON object");
    }

    Manifest manifest;
    manifest.media_type = string_field(document, "mediaType");

    auto children = document.find("manifests");
    manifest.is_index = children != document.end() && children->is_array();
    if (manifest.is_index) {
        for (const nlohmann::json& child : *children) {
            if (!child.is_object()) {
                continue;
            }
            IndexEntry entry;
            entry.digest = string_field(child, "digest");
            entry.media_type = string_field(child, "mediaType");
            auto platform = child.find("platform");
            if (platform != child.end() && platform->is_object()) {
                entry.platform = platform_from_json(*platform);
            }
            manifest.entries.push_back(std::move(entry));
        }
        return manifest;
    }

    auto config = document.find("config");
    if (config != document.end() && config->is_object()) {
        manifest.config_media_type = string_field(*config, "mediaType");
    }
    return manifest;
}

const IndexEntry* select_platform(const Manifest& index, const Platform& platform) {
    const IndexEntry* with_variant = nullptr;
    for (const IndexEntry& entry : index.entries) {
        if (!entry.platform || entry.platform->os != platform.os ||
            entry.platform->architecture != platform.architecture) {
            continue;
        }
        if (!platform.variant.empty()) {
            if (entry.platform->variant == platform.variant) {
                return &entry;
            }
            continue;
        }
        if (entry.platform->variant.empty()) {
            return &entry;
        }
        if (with_variant == nullptr) {
            with_variant = &entry;
        }
    }
    return with_variant;
}

std::string platform_list(const Manifest& index) {
    std::string list;
    for (const IndexEntry& entry : index.entries) {
        if (!entry.platform || entry.platform->os == "unknown") {
            continue;
        }
        if (!list.empty()) {
            list += ",";
        }
        list += entry.platform->text();
    }
    return list;
}

bool is_image_config(std::string_view media_type) {
    return media_type == "application/vnd.oci.image.config.v1+json" ||
           media_type == "application/vnd.docker.container.image.v1+json";
}

std::optional<Platform> platform_of_config(std::string_view raw_config) {
    const nlohmann::json document = nlohmann::json::parse(raw_config, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        return std::nullopt;
    }
    return platform_from_json(document);
}

} // namespace ferry::skopeo
