#include <ferry/core/retry_policy.hpp>

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Failure http(long status, bool idempotent = true) {
    return Failure{Failure::Kind::http, status, idempotent, std::nullopt};
}

TEST(RetryPolicy, TransientStatuses) {
    for (long status : {408L, 429L, 502L, 503L, 504L}) {
        EXPECT_TRUE(RetryPolicy::is_transient(http(status, false))) << status;
    }
}

TEST(RetryPolicy, ServerErrorRetriedOnlyWhenIdempotent) {
    EXPECT_TRUE(RetryPolicy::is_transient(http(500, true)));
    EXPECT_FALSE(RetryPolicy::is_transient(http(500, false)));
}

TEST(RetryPolicy, ClientErrorsArePermanent) {
    for (long status : {400L, 401L, 403L, 404L, 405L, 413L, 416L, 501L}) {
        EXPECT_FALSE(RetryPolicy::is_transient(http(status))) << status;
    }
}

TEST(RetryPolicy, NetworkAndTimeoutAreTransient) {
    EXPECT_TRUE(RetryPolicy::is_transient(Failure{Failure::Kind::network, 0, false, std::nullopt}));
    EXPECT_TRUE(RetryPolicy::is_transient(Failure{Failure::Kind::timeout, 0, false, std::nullopt}));
    EXPECT_FALSE(RetryPolicy::is_transient(Failure{Failure::Kind::rejected, 0, true, std::nullopt}));
}

TEST(RetryPolicy, RateLimitIsOnly429) {
    EXPECT_TRUE(http(429).rate_limited());
    EXPECT_FALSE(http(503).rate_limited());
    EXPECT_FALSE((Failure{Failure::Kind::network, 429, true, std::nullopt}).rate_limited());
}

TEST(RetryPolicy, ExponentialBackoffWithJitterBounds) {
    RetryPolicy policy(5, milliseconds(100), seconds(30));
    for (int round = 0; round < 50; ++round) {
        for (int retry = 1; retry <= 5; ++retry) {
            const auto delay = policy.delay_before_retry(retry, http(503));
            ASSERT_TRUE(delay.has_value());
            const auto ceiling = milliseconds(100 * (1 << (retry - 1)));
            EXPECT_GE(*delay, ceiling / 2) << retry;
            EXPECT_LE(*delay, ceiling) << retry;
        }
    }
}

TEST(RetryPolicy, DelayIsCapped) {
    RetryPolicy policy(40, milliseconds(500), seconds(2));
    const auto delay = policy.delay_before_retry(30, http(502));
    ASSERT_TRUE(delay.has_value());
    EXPECT_LE(*delay, seconds(2));
    EXPECT_GE(*delay, seconds(1));
}

TEST(RetryPolicy, ZeroBaseDelayRetriesAtOnce) {
    RetryPolicy policy(2, milliseconds(0), milliseconds(0));
    const auto delay = policy.delay_before_retry(2, http(503));
    ASSERT_TRUE(delay.has_value());
    EXPECT_EQ(*delay, milliseconds(0));
}

TEST(RetryPolicy, StopsAfterMaxRetries) {
    RetryPolicy policy(3);
    EXPECT_TRUE(policy.delay_before_retry(3, http(503)).has_value());
    EXPECT_FALSE(policy.delay_before_retry(4, http(503)).has_value());
    EXPECT_EQ(policy.decide(4, http(503)).verdict, RetryVerdict::retries_spent);
    RetryPolicy none(0);
    EXPECT_EQ(none.decide(1, http(503)).verdict, RetryVerdict::retries_spent);
}

TEST(RetryPolicy, NegativeRetriesCountAsNone) {
    RetryPolicy policy(-4);
    EXPECT_EQ(policy.max_retries(), 0);
}

TEST(RetryPolicy, PermanentFailureNotRetried) {
    RetryPolicy policy(3);
    EXPECT_EQ(policy.decide(1, http(404)).verdict, RetryVerdict::permanent);
    EXPECT_EQ(policy.decide(1, http(413)).verdict, RetryVerdict::permanent);
    EXPECT_FALSE(policy.delay_before_retry(1, http(401)).has_value());
}

TEST(RetryPolicy, RetryAfterExtendsDelay) {
    RetryPolicy policy(3, milliseconds(10), seconds(1));
    auto failure = http(429);
    failure.retry_after = seconds(7);
    const auto delay = policy.delay_before_retry(1, failure);
    ASSERT_TRUE(delay.has_value());
    EXPECT_EQ(*delay, seconds(7));
}

TEST(RetryPolicy, ShortRetryAfterKeepsBackoff) {
    RetryPolicy policy(3, seconds(4), seconds(30));
    auto failure = http(503);
    failure.retry_after = seconds(1);
    const auto delay = policy.delay_before_retry(1, failure);
    ASSERT_TRUE(delay.has_value());
    EXPECT_GE(*delay, seconds(2));
}

TEST(RetryPolicy, ExcessiveRetryAfterGivesUp) {
    RetryPolicy policy(3);
    auto failure = http(429);
    failure.retry_after = RetryPolicy::kMaxRetryAfter + seconds(1);
    EXPECT_EQ(policy.decide(1, failure).verdict, RetryVerdict::retry_after_too_long);
}

TEST(RetryPolicy, WaitPastDeadlineEndsRetries) {
    const auto start = RetryPolicy::Clock::now();
    RetryPolicy policy(10, seconds(2), seconds(2), start + seconds(3));
    EXPECT_EQ(policy.decide(1, http(503), start).verdict, RetryVerdict::retry);
    EXPECT_EQ(policy.decide(1, http(503), start + milliseconds(2500)).verdict,
              RetryVerdict::deadline_reached);
}

TEST(RetryPolicy, RetryAfterPastDeadlineEndsRetries) {
    const auto start = RetryPolicy::Clock::now();
    RetryPolicy policy(10, milliseconds(1), milliseconds(1), start + seconds(5));
    auto failure = http(429);
    failure.retry_after = seconds(10);
    EXPECT_EQ(policy.decide(1, failure, start).verdict, RetryVerdict::deadline_reached);
}

TEST(RetryPolicy, PermanentWinsOverDeadline) {
    const auto start = RetryPolicy::Clock::now();
    RetryPolicy policy(3, milliseconds(1), milliseconds(1), start);
    EXPECT_EQ(policy.decide(1, http(403), start + seconds(1)).verdict, RetryVerdict::permanent);
}

TEST(RetryPolicy, TimeLeftUntilDeadline) {
    const auto start = RetryPolicy::Clock::now();
    RetryPolicy policy(3, milliseconds(1), milliseconds(1), start + seconds(4));
    EXPECT_EQ(policy.time_left(start), milliseconds(4000));
    EXPECT_EQ(policy.time_left(start + seconds(9)), milliseconds(0));
    EXPECT_FALSE(policy.deadline_passed(start));
    EXPECT_TRUE(policy.deadline_passed(start + seconds(4)));

    RetryPolicy unlimited(3);
    EXPECT_FALSE(unlimited.time_left().has_value());
    EXPECT_FALSE(unlimited.deadline_passed());
}

TEST(DescribeVerdict, NamesTheFlagToRaise) {
    EXPECT_NE(describe_verdict(RetryVerdict::retries_spent, 3).find("all 3 retries"), std::string::npos);
    EXPECT_NE(describe_verdict(RetryVerdict::retries_spent, 3).find("--retry-times"), std::string::npos);
    EXPECT_NE(describe_verdict(RetryVerdict::deadline_reached, 3).find("--deadline"), std::string::npos);
    EXPECT_NE(describe_verdict(RetryVerdict::retry_after_too_long, 3).find("120 s"), std::string::npos);
    EXPECT_TRUE(describe_verdict(RetryVerdict::permanent, 3).empty());
}

TEST(ParseRetryAfter, Seconds) {
    const auto now = std::chrono::system_clock::now();
    EXPECT_EQ(parse_retry_after("120", now), seconds(120));
    EXPECT_EQ(parse_retry_after(" 0 ", now), seconds(0));
    EXPECT_EQ(parse_retry_after("12345678901234", now), seconds(999999999));
    EXPECT_FALSE(parse_retry_after("-5", now).has_value());
    EXPECT_FALSE(parse_retry_after("1.5", now).has_value());
    EXPECT_FALSE(parse_retry_after("soon", now).has_value());
    EXPECT_FALSE(parse_retry_after("", now).has_value());
}

TEST(ParseRetryAfter, ImfFixdate) {
    // Sun, 06 Nov 1994 08:49:37 GMT is 784111777 seconds after the epoch.
    const auto now = std::chrono::system_clock::from_time_t(784111777 - 30);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), seconds(30));
    const auto later = std::chrono::system_clock::from_time_t(784111777 + 30);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", later), seconds(0));
}

TEST(ParseRetryAfter, ObsoleteDateFormats) {
    const auto now = std::chrono::system_clock::from_time_t(784111777 - 45);
    EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), seconds(45));
    EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", now), seconds(45));
}

TEST(ParseRetryAfter, TrailingGarbageRejected) {
    const auto now = std::chrono::system_clock::from_time_t(784111777);
    EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT later", now).has_value());
    EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 1994", now).has_value());
}

} // namespace
} // namespace ferry::core
