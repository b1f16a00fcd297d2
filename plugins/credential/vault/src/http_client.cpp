#include "http_client.hpp"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

namespace ferry::vault {

namespace {

constexpr std::size_t kMaxResponseBytes = 1 << 20;
constexpr std::chrono::seconds kConnectTimeout{10};

struct Transfer {
    const sdk::Host* host;
    std::string* body;
    bool too_large = false;
    bool cancelled = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    if (transfer->body->size() + bytes > kMaxResponseBytes) {
        transfer->too_large = true;
        return 0;
    }
    transfer->body->append(data, bytes);
    return bytes;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* transfer = static_cast<Transfer*>(user);
    if (transfer->host->cancelled()) {
        transfer->cancelled = true;
        return 1;
    }
    return 0;
}

// Frees a header list after overwriting its strings, which hold tokens.
void free_headers(curl_slist* headers) {
    for (curl_slist* node = headers; node != nullptr; node = node->next) {
        volatile char* text = node->data;
        for (std::size_t i = 0; text[i] != '\0'; ++i) {
            text[i] = 0;
        }
    }
    curl_slist_free_all(headers);
}

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

} // namespace

std::string url_for_messages(const std::string& url) {
    return url.substr(0, url.find_first_of("?#"));
}

std::string percent_encode(const std::string& text, const std::string& keep) {
    static const char* hex = "0123456789ABCDEF";
    std::string encoded;
    for (unsigned char c : text) {
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~' || keep.find(static_cast<char>(c)) != std::string::npos;
        if (unreserved) {
            encoded += static_cast<char>(c);
        } else {
            encoded += '%';
            encoded += hex[c >> 4];
            encoded += hex[c & 0x0F];
        }
    }
    return encoded;
}

HttpClient::HttpClient(sdk::Host host, TlsOptions tls, std::chrono::seconds timeout)
    : host_(host), tls_(std::move(tls)), timeout_(timeout) {
    init_curl_once();
    handle_ = curl_easy_init();
    if (handle_ == nullptr) {
        throw sdk::Error(FERRY_ERROR, "initializing libcurl failed");
    }
}

HttpClient::~HttpClient() { curl_easy_cleanup(handle_); }

HttpResponse HttpClient::send(const HttpRequest& request) {
    curl_easy_reset(handle_);

    std::string body;
    Transfer transfer{&host_, &body};
    char error_buffer[CURL_ERROR_SIZE] = {0};

    curl_slist* headers = nullptr;
    for (const HttpHeader& header : request.headers) {
        std::string line = header.name + ": " + header.value.reveal();
        headers = curl_slist_append(headers, line.c_str());
        sdk::wipe(line);
    }
    if (!request.body.empty()) {
        headers = curl_slist_append(headers, "Content-Type: application/json");
    }

    curl_easy_setopt(handle_, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers);
    if (!request.body.empty()) {
        curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, request.body.c_str());
        curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.reveal().size()));
    }
    curl_easy_setopt(handle_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(handle_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::chrono::milliseconds(timeout_).count()));
    curl_easy_setopt(handle_, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::chrono::milliseconds(kConnectTimeout).count()));
    curl_easy_setopt(handle_, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(handle_, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!tls_.ca_cert.empty()) {
        curl_easy_setopt(handle_, CURLOPT_CAINFO, tls_.ca_cert.c_str());
    }
    if (!tls_.ca_path.empty()) {
        curl_easy_setopt(handle_, CURLOPT_CAPATH, tls_.ca_path.c_str());
    }
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(handle_, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(handle_, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(handle_, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, error_buffer);

    const CURLcode code = curl_easy_perform(handle_);
    free_headers(headers);

    HttpResponse response;
    response.body = sdk::Secret(std::move(body));
    if (transfer.cancelled) {
        throw sdk::Error(FERRY_ERROR_CANCELLED, "the request was interrupted");
    }
    if (transfer.too_large) {
        throw sdk::Error(FERRY_ERROR, "the response is larger than 1 MiB");
    }
    if (code != CURLE_OK) {
        std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
        throw sdk::Error(FERRY_ERROR_TRANSIENT, detail);
    }

    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &response.status);
    char* location = nullptr;
    if (curl_easy_getinfo(handle_, CURLINFO_REDIRECT_URL, &location) == CURLE_OK &&
        location != nullptr) {
        response.location = location;
    }
    return response;
}

} // namespace ferry::vault
