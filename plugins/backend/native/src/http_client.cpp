#include "http_client.hpp"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>

namespace ferry::native {
namespace {

// libcurl's global state must be set up once per process before the first handle.
void initialise_curl() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Larger buffers than libcurl's 16 KiB default mean far fewer callbacks per blob. Each handle
// keeps them for its lifetime, so they add to the memory of every parallel job.
constexpr long kDownloadBufferBytes = 128 * 1024;
constexpr long kUploadBufferBytes = 128 * 1024;
constexpr long kConnectTimeoutSeconds = 30;

std::string trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    return std::string(text);
}

// State shared with the libcurl callbacks of one request.
struct Exchange {
    CURL* handle = nullptr;
    const HttpRequest* request = nullptr;
    HttpResponse* response = nullptr;
    const ferry::sdk::Host* host = nullptr;
    std::size_t body_offset = 0;
    bool headers_reported = false;
    std::exception_ptr error;
    bool cancelled = false;
    bool ignore_cancellation = false; // a cleanup request

    // Stall detection: the last time bytes moved, or a callback of ours returned. Time spent
    // blocked in a reader or sink is the other side's delay, so it does not count.
    std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
    curl_off_t last_bytes = 0;
    long stall_seconds = 0;
    bool stalled = false;

    void touch() { last_activity = std::chrono::steady_clock::now(); }
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    const std::string_view line(data, size * count);

    // A new status line (after 100 Continue) starts a new header block.
    if (line.rfind("HTTP/", 0) == 0) {
        exchange->response->headers.clear();
        return line.size();
    }

    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        std::string name(line.substr(0, colon));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        exchange->response->headers.emplace_back(std::move(name), trim(line.substr(colon + 1)));
    }
    return line.size();
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    const std::size_t length = size * count;

    long status = 0;
    curl_easy_getinfo(exchange->handle, CURLINFO_RESPONSE_CODE, &status);
    if (exchange->request->sink && status >= 200 && status < 300) {
        try {
            if (!exchange->headers_reported) {
                exchange->headers_reported = true;
                exchange->response->status = status;
                if (exchange->request->on_headers) {
                    exchange->request->on_headers(*exchange->response);
                }
            }
            exchange->request->sink(data, length);
        } catch (...) {
            exchange->error = std::current_exception();
            return CURL_WRITEFUNC_ERROR;
        }
        exchange->touch();
        return length;
    }

    auto& response = *exchange->response;
    const std::size_t room = exchange->request->max_buffered_body > response.body.size()
                                 ? exchange->request->max_buffered_body - response.body.size()
                                 : 0;
    response.body.append(data, std::min(length, room));
    if (length > room) {
        // The rest is not read: a registry that streams a huge or endless body cannot keep the
        // request busy. perform() returns the response with what fits.
        response.body_truncated = true;
        return CURL_WRITEFUNC_ERROR;
    }
    return length;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    const std::size_t capacity = size * count;
    const HttpRequest& request = *exchange->request;

    if (request.reader) {
        try {
            const auto filled = request.reader(buffer, capacity);
            exchange->touch();
            return filled;
        } catch (...) {
            exchange->error = std::current_exception();
            return CURL_READFUNC_ABORT;
        }
    }

    const std::string_view body = request.body.value_or(std::string_view());
    const std::size_t length = std::min(capacity, body.size() - exchange->body_offset);
    std::memcpy(buffer, body.data() + exchange->body_offset, length);
    exchange->body_offset += length;
    return length;
}

// libcurl rewinds the body when it has to send it again (a reused connection that the server
// closed). Byte bodies rewind; a streamed body cannot, so the request fails and is retried.
int on_seek(void* user, curl_off_t offset, int origin) {
    auto* exchange = static_cast<Exchange*>(user);
    if (exchange->request->reader || origin != SEEK_SET || offset < 0) {
        return CURL_SEEKFUNC_CANTSEEK;
    }
    exchange->body_offset = std::min<std::size_t>(static_cast<std::size_t>(offset),
                                                  exchange->request->body.value_or("").size());
    return CURL_SEEKFUNC_OK;
}

int on_progress(void* user, curl_off_t, curl_off_t downloaded, curl_off_t, curl_off_t uploaded) {
    auto* exchange = static_cast<Exchange*>(user);
    if (!exchange->ignore_cancellation && exchange->host->cancelled()) {
        exchange->cancelled = true;
        return 1;
    }

    const auto now = std::chrono::steady_clock::now();
    if (downloaded + uploaded != exchange->last_bytes) {
        exchange->last_bytes = downloaded + uploaded;
        exchange->last_activity = now;
    } else if (exchange->stall_seconds > 0 &&
               now - exchange->last_activity > std::chrono::seconds(exchange->stall_seconds)) {
        exchange->stalled = true;
        return 1;
    }
    return 0;
}

// Adds the PEM certificates of a certificate directory to the handle's trust store, next to
// the system CAs that libcurl has already loaded.
CURLcode on_ssl_context(CURL*, void* ssl_context, void* user) {
    const auto* pem = static_cast<const std::string*>(user);
    X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_context));

    std::unique_ptr<BIO, decltype(&BIO_free)> input(
        BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())), &BIO_free);
    if (!input) {
        return CURLE_OUT_OF_MEMORY;
    }
    while (X509* certificate = PEM_read_bio_X509(input.get(), nullptr, nullptr, nullptr)) {
        X509_STORE_add_cert(store, certificate); // fails harmlessly for duplicates
        X509_free(certificate);
    }
    ERR_clear_error(); // the loop ends with a "no start line" error
    return CURLE_OK;
}

// The attempt's time limit: the timeout setting, shortened to the time left before the deadline.
// 0 means no limit, as for CURLOPT_TIMEOUT_MS.
long attempt_timeout_milliseconds(const TransferSettings& settings) {
    long limit = settings.timeout_milliseconds;
    if (settings.deadline) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
            *settings.deadline - std::chrono::steady_clock::now());
        const long left_milliseconds = std::max<long>(1, static_cast<long>(left.count()));
        limit = limit == 0 ? left_milliseconds : std::min(limit, left_milliseconds);
    }
    return limit;
}

bool deadline_passed(const TransferSettings& settings) {
    return settings.deadline && std::chrono::steady_clock::now() >= *settings.deadline;
}

// HTTP/2 stream errors (CURLE_HTTP2, CURLE_HTTP2_STREAM), truncated bodies (CURLE_PARTIAL_FILE),
// DNS failures and broken connections all fall to Kind::network, which the policy retries.
Failure::Kind classify(CURLcode code) {
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return Failure::Kind::timeout;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
        return Failure::Kind::rejected;
    default:
        return Failure::Kind::network;
    }
}

// The reason a TLS failure is permanent, with what to do about it; empty for other failures.
// The texts are OpenSSL 3's, as libcurl 7.88 reports them in its error buffer.
std::string tls_failure_hint(CURLcode code, const std::string& detail) {
    const bool unknown_issuer = detail.find("unable to get local issuer certificate") != std::string::npos ||
                                detail.find("self-signed certificate") != std::string::npos;
    if (code == CURLE_PEER_FAILED_VERIFICATION && unknown_issuer) {
        return "; add the registry's CA with --src-cert-dir DIR or --dest-cert-dir DIR (ferry login: --cert-dir), "
               "or turn verification off with --src-tls-verify=false, --dest-tls-verify=false or --tls-verify=false";
    }
    // A plain-HTTP server replies to the ClientHello with an HTTP status line, which OpenSSL
    // reads as a TLS record of an unknown version.
    if (code == CURLE_SSL_CONNECT_ERROR && detail.find("wrong version number") != std::string::npos) {
        return " (the registry speaks plain HTTP, not HTTPS); to connect to it over HTTP, use "
               "--src-tls-verify=false or --dest-tls-verify=false (ferry login: --tls-verify=false)";
    }
    return {};
}

// A curl_slist built over strings that the caller owns, so that the Authorization value can be
// wiped afterwards instead of lingering in libcurl's own copies.
class BorrowedHeaderList {
public:
    void add(const std::string& header) { lines_.push_back(header.c_str()); }

    curl_slist* link() {
        nodes_.resize(lines_.size());
        for (std::size_t i = 0; i < lines_.size(); ++i) {
            nodes_[i].data = const_cast<char*>(lines_[i]);
            nodes_[i].next = i + 1 < lines_.size() ? &nodes_[i + 1] : nullptr;
        }
        return nodes_.empty() ? nullptr : &nodes_[0];
    }

private:
    std::vector<const char*> lines_;
    std::vector<curl_slist> nodes_;
};

} // namespace

std::string HttpResponse::header(std::string_view lowercase_name) const {
    for (const auto& [name, value] : headers) {
        if (name == lowercase_name) {
            return value;
        }
    }
    return {};
}

std::vector<std::string> HttpResponse::header_values(std::string_view lowercase_name) const {
    std::vector<std::string> values;
    for (const auto& [name, value] : headers) {
        if (name == lowercase_name) {
            values.push_back(value);
        }
    }
    return values;
}

HttpClient::HttpClient(TlsConfig tls, TransferSettings settings, ferry::sdk::Host host)
    : share_(nullptr), handle_(nullptr), tls_(std::move(tls)), settings_(settings), host_(host) {
    initialise_curl();
    // One thread uses the client at a time, so the share needs no lock callbacks.
    share_ = curl_share_init();
    handle_ = curl_easy_init();
    if (share_ == nullptr || handle_ == nullptr) {
        curl_easy_cleanup(handle_);
        curl_share_cleanup(share_);
        throw ferry::sdk::Error(FERRY_ERROR, "libcurl could not create a transfer handle");
    }
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
}

HttpClient::~HttpClient() {
    curl_easy_cleanup(handle_); // before the share it uses
    curl_share_cleanup(share_);
}

void HttpClient::apply_options(const HttpRequest& request) {
    curl_easy_reset(handle_); // keeps the connection cache
    curl_easy_setopt(handle_, CURLOPT_SHARE, share_);
    curl_easy_setopt(handle_, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(handle_, CURLOPT_USERAGENT, "ferry-native/0.1.0");
    curl_easy_setopt(handle_, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(handle_, CURLOPT_BUFFERSIZE, kDownloadBufferBytes);
    curl_easy_setopt(handle_, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferBytes);
    curl_easy_setopt(handle_, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
    const long timeout_milliseconds = request.cleanup_timeout
                                          ? static_cast<long>(request.cleanup_timeout->count())
                                          : attempt_timeout_milliseconds(settings_);
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, timeout_milliseconds);
    curl_easy_setopt(handle_, CURLOPT_HTTP_VERSION,
                     settings_.force_http1 ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_2TLS);

    curl_easy_setopt(handle_, CURLOPT_SSL_VERIFYPEER, tls_.verify ? 1L : 0L);
    curl_easy_setopt(handle_, CURLOPT_SSL_VERIFYHOST, tls_.verify ? 2L : 0L);
    if (!tls_.extra_ca_pem.empty()) {
        curl_easy_setopt(handle_, CURLOPT_SSL_CTX_FUNCTION, &on_ssl_context);
        curl_easy_setopt(handle_, CURLOPT_SSL_CTX_DATA, &tls_.extra_ca_pem);
    }
    if (!tls_.client_cert_file.empty()) {
        curl_easy_setopt(handle_, CURLOPT_SSLCERT, tls_.client_cert_file.c_str());
        curl_easy_setopt(handle_, CURLOPT_SSLKEY, tls_.client_key_file.c_str());
    }

    if (request.method == "HEAD") {
        curl_easy_setopt(handle_, CURLOPT_NOBODY, 1L);
    } else if (request.body || request.reader) {
        curl_easy_setopt(handle_, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        const auto size = request.reader ? request.body_size : request.body->size();
        curl_easy_setopt(handle_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    } else if (request.method != "GET") {
        curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
}

void HttpClient::discard_connections() {
    CURL* fresh = curl_easy_init();
    if (fresh == nullptr) {
        throw ferry::sdk::Error(FERRY_ERROR, "libcurl could not create a transfer handle");
    }
    curl_easy_cleanup(handle_); // closes every connection that this handle cached
    handle_ = fresh;
    connections_suspect_ = false;
    uploaded_on_connection_ = 0;
}

void HttpClient::respect_connection_limit(const HttpRequest& request) {
    const std::uint64_t body = request.reader ? request.body_size : request.body.value_or("").size();
    const std::uint64_t limit = request.connection_upload_limit;
    if (limit > 0 && uploaded_on_connection_ > 0 && uploaded_on_connection_ + body > limit) {
        host_.debug("opening a new connection: the current one carried " +
                    std::to_string(uploaded_on_connection_) + " upload bytes");
        discard_connections();
    }
}

void HttpClient::count_uploaded_bytes() {
    curl_off_t uploaded = 0;
    long new_connections = 0;
    curl_easy_getinfo(handle_, CURLINFO_SIZE_UPLOAD_T, &uploaded);
    curl_easy_getinfo(handle_, CURLINFO_NUM_CONNECTS, &new_connections);
    if (new_connections > 0) {
        uploaded_on_connection_ = 0; // the request did not reuse a connection
    }
    uploaded_on_connection_ += static_cast<std::uint64_t>(std::max<curl_off_t>(uploaded, 0));
}

HttpResponse HttpClient::perform(const HttpRequest& request) {
    const bool cleanup = request.cleanup_timeout.has_value();
    if (!cleanup && host_.cancelled()) {
        throw ferry::sdk::Error(FERRY_ERROR_CANCELLED, "cancelled");
    }
    if (!cleanup && deadline_passed(settings_)) {
        throw TransferError(Failure{Failure::Kind::timeout, 0, true, std::nullopt},
                            "the deadline for the copy was reached (--deadline)");
    }

    if (connections_suspect_) {
        discard_connections();
    }
    respect_connection_limit(request);

    HttpResponse response;
    Exchange exchange;
    exchange.handle = handle_;
    exchange.request = &request;
    exchange.response = &response;
    exchange.host = &host_;
    exchange.stall_seconds = settings_.stall_seconds;
    exchange.ignore_cancellation = cleanup;

    apply_options(request);
    curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(handle_, CURLOPT_HEADERDATA, &exchange);
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &exchange);
    curl_easy_setopt(handle_, CURLOPT_READFUNCTION, &on_read);
    curl_easy_setopt(handle_, CURLOPT_READDATA, &exchange);
    curl_easy_setopt(handle_, CURLOPT_SEEKFUNCTION, &on_seek);
    curl_easy_setopt(handle_, CURLOPT_SEEKDATA, &exchange);
    curl_easy_setopt(handle_, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(handle_, CURLOPT_XFERINFODATA, &exchange);
    curl_easy_setopt(handle_, CURLOPT_NOPROGRESS, 0L);

    // "Expect:" stops libcurl from waiting for 100 Continue before large bodies.
    const std::string no_expect = "Expect:";
    ferry::sdk::Secret authorization_line;
    BorrowedHeaderList headers;
    headers.add(no_expect);
    for (const auto& header : request.headers) {
        headers.add(header);
    }
    if (request.authorization != nullptr) {
        authorization_line = ferry::sdk::Secret("Authorization: " + request.authorization->reveal());
        headers.add(authorization_line.reveal());
    }
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers.link());

    char error_text[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, error_text);

    const CURLcode code = curl_easy_perform(handle_);
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, nullptr);
    count_uploaded_bytes();

    // libcurl 7.88 keeps an HTTP/2 connection after a stream ends with a callback abort or a
    // timeout: it resets only the stream. Over TLS that stalled connection would carry every
    // retry, so the next request after any failure starts on a new connection.
    if (code != CURLE_OK) {
        connections_suspect_ = true;
    }

    if (exchange.cancelled) {
        throw ferry::sdk::Error(FERRY_ERROR_CANCELLED, "cancelled");
    }
    if (exchange.error) {
        std::rethrow_exception(exchange.error);
    }
    // on_body stopped a body beyond max_buffered_body: the response itself is complete enough.
    const bool cut_short = code == CURLE_WRITE_ERROR && response.body_truncated && !exchange.error;
    if (exchange.stalled) {
        throw TransferError(Failure{Failure::Kind::timeout, 0, true, std::nullopt},
                            "no data moved for " + std::to_string(settings_.stall_seconds) +
                                " s (stall-timeout)");
    }
    if (code != CURLE_OK && !cut_short) {
        Failure failure;
        failure.kind = classify(code);
        std::string detail = error_text[0] != '\0' ? error_text : curl_easy_strerror(code);
        if (code == CURLE_OPERATION_TIMEDOUT && deadline_passed(settings_)) {
            detail += " (the deadline for the copy was reached, --deadline)";
        } else if (code == CURLE_OPERATION_TIMEDOUT && settings_.timeout_milliseconds > 0 &&
                   detail.find("Operation timed out") != std::string::npos) {
            // libcurl counts only received bytes in this message, so an upload reads as idle.
            char seconds[32];
            std::snprintf(seconds, sizeof seconds, "%g", static_cast<double>(settings_.timeout_milliseconds) / 1000);
            detail += std::string(" (one request may take at most --timeout ") + seconds +
                      " s: raise it, or upload in smaller requests with --upload-chunk-size)";
        }

        // A TLS verification failure repeats on every attempt, so it is not retried.
        const auto hint = tls_failure_hint(code, detail);
        if (!hint.empty()) {
            failure.kind = Failure::Kind::rejected;
            detail += hint;
        }
        throw TransferError(failure, detail);
    }

    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &response.status);
    response.url = request.url;
    return response;
}

} // namespace ferry::native
