// WWW-Authenticate parsing by the HTTP grammar (RFC 9110 section 11.6.1):
//
//   WWW-Authenticate = #challenge
//   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   auth-param       = token BWS "=" BWS ( token / quoted-string )
//
// Schemes and parameter names are case-insensitive and stored lowercase; values keep their
// case. Malformed input raises no error: the parser skips to the next comma and carries on, and
// the fuzz target fuzz_native_www_authenticate checks this on arbitrary input.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::native {

struct Challenge {
    std::string scheme;                        // lowercase: "bearer", "basic", ...
    std::map<std::string, std::string> params; // lowercase name -> unquoted value
    std::string token68;                       // set instead of params by some schemes

    std::string param(const std::string& name) const;
};

// Parses one header field value, which may hold several challenges.
std::vector<Challenge> parse_www_authenticate(std::string_view value);

// Parses every WWW-Authenticate field of one response, in order.
std::vector<Challenge> parse_www_authenticate(const std::vector<std::string>& values);

// Picks the challenge the client responds to: Bearer over Basic. Other schemes are ignored.
std::optional<Challenge> preferred_challenge(const std::vector<Challenge>& challenges);

} // namespace ferry::native
