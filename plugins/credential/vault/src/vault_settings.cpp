#include "vault_settings.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

namespace ferry::vault {

namespace {

constexpr std::array<std::string_view, 16> kKnownKeys = {
    "addr",          "namespace",      "cacert",         "capath",
    "auth-method",   "token-file",     "role-id",        "secret-id-file",
    "approle-mount", "jwt-role",       "jwt-mount",      "oidc-audience",
    "path-template", "username-field", "password-field", "timeout",
};

// Keys that would put a secret on ferry's command line.
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kSecretKeys = {{
    {"token", "use token-file or set VAULT_TOKEN"},
    {"secret-id", "set VAULT_SECRET_ID or use secret-id-file"},
    {"jwt", "use auth-method jwt, which fetches the GitHub Actions OIDC token itself"},
}};

sdk::Error invalid(const std::string& message) {
    return sdk::Error(FERRY_ERROR_INVALID_INPUT, "vault: " + message);
}

std::string setting_or_env(const sdk::Settings& settings, std::string_view key,
                           const Environment& environment, std::string_view variable) {
    if (auto value = settings.get(key)) {
        return *value;
    }
    return environment(variable).value_or("");
}

std::string trim_slashes(std::string text) {
    const auto first = text.find_first_not_of('/');
    if (first == std::string::npos) {
        return "";
    }
    const auto last = text.find_last_not_of('/');
    return text.substr(first, last - first + 1);
}

std::string normalize_address(std::string address) {
    if (address.empty()) {
        throw invalid("no Vault address: set --vault-addr or VAULT_ADDR, for example "
                      "https://vault.example.com:8200");
    }
    if (address.rfind("http://", 0) != 0 && address.rfind("https://", 0) != 0) {
        throw invalid("invalid Vault address \"" + address +
                      "\": expected http:// or https:// followed by host[:port]");
    }
    while (address.back() == '/') {
        address.pop_back();
    }
    return address;
}

AuthMethod parse_auth_method(const std::string& text) {
    if (text.empty() || text == "token") {
        return AuthMethod::Token;
    }
    if (text == "approle") {
        return AuthMethod::AppRole;
    }
    if (text == "jwt") {
        return AuthMethod::Jwt;
    }
    throw invalid("invalid auth-method \"" + text + "\": expected token, approle or jwt");
}

std::chrono::seconds parse_timeout(const std::optional<std::string>& text) {
    if (!text) {
        return std::chrono::seconds(30);
    }
    const bool digits = !text->empty() && text->size() <= 3 &&
                        std::all_of(text->begin(), text->end(),
                                    [](unsigned char c) { return c >= '0' && c <= '9'; });
    const int seconds = digits ? std::stoi(*text) : 0;
    if (seconds < 1 || seconds > 600) {
        throw invalid("invalid timeout \"" + *text +
                      "\": expected whole seconds per request from 1 to 600 (default 30)");
    }
    return std::chrono::seconds(seconds);
}

std::string require_field_name(const sdk::Settings& settings, std::string_view key,
                               std::string fallback) {
    std::string name = settings.get_or(key, std::move(fallback));
    if (name.empty()) {
        throw invalid(std::string(key) + " is empty: name the field of the secret to read");
    }
    return name;
}

} // namespace

Environment process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        if (value == nullptr) {
            return std::nullopt;
        }
        return std::string(value);
    };
}

VaultSettings resolve_settings(const sdk::Settings& settings, const Environment& environment) {
    for (const auto& [key, advice] : kSecretKeys) {
        if (settings.get(key)) {
            throw invalid("the " + std::string(key) +
                          " setting is not accepted because options are visible to other "
                          "users in the process list; " + std::string(advice));
        }
    }

    VaultSettings result;
    result.address = normalize_address(setting_or_env(settings, "addr", environment, "VAULT_ADDR"));
    result.namespace_name = setting_or_env(settings, "namespace", environment, "VAULT_NAMESPACE");
    result.ca_cert = setting_or_env(settings, "cacert", environment, "VAULT_CACERT");
    result.ca_path = setting_or_env(settings, "capath", environment, "VAULT_CAPATH");
    result.auth_method = parse_auth_method(settings.get_or("auth-method", "token"));

    if (auto file = settings.get("token-file"); file && !file->empty()) {
        result.token_file = *file;
        result.token_file_explicit = true;
    } else if (auto home = environment("HOME"); home && !home->empty()) {
        result.token_file = *home + "/.vault-token";
    }

    result.role_id = setting_or_env(settings, "role-id", environment, "VAULT_ROLE_ID");
    result.secret_id_file = settings.get_or("secret-id-file", "");
    result.approle_mount = trim_slashes(settings.get_or("approle-mount", "approle"));
    result.jwt_role = settings.get_or("jwt-role", "");
    result.jwt_mount = trim_slashes(settings.get_or("jwt-mount", "jwt"));
    result.oidc_audience = settings.get_or("oidc-audience", "");
    result.path_template = settings.get_or("path-template", result.path_template);
    result.username_field = require_field_name(settings, "username-field", "username");
    result.password_field = require_field_name(settings, "password-field", "password");
    result.timeout = parse_timeout(settings.get("timeout"));

    if (result.auth_method == AuthMethod::AppRole && result.role_id.empty()) {
        throw invalid("auth-method approle needs a role ID: set --vault-role-id or VAULT_ROLE_ID");
    }
    if (result.approle_mount.empty() || result.jwt_mount.empty()) {
        throw invalid("approle-mount and jwt-mount must not be empty");
    }

    for (const auto& entry : settings.all()) {
        const bool known = std::find(kKnownKeys.begin(), kKnownKeys.end(), entry.first) !=
                           kKnownKeys.end();
        if (!known) {
            result.unknown_keys.push_back(entry.first);
        }
    }
    return result;
}

} // namespace ferry::vault
