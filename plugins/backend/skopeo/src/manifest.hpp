// The little of image manifests the backend reads itself: digests, index entries and platforms.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::skopeo {

// An "os/arch[/variant]" platform such as linux/arm64/v8.
struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;

    // Parses "os/arch" or "os/arch/variant". Throws ferry::sdk::Error (FERRY_ERROR_INVALID_INPUT).
    static Platform parse(std::string_view text);
    std::string text() const;
};

// One child of an image index or Docker manifest list.
struct IndexEntry {
    std::string digest;
    std::string media_type;
    std::optional<Platform> platform;
};

struct Manifest {
    std::string media_type;        // as the manifest declares it; may be empty for OCI
    bool is_index = false;         // an OCI image index or a Docker manifest list
    std::vector<IndexEntry> entries; // index children, in manifest order
    std::string config_media_type; // single manifests only
};

// Returns "sha256:<hex>" of bytes, the digest of a manifest as a registry computes it.
std::string sha256_digest(std::string_view bytes);

// Parses raw manifest bytes. Throws ferry::sdk::Error (FERRY_ERROR) when they are not a JSON
// object.
Manifest parse_manifest(std::string_view raw);

// Returns the index child for platform: os and architecture must be equal, and the variant too
// when platform names one. Without a variant, a child without a variant wins over the first child
// with one. Returns nullptr when no child matches.
const IndexEntry* select_platform(const Manifest& index, const Platform& platform);

// Returns the platforms of an index as "linux/amd64,linux/arm64/v8", skipping children without a
// platform and the "unknown/unknown" entries that carry build attestations.
std::string platform_list(const Manifest& index);

// True for the config media types of runnable images (OCI and Docker schema 2); false for
// artifacts, whose config has no platform fields.
bool is_image_config(std::string_view media_type);

// Reads os, architecture and variant from an image config blob; std::nullopt when os or
// architecture is missing or the blob is not JSON.
std::optional<Platform> platform_of_config(std::string_view raw_config);

} // namespace ferry::skopeo
