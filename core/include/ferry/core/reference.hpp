// Image references as users write them for skopeo: `docker://host[:port]/repo[:tag][@digest]`,
// `oci:PATH[:REF]`, or a registry reference without a transport.
//
// Registry references follow the grammar of the distribution project's reference package
// (github.com/distribution/reference): Docker Hub normalisation, optional port, nested paths,
// lowercase repository components, tags of at most 128 characters, digests of a registered
// algorithm with hex of the right length.
#pragma once

#include <ferry/plugin.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace ferry::core {

// A reference that does not follow the grammar. what() names the offending part and the fix.
class ReferenceError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

struct ImageReference {
    ferry_transport transport = FERRY_TRANSPORT_DOCKER;
    std::string registry;   // docker: "docker.io", "127.0.0.1:5000"
    std::string repository; // docker: "library/alpine"
    std::string tag;        // empty when the reference has only a digest
    std::string digest;     // "sha256:<hex>", empty when absent
    std::string path;       // layout: absolute directory
    std::string layout_ref; // layout: the ref name, empty when absent

    // Canonical text: docker://docker.io/library/alpine:latest, oci:/abs/dir:v1
    std::string text() const;
    // The same reference without its tag, used to copy by digest.
    ImageReference without_tag() const;
};

// Parses a reference given on the command line. A registry reference without tag and digest
// gets the tag "latest". Relative layout paths are made absolute against the working directory.
// Throws ReferenceError.
ImageReference parse_reference(std::string_view text);

// Returns whether text looks like USER:PASSWORD@HOST/...: a ':' before the first '@' and no
// digest after it. Layout references (oci:) never do. parse_reference rejects such text.
bool may_contain_credentials(std::string_view text);

// Returns text with the part before the first '@' (after any "scheme://") replaced by "***"
// when it may contain credentials, and text unchanged otherwise. For echoing user input.
std::string without_credentials(std::string_view text);

// Parses the part after "docker://" (or a reference without transport).
ImageReference parse_registry_reference(std::string_view text);

// Throws ReferenceError unless digest is "<algorithm>:<hex>" of a registered algorithm
// (sha256, sha384, sha512) with lowercase hex of the algorithm's length.
void validate_digest(std::string_view digest);

} // namespace ferry::core
