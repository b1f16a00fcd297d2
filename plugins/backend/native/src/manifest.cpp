#include "manifest.hpp"

#include "digest.hpp"

#include <ferry/sdk.hpp>
#include <nlohmann/json.hpp>

namespace ferry::native {
namespace {

using nlohmann::json;

std::string string_member(const json& object, const char* name) {
    const auto found = object.find(name);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

[[noreturn]] void invalid(const std::string& message) {
    throw ferry::sdk::Error(FERRY_ERROR, "invalid manifest: " + message);
}

Descriptor parse_descriptor(const json& node, const char* where) {
    if (!node.is_object()) {
        invalid(std::string(where) + " is not a JSON object");
    }

    Descriptor descriptor;
    descriptor.media_type = string_member(node, "mediaType");
    descriptor.digest = string_member(node, "digest");
    if (!parse_digest(descriptor.digest)) {
        invalid(std::string(where) + " has an invalid digest \"" + descriptor.digest + "\"");
    }

    const auto size = node.find("size");
    if (size == node.end() || !size->is_number_integer() || *size < 0) {
        invalid(std::string(where) + " " + descriptor.digest + " has no valid size");
    }
    descriptor.size = size->get<std::uint64_t>();

    const auto urls = node.find("urls");
    if (urls != node.end() && urls->is_array()) {
        for (const auto& url : *urls) {
            if (url.is_string()) {
                descriptor.urls.push_back(url.get<std::string>());
            }
        }
    }

    const auto platform = node.find("platform");
    if (platform != node.end() && platform->is_object()) {
        descriptor.platform = Platform{string_member(*platform, "os"),
                                       string_member(*platform, "architecture"),
                                       string_member(*platform, "variant")};
    }
    return descriptor;
}

std::vector<Descriptor> parse_descriptor_array(const json& document, const char* name) {
    std::vector<Descriptor> result;
    const auto array = document.find(name);
    if (array == document.end()) {
        return result;
    }
    if (!array->is_array()) {
        invalid(std::string("\"") + name + "\" is not an array");
    }
    for (const auto& node : *array) {
        result.push_back(parse_descriptor(node, name));
    }
    return result;
}

} // namespace

std::string Platform::to_string() const {
    std::string text = os + "/" + architecture;
    if (!variant.empty()) {
        text += "/" + variant;
    }
    return text;
}

std::optional<Platform> Platform::parse(std::string_view text) {
    Platform platform;
    const auto first = text.find('/');
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    platform.os = std::string(text.substr(0, first));

    auto rest = text.substr(first + 1);
    const auto second = rest.find('/');
    platform.architecture = std::string(rest.substr(0, second));
    if (second != std::string_view::npos) {
        platform.variant = std::string(rest.substr(second + 1));
        if (platform.variant.empty() || platform.variant.find('/') != std::string::npos) {
            return std::nullopt;
        }
    }

    if (platform.os.empty() || platform.architecture.empty()) {
        return std::nullopt;
    }
    return platform;
}

bool Platform::matches(const Platform& requested) const {
    return os == requested.os && architecture == requested.architecture &&
           (requested.variant.empty() || variant == requested.variant);
}

bool Descriptor::is_foreign() const {
    const bool nondistributable =
        media_type == media_type::kDockerForeignLayer ||
        media_type.rfind(media_type::kOciNondistributablePrefix, 0) == 0;
    return nondistributable && !urls.empty();
}

Manifest parse_manifest(std::string_view body, std::string_view content_type) {
    Manifest manifest;
    manifest.type = detect_manifest_type(content_type, body);

    // detect_manifest_type has checked that the body is a JSON object.
    const auto document = json::parse(body);
    manifest.artifact_type = string_member(document, "artifactType");

    if (manifest.type.kind == ManifestKind::index) {
        manifest.manifests = parse_descriptor_array(document, "manifests");
        return manifest;
    }

    const auto config = document.find("config");
    if (config == document.end()) {
        invalid("an image manifest without \"config\"");
    }
    manifest.config = parse_descriptor(*config, "config");
    manifest.layers = parse_descriptor_array(document, "layers");
    return manifest;
}

std::optional<Platform> parse_config_platform(std::string_view config) {
    const auto document = json::parse(config, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        return std::nullopt;
    }

    Platform platform{string_member(document, "os"), string_member(document, "architecture"),
                      string_member(document, "variant")};
    if (platform.os.empty() || platform.architecture.empty()) {
        return std::nullopt;
    }
    return platform;
}

} // namespace ferry::native
