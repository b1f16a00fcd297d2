#include "helper_output.hpp"

#include "auth_entry.hpp"

#include <gtest/gtest.h>

namespace ferry::docker_config {
namespace {

std::string error_of(std::string_view text) {
    try {
        parse_helper_output(text);
    } catch (const HelperOutputError& error) {
        return error.what();
    }
    return {};
}

TEST(HelperOutput, ParsesUserAndSecret) {
    const sdk::Credential credential =
        parse_helper_output(R"({"ServerURL":"reg.example","Username":"alice","Secret":"s3cret"})" "\n");
    EXPECT_EQ(credential.username, "alice");
    EXPECT_EQ(credential.password.reveal(), "s3cret");
    EXPECT_TRUE(credential.identity_token.empty());
}

TEST(HelperOutput, TokenUserMeansIdentityToken) {
    const sdk::Credential credential = parse_helper_output(R"({"Username":"<token>","Secret":"refresh"})");
    EXPECT_TRUE(credential.username.empty());
    EXPECT_TRUE(credential.password.empty());
    EXPECT_EQ(credential.identity_token.reveal(), "refresh");
}

TEST(HelperOutput, MissingFieldsGiveEmptyCredential) {
    EXPECT_TRUE(is_empty_credential(parse_helper_output(R"({"ServerURL":"other","Username":"","Secret":""})")));
    EXPECT_TRUE(is_empty_credential(parse_helper_output("{}")));
}

TEST(HelperOutput, InvalidJsonGivesPositionOnly) {
    const std::string message = error_of(R"({"Username":"u","Secret":"hunter2)");
    EXPECT_EQ(message.rfind("not valid JSON at line 1, column ", 0), 0u) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

TEST(HelperOutput, TrailingGarbageRejected) {
    EXPECT_NE(error_of(R"({"Username":"u","Secret":"p"} extra)"), "");
}

TEST(HelperOutput, TopLevelMustBeObject) {
    EXPECT_EQ(error_of(R"(["u","p"])"), "the output is a JSON array, expected an object");
}

TEST(HelperOutput, FieldsMustBeStrings) {
    EXPECT_EQ(error_of(R"({"Username":"u","Secret":12})"), "\"Secret\" is a JSON number, expected a string");
    EXPECT_EQ(error_of(R"({"Username":true})"), "\"Username\" is a JSON boolean, expected a string");
}

TEST(HelperOutput, NotFoundAnswerRecognised) {
    EXPECT_TRUE(is_not_found_output("credentials not found in native keychain\n"));
    EXPECT_TRUE(is_not_found_output("  credentials not found in native keychain"));
    EXPECT_FALSE(is_not_found_output("error: credentials not found in native keychain"));
    EXPECT_FALSE(is_not_found_output(""));
}

TEST(HelperOutput, NoSessionBusMessagesRecognised) {
    EXPECT_TRUE(is_no_session_bus_output("Cannot autolaunch D-Bus without X11 $DISPLAY\n"));
    EXPECT_TRUE(is_no_session_bus_output("  Cannot spawn a message bus without a machine-id: Unable to load\n"));
}

TEST(HelperOutput, OtherFailuresNotNoSessionBus) {
    EXPECT_FALSE(is_no_session_bus_output(""));
    EXPECT_FALSE(is_no_session_bus_output("Could not connect: No such file or directory\n"));
    EXPECT_FALSE(is_no_session_bus_output("credentials not found in native keychain"));
    EXPECT_FALSE(is_no_session_bus_output("error: Cannot autolaunch D-Bus without X11 $DISPLAY"));
}

} // namespace
} // namespace ferry::docker_config
