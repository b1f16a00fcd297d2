// Authorization for one registry: meets its challenge with Basic credentials or a Bearer token,
// and caches tokens per scope set until they expire.
//
// Thread-safe: the blob workers share one Authenticator per registry. A token fetch holds the
// lock, so parallel workers that need the same new token wait for one fetch instead of each
// asking the token service.
#pragma once

#include "http_client.hpp"
#include "token_response.hpp"
#include "www_authenticate.hpp"

#include <ferry/sdk.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ferry::native {

// Scopes of a token request: "repository:<name>:<actions>".
using Scopes = std::vector<std::string>;

std::string pull_scope(const std::string& repository);
std::string push_scope(const std::string& repository); // pull and push

class Authenticator {
public:
    Authenticator(std::string registry, std::optional<ferry::sdk::Credential> credential,
                  ferry::sdk::Host host);

    // Records the challenge of a 401 response. Returns false when the response offers no scheme
    // that ferry supports (Bearer or Basic).
    bool observe_challenge(const HttpResponse& response);

    // The Authorization value for a request that needs scopes; std::nullopt for anonymous
    // access. Fetches a token when the cache has none that is valid for a while yet. Throws
    // TransferError when the token service fails.
    std::optional<ferry::sdk::Secret> authorization(HttpClient& client, const Scopes& scopes);

    // Forgets the cached token of scopes, after the registry rejected it.
    void invalidate(const Scopes& scopes);

    bool has_credential() const { return credential_.has_value(); }

private:
    BearerToken fetch_token(HttpClient& client, const Challenge& challenge, const Scopes& scopes);
    HttpResponse request_token_with_refresh_token(HttpClient& client, const Challenge& challenge,
                                                  const Scopes& scopes);
    HttpResponse request_token_with_get(HttpClient& client, const Challenge& challenge,
                                        const Scopes& scopes);

    std::string registry_;
    std::optional<ferry::sdk::Credential> credential_;
    ferry::sdk::Host host_;

    std::mutex mutex_;
    std::optional<Challenge> challenge_;
    std::map<std::string, BearerToken> tokens_; // key: the scopes, sorted and space-joined
};

} // namespace ferry::native
