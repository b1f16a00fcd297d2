#include "www_authenticate.hpp"

#include <gtest/gtest.h>

namespace ferry::native {
namespace {

TEST(WwwAuthenticate, BearerWithQuotedParams) {
    const auto challenges = parse_www_authenticate(
        R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].scheme, "bearer");
    EXPECT_EQ(challenges[0].param("realm"), "https://auth.example.com/token");
    EXPECT_EQ(challenges[0].param("service"), "registry.example.com");
    EXPECT_EQ(challenges[0].param("scope"), "repository:a/b:pull");
}

TEST(WwwAuthenticate, SchemeIsCaseInsensitive) {
    for (const char* header : {"BEARER realm=\"r\"", "bearer realm=\"r\"", "BeArEr realm=\"r\""}) {
        const auto challenges = parse_www_authenticate(header);
        ASSERT_EQ(challenges.size(), 1u) << header;
        EXPECT_EQ(challenges[0].scheme, "bearer") << header;
        EXPECT_EQ(challenges[0].param("realm"), "r") << header;
    }
}

TEST(WwwAuthenticate, ParamNamesAreCaseInsensitive) {
    const auto challenges = parse_www_authenticate(R"(Bearer Realm="r",SERVICE="s")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].param("realm"), "r");
    EXPECT_EQ(challenges[0].param("service"), "s");
}

TEST(WwwAuthenticate, QuotedCommaInRealm) {
    const auto challenges = parse_www_authenticate(R"(Bearer realm="https://a/token?x=1,2",service="s")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].param("realm"), "https://a/token?x=1,2");
    EXPECT_EQ(challenges[0].param("service"), "s");
}

TEST(WwwAuthenticate, EscapedQuoteInValue) {
    const auto challenges = parse_www_authenticate(R"(Basic realm="say \"hi\", ok\\")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].param("realm"), R"(say "hi", ok\)");
}

TEST(WwwAuthenticate, UnquotedTokenValues) {
    const auto challenges = parse_www_authenticate("Bearer realm=https://auth/token, service=registry.io");
    ASSERT_EQ(challenges.size(), 1u);
    // "/" and ":" are no tchars, so an unquoted URL ends at the first of them.
    EXPECT_EQ(challenges[0].param("realm"), "https");
    EXPECT_EQ(challenges[0].param("service"), "registry.io");
}

TEST(WwwAuthenticate, UnquotedSimpleValue) {
    const auto challenges = parse_www_authenticate("Basic realm=registry, charset=UTF-8");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].param("realm"), "registry");
    EXPECT_EQ(challenges[0].param("charset"), "UTF-8");
}

TEST(WwwAuthenticate, AnyParamOrder) {
    const auto challenges =
        parse_www_authenticate(R"(Bearer scope="repository:x:pull", service="s", realm="https://r/t")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].param("realm"), "https://r/t");
    EXPECT_EQ(challenges[0].param("service"), "s");
    EXPECT_EQ(challenges[0].param("scope"), "repository:x:pull");
}

TEST(WwwAuthenticate, WhitespaceAroundEquals) {
    const auto challenges = parse_www_authenticate("Bearer realm = \"r\" ,\tservice\t=\ts");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].param("realm"), "r");
    EXPECT_EQ(challenges[0].param("service"), "s");
}

TEST(WwwAuthenticate, SeveralChallengesInOneHeader) {
    const auto challenges = parse_www_authenticate(
        R"(Basic realm="basic, realm", Bearer realm="https://t", service="s", Negotiate)");
    ASSERT_EQ(challenges.size(), 3u);
    EXPECT_EQ(challenges[0].scheme, "basic");
    EXPECT_EQ(challenges[0].param("realm"), "basic, realm");
    EXPECT_EQ(challenges[1].scheme, "bearer");
    EXPECT_EQ(challenges[1].param("realm"), "https://t");
    EXPECT_EQ(challenges[1].param("service"), "s");
    EXPECT_EQ(challenges[2].scheme, "negotiate");
    EXPECT_TRUE(challenges[2].params.empty());
}

TEST(WwwAuthenticate, ChallengesAcrossHeaders) {
    const auto challenges = parse_www_authenticate(
        std::vector<std::string>{R"(Basic realm="b")", R"(Bearer realm="https://t",service="s")"});
    ASSERT_EQ(challenges.size(), 2u);
    EXPECT_EQ(challenges[0].scheme, "basic");
    EXPECT_EQ(challenges[1].scheme, "bearer");
    EXPECT_EQ(challenges[1].param("service"), "s");
}

TEST(WwwAuthenticate, Token68) {
    const auto challenges = parse_www_authenticate("Negotiate abc+/def==, Basic realm=\"r\"");
    ASSERT_EQ(challenges.size(), 2u);
    EXPECT_EQ(challenges[0].scheme, "negotiate");
    EXPECT_EQ(challenges[0].token68, "abc+/def==");
    EXPECT_TRUE(challenges[0].params.empty());
    EXPECT_EQ(challenges[1].scheme, "basic");
    EXPECT_EQ(challenges[1].param("realm"), "r");
}

TEST(WwwAuthenticate, Token68EndingInSingleEquals) {
    const auto challenges = parse_www_authenticate("Custom abc=");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].token68, "abc=");
    EXPECT_TRUE(challenges[0].params.empty());
}

TEST(WwwAuthenticate, EmptyListElementsAreSkipped) {
    const auto challenges = parse_www_authenticate(" , ,Basic realm=\"r\",, ,");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].param("realm"), "r");
}

TEST(WwwAuthenticate, UnterminatedQuoteEndsAtEnd) {
    const auto challenges = parse_www_authenticate(R"(Bearer service="s", realm="https://t, x)");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].param("service"), "s");
    EXPECT_EQ(challenges[0].param("realm"), "https://t, x");
}

TEST(WwwAuthenticate, GarbageIsSkipped) {
    const auto challenges = parse_www_authenticate(R"(=junk, "quoted", Bearer realm="r")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].scheme, "bearer");
    EXPECT_EQ(challenges[0].param("realm"), "r");
}

TEST(WwwAuthenticate, EmptyHeader) {
    EXPECT_TRUE(parse_www_authenticate("").empty());
    EXPECT_TRUE(parse_www_authenticate("   ").empty());
}

TEST(WwwAuthenticate, FirstDuplicateParamWins) {
    const auto challenges = parse_www_authenticate(R"(Bearer realm="first", realm="second")");
    ASSERT_EQ(challenges.size(), 1u);
    EXPECT_EQ(challenges[0].param("realm"), "first");
}

TEST(PreferredChallenge, BearerOverBasic) {
    const auto challenges = parse_www_authenticate(R"(Basic realm="b", Bearer realm="https://t")");
    const auto chosen = preferred_challenge(challenges);
    ASSERT_TRUE(chosen.has_value());
    EXPECT_EQ(chosen->scheme, "bearer");
    EXPECT_EQ(chosen->param("realm"), "https://t");
}

TEST(PreferredChallenge, BasicWhenNoBearer) {
    const auto chosen = preferred_challenge(parse_www_authenticate(R"(Negotiate, Basic realm="b")"));
    ASSERT_TRUE(chosen.has_value());
    EXPECT_EQ(chosen->scheme, "basic");
}

TEST(PreferredChallenge, UnknownSchemesIgnored) {
    EXPECT_FALSE(preferred_challenge(parse_www_authenticate("Negotiate abc, Digest realm=\"x\", nonce=\"n\"")));
}

} // namespace
} // namespace ferry::native
