// A small blocking HTTP client over libcurl for the Vault API and the GitHub OIDC endpoint.
#pragma once

#include <ferry/sdk.hpp>

#include <chrono>
#include <string>
#include <vector>

typedef void CURL;

namespace ferry::vault {

struct HttpHeader {
    std::string name;
    sdk::Secret value; // tokens travel in headers, so every value is wiped after use
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<HttpHeader> headers;
    sdk::Secret body; // sent when not empty
};

struct HttpResponse {
    long status = 0;
    sdk::Secret body;
    std::string location; // the Location header of a redirect
};

struct TlsOptions {
    std::string ca_cert; // PEM bundle; "" uses the system's CAs
    std::string ca_path; // directory of hashed CA certificates
};

// Sends one request at a time and keeps the connection for the next. Redirects are not
// followed, because a redirect to another host would carry the X-Vault-Token header there.
// TLS is always verified. Only http and https URLs are accepted.
class HttpClient {
public:
    HttpClient(sdk::Host host, TlsOptions tls, std::chrono::seconds timeout);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Returns any HTTP status. Throws sdk::Error with FERRY_ERROR_TRANSIENT when no response
    // arrived (refused, timed out, TLS failure), FERRY_ERROR_CANCELLED when the user
    // interrupted ferry, FERRY_ERROR when the response exceeds 1 MiB. The message is curl's
    // description without the URL.
    HttpResponse send(const HttpRequest& request);

private:
    sdk::Host host_;
    TlsOptions tls_;
    std::chrono::seconds timeout_;
    CURL* handle_ = nullptr;
};

// The URL without its query and fragment, for messages.
std::string url_for_messages(const std::string& url);

// Percent-encodes text for a URL path or query value, keeping RFC 3986 unreserved characters
// and the characters in keep.
std::string percent_encode(const std::string& text, const std::string& keep = "");

} // namespace ferry::vault
