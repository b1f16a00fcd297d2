#include "base64.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

namespace ferry::docker_config {
namespace {

TEST(Base64, DecodesEveryTailLength) {
    EXPECT_EQ(decode_base64(""), std::string());
    EXPECT_EQ(decode_base64("YQ=="), std::string("a"));
    EXPECT_EQ(decode_base64("YWI="), std::string("ab"));
    EXPECT_EQ(decode_base64("YWJj"), std::string("abc"));
    EXPECT_EQ(decode_base64("dXNlcjpwYXNz"), std::string("user:pass"));
}

TEST(Base64, RoundTripsBinaryBytes) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes.push_back(static_cast<char>(i));
    }
    EXPECT_EQ(decode_base64(testing::encode_base64(bytes)), bytes);
}

TEST(Base64, SkipsLineBreaks) {
    EXPECT_EQ(decode_base64("dXNl\r\ncjpw\nYXNz"), std::string("user:pass"));
}

TEST(Base64, RejectsMissingPadding) {
    EXPECT_EQ(decode_base64("YQ"), std::nullopt);
    EXPECT_EQ(decode_base64("YWI"), std::nullopt);
}

TEST(Base64, RejectsCharactersOutsideAlphabet) {
    EXPECT_EQ(decode_base64("dXNl cjpw"), std::nullopt);
    EXPECT_EQ(decode_base64("dXNl-jpw"), std::nullopt);
    EXPECT_EQ(decode_base64("dXNl_jpw"), std::nullopt);
    EXPECT_EQ(decode_base64("not base64!"), std::nullopt);
}

TEST(Base64, RejectsMisplacedPadding) {
    EXPECT_EQ(decode_base64("Y==="), std::nullopt);
    EXPECT_EQ(decode_base64("YQ==YQ=="), std::nullopt);
    EXPECT_EQ(decode_base64("=YWJ"), std::nullopt);
    EXPECT_EQ(decode_base64("===="), std::nullopt);
}

TEST(Base64, IgnoresUnusedLowBitsLikeGo) {
    // "YR==" carries the same byte as "YQ==" with a non-zero unused bit; Go's StdEncoding
    // accepts it, so Docker does.
    EXPECT_EQ(decode_base64("YR=="), std::string("a"));
}

} // namespace
} // namespace ferry::docker_config
