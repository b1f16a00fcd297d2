// Fuzzes manifest parsing with arbitrary bodies. The first input byte picks the Content-Type,
// so generic, specific and schema 1 types are all exercised. Parsing may reject the input with
// ferry::sdk::Error; anything else escaping, or a descriptor with an invalid digest, is a bug.
#include "digest.hpp"
#include "manifest.hpp"

#include <ferry/sdk.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static constexpr std::string_view kContentTypes[] = {
        "",
        "application/json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    };
    if (size == 0) {
        return 0;
    }
    const auto content_type = kContentTypes[data[0] % std::size(kContentTypes)];
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

    try {
        const auto manifest = ferry::native::parse_manifest(body, content_type);
        for (const auto& child : manifest.manifests) {
            if (!ferry::native::parse_digest(child.digest)) {
                std::abort();
            }
        }
        for (const auto& layer : manifest.layers) {
            if (!ferry::native::parse_digest(layer.digest)) {
                std::abort();
            }
            (void)layer.is_foreign();
        }
        if (manifest.type.kind == ferry::native::ManifestKind::image && !manifest.config) {
            std::abort();
        }
    } catch (const ferry::sdk::Error&) {
        // Rejected input: the expected outcome for most mutations.
    }
    (void)ferry::native::parse_config_platform(body);
    return 0;
}
