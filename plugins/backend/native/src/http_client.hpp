// One libcurl easy handle and the requests sent through it.
//
// Each worker owns one HttpClient, so its connections (and TLS sessions) are reused from one
// request to the next, except after a failed request: the next one opens new connections.
// Redirects are never followed here: the registry client follows them itself, because libcurl
// forwards a custom Authorization header to any redirect target.
#pragma once

#include "registry_error.hpp"
#include "tls_config.hpp"

#include <ferry/sdk.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

typedef void CURL;
typedef void CURLSH;

namespace ferry::native {

struct TransferSettings {
    long timeout_milliseconds = 0; // whole attempt; 0 = no limit
    long stall_seconds = 60;       // abort when no byte moved for this long; 0 = never
    bool force_http1 = false;
    // End of the whole copy: no attempt runs past it. std::nullopt = no deadline.
    std::optional<std::chrono::steady_clock::time_point> deadline;
};

struct HttpResponse {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers; // lowercase name, trimmed value
    std::string body;
    bool body_truncated = false;
    std::string url;

    // The first value of a header; empty when absent.
    std::string header(std::string_view lowercase_name) const;
    std::vector<std::string> header_values(std::string_view lowercase_name) const;
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers;               // "Name: value"
    const ferry::sdk::Secret* authorization = nullptr; // the Authorization value, never logged

    // Request body: either bytes, or a reader that fills a buffer and returns 0 at the end.
    // A reader may throw to abort the request; perform() rethrows the exception.
    std::optional<std::string_view> body;
    std::function<std::size_t(char*, std::size_t)> reader;
    std::uint64_t body_size = 0; // with reader

    // Receives the body of a 2xx response instead of HttpResponse::body. May throw to abort.
    std::function<void(const char*, std::size_t)> sink;

    // Called once with the status and headers of a 2xx response, before its first body byte
    // reaches sink. May throw to abort.
    std::function<void(const HttpResponse&)> on_headers;

    // Bodies kept in HttpResponse::body are cut at this size.
    std::size_t max_buffered_body = 4 * 1024 * 1024;

    // Upload bytes that the connection carrying this request may have carried in total, this
    // request's body included. The client opens new connections first when the current ones
    // would exceed it, so every connection stays below a link's per-connection limit. 0 = no limit.
    std::uint64_t connection_upload_limit = 0;

    // Set for best-effort cleanup after a failure (cancelling an upload session): the request
    // runs even when the host is cancelled or the deadline has passed, and this limit replaces
    // the attempt timeout and the deadline.
    std::optional<std::chrono::milliseconds> cleanup_timeout;
};


class HttpClient {
public:
    HttpClient(TlsConfig tls, TransferSettings settings, ferry::sdk::Host host);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Sends one request and returns any HTTP response, whatever its status. Throws
    // TransferError for network failures and timeouts (Kind::timeout also when the deadline in
    // TransferSettings has passed or runs out during the request), ferry::sdk::Error FERRY_ERROR_CANCELLED
    // when the host is cancelled, and whatever a reader or sink threw. A request with
    // cleanup_timeout ignores the cancellation.
    HttpResponse perform(const HttpRequest& request);

    const TlsConfig& tls() const noexcept { return tls_; }

private:
    void apply_options(const HttpRequest& request);

    // Replaces the easy handle, which closes the connections it cached. TLS sessions and DNS
    // answers live in share_, so the new connections resume TLS sessions.
    void discard_connections();

    // Opens new connections when this request's body would take the bytes uploaded over the
    // current ones past its connection_upload_limit.
    void respect_connection_limit(const HttpRequest& request);

    // Counts this request's upload bytes against the connection that carried it.
    void count_uploaded_bytes();

    CURLSH* share_;
    CURL* handle_;
    // Upload bytes sent since the connection last used was opened (an upper bound when the
    // handle has connections to several hosts).
    std::uint64_t uploaded_on_connection_ = 0;
    // Set after a failed request: its connection may be stalled or broken, and libcurl can
    // still hand it to the next request.
    bool connections_suspect_ = false;
    TlsConfig tls_;
    TransferSettings settings_;
    ferry::sdk::Host host_;
};

} // namespace ferry::native
