#include "vault_auth.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace ferry::vault {

namespace {

constexpr const char* kGithubPermissionAdvice =
    "give the GitHub Actions job `permissions: id-token: write` so that the runner sets "
    "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN";

sdk::Secret trimmed(std::string text) {
    const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
    std::size_t end = text.size();
    while (end > 0 && is_space(text[end - 1])) {
        --end;
    }
    std::size_t begin = 0;
    while (begin < end && is_space(text[begin])) {
        ++begin;
    }
    sdk::Secret result(text.substr(begin, end - begin));
    sdk::wipe(text);
    return result;
}

bool file_exists(const std::string& path) {
    struct stat info {};
    return stat(path.c_str(), &info) == 0;
}

// Reads a file that contains one secret, such as ~/.vault-token.
sdk::Secret read_secret_file(const std::string& path, const std::string& what) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw sdk::Error(FERRY_ERROR, "cannot read the " + what + " file " + path + ": " +
                                          std::strerror(errno));
    }
    std::ostringstream content;
    content << file.rdbuf();
    std::string text = content.str();
    sdk::Secret secret = trimmed(std::move(text));
    if (secret.empty()) {
        throw sdk::Error(FERRY_ERROR, "the " + what + " file " + path + " is empty");
    }
    return secret;
}

// Moves a string out of a JSON response into a Secret.
sdk::Secret take_string(nlohmann::json& object, const char* key) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_string()) {
        return sdk::Secret();
    }
    std::string& value = object[key].get_ref<std::string&>();
    sdk::Secret secret(value);
    sdk::wipe(value);
    return secret;
}

sdk::Secret to_json_body(nlohmann::json body) {
    sdk::Secret text(body.dump());
    wipe_strings(body);
    return text;
}

// Reads the token from VAULT_TOKEN and then ~/.vault-token, as the vault CLI does, but puts a
// file named by the token-file setting first. An explicit option must beat the environment,
// and the GitHub Action passes its vault-token input that way.
sdk::Secret given_token(const VaultSettings& settings, const Environment& environment,
                        const sdk::Host& host) {
    if (settings.token_file_explicit) {
        if (!file_exists(settings.token_file)) {
            throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                             "the Vault token file " + settings.token_file +
                                 " named by --vault-token-file does not exist; check the path");
        }
        if (auto token = environment("VAULT_TOKEN"); token && !token->empty()) {
            sdk::wipe(*token);
            host.debug("vault: using the token file " + settings.token_file +
                       " named by --vault-token-file; VAULT_TOKEN is ignored");
        }
        return read_secret_file(settings.token_file, "Vault token");
    }

    if (auto token = environment("VAULT_TOKEN"); token && !token->empty()) {
        return trimmed(std::move(*token));
    }
    if (!settings.token_file.empty() && file_exists(settings.token_file)) {
        return read_secret_file(settings.token_file, "Vault token");
    }

    std::string message = "no Vault token: set VAULT_TOKEN, or name a token file with --vault-token-file";
    if (!settings.token_file.empty()) {
        message += ", or log in with `vault login`, which writes " + settings.token_file;
    }
    message += ", or choose --vault-auth-method approle or jwt";
    throw sdk::Error(FERRY_ERROR, message);
}

// Sends a login request and returns auth.client_token.
sdk::Secret login(VaultApi& api, const std::string& method_name, const std::string& api_path,
                  nlohmann::json body, const std::string& advice) {
    VaultResponse response = api.post(api_path, to_json_body(std::move(body)), sdk::Secret());
    const std::string action = method_name + " login at " + api_path;

    if (response.status == 200) {
        sdk::Secret token = response.body.is_object() && response.body.contains("auth")
                                ? take_string(response.body["auth"], "client_token")
                                : sdk::Secret();
        if (token.empty()) {
            throw sdk::Error(FERRY_ERROR, action + " returned no auth.client_token");
        }
        return token;
    }
    if (response.status == 400 || response.status == 403) {
        const std::string errors = response.errors_text();
        throw sdk::Error(FERRY_ERROR, action + " was rejected (HTTP " +
                                          std::to_string(response.status) +
                                          (errors.empty() ? "" : ": " + errors) + "); " + advice);
    }
    throw_unexpected(response, action, api.address());
}

sdk::Secret approle_token(const VaultSettings& settings, VaultApi& api,
                          const Environment& environment, const SecretSink& remember) {
    sdk::Secret secret_id;
    if (!settings.secret_id_file.empty()) {
        secret_id = read_secret_file(settings.secret_id_file, "AppRole secret ID");
    } else if (auto value = environment("VAULT_SECRET_ID"); value && !value->empty()) {
        secret_id = trimmed(std::move(*value));
    }
    remember(secret_id);

    nlohmann::json body = {{"role_id", settings.role_id}};
    if (!secret_id.empty()) {
        body["secret_id"] = secret_id.reveal();
    }
    return login(api, "AppRole", "auth/" + settings.approle_mount + "/login", std::move(body),
                 "check --vault-role-id and the secret ID in --vault-secret-id-file or "
                 "VAULT_SECRET_ID");
}

// Requests the job's OIDC token from GitHub Actions, as actions/core getIDToken does.
sdk::Secret github_oidc_token(const VaultSettings& settings, const Environment& environment,
                              const sdk::Host& host, const SecretSink& remember) {
    const auto url = environment("ACTIONS_ID_TOKEN_REQUEST_URL");
    if (!url || url->empty()) {
        throw sdk::Error(FERRY_ERROR, "auth-method jwt needs the GitHub Actions OIDC token, but "
                                      "ACTIONS_ID_TOKEN_REQUEST_URL is not set; " +
                                          std::string(kGithubPermissionAdvice));
    }
    auto request_token = environment("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    if (!request_token || request_token->empty()) {
        throw sdk::Error(FERRY_ERROR, "auth-method jwt needs the GitHub Actions OIDC token, but "
                                      "ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set; " +
                                          std::string(kGithubPermissionAdvice));
    }
    sdk::Secret bearer(std::move(*request_token));
    remember(bearer);

    HttpRequest request;
    request.url = *url;
    if (!settings.oidc_audience.empty()) {
        // The runner's URL already has a query (api-version=...), so the audience is appended.
        const char separator = url->find('?') == std::string::npos ? '?' : '&';
        request.url += separator + std::string("audience=") + percent_encode(settings.oidc_audience);
    }
    request.headers.push_back({"Authorization", sdk::Secret("bearer " + bearer.reveal())});
    request.headers.push_back({"Accept", sdk::Secret("application/json")});

    // The OIDC endpoint is GitHub's, so it is checked against the system CAs, not --vault-cacert.
    HttpClient http(host, TlsOptions{}, settings.timeout);
    const std::string endpoint = url_for_messages(*url);
    HttpResponse response;
    try {
        response = http.send(request);
    } catch (const sdk::Error& error) {
        throw sdk::Error(error.status(), "requesting the GitHub Actions OIDC token from " +
                                             endpoint + " failed: " + error.what());
    }
    if (response.status != 200) {
        throw sdk::Error(FERRY_ERROR, "requesting the GitHub Actions OIDC token from " + endpoint +
                                          " failed (HTTP " + std::to_string(response.status) +
                                          "); " + kGithubPermissionAdvice);
    }

    nlohmann::json body = nlohmann::json::parse(response.body.reveal(), nullptr, false);
    sdk::Secret jwt = take_string(body, "value");
    wipe_strings(body);
    if (jwt.empty()) {
        throw sdk::Error(FERRY_ERROR, "the GitHub Actions OIDC endpoint " + endpoint +
                                          " returned no \"value\"");
    }
    remember(jwt);
    return jwt;
}

sdk::Secret jwt_token(const VaultSettings& settings, VaultApi& api, const Environment& environment,
                      const sdk::Host& host, const SecretSink& remember) {
    sdk::Secret jwt = github_oidc_token(settings, environment, host, remember);

    nlohmann::json body = {{"jwt", jwt.reveal()}};
    if (!settings.jwt_role.empty()) {
        body["role"] = settings.jwt_role;
    }
    return login(api, "JWT", "auth/" + settings.jwt_mount + "/login", std::move(body),
                 "check --vault-jwt-role and that the role's bound_audiences and bound_claims "
                 "match this job's token");
}

} // namespace

sdk::Secret obtain_token(const VaultSettings& settings, VaultApi& api,
                         const Environment& environment, const sdk::Host& host,
                         const SecretSink& remember) {
    sdk::Secret token;
    switch (settings.auth_method) {
    case AuthMethod::Token:
        token = given_token(settings, environment, host);
        break;
    case AuthMethod::AppRole:
        token = approle_token(settings, api, environment, remember);
        break;
    case AuthMethod::Jwt:
        token = jwt_token(settings, api, environment, host, remember);
        break;
    }
    remember(token);
    return token;
}

} // namespace ferry::vault
