// The vault source's settings, read from ferry's --vault-* options and Vault's environment
// variables.
#pragma once

#include <ferry/sdk.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::vault {

// Reads one environment variable, or returns std::nullopt when it is unset. Tests pass their
// own.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

Environment process_environment();

enum class AuthMethod { Token, AppRole, Jwt };

struct VaultSettings {
    std::string address; // scheme://host[:port], without a trailing slash
    std::string namespace_name;
    std::string ca_cert;
    std::string ca_path;
    AuthMethod auth_method = AuthMethod::Token;
    std::string token_file; // "" when HOME is unset and no token-file was given
    // True when token_file comes from the token-file setting, which then beats VAULT_TOKEN.
    bool token_file_explicit = false;
    std::string role_id;
    std::string secret_id_file;
    std::string approle_mount = "approle";
    std::string jwt_role;
    std::string jwt_mount = "jwt";
    std::string oidc_audience; // "" sends no audience, so GitHub uses its default
    std::string path_template = "secret/data/ferry/registries/{registry}";
    std::string username_field = "username";
    std::string password_field = "password";
    std::chrono::seconds timeout{30};
    // Setting keys this version does not know; the source logs a warning for each.
    std::vector<std::string> unknown_keys;
};

// Combines settings and environment: a setting wins over its environment variable. Throws
// sdk::Error(FERRY_ERROR_INVALID_INPUT) for a missing address, an unknown auth method, or a
// secret given as a setting (settings come from the command line, which other users can read).
VaultSettings resolve_settings(const sdk::Settings& settings, const Environment& environment);

} // namespace ferry::vault
