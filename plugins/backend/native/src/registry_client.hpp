// The transport to one registry: its base URL, the /v2/ ping, authorization, and requests
// that follow redirects without leaking credentials to other origins.
#pragma once

#include "authenticator.hpp"
#include "http_client.hpp"
#include "registry_error.hpp"

#include <ferry/sdk.hpp>

#include <optional>
#include <string>

namespace ferry::native {

class RegistryClient {
public:
    // tls_verify == false also allows plain HTTP: the ping tries HTTPS without verification and
    // falls back to HTTP when that fails, as skopeo does with --tls-verify=false.
    RegistryClient(std::string registry, std::optional<ferry::sdk::Credential> credential,
                   bool tls_verify, ferry::sdk::Host host);

    // Pings /v2/ to choose the scheme and record the authentication challenge. Throws
    // TransferError when the registry cannot be reached or is no distribution API.
    void ping(HttpClient& client);

    const std::string& registry() const noexcept { return registry_; }

    // base URL + path, where path starts with "/v2/".
    std::string url(const std::string& path) const;

    // Sends request with authorization for scopes. GET and HEAD follow up to 10 redirects, and
    // the Authorization header goes only to the registry's own origin, never to a redirect
    // target elsewhere (object storage gets a pre-signed URL instead). A 401 on a request whose
    // body can be sent again renews the token once and repeats the request. After a 401 on a
    // streamed body, the token is dropped and the 401 returned, so that the caller's next
    // attempt gets a new token. Network failures become TransferError with `operation` in front.
    HttpResponse send(HttpClient& client, HttpRequest request, const Scopes& scopes,
                      const std::string& operation);

    // A TransferError for a response with an unexpected status: `operation`, the status, the
    // registry's error codes and messages, and for 401/403 what to check.
    TransferError unexpected_status(const HttpResponse& response, const std::string& operation,
                                    bool idempotent) const;

private:
    HttpResponse follow_redirects(HttpClient& client, HttpRequest& request,
                                  const std::optional<ferry::sdk::Secret>& authorization,
                                  const std::string& operation);

    std::string registry_;
    std::string host_name_; // where the API lives: docker.io is served by registry-1.docker.io
    bool tls_verify_;
    ferry::sdk::Host host_;
    Authenticator authenticator_;
    std::string base_url_; // "https://host:port", set by ping()
};

} // namespace ferry::native
