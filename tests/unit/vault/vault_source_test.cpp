#include "vault_source.hpp"

#include "standin_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>

namespace ferry::vault {
namespace {

using testing::RecordingHost;
using testing::StandinProcess;
using testing::TempDir;
using nlohmann::json;

// Distinct values, so a leak of any of them into a message or log is detectable.
constexpr const char* kToken = "hvs.token-6b1f2e90";
constexpr const char* kLimitedToken = "hvs.limited-0c4d7a";
constexpr const char* kApproleToken = "hvs.approle-3d9a55";
constexpr const char* kJwtToken = "hvs.jwt-8e1c42";
constexpr const char* kPassword = "reg-pass-91ac0f";
constexpr const char* kRoleId = "role-2f6e1b";
constexpr const char* kSecretId = "secret-id-77d3a1";
constexpr const char* kJwt = "eyJhbGciOi.jwt-4c2b9e.sig";
constexpr const char* kRequestToken = "gh-request-58e0d2";
constexpr const char* kRegistry = "reg.example.com:5000";

json registry_secret() { return {{"username", "alice"}, {"password", kPassword}}; }

json standin_config() {
    return {
        {"tokens",
         {{kToken, {"secret/data/ferry/*", "kv/ferry/*", "data-team/data/ferry/*"}},
          {kApproleToken, {"secret/data/ferry/*"}},
          {kJwtToken, {"secret/data/ferry/*"}},
          {kLimitedToken, {"secret/data/other/*"}}}},
        {"mounts",
         {{"secret/", {{"version", "2"}}},
          {"kv/", {{"version", "1"}}},
          {"data-team/", {{"version", "2"}}}}},
        {"secrets",
         {{"secret/ferry/registries/reg.example.com:5000", registry_secret()},
          {"secret/ferry/registries/nofield.example.com", {{"username", "alice"}, {"token", "x"}}},
          {"secret/ferry/custom/reg.example.com:5000", {{"user", "carol"}, {"pass", kPassword}}},
          {"kv/ferry/reg.example.com:5000", registry_secret()},
          {"data-team/ferry/reg.example.com:5000", registry_secret()}}},
        {"approle", {{"role_id", kRoleId}, {"secret_id", kSecretId}, {"token", kApproleToken}}},
        {"jwt", {{"role", "ferry"}, {"jwt", kJwt}, {"token", kJwtToken}}},
        {"oidc", {{"request_token", kRequestToken}, {"audience", "ferry-test"}, {"jwt", kJwt}}},
    };
}

Environment environment_of(std::map<std::string, std::string> variables) {
    return [variables](std::string_view name) -> std::optional<std::string> {
        const auto found = variables.find(std::string(name));
        if (found == variables.end()) {
            return std::nullopt;
        }
        return found->second;
    };
}

sdk::CredentialQuery query_for(const std::string& registry) {
    sdk::CredentialQuery query;
    query.registry = registry;
    return query;
}

class VaultSourceTest : public ::testing::Test {
protected:
    VaultSourceTest() : VaultSourceTest(standin_config()) {}
    explicit VaultSourceTest(const json& config) : standin_(config) {}

    // A source against the stand-in with the given settings and environment; addr is added.
    VaultSource make_source(std::vector<std::pair<std::string, std::string>> settings,
                            std::map<std::string, std::string> environment) {
        settings.emplace_back("addr", standin_.url());
        std::vector<ferry_setting> raw;
        for (const auto& [key, value] : settings) {
            raw.push_back({key.c_str(), value.c_str()});
        }
        return VaultSource(recorder_.host(), sdk::Settings(raw.data(), raw.size()),
                           environment_of(std::move(environment)));
    }

    VaultSource token_source(std::vector<std::pair<std::string, std::string>> settings = {}) {
        return make_source(std::move(settings), {{"VAULT_TOKEN", kToken}});
    }

    // Returns the sdk::Error that looking up registry throws, and fails the test when it throws
    // none.
    sdk::Error lookup_error(VaultSource source, const std::string& registry = kRegistry) {
        try {
            source.lookup(query_for(registry));
        } catch (const sdk::Error& error) {
            messages_ += std::string(error.what()) + "\n";
            return error;
        }
        ADD_FAILURE() << "expected an sdk::Error for " << registry;
        return sdk::Error(FERRY_OK, "");
    }

    void expect_alice(const std::optional<sdk::Credential>& credential) {
        ASSERT_TRUE(credential.has_value());
        EXPECT_EQ(credential->username, "alice");
        EXPECT_EQ(credential->password.reveal(), kPassword);
    }

    StandinProcess standin_;
    RecordingHost recorder_;
    TempDir temp_;
    std::string messages_;
};

TEST_F(VaultSourceTest, TokenFromEnvironmentReadsKvV2) {
    auto credential = token_source().lookup(query_for(kRegistry));

    expect_alice(credential);
    EXPECT_EQ(credential->source_name,
              "vault (secret/data/ferry/registries/reg.example.com:5000)");
}

TEST_F(VaultSourceTest, TokenFromFile) {
    const std::string file = temp_.write("token", std::string(kToken) + "\n");

    expect_alice(make_source({{"token-file", file}}, {}).lookup(query_for(kRegistry)));
}

TEST_F(VaultSourceTest, TokenFileBeatsEnvironmentToken) {
    // The environment token may not read the registry's secret, so only the file's token
    // returns alice.
    const std::string file = temp_.write("token", std::string(kToken) + "\n");

    auto source = make_source({{"token-file", file}}, {{"VAULT_TOKEN", kLimitedToken}});

    expect_alice(source.lookup(query_for(kRegistry)));
    const std::string log = recorder_.log_text();
    EXPECT_NE(log.find("VAULT_TOKEN is ignored"), std::string::npos) << log;
    EXPECT_EQ(log.find(kLimitedToken), std::string::npos) << log;
    EXPECT_EQ(log.find(kToken), std::string::npos) << log;
}

TEST_F(VaultSourceTest, MissingTokenFileNamedExplicitly) {
    const std::string missing = temp_.path() + "/no-such-token";

    const auto error = lookup_error(make_source({{"token-file", missing}}, {{"VAULT_TOKEN", kToken}}));

    EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
    const std::string message = error.what();
    EXPECT_NE(message.find("the Vault token file " + missing + " named by --vault-token-file does not exist"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find("vault login"), std::string::npos) << message;
    EXPECT_EQ(message.find(kToken), std::string::npos) << message;
}

TEST_F(VaultSourceTest, EnvironmentTokenBeatsDefaultTokenFile) {
    temp_.write(".vault-token", kLimitedToken);

    auto source = make_source({}, {{"HOME", temp_.path()}, {"VAULT_TOKEN", kToken}});

    expect_alice(source.lookup(query_for(kRegistry)));
}

TEST_F(VaultSourceTest, DefaultTokenFileInHome) {
    temp_.write(".vault-token", kToken);

    expect_alice(make_source({}, {{"HOME", temp_.path()}}).lookup(query_for(kRegistry)));
}

TEST_F(VaultSourceTest, MissingTokenIsError) {
    const auto error = lookup_error(make_source({}, {{"HOME", temp_.path()}}));

    EXPECT_EQ(error.status(), FERRY_ERROR);
    const std::string message = error.what();
    EXPECT_NE(message.find("vault: no Vault token"), std::string::npos) << message;
    EXPECT_NE(message.find(temp_.path() + "/.vault-token"), std::string::npos) << message;
}

TEST_F(VaultSourceTest, KvV2PathWithoutData) {
    auto credential = token_source({{"path-template", "secret/ferry/registries/{registry}"}})
                          .lookup(query_for(kRegistry));

    expect_alice(credential);
    EXPECT_EQ(credential->source_name,
              "vault (secret/data/ferry/registries/reg.example.com:5000)");
}

TEST_F(VaultSourceTest, KvV1Mount) {
    auto credential = token_source({{"path-template", "kv/ferry/{registry}"}})
                          .lookup(query_for(kRegistry));

    expect_alice(credential);
    EXPECT_EQ(credential->source_name, "vault (kv/ferry/reg.example.com:5000)");
}

TEST_F(VaultSourceTest, MountNamedDataTeam) {
    for (const char* path_template : {"data-team/ferry/{registry}", "data-team/data/ferry/{registry}"}) {
        auto credential =
            token_source({{"path-template", path_template}}).lookup(query_for(kRegistry));

        expect_alice(credential);
        EXPECT_EQ(credential->source_name, "vault (data-team/data/ferry/reg.example.com:5000)")
            << path_template;
    }
}

TEST_F(VaultSourceTest, AppRoleWithSecretIdFile) {
    const std::string file = temp_.write("secret-id", std::string(kSecretId) + "\n");

    expect_alice(make_source({{"auth-method", "approle"}, {"role-id", kRoleId},
                              {"secret-id-file", file}},
                             {})
                     .lookup(query_for(kRegistry)));
}

TEST_F(VaultSourceTest, AppRoleWithSecretIdFromEnvironment) {
    expect_alice(make_source({{"auth-method", "approle"}},
                             {{"VAULT_ROLE_ID", kRoleId}, {"VAULT_SECRET_ID", kSecretId}})
                     .lookup(query_for(kRegistry)));
}

TEST_F(VaultSourceTest, AppRoleRejectedSecretId) {
    const auto error = lookup_error(make_source(
        {{"auth-method", "approle"}, {"role-id", kRoleId}}, {{"VAULT_SECRET_ID", "wrong-secret-id"}}));

    EXPECT_EQ(error.status(), FERRY_ERROR);
    const std::string message = error.what();
    EXPECT_NE(message.find("AppRole login at auth/approle/login was rejected (HTTP 400"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find("wrong-secret-id"), std::string::npos) << message;
}

TEST_F(VaultSourceTest, JwtWithGithubOidcToken) {
    const std::string request_url = standin_.url() + "/oidc/token?api-version=2.0";

    auto credential = make_source({{"auth-method", "jwt"}, {"jwt-role", "ferry"},
                                   {"oidc-audience", "ferry-test"}},
                                  {{"ACTIONS_ID_TOKEN_REQUEST_URL", request_url},
                                   {"ACTIONS_ID_TOKEN_REQUEST_TOKEN", kRequestToken}})
                          .lookup(query_for(kRegistry));

    // The stand-in returns the JWT only when api-version=2.0 survived and audience=ferry-test
    // was appended.
    expect_alice(credential);
}

TEST_F(VaultSourceTest, JwtWrongAudienceFails) {
    const std::string request_url = standin_.url() + "/oidc/token?api-version=2.0";

    const auto error = lookup_error(make_source(
        {{"auth-method", "jwt"}, {"jwt-role", "ferry"}, {"oidc-audience", "other"}},
        {{"ACTIONS_ID_TOKEN_REQUEST_URL", request_url},
         {"ACTIONS_ID_TOKEN_REQUEST_TOKEN", kRequestToken}}));

    const std::string message = error.what();
    EXPECT_NE(message.find("requesting the GitHub Actions OIDC token from " + standin_.url() +
                           "/oidc/token failed (HTTP 400)"),
              std::string::npos)
        << message;
}

TEST_F(VaultSourceTest, JwtWithoutRequestUrl) {
    const auto error = lookup_error(make_source({{"auth-method", "jwt"}, {"jwt-role", "ferry"}},
                                                {{"ACTIONS_ID_TOKEN_REQUEST_TOKEN", kRequestToken}}));

    EXPECT_EQ(error.status(), FERRY_ERROR);
    const std::string message = error.what();
    EXPECT_NE(message.find("ACTIONS_ID_TOKEN_REQUEST_URL is not set"), std::string::npos) << message;
    EXPECT_NE(message.find("permissions: id-token: write"), std::string::npos) << message;
}

TEST_F(VaultSourceTest, JwtUnknownRole) {
    const std::string request_url = standin_.url() + "/oidc/token?api-version=2.0";

    const auto error = lookup_error(make_source(
        {{"auth-method", "jwt"}, {"jwt-role", "nobody"}, {"oidc-audience", "ferry-test"}},
        {{"ACTIONS_ID_TOKEN_REQUEST_URL", request_url},
         {"ACTIONS_ID_TOKEN_REQUEST_TOKEN", kRequestToken}}));

    EXPECT_NE(std::string(error.what()).find("JWT login at auth/jwt/login was rejected"),
              std::string::npos)
        << error.what();
}

TEST_F(VaultSourceTest, MissingFieldNamesPathAndField) {
    const auto error = lookup_error(token_source(), "nofield.example.com");

    EXPECT_EQ(error.status(), FERRY_ERROR);
    const std::string message = error.what();
    EXPECT_NE(message.find("the secret at secret/data/ferry/registries/nofield.example.com"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("no field \"password\""), std::string::npos) << message;
    EXPECT_NE(message.find("fields present: token, username"), std::string::npos) << message;
}

TEST_F(VaultSourceTest, MissingPathIsNotFound) {
    auto credential = token_source().lookup(query_for("unknown.example.com"));

    EXPECT_FALSE(credential.has_value());
    const std::string log = recorder_.log_text();
    EXPECT_NE(log.find("vault: no secret at secret/data/ferry/registries/unknown.example.com for "
                       "registry unknown.example.com (HTTP 404)"),
              std::string::npos)
        << log;
}

TEST_F(VaultSourceTest, PermissionDeniedNamesPath) {
    const auto error = lookup_error(make_source({}, {{"VAULT_TOKEN", kLimitedToken}}));

    EXPECT_EQ(error.status(), FERRY_ERROR);
    const std::string message = error.what();
    EXPECT_NE(message.find("permission denied while reading "
                           "secret/data/ferry/registries/reg.example.com:5000"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("HTTP 403"), std::string::npos) << message;
}

TEST_F(VaultSourceTest, RejectedTokenIsReported) {
    const auto error = lookup_error(make_source({}, {{"VAULT_TOKEN", "hvs.revoked-1a2b3c"}}));

    EXPECT_EQ(error.status(), FERRY_ERROR);
    const std::string message = error.what();
    EXPECT_NE(message.find("the Vault token was rejected while finding the KV mount of "
                           "secret/data/ferry/registries/reg.example.com:5000"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find("hvs.revoked-1a2b3c"), std::string::npos) << message;
}

TEST_F(VaultSourceTest, CustomFieldNames) {
    auto credential = token_source({{"path-template", "secret/ferry/custom/{registry}"},
                                    {"username-field", "user"},
                                    {"password-field", "pass"}})
                          .lookup(query_for(kRegistry));

    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "carol");
    EXPECT_EQ(credential->password.reveal(), kPassword);
}

TEST_F(VaultSourceTest, SecretsNeverInMessagesOrLogs) {
    const std::string request_url = standin_.url() + "/oidc/token?api-version=2.0";
    ASSERT_TRUE(token_source().lookup(query_for(kRegistry)).has_value());
    ASSERT_FALSE(token_source().lookup(query_for("unknown.example.com")).has_value());
    lookup_error(token_source(), "nofield.example.com");
    lookup_error(make_source({}, {{"VAULT_TOKEN", kLimitedToken}}));
    lookup_error(make_source({{"auth-method", "approle"}, {"role-id", kRoleId}},
                             {{"VAULT_SECRET_ID", "not-the-secret-id"}}));
    lookup_error(make_source({{"auth-method", "jwt"}, {"jwt-role", "nobody"},
                              {"oidc-audience", "ferry-test"}},
                             {{"ACTIONS_ID_TOKEN_REQUEST_URL", request_url},
                              {"ACTIONS_ID_TOKEN_REQUEST_TOKEN", kRequestToken}}));

    const std::string everything = messages_ + recorder_.log_text();
    EXPECT_NE(everything.find("reading secret/data/ferry/registries"), std::string::npos)
        << "expected messages and debug lines";
    for (const char* secret : {kToken, kLimitedToken, kApproleToken, kJwtToken, kPassword,
                               kSecretId, kJwt, kRequestToken, "not-the-secret-id"}) {
        EXPECT_EQ(everything.find(secret), std::string::npos) << secret << " in:\n" << everything;
    }
}

class SealedVaultTest : public VaultSourceTest {
protected:
    static json sealed_config() {
        json config = standin_config();
        config["sealed"] = true;
        return config;
    }
    SealedVaultTest() : VaultSourceTest(sealed_config()) {}
};

TEST_F(SealedVaultTest, SealedIsError) {
    const auto error = lookup_error(token_source());

    EXPECT_EQ(error.status(), FERRY_ERROR);
    const std::string message = error.what();
    EXPECT_NE(message.find("Vault at " + standin_.url() + " is sealed (HTTP 503"),
              std::string::npos)
        << message;
}

class NamespacedVaultTest : public VaultSourceTest {
protected:
    static json namespaced_config() {
        json config = standin_config();
        config["namespace"] = "team-a";
        return config;
    }
    NamespacedVaultTest() : VaultSourceTest(namespaced_config()) {}
};

TEST_F(NamespacedVaultTest, NamespaceSetting) {
    expect_alice(token_source({{"namespace", "team-a"}}).lookup(query_for(kRegistry)));
}

TEST_F(NamespacedVaultTest, NamespaceFromEnvironment) {
    expect_alice(make_source({}, {{"VAULT_TOKEN", kToken}, {"VAULT_NAMESPACE", "team-a"}})
                     .lookup(query_for(kRegistry)));
}

TEST_F(NamespacedVaultTest, WithoutNamespaceDenied) {
    const auto error = lookup_error(token_source());

    EXPECT_NE(std::string(error.what()).find("HTTP 403"), std::string::npos) << error.what();
}

TEST(VaultSourceUnreachable, ConnectionRefusedIsTransient) {
    RecordingHost recorder;
    const std::string address = "http://127.0.0.1:" + std::to_string(testing::unused_port());
    const ferry_setting settings[] = {{"addr", address.c_str()}};
    VaultSource source(recorder.host(), sdk::Settings(settings, 1),
                       environment_of({{"VAULT_TOKEN", kToken}}));

    try {
        source.lookup(query_for(kRegistry));
        FAIL() << "expected an error";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_TRANSIENT);
        const std::string message = error.what();
        EXPECT_NE(message.find("vault: cannot reach Vault at " + address), std::string::npos)
            << message;
        EXPECT_NE(message.find("VAULT_ADDR"), std::string::npos) << message;
    }
}

class TlsVaultTest : public ::testing::Test {
protected:
    void SetUp() override {
        cert_ = temp_.path() + "/server.crt";
        key_ = temp_.path() + "/server.key";
        const std::string command =
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
            "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" + key_ +
            "' -out '" + cert_ + "' 2>/dev/null";
        if (std::system(command.c_str()) != 0) {
            GTEST_SKIP() << "openssl could not make a test certificate";
        }
        json config = standin_config();
        config["tls"] = {{"cert", cert_}, {"key", key_}};
        standin_ = std::make_unique<StandinProcess>(config);
    }

    VaultSource source(const std::vector<std::pair<std::string, std::string>>& extra) {
        std::vector<std::pair<std::string, std::string>> settings = extra;
        settings.emplace_back("addr", standin_->url());
        std::vector<ferry_setting> raw;
        for (const auto& [key, value] : settings) {
            raw.push_back({key.c_str(), value.c_str()});
        }
        return VaultSource(recorder_.host(), sdk::Settings(raw.data(), raw.size()),
                           environment_of({{"VAULT_TOKEN", kToken}}));
    }

    TempDir temp_;
    std::string cert_;
    std::string key_;
    std::unique_ptr<StandinProcess> standin_;
    RecordingHost recorder_;
};

TEST_F(TlsVaultTest, CaCertTrustsServer) {
    auto credential = source({{"cacert", cert_}}).lookup(query_for(kRegistry));

    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->password.reveal(), kPassword);
}

TEST_F(TlsVaultTest, UnknownCaIsError) {
    try {
        source({}).lookup(query_for(kRegistry));
        FAIL() << "expected an error";
    } catch (const sdk::Error& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("cannot reach Vault at " + standin_->url()), std::string::npos)
            << message;
        EXPECT_NE(message.find("certificate"), std::string::npos) << message;
    }
}

} // namespace
} // namespace ferry::vault
