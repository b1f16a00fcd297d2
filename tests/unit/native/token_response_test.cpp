#include "token_response.hpp"

#include <gtest/gtest.h>

namespace ferry::native {
namespace {

using std::chrono::seconds;
const auto kReceived = std::chrono::steady_clock::time_point(std::chrono::hours(1000));

TEST(TokenResponse, TokenField) {
    const auto token = parse_token_response(R"({"token":"abc","expires_in":300})", kReceived);
    EXPECT_EQ(token.token.reveal(), "abc");
    EXPECT_EQ(token.expires_at, kReceived + seconds(300));
}

TEST(TokenResponse, AccessTokenField) {
    const auto token = parse_token_response(R"({"access_token":"xyz","expires_in":120})", kReceived);
    EXPECT_EQ(token.token.reveal(), "xyz");
    EXPECT_EQ(token.expires_at, kReceived + seconds(120));
}

TEST(TokenResponse, BothFieldsPreferToken) {
    const auto token = parse_token_response(R"({"access_token":"second","token":"first"})", kReceived);
    EXPECT_EQ(token.token.reveal(), "first");
}

TEST(TokenResponse, EmptyTokenFallsBackToAccessToken) {
    const auto token = parse_token_response(R"({"token":"","access_token":"second"})", kReceived);
    EXPECT_EQ(token.token.reveal(), "second");
}

TEST(TokenResponse, MissingExpiresInMeansSixtySeconds) {
    const auto token = parse_token_response(R"({"token":"abc"})", kReceived);
    EXPECT_EQ(token.expires_at, kReceived + seconds(60));
}

TEST(TokenResponse, ShortExpiresInMeansSixtySeconds) {
    EXPECT_EQ(parse_token_response(R"({"token":"a","expires_in":10})", kReceived).expires_at,
              kReceived + seconds(60));
    EXPECT_EQ(parse_token_response(R"({"token":"a","expires_in":0})", kReceived).expires_at,
              kReceived + seconds(60));
    EXPECT_EQ(parse_token_response(R"({"token":"a","expires_in":-5})", kReceived).expires_at,
              kReceived + seconds(60));
}

TEST(TokenResponse, NonNumericExpiresInMeansSixtySeconds) {
    const auto token = parse_token_response(R"({"token":"a","expires_in":"900"})", kReceived);
    EXPECT_EQ(token.expires_at, kReceived + seconds(60));
}

TEST(TokenResponse, IssuedAtIsIgnored) {
    const auto token = parse_token_response(
        R"({"token":"a","expires_in":600,"issued_at":"2001-01-01T00:00:00Z"})", kReceived);
    EXPECT_EQ(token.expires_at, kReceived + seconds(600));
}

TEST(TokenResponse, HugeExpiresInIsCapped) {
    const auto token = parse_token_response(R"({"token":"a","expires_in":1e300})", kReceived);
    EXPECT_GT(token.expires_at, kReceived + seconds(3600));
    EXPECT_LE(token.expires_at, kReceived + seconds(10LL * 365 * 24 * 3600));
}

TEST(TokenResponse, MissingTokenThrowsWithoutBody) {
    try {
        parse_token_response(R"({"refresh_token":"secret-value"})", kReceived);
        FAIL() << "expected an exception";
    } catch (const std::runtime_error& error) {
        EXPECT_EQ(std::string(error.what()).find("secret-value"), std::string::npos);
        EXPECT_NE(std::string(error.what()).find("access_token"), std::string::npos);
    }
}

TEST(TokenResponse, NonObjectThrows) {
    EXPECT_THROW(parse_token_response("[1,2]", kReceived), std::runtime_error);
    EXPECT_THROW(parse_token_response("not json", kReceived), std::runtime_error);
    EXPECT_THROW(parse_token_response(R"({"token":5})", kReceived), std::runtime_error);
}

} // namespace
} // namespace ferry::native
