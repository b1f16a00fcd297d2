#include "redaction.hpp"

#include <gtest/gtest.h>

namespace ferry::docker_config {
namespace {

TEST(RedactHelperText, JsonSecretValueRedacted) {
    EXPECT_EQ(redact_helper_text(R"({"ServerURL":"reg","Username":"u","Secret":"hunter2"})"),
              R"({"ServerURL":"reg","Username":"u","Secret":<redacted>})");
}

TEST(RedactHelperText, EscapedQuoteInsideValueStaysRedacted) {
    const std::string redacted = redact_helper_text(R"({"Secret": "a\"b hunter2", "x": 1})");
    EXPECT_EQ(redacted.find("hunter2"), std::string::npos) << redacted;
    EXPECT_NE(redacted.find("\"x\": 1"), std::string::npos) << redacted;
}

TEST(RedactHelperText, KeyValueFormsRedacted) {
    EXPECT_EQ(redact_helper_text("password=hunter2 and more\nnext line"), "password=<redacted> next line");
    EXPECT_EQ(redact_helper_text("Authorization: Bearer abc.def"), "Authorization: <redacted>");
    EXPECT_EQ(redact_helper_text("token: t1, user: u"), "token: <redacted>, user: u");
    EXPECT_EQ(redact_helper_text("IdentityToken='x y'"), "IdentityToken=<redacted>");
}

TEST(RedactHelperText, PlainMessagesKept) {
    EXPECT_EQ(redact_helper_text("error getting credentials - err: exit status 1"),
              "error getting credentials - err: exit status 1");
    EXPECT_EQ(redact_helper_text("gpg: decryption failed: No secret key"), "gpg: decryption failed: No secret key");
}

TEST(RedactHelperText, ControlCharactersCollapsed) {
    EXPECT_EQ(redact_helper_text("  line one\r\n\tline\x01two \n\n"), "line one line two");
}

TEST(RedactHelperText, LongTextCut) {
    const std::string cut = redact_helper_text(std::string(1000, 'x'), 20);
    EXPECT_EQ(cut, std::string(20, 'x') + "...");
}

TEST(RedactHelperText, RedactsBeforeCutting) {
    // The secret lies past the cut; redaction first means the kept part cannot end inside it.
    const std::string cut = redact_helper_text("secret=" + std::string(50, 's'), 12);
    EXPECT_EQ(cut, "secret=<reda...");
}

} // namespace
} // namespace ferry::docker_config
