// Parsed view of an image manifest or an index. The copier never re-serialises a manifest: it
// reads references from this view and copies the received bytes unchanged, so digests stay.
#pragma once

#include "media_types.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::native {

struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;

    // "os/architecture[/variant]"
    std::string to_string() const;

    // Parses "os/architecture[/variant]"; std::nullopt when a part is missing or empty.
    static std::optional<Platform> parse(std::string_view text);

    // True when this platform satisfies a request: os and architecture equal, and the variant
    // equal too when the request names one.
    bool matches(const Platform& requested) const;
};

struct Descriptor {
    std::string media_type;
    std::string digest;
    std::uint64_t size = 0;
    std::vector<std::string> urls;
    std::optional<Platform> platform;

    // A non-distributable layer that registries serve from its urls, not from blob storage.
    bool is_foreign() const;
};

struct Manifest {
    ManifestType type;
    std::vector<Descriptor> manifests; // index: the child manifests
    std::optional<Descriptor> config;  // image: the config blob
    std::vector<Descriptor> layers;    // image: layers, or an artifact's blobs
    std::string artifact_type;         // OCI artifactType, empty when absent
};

// Parses a manifest or index. Throws ferry::sdk::Error FERRY_ERROR when the document is no
// manifest, is Docker schema 1, or contains a descriptor with an invalid digest or size.
Manifest parse_manifest(std::string_view body, std::string_view content_type);

// Platform of an image config blob ({"os": .., "architecture": .., "variant": ..}); std::nullopt
// when the blob is no JSON object or lacks os or architecture.
std::optional<Platform> parse_config_platform(std::string_view config);

// Largest manifest ferry reads into memory. Real manifests are a few KiB, so a larger body
// comes from a broken or hostile registry.
inline constexpr std::size_t kMaxManifestBytes = 4 * 1024 * 1024;

} // namespace ferry::native
