#include "authenticator.hpp"

#include "url.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>

namespace ferry::native {
namespace {

// A token that expires within this margin is renewed before use, so that it cannot run out
// during the request that carries it.
constexpr auto kRenewalMargin = std::chrono::seconds(10);

std::string scope_key(Scopes scopes) {
    std::sort(scopes.begin(), scopes.end());
    scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
    std::string key;
    for (const auto& scope : scopes) {
        if (!key.empty()) {
            key += ' ';
        }
        key += scope;
    }
    return key;
}

std::string url_encode(const std::string& text) {
    char* encoded = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
    std::string result = encoded != nullptr ? encoded : "";
    curl_free(encoded);
    return result;
}

ferry::sdk::Secret base64(const std::string& text) {
    std::string output(4 * ((text.size() + 2) / 3) + 1, '\0');
    const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(output.data()),
                                       reinterpret_cast<const unsigned char*>(text.data()),
                                       static_cast<int>(text.size()));
    output.resize(static_cast<std::size_t>(length));
    return ferry::sdk::Secret(std::move(output));
}

ferry::sdk::Secret basic_authorization(const ferry::sdk::Credential& credential) {
    ferry::sdk::Secret pair(credential.username + ":" + credential.password.reveal());
    return ferry::sdk::Secret("Basic " + base64(pair.reveal()).reveal());
}

bool has_password(const std::optional<ferry::sdk::Credential>& credential) {
    return credential && !credential->username.empty() && !credential->password.empty();
}

} // namespace

std::string pull_scope(const std::string& repository) { return "repository:" + repository + ":pull"; }

std::string push_scope(const std::string& repository) {
    return "repository:" + repository + ":pull,push";
}

Authenticator::Authenticator(std::string registry, std::optional<ferry::sdk::Credential> credential,
                             ferry::sdk::Host host)
    : registry_(std::move(registry)), credential_(std::move(credential)), host_(host) {}

bool Authenticator::observe_challenge(const HttpResponse& response) {
    auto challenge = preferred_challenge(parse_www_authenticate(response.header_values("www-authenticate")));
    if (!challenge) {
        return false;
    }
    std::lock_guard lock(mutex_);
    challenge_ = std::move(challenge);
    return true;
}

std::optional<ferry::sdk::Secret> Authenticator::authorization(HttpClient& client,
                                                               const Scopes& scopes) {
    // A registry token is sent unchanged, whatever challenge the registry sent.
    if (credential_ && !credential_->registry_token.empty()) {
        return ferry::sdk::Secret("Bearer " + credential_->registry_token.reveal());
    }

    std::lock_guard lock(mutex_);
    if (!challenge_) {
        return std::nullopt;
    }

    if (challenge_->scheme == "basic") {
        if (!has_password(credential_)) {
            return std::nullopt;
        }
        return basic_authorization(*credential_);
    }

    const auto key = scope_key(scopes);
    const auto now = std::chrono::steady_clock::now();
    auto cached = tokens_.find(key);
    if (cached == tokens_.end() || cached->second.expires_at - kRenewalMargin <= now) {
        auto token = fetch_token(client, *challenge_, scopes);
        cached = tokens_.insert_or_assign(key, std::move(token)).first;
    }
    return ferry::sdk::Secret("Bearer " + cached->second.token.reveal());
}

void Authenticator::invalidate(const Scopes& scopes) {
    std::lock_guard lock(mutex_);
    tokens_.erase(scope_key(scopes));
}

BearerToken Authenticator::fetch_token(HttpClient& client, const Challenge& challenge,
                                       const Scopes& scopes) {
    const auto realm = challenge.param("realm");
    if (!Url::parse(realm)) {
        throw TransferError(Failure{Failure::Kind::rejected, 0, true, std::nullopt},
                            "the registry " + registry_ + " asks for a Bearer token from realm \"" +
                                realm + "\", which is not an http(s) URL");
    }

    const bool refresh = credential_ && !credential_->identity_token.empty();
    host_.debug("requesting a token for " + registry_ + " (" + scope_key(scopes) + ") from " + realm +
                (refresh ? " with an identity token" : has_password(credential_) ? " as " + credential_->username : " anonymously"));

    const auto response = refresh ? request_token_with_refresh_token(client, challenge, scopes)
                                  : request_token_with_get(client, challenge, scopes);
    const auto received_at = std::chrono::steady_clock::now();

    if (response.status != 200) {
        Failure failure{Failure::Kind::http, response.status, true, std::nullopt};
        const auto retry_after = response.header("retry-after");
        if (!retry_after.empty()) {
            failure.retry_after = parse_retry_after(retry_after, std::chrono::system_clock::now());
        }
        std::string message = "the token service " + realm + " for " + registry_ + " returned HTTP " +
                              std::to_string(response.status);
        const auto details = describe_registry_errors(response.body);
        if (!details.empty()) {
            message += " (" + details + ")";
        }
        if (response.status == 429) {
            message += "; the token service is rate limiting requests";
        }
        if (response.status == 401 || response.status == 403) {
            message += credential_ ? "; check the credentials for " + registry_
                                   : "; the registry needs credentials for " + registry_;
        }
        throw TransferError(failure, message);
    }

    try {
        return parse_token_response(response.body, received_at);
    } catch (const std::runtime_error& error) {
        throw TransferError(Failure{Failure::Kind::rejected, 0, true, std::nullopt},
                            "the token service " + realm + " for " + registry_ + ": " + error.what());
    }
}

HttpResponse Authenticator::request_token_with_refresh_token(HttpClient& client,
                                                             const Challenge& challenge,
                                                             const Scopes& scopes) {
    ferry::sdk::Secret form("grant_type=refresh_token&client_id=ferry&service=" +
                            url_encode(challenge.param("service")) + "&scope=" +
                            url_encode(scope_key(scopes)) + "&refresh_token=" +
                            url_encode(credential_->identity_token.reveal()));

    HttpRequest request;
    request.method = "POST";
    request.url = challenge.param("realm");
    request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    request.body = std::string_view(form.reveal());
    return client.perform(request);
}

HttpResponse Authenticator::request_token_with_get(HttpClient& client, const Challenge& challenge,
                                                   const Scopes& scopes) {
    std::string url = challenge.param("realm");
    std::string query;
    const auto service = challenge.param("service");
    if (!service.empty()) {
        query += "service=" + url_encode(service);
    }
    for (const auto& scope : scopes) {
        query += (query.empty() ? "" : "&") + std::string("scope=") + url_encode(scope);
    }
    if (has_password(credential_)) {
        query += (query.empty() ? "" : "&") + std::string("account=") + url_encode(credential_->username);
    }
    if (!query.empty()) {
        url += url.find('?') == std::string::npos ? "?" : "&";
        url += query;
    }

    HttpRequest request;
    request.url = url;
    ferry::sdk::Secret authorization;
    if (has_password(credential_)) {
        authorization = basic_authorization(*credential_);
        request.authorization = &authorization;
    }
    return client.perform(request);
}

} // namespace ferry::native
