#include "redactor.hpp"

#include <gtest/gtest.h>

namespace ferry::vault {
namespace {

TEST(Redactor, ReplacesEveryOccurrence) {
    Redactor redactor;
    redactor.remember(sdk::Secret("hvs.abcdef"));

    EXPECT_EQ(redactor.redact("token hvs.abcdef and hvs.abcdef again"),
              "token <redacted> and <redacted> again");
}

TEST(Redactor, IgnoresShortValues) {
    Redactor redactor;
    redactor.remember(sdk::Secret("ab"));
    redactor.remember(sdk::Secret(""));

    EXPECT_EQ(redactor.redact("about a table"), "about a table");
}

TEST(Redactor, LeavesOtherTextAlone) {
    Redactor redactor;
    redactor.remember(sdk::Secret("s3cret-value"));

    EXPECT_EQ(redactor.redact("permission denied"), "permission denied");
}

} // namespace
} // namespace ferry::vault
