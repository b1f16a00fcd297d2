#include "auth_entry.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

namespace ferry::docker_config {
namespace {

using nlohmann::json;

constexpr const char* file = "/home/u/.docker/config.json";

sdk::Credential decode(const json& entry) { return decode_auth_entry(entry, file, "reg.example"); }

// Returns the message of the sdk::Error that body throws, or "" when it throws nothing.
template <typename Body>
std::string error_of(Body&& body) {
    try {
        body();
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR);
        return error.what();
    }
    return {};
}

TEST(AuthEntry, SplitsAuthAtFirstColon) {
    const sdk::Credential credential = decode(json{{"auth", testing::encode_base64("alice:pa:ss:word")}});
    EXPECT_EQ(credential.username, "alice");
    EXPECT_EQ(credential.password.reveal(), "pa:ss:word");
}

TEST(AuthEntry, TrimsNulBytesAroundPassword) {
    const sdk::Credential credential = decode(json{{"auth", testing::encode_base64(std::string("bob:\0pw\0\0", 9))}});
    EXPECT_EQ(credential.username, "bob");
    EXPECT_EQ(credential.password.reveal(), "pw");
}

TEST(AuthEntry, AllowsEmptyPassword) {
    const sdk::Credential credential = decode(json{{"auth", testing::encode_base64("carol:")}});
    EXPECT_EQ(credential.username, "carol");
    EXPECT_TRUE(credential.password.empty());
    EXPECT_FALSE(is_empty_credential(credential));
}

TEST(AuthEntry, ReadsUsernameAndPasswordFields) {
    const sdk::Credential credential = decode(json{{"username", "dave"}, {"password", "pw1"}});
    EXPECT_EQ(credential.username, "dave");
    EXPECT_EQ(credential.password.reveal(), "pw1");
}

TEST(AuthEntry, AuthOverridesUsernameAndPassword) {
    const sdk::Credential credential =
        decode(json{{"auth", testing::encode_base64("erin:from-auth")}, {"username", "other"}, {"password", "x"}});
    EXPECT_EQ(credential.username, "erin");
    EXPECT_EQ(credential.password.reveal(), "from-auth");
}

TEST(AuthEntry, ReadsIdentityAndRegistryTokens) {
    const sdk::Credential credential =
        decode(json{{"identitytoken", "refresh-123"}, {"registrytoken", "bearer-456"}, {"email", "a@b.c"}});
    EXPECT_EQ(credential.identity_token.reveal(), "refresh-123");
    EXPECT_EQ(credential.registry_token.reveal(), "bearer-456");
    EXPECT_TRUE(credential.username.empty());
    EXPECT_FALSE(is_empty_credential(credential));
}

TEST(AuthEntry, IdentityTokenKeepsAuthUser) {
    const sdk::Credential credential =
        decode(json{{"auth", testing::encode_base64("frank:pw")}, {"identitytoken", "tok"}});
    EXPECT_EQ(credential.username, "frank");
    EXPECT_EQ(credential.identity_token.reveal(), "tok");
}

TEST(AuthEntry, EmptyEntryIsMarker) {
    EXPECT_TRUE(is_empty_credential(decode(json::object())));
    EXPECT_TRUE(is_empty_credential(decode(json{{"auth", ""}})));
    EXPECT_TRUE(is_empty_credential(decode(json{{"auth", nullptr}, {"email", "x@y.z"}})));
}

TEST(AuthEntry, EntryNotObjectNamesFileAndKey) {
    const std::string message = error_of([] { decode(json::array()); });
    EXPECT_NE(message.find("auths[\"reg.example\"]"), std::string::npos) << message;
    EXPECT_NE(message.find(file), std::string::npos) << message;
    EXPECT_NE(message.find("array"), std::string::npos) << message;
}

TEST(AuthEntry, AuthNotStringNamesField) {
    const std::string message = error_of([] { decode(json{{"auth", 42}}); });
    EXPECT_NE(message.find("\"auth\" is a JSON number, expected a string"), std::string::npos) << message;
    EXPECT_NE(message.find(file), std::string::npos) << message;
}

TEST(AuthEntry, PasswordNotStringNamesField) {
    const std::string message = error_of([] { decode(json{{"password", json::array({"x"})}}); });
    EXPECT_NE(message.find("\"password\" is a JSON array"), std::string::npos) << message;
}

TEST(AuthEntry, InvalidBase64IsError) {
    const std::string message = error_of([] { decode(json{{"auth", "c2VjcmV0!!"}}); });
    EXPECT_NE(message.find("not valid base64"), std::string::npos) << message;
    EXPECT_NE(message.find("auths[\"reg.example\"]"), std::string::npos) << message;
    EXPECT_EQ(message.find("c2VjcmV0"), std::string::npos) << message;
}

TEST(AuthEntry, AuthWithoutColonIsErrorWithoutSecret) {
    const std::string message = error_of([] { decode(json{{"auth", testing::encode_base64("hunter2secret")}}); });
    EXPECT_NE(message.find("no colon"), std::string::npos) << message;
    EXPECT_EQ(message.find("hunter2secret"), std::string::npos) << message;
}

TEST(AuthEntry, EmptyUserNameIsError) {
    const std::string message = error_of([] { decode(json{{"auth", testing::encode_base64(":hunter2")}}); });
    EXPECT_NE(message.find("empty user name"), std::string::npos) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

} // namespace
} // namespace ferry::docker_config
