#include "media_types.hpp"

#include <ferry/sdk.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace ferry::native {

std::string media_type::accept_header() {
    return std::string(kOciIndex) + ", " + std::string(kOciManifest) + ", " +
           std::string(kDockerManifestList) + ", " + std::string(kDockerManifest) + ", " +
           std::string(kDockerSchema1Signed) + ";q=0.1, " + std::string(kDockerSchema1) + ";q=0.1";
}

namespace {

std::optional<ManifestKind> known_kind(std::string_view type) {
    if (type == media_type::kDockerManifest || type == media_type::kOciManifest) {
        return ManifestKind::image;
    }
    if (type == media_type::kDockerManifestList || type == media_type::kOciIndex) {
        return ManifestKind::index;
    }
    return std::nullopt;
}

bool is_schema1(std::string_view type) {
    return type == media_type::kDockerSchema1 || type == media_type::kDockerSchema1Signed;
}

[[noreturn]] void throw_schema1() {
    throw ferry::sdk::Error(FERRY_ERROR,
                            "the manifest is Docker schema 1, which ferry does not copy; convert the "
                            "image to schema 2 or OCI first (for example by pushing it again with a "
                            "current Docker or Podman)");
}

} // namespace

std::string bare_media_type(std::string_view content_type) {
    const auto semicolon = content_type.find(';');
    auto type = content_type.substr(0, semicolon);
    while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front()))) {
        type.remove_prefix(1);
    }
    while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) {
        type.remove_suffix(1);
    }

    std::string result(type);
    std::transform(result.begin(), result.end(), result.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

ManifestType detect_manifest_type(std::string_view content_type, std::string_view body) {
    const auto header_type = bare_media_type(content_type);
    if (is_schema1(header_type)) {
        throw_schema1();
    }

    const auto document = nlohmann::json::parse(body, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        throw ferry::sdk::Error(FERRY_ERROR, "the manifest is not a JSON object (Content-Type \"" +
                                                 std::string(content_type) + "\")");
    }

    const auto schema_version = document.find("schemaVersion");
    if (schema_version != document.end() && *schema_version == 1) {
        throw_schema1();
    }

    const auto body_type = document.find("mediaType");
    if (body_type != document.end() && body_type->is_string()) {
        const auto type = body_type->get<std::string>();
        if (is_schema1(type)) {
            throw_schema1();
        }
        if (const auto kind = known_kind(type)) {
            return ManifestType{type, *kind};
        }
    }

    if (const auto kind = known_kind(header_type)) {
        return ManifestType{header_type, *kind};
    }

    if (document.contains("manifests")) {
        return ManifestType{std::string(media_type::kOciIndex), ManifestKind::index};
    }
    if (document.contains("config")) {
        return ManifestType{std::string(media_type::kOciManifest), ManifestKind::image};
    }
    throw ferry::sdk::Error(FERRY_ERROR, "unsupported manifest type (Content-Type \"" +
                                             std::string(content_type) +
                                             "\", no known mediaType in the body)");
}

} // namespace ferry::native
