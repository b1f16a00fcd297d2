#include "registry_client.hpp"

#include "url.hpp"

namespace ferry::native {
namespace {

constexpr int kMaxRedirects = 10;

bool is_redirect(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

} // namespace

RegistryClient::RegistryClient(std::string registry, std::optional<ferry::sdk::Credential> credential,
                               bool tls_verify, ferry::sdk::Host host)
    : registry_(std::move(registry)),
      host_name_(registry_ == "docker.io" ? "registry-1.docker.io" : registry_),
      tls_verify_(tls_verify), host_(host), authenticator_(registry_, std::move(credential), host) {}

std::string RegistryClient::url(const std::string& path) const { return base_url_ + path; }

void RegistryClient::ping(HttpClient& client) {
    const std::string operation = "connecting to the registry " + registry_;
    HttpRequest request;
    request.url = "https://" + host_name_ + "/v2/";

    HttpResponse response;
    try {
        response = client.perform(request);
        base_url_ = "https://" + host_name_;
    } catch (const TransferError& error) {
        // A plain-HTTP server that waits for a request line never answers a TLS handshake, so a
        // timeout falls back to HTTP as well; the stall-timeout bounds how long that takes.
        if (tls_verify_) {
            throw TransferError(error.failure(), operation + " over HTTPS failed: " + error.what());
        }
        host_.debug("HTTPS to " + registry_ + " failed (" + error.what() + "); trying plain HTTP");
        request.url = "http://" + host_name_ + "/v2/";
        try {
            response = client.perform(request);
        } catch (const TransferError& http_error) {
            throw TransferError(http_error.failure(), operation + " failed over HTTPS (" + error.what() +
                                                          ") and over HTTP (" + http_error.what() + ")");
        }
        base_url_ = "http://" + host_name_;
    }

    if (response.status == 401) {
        if (!authenticator_.observe_challenge(response)) {
            host_.debug("the registry " + registry_ + " offers no Bearer or Basic authentication");
        }
        return;
    }
    if (response.status < 200 || response.status >= 300) {
        throw unexpected_status(response, operation + " (" + request.url + ")", true);
    }
}

HttpResponse RegistryClient::follow_redirects(HttpClient& client, HttpRequest& request,
                                              const std::optional<ferry::sdk::Secret>& authorization,
                                              const std::string& operation) {
    const bool may_redirect = request.method == "GET" || request.method == "HEAD";
    for (int redirects = 0;; ++redirects) {
        const bool own_origin = same_origin(request.url, base_url_);
        request.authorization = own_origin && authorization ? &*authorization : nullptr;

        HttpResponse response;
        try {
            response = client.perform(request);
        } catch (const TransferError& error) {
            throw TransferError(error.failure(), operation + ": " + error.what());
        }

        const auto location = response.header("location");
        if (!may_redirect || !is_redirect(response.status) || location.empty()) {
            return response;
        }
        if (redirects == kMaxRedirects) {
            throw TransferError(Failure{Failure::Kind::rejected, response.status, true, std::nullopt},
                                operation + ": more than " + std::to_string(kMaxRedirects) + " redirects");
        }

        try {
            request.url = resolve_url(request.url, location);
        } catch (const std::invalid_argument&) {
            throw TransferError(Failure{Failure::Kind::rejected, response.status, true, std::nullopt},
                                operation + ": redirect to an invalid Location \"" + location + "\"");
        }
        if (!same_origin(request.url, base_url_)) {
            host_.debug(operation + ": redirected to another origin; sending no credentials there");
        }
    }
}

HttpResponse RegistryClient::send(HttpClient& client, HttpRequest request, const Scopes& scopes,
                                  const std::string& operation) {
    const std::string original_url = request.url;
    // A sink receives 2xx bodies only, so a GET into a sink can be sent again after a 401.
    const bool replayable = !request.reader;

    for (int attempt = 0;; ++attempt) {
        const auto authorization = authenticator_.authorization(client, scopes);
        request.url = original_url;
        auto response = follow_redirects(client, request, authorization, operation);

        const bool from_registry = same_origin(request.url, base_url_);
        if (response.status != 401 || attempt > 0 || !from_registry) {
            return response;
        }
        if (!authenticator_.observe_challenge(response)) {
            return response;
        }
        authenticator_.invalidate(scopes);
        if (!replayable) {
            return response; // the caller resends the body, and the next request gets a new token
        }
    }
}

TransferError RegistryClient::unexpected_status(const HttpResponse& response,
                                                const std::string& operation, bool idempotent) const {
    Failure failure{Failure::Kind::http, response.status, idempotent, std::nullopt};
    const auto retry_after = response.header("retry-after");
    if (!retry_after.empty()) {
        failure.retry_after = parse_retry_after(retry_after, std::chrono::system_clock::now());
    }

    std::string message = operation + ": HTTP " + std::to_string(response.status);
    const auto details = describe_registry_errors(response.body);
    if (!details.empty()) {
        message += " (" + details + ")";
    }
    if (response.status == 401) {
        message += authenticator_.has_credential()
                       ? "; the registry rejected the credentials, check them"
                       : "; the registry needs credentials: give them with FERRY_SRC_CREDS / FERRY_DEST_CREDS, "
                         "--src-username / --dest-username with --*-password-stdin, or a source named in "
                         "--creds-from";
    } else if (response.status == 403) {
        message += "; the credentials lack permission for this repository";
    } else if (response.status == 413) {
        message += "; the request body is larger than the registry, or a proxy in front of it, "
                   "accepts: raise that limit, or upload blobs in smaller requests with --upload-chunk-size";
    } else if (response.status == 429) {
        message += "; the registry is rate limiting requests";
    }
    return TransferError(failure, message);
}

} // namespace ferry::native
