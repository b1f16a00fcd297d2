// Responses of a registry token service (the Docker token protocol and its OAuth2 variant).
#pragma once

#include <ferry/sdk.hpp>

#include <chrono>
#include <string_view>

namespace ferry::native {

struct BearerToken {
    ferry::sdk::Secret token;
    std::chrono::steady_clock::time_point expires_at;
};

// Tokens without expires_in, or with less than this, are kept for this long: the token
// protocol's documented default lifetime.
inline constexpr std::chrono::seconds kMinimumTokenLifetime{60};

// Parses a token response body. Accepts "token", "access_token" or both ("token" wins). The
// expiry counts from received_at, the local time the response arrived, so a skewed server
// clock (issued_at) cannot shorten or stretch it. Throws std::runtime_error when no token is
// present or the body is not a JSON object; the message never contains the body.
BearerToken parse_token_response(std::string_view body,
                                 std::chrono::steady_clock::time_point received_at);

} // namespace ferry::native
