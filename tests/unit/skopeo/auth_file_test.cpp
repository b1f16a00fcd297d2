#include "auth_file.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ferry::skopeo {
namespace {

sdk::Credential password_credential(const std::string& username, const std::string& password) {
    sdk::Credential credential;
    credential.username = username;
    credential.password = sdk::Secret(password);
    credential.source_name = "input";
    return credential;
}

TEST(Base64Encode, KnownVectors) {
    EXPECT_EQ(base64_encode("").reveal(), "");
    EXPECT_EQ(base64_encode("f").reveal(), "Zg==");
    EXPECT_EQ(base64_encode("fo").reveal(), "Zm8=");
    EXPECT_EQ(base64_encode("foo").reveal(), "Zm9v");
    EXPECT_EQ(base64_encode("user:pass").reveal(), "dXNlcjpwYXNz");
}

TEST(Base64Encode, LongInputHasNoLineBreaks) {
    const std::string encoded = base64_encode(std::string(300, 'x')).reveal();
    EXPECT_EQ(encoded.size(), 400u);
    EXPECT_EQ(encoded.find('\n'), std::string::npos);
}

TEST(AuthFile, PasswordWithSpecialCharacters) {
    const sdk::Secret content =
        render_auth_file("127.0.0.1:5000", password_credential("alice", R"(p:a$s w'"\)"));

    const auto json = nlohmann::json::parse(content.reveal());
    EXPECT_EQ(json["auths"]["127.0.0.1:5000"]["auth"], "YWxpY2U6cDphJHMgdyciXA==");
    EXPECT_EQ(json["auths"]["127.0.0.1:5000"].size(), 1u);
    EXPECT_EQ(json.size(), 1u);
}

TEST(AuthFile, IdentityTokenKeepsUsername) {
    sdk::Credential credential;
    credential.username = "robot";
    credential.identity_token = sdk::Secret("tok\"en");

    const auto json = nlohmann::json::parse(render_auth_file("r.example:443", credential).reveal());

    EXPECT_EQ(json["auths"]["r.example:443"]["identitytoken"], "tok\"en");
    EXPECT_EQ(json["auths"]["r.example:443"]["auth"], "cm9ib3Q6"); // base64 of "robot:"
}

TEST(AuthFile, AnonymousCredentialHasEmptyEntry) {
    const auto json =
        nlohmann::json::parse(render_auth_file("docker.io", sdk::Credential()).reveal());
    EXPECT_TRUE(json["auths"]["docker.io"].empty());
}

TEST(AuthFile, RegistryTokenIsUnsupported) {
    sdk::Credential credential;
    credential.registry_token = sdk::Secret("bearer-value");
    try {
        render_auth_file("127.0.0.1:5000", credential);
        FAIL() << "a registry token was accepted";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_UNSUPPORTED);
        EXPECT_NE(std::string(error.what()).find("--backend native"), std::string::npos);
        EXPECT_EQ(std::string(error.what()).find("bearer-value"), std::string::npos);
    }
}

TEST(AuthFile, UsernameWithColonIsInvalid) {
    try {
        render_auth_file("127.0.0.1:5000", password_credential("a:b", "secret"));
        FAIL() << "a username with ':' was accepted";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
        EXPECT_EQ(std::string(error.what()).find("secret"), std::string::npos);
    }
}

TEST(AuthFile, UsernameWithoutPasswordIsInvalid) {
    try {
        render_auth_file("127.0.0.1:5000", password_credential("alice", ""));
        FAIL() << "a username without password was accepted";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
        EXPECT_NE(std::string(error.what()).find("from input"), std::string::npos);
    }
}

TEST(AuthForm, DescribesEachForm) {
    EXPECT_EQ(auth_form_of(std::nullopt), AuthForm::anonymous);
    EXPECT_EQ(auth_form_of(sdk::Credential()), AuthForm::anonymous);
    EXPECT_EQ(auth_form_of(password_credential("a", "b")), AuthForm::username_password);
    sdk::Credential token;
    token.identity_token = sdk::Secret("t");
    EXPECT_EQ(auth_form_of(token), AuthForm::identity_token);
    token.registry_token = sdk::Secret("r");
    EXPECT_EQ(auth_form_of(token), AuthForm::registry_token);
    EXPECT_STREQ(describe(AuthForm::username_password), "username and password");
}

TEST(SensitiveStrings, PasswordAndItsBase64) {
    const auto strings = sensitive_strings(password_credential("user", "pass"));

    ASSERT_EQ(strings.size(), 2u);
    EXPECT_EQ(strings[0].reveal(), "pass");
    EXPECT_EQ(strings[1].reveal(), "dXNlcjpwYXNz");
}

} // namespace
} // namespace ferry::skopeo
