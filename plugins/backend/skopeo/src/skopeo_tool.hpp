// Finding the skopeo executable and what its version supports.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry::skopeo {

struct SkopeoVersion {
    int major = 0;
    int minor = 0;
    int patch = 0;

    auto operator<=>(const SkopeoVersion&) const = default;
    std::string text() const;
};

// Releases before 1.4 are rejected because the flags this backend passes were checked only against
// 1.4.1 (Ubuntu 22.04) and later. NOTE: the unit and end-to-end tests emulate 1.4.1 with a
// wrapper around a newer skopeo that rejects the newer flags; no real 1.4.x binary has run them.
inline constexpr SkopeoVersion kOldestSupportedVersion{1, 4, 0};

// The skopeo features that changed between the releases this backend supports.
struct Capabilities {
    // `copy --multi-arch all` (skopeo 1.6.0 and later); older releases only accept `--all`.
    bool multi_arch_flag = false;
    // `copy --preserve-digests` (skopeo 1.6.0 and later).
    bool preserve_digests = false;
};

// One skopeo executable with its detected version.
struct SkopeoTool {
    std::string path;
    SkopeoVersion version;
    Capabilities capabilities;
};

// Parses the output of `skopeo --version`, e.g. "skopeo version 1.9.3" or
// "skopeo version 1.13.3 commit: 1f2c...". Returns std::nullopt when no version is found.
std::optional<SkopeoVersion> parse_skopeo_version(std::string_view output);

Capabilities capabilities_of(const SkopeoVersion& version);

// Returns the absolute path of the skopeo to run. A configured path must be absolute and
// executable. Without one, the directories of search_path (a PATH value) are searched in order,
// skipping relative entries so that the working directory never supplies the executable.
// Throws ferry::sdk::Error: FERRY_ERROR_INVALID_INPUT for a bad configured path,
// FERRY_ERROR_UNSUPPORTED when no skopeo is installed.
std::string locate_skopeo(const std::optional<std::string>& configured_path,
                          std::string_view search_path);

} // namespace ferry::skopeo
