// resolve_input_credential: how USER:PASSWORD, a separate user name and a separate password
// combine for one side, what is rejected, and that no message or description contains a password.
#include "input_credentials.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace ferry::input {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// Builds sdk::Settings the way the host passes them: an array of borrowed key/value pointers.
sdk::Settings make_settings(const Entries& entries) {
    std::vector<ferry_setting> view;
    for (const auto& [key, value] : entries) {
        view.push_back(ferry_setting{key.c_str(), value.c_str()});
    }
    return sdk::Settings(view.data(), view.size());
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Returns the message of the sdk::Error that resolving prefix throws. The test fails unless the
// status is FERRY_ERROR_INVALID_INPUT.
std::string rejection(const Entries& entries, const std::string& prefix = "src") {
    try {
        auto credential = resolve_input_credential(make_settings(entries), prefix);
        ADD_FAILURE() << "accepted; user \"" << (credential ? credential->username : "") << "\"";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
        return error.what();
    }
    return std::string();
}

InputCredential resolved(const Entries& entries, const std::string& prefix = "src") {
    auto credential = resolve_input_credential(make_settings(entries), prefix);
    if (!credential) {
        throw std::runtime_error("no credentials resolved for " + prefix);
    }
    return std::move(*credential);
}

TEST(InputCredentials, NothingGivenIsNotFound) {
    EXPECT_FALSE(resolve_input_credential(make_settings({}), "src").has_value());
    EXPECT_FALSE(resolve_input_credential(make_settings({{"unrelated", "x"}}), "dest").has_value());
}

TEST(InputCredentials, CombinedSplitAtFirstColon) {
    InputCredential credential = resolved({{"src-creds", "alice:pa:ss:word"}});

    EXPECT_EQ(credential.username, "alice");
    EXPECT_EQ(credential.password.reveal(), "pa:ss:word");
    EXPECT_EQ(credential.description, "--src-creds");
}

TEST(InputCredentials, CombinedPasswordKeptByteForByte) {
    const std::vector<std::string> passwords = {
        "p:a:s:s",          "dollar$HOME$1",     "with spaces inside", "single'quote",
        "double\"quote",    "back\\slash\\",     "trailing spaces  ",  "  leading spaces",
        "trailing newline\n", "crlf\r\n",        "tab\tand `cmd`",     "p:a$s w'\"\\  \n",
    };
    for (const std::string& password : passwords) {
        SCOPED_TRACE(password);

        InputCredential credential = resolved({{"src-creds", "alice:" + password}});

        EXPECT_EQ(credential.username, "alice");
        EXPECT_EQ(credential.password.reveal(), password);
    }
}

TEST(InputCredentials, SeparatePasswordKeptByteForByte) {
    const std::string password = "p:a$s w'\"\\  \n";

    InputCredential credential = resolved({{"src-username", "alice"}, {"src-password", password}});

    EXPECT_EQ(credential.password.reveal(), password);
}

TEST(InputCredentials, MissingColonRejectedWithoutValue) {
    std::string message = rejection({{"src-creds", "alice-and-no-colon"}});

    EXPECT_TRUE(contains(message, "--src-creds has no ':'")) << message;
    EXPECT_TRUE(contains(message, "USER:PASSWORD")) << message;
    EXPECT_FALSE(contains(message, "alice-and-no-colon")) << message;
}

TEST(InputCredentials, MissingColonNamesEnvironmentVariable) {
    std::string message = rejection({{"src-creds", "Token-only-9f8e"}, {"src-creds-origin", "FERRY_SRC_CREDS"}});

    EXPECT_TRUE(contains(message, "FERRY_SRC_CREDS has no ':'")) << message;
    EXPECT_FALSE(contains(message, "Token-only-9f8e")) << message;
}

TEST(InputCredentials, EmptyUserRejected) {
    std::string message = rejection({{"src-creds", ":Secret-pw-1"}});

    EXPECT_TRUE(contains(message, "--src-creds has an empty user name")) << message;
    EXPECT_FALSE(contains(message, "Secret-pw-1")) << message;
}

TEST(InputCredentials, EmptyPasswordRejected) {
    std::string message = rejection({{"src-creds", "alice:"}});

    EXPECT_TRUE(contains(message, "--src-creds gives an empty password")) << message;
}

TEST(InputCredentials, UsernameWithColonRejected) {
    std::string message = rejection({{"src-username", "ali:ce"}, {"src-password", "Secret-pw-2"}});

    EXPECT_TRUE(contains(message, "--src-username contains ':'")) << message;
    EXPECT_FALSE(contains(message, "Secret-pw-2")) << message;
}

TEST(InputCredentials, PasswordWithoutUserRejected) {
    std::string message = rejection({{"src-password", "Secret-pw-3"}, {"src-password-origin", "--src-password-stdin"}});

    EXPECT_TRUE(contains(message, "--src-password-stdin was given without a user name")) << message;
    EXPECT_TRUE(contains(message, "--src-username")) << message;
    EXPECT_FALSE(contains(message, "Secret-pw-3")) << message;
}

TEST(InputCredentials, UserWithoutPasswordRejected) {
    std::string message = rejection({{"src-username", "alice"}, {"src-username-origin", "FERRY_SRC_USERNAME"}});

    EXPECT_TRUE(contains(message, "FERRY_SRC_USERNAME was given without a password")) << message;
    EXPECT_TRUE(contains(message, "--src-password-stdin")) << message;
}

TEST(InputCredentials, SeparateOptionsWinOverCombined) {
    InputCredential credential = resolved({{"src-creds", "combined-user:Combined-pw-4"},
                                           {"src-username", "separate-user"},
                                           {"src-password", "Separate-pw-5"},
                                           {"src-password-origin", "--src-password-stdin"}});

    EXPECT_EQ(credential.username, "separate-user");
    EXPECT_EQ(credential.password.reveal(), "Separate-pw-5");
    EXPECT_EQ(credential.description,
              "user from --src-username, password from --src-password-stdin (overriding --src-creds)");
    EXPECT_FALSE(contains(credential.description, "Separate-pw-5"));
    EXPECT_FALSE(contains(credential.description, "Combined-pw-4"));
}

TEST(InputCredentials, SeparateUserKeepsCombinedPassword) {
    InputCredential credential =
        resolved({{"src-creds", "combined-user:Combined-pw-6"}, {"src-username", "separate-user"}});

    EXPECT_EQ(credential.username, "separate-user");
    EXPECT_EQ(credential.password.reveal(), "Combined-pw-6");
    EXPECT_EQ(credential.description, "user from --src-username, password from --src-creds (overriding --src-creds)");
    EXPECT_FALSE(contains(credential.description, "Combined-pw-6"));
}

TEST(InputCredentials, SeparatePasswordKeepsCombinedUser) {
    InputCredential credential = resolved({{"src-creds", "combined-user:Combined-pw-7"},
                                           {"src-password", "Separate-pw-8"},
                                           {"src-password-origin", "FERRY_SRC_PASSWORD"}});

    EXPECT_EQ(credential.username, "combined-user");
    EXPECT_EQ(credential.password.reveal(), "Separate-pw-8");
    EXPECT_EQ(credential.description,
              "user from --src-creds, password from FERRY_SRC_PASSWORD (overriding --src-creds)");
}

TEST(InputCredentials, SeparateOptionsDescribeTheirOrigins) {
    InputCredential credential = resolved({{"src-username", "alice"},
                                           {"src-username-origin", "FERRY_SRC_USERNAME"},
                                           {"src-password", "Separate-pw-9"},
                                           {"src-password-origin", "FERRY_SRC_PASSWORD"}});

    EXPECT_EQ(credential.username, "alice");
    EXPECT_EQ(credential.description, "user from FERRY_SRC_USERNAME, password from FERRY_SRC_PASSWORD");
}

TEST(InputCredentials, DestinationIndependentOfSource) {
    Entries entries = {{"dest-creds", "dest-user:Dest-pw-10"}};

    EXPECT_FALSE(resolve_input_credential(make_settings(entries), "src").has_value());
    InputCredential destination = resolved(entries, "dest");
    EXPECT_EQ(destination.username, "dest-user");
    EXPECT_EQ(destination.password.reveal(), "Dest-pw-10");
    EXPECT_EQ(destination.description, "--dest-creds");
}

TEST(InputCredentials, BothSidesKeepTheirOwnValues) {
    Entries entries = {{"src-creds", "src-user:Src-pw-11"},
                       {"dest-username", "dest-user"},
                       {"dest-password", "Dest-pw-12"}};

    InputCredential source = resolved(entries, "src");
    InputCredential destination = resolved(entries, "dest");

    EXPECT_EQ(source.username, "src-user");
    EXPECT_EQ(source.password.reveal(), "Src-pw-11");
    EXPECT_EQ(destination.username, "dest-user");
    EXPECT_EQ(destination.password.reveal(), "Dest-pw-12");
    EXPECT_EQ(destination.description, "user from --dest-username, password from --dest-password");
}

TEST(InputCredentials, InvalidDestinationLeavesSourceAlone) {
    Entries entries = {{"src-creds", "src-user:Src-pw-13"}, {"dest-creds", "Dest-no-colon-14"}};

    EXPECT_EQ(resolved(entries, "src").username, "src-user");
    std::string message = rejection(entries, "dest");
    EXPECT_TRUE(contains(message, "--dest-creds has no ':'")) << message;
    EXPECT_FALSE(contains(message, "Dest-no-colon-14")) << message;
}

} // namespace
} // namespace ferry::input
