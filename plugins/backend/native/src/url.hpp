// Absolute URLs as the distribution API uses them: parsing, origins and RFC 3986 reference
// resolution. Only what the client needs; no percent-decoding, so values stay byte for byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry::native {

struct Url {
    std::string scheme;    // lowercase: "http", "https"
    std::string authority; // "host[:port]", kept as written (userinfo is rejected)
    std::string path;      // "/v2/..." or empty
    std::optional<std::string> query;
    std::optional<std::string> fragment;

    // Parses an absolute http(s) URL; std::nullopt for anything else.
    static std::optional<Url> parse(std::string_view text);

    std::string to_string() const;

    // "scheme://host:port" with the default port made explicit and the host lowercased, so
    // that two URLs share an origin exactly when their origin strings are equal.
    std::string origin() const;
};

// Resolves reference (absolute, scheme-relative, absolute-path or relative) against the
// absolute URL base, as RFC 3986 section 5.2 describes. Throws std::invalid_argument when base
// is not an absolute http(s) URL or the result is not one.
std::string resolve_url(std::string_view base, std::string_view reference);

bool same_origin(std::string_view a, std::string_view b);

} // namespace ferry::native
