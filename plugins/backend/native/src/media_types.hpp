// Manifest media types and how a received manifest's type is determined.
#pragma once

#include <string>
#include <string_view>

namespace ferry::native::media_type {

inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";

inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kDockerForeignLayer =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
inline constexpr std::string_view kOciNondistributablePrefix =
    "application/vnd.oci.image.layer.nondistributable.";

// The Accept header of manifest requests: every type ferry copies, and schema 1 at a low
// q-value so that such a manifest gets a clear error. docker-registry 2.8.2 returns 404 for an
// OCI manifest whose type is missing here, so the list must stay complete.
std::string accept_header();

} // namespace ferry::native::media_type

namespace ferry::native {

enum class ManifestKind { image, index };

struct ManifestType {
    std::string media_type; // what a PUT of these bytes must carry as Content-Type
    ManifestKind kind = ManifestKind::image;
};

// Determines the type of a manifest from the response Content-Type and the body.
//
// The body's "mediaType" wins when it names a known manifest type, because registries may
// respond with a generic or parameterised Content-Type. Otherwise a known Content-Type (without
// parameters) is used, and failing that the body's structure: "manifests" makes an OCI index,
// "config" an OCI manifest. Throws ferry::sdk::Error FERRY_ERROR for Docker schema 1 and for
// bodies that are no manifest; the caller prefixes the message with the reference.
ManifestType detect_manifest_type(std::string_view content_type, std::string_view body);

// Lowercase "type/subtype" of a Content-Type value, without parameters and whitespace.
std::string bare_media_type(std::string_view content_type);

} // namespace ferry::native
