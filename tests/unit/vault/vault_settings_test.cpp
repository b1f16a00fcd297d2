#include "vault_settings.hpp"

#include <gtest/gtest.h>

#include <map>

namespace ferry::vault {
namespace {

Environment environment_of(std::map<std::string, std::string> variables) {
    return [variables](std::string_view name) -> std::optional<std::string> {
        const auto found = variables.find(std::string(name));
        if (found == variables.end()) {
            return std::nullopt;
        }
        return found->second;
    };
}

sdk::Settings settings_of(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::vector<ferry_setting> raw;
    for (const auto& [key, value] : entries) {
        raw.push_back({key.c_str(), value.c_str()});
    }
    return sdk::Settings(raw.data(), raw.size());
}

sdk::Error error_from(const sdk::Settings& settings, const Environment& environment) {
    try {
        resolve_settings(settings, environment);
    } catch (const sdk::Error& error) {
        return error;
    }
    ADD_FAILURE() << "expected an sdk::Error";
    return sdk::Error(FERRY_OK, "");
}

TEST(VaultSettings, Defaults) {
    const auto resolved = resolve_settings(settings_of({}),
                                           environment_of({{"VAULT_ADDR", "https://v:8200/"},
                                                           {"HOME", "/home/ci"}}));
    EXPECT_EQ(resolved.address, "https://v:8200");
    EXPECT_EQ(resolved.auth_method, AuthMethod::Token);
    EXPECT_EQ(resolved.token_file, "/home/ci/.vault-token");
    EXPECT_FALSE(resolved.token_file_explicit);
    EXPECT_EQ(resolved.path_template, "secret/data/ferry/registries/{registry}");
    EXPECT_EQ(resolved.username_field, "username");
    EXPECT_EQ(resolved.password_field, "password");
    EXPECT_EQ(resolved.approle_mount, "approle");
    EXPECT_EQ(resolved.jwt_mount, "jwt");
    EXPECT_EQ(resolved.oidc_audience, "");
    EXPECT_EQ(resolved.timeout, std::chrono::seconds(30));
}

TEST(VaultSettings, TokenFileSettingIsExplicit) {
    const auto resolved = resolve_settings(settings_of({{"token-file", "/run/secrets/vault-token"}}),
                                           environment_of({{"VAULT_ADDR", "https://v:8200"},
                                                           {"HOME", "/home/ci"}}));
    EXPECT_EQ(resolved.token_file, "/run/secrets/vault-token");
    EXPECT_TRUE(resolved.token_file_explicit);
}

TEST(VaultSettings, EmptyTokenFileMeansDefault) {
    const auto resolved = resolve_settings(settings_of({{"token-file", ""}}),
                                           environment_of({{"VAULT_ADDR", "https://v:8200"},
                                                           {"HOME", "/home/ci"}}));
    EXPECT_EQ(resolved.token_file, "/home/ci/.vault-token");
    EXPECT_FALSE(resolved.token_file_explicit);
}

TEST(VaultSettings, SettingWinsOverEnvironment) {
    const auto resolved = resolve_settings(
        settings_of({{"addr", "http://127.0.0.1:8200"}, {"namespace", "team-a"},
                     {"cacert", "/ca.pem"}, {"role-id", "role-from-flag"},
                     {"auth-method", "approle"}, {"approle-mount", "/ci-approle/"}}),
        environment_of({{"VAULT_ADDR", "https://other:8200"}, {"VAULT_NAMESPACE", "team-b"},
                        {"VAULT_CACERT", "/other.pem"}, {"VAULT_ROLE_ID", "role-from-env"}}));
    EXPECT_EQ(resolved.address, "http://127.0.0.1:8200");
    EXPECT_EQ(resolved.namespace_name, "team-a");
    EXPECT_EQ(resolved.ca_cert, "/ca.pem");
    EXPECT_EQ(resolved.role_id, "role-from-flag");
    EXPECT_EQ(resolved.auth_method, AuthMethod::AppRole);
    EXPECT_EQ(resolved.approle_mount, "ci-approle");
}

TEST(VaultSettings, EnvironmentFillsGaps) {
    const auto resolved = resolve_settings(
        settings_of({{"auth-method", "approle"}}),
        environment_of({{"VAULT_ADDR", "https://v"}, {"VAULT_NAMESPACE", "ns"},
                        {"VAULT_CACERT", "/ca.pem"}, {"VAULT_CAPATH", "/cas"},
                        {"VAULT_ROLE_ID", "r"}}));
    EXPECT_EQ(resolved.namespace_name, "ns");
    EXPECT_EQ(resolved.ca_cert, "/ca.pem");
    EXPECT_EQ(resolved.ca_path, "/cas");
    EXPECT_EQ(resolved.role_id, "r");
}

TEST(VaultSettings, MissingAddress) {
    const auto error = error_from(settings_of({}), environment_of({}));
    EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
    EXPECT_NE(std::string(error.what()).find("VAULT_ADDR"), std::string::npos) << error.what();
}

TEST(VaultSettings, AddressWithoutScheme) {
    const auto error = error_from(settings_of({{"addr", "vault:8200"}}), environment_of({}));
    EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
    EXPECT_NE(std::string(error.what()).find("vault:8200"), std::string::npos) << error.what();
}

TEST(VaultSettings, RejectsSecretsAsSettings) {
    for (const char* key : {"token", "secret-id", "jwt"}) {
        const auto error = error_from(settings_of({{"addr", "https://v"}, {key, "s3cr3t-value"}}),
                                      environment_of({}));
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT) << key;
        EXPECT_NE(std::string(error.what()).find(key), std::string::npos) << error.what();
        EXPECT_EQ(std::string(error.what()).find("s3cr3t-value"), std::string::npos) << error.what();
    }
}

TEST(VaultSettings, UnknownAuthMethod) {
    const auto error = error_from(settings_of({{"addr", "https://v"}, {"auth-method", "ldap"}}),
                                  environment_of({}));
    EXPECT_NE(std::string(error.what()).find("\"ldap\""), std::string::npos) << error.what();
}

TEST(VaultSettings, AppRoleNeedsRoleId) {
    const auto error = error_from(settings_of({{"addr", "https://v"}, {"auth-method", "approle"}}),
                                  environment_of({}));
    EXPECT_NE(std::string(error.what()).find("VAULT_ROLE_ID"), std::string::npos) << error.what();
}

TEST(VaultSettings, InvalidTimeout) {
    for (const char* value : {"0", "601", "ten", "1.5", "-3"}) {
        const auto error = error_from(settings_of({{"addr", "https://v"}, {"timeout", value}}),
                                      environment_of({}));
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT) << value;
    }
}

TEST(VaultSettings, CollectsUnknownKeys) {
    const auto resolved = resolve_settings(
        settings_of({{"addr", "https://v"}, {"path-templte", "x"}}), environment_of({}));
    ASSERT_EQ(resolved.unknown_keys.size(), 1u);
    EXPECT_EQ(resolved.unknown_keys[0], "path-templte");
}

} // namespace
} // namespace ferry::vault
