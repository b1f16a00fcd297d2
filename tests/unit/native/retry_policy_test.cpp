#include "retry_policy.hpp"

#include <gtest/gtest.h>

namespace ferry::native {
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
    for (long status : {400L, 401L, 403L, 404L, 405L, 413L, 416L}) {
        EXPECT_FALSE(RetryPolicy::is_transient(http(status))) << status;
    }
}

TEST(RetryPolicy, NetworkAndTimeoutAreTransient) {
    EXPECT_TRUE(RetryPolicy::is_transient(Failure{Failure::Kind::network, 0, false, std::nullopt}));
    EXPECT_TRUE(RetryPolicy::is_transient(Failure{Failure::Kind::timeout, 0, false, std::nullopt}));
    EXPECT_FALSE(RetryPolicy::is_transient(Failure{Failure::Kind::rejected, 0, true, std::nullopt}));
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
}

TEST(RetryPolicy, StopsAfterMaxRetries) {
    RetryPolicy policy(3);
    EXPECT_TRUE(policy.delay_before_retry(3, http(503)).has_value());
    EXPECT_FALSE(policy.delay_before_retry(4, http(503)).has_value());
    RetryPolicy none(0);
    EXPECT_FALSE(none.delay_before_retry(1, http(503)).has_value());
}

TEST(RetryPolicy, PermanentFailureNotRetried) {
    RetryPolicy policy(3);
    EXPECT_FALSE(policy.delay_before_retry(1, http(404)).has_value());
}

TEST(RetryPolicy, RetryAfterExtendsDelay) {
    RetryPolicy policy(3, milliseconds(10), seconds(1));
    auto failure = http(429);
    failure.retry_after = seconds(7);
    const auto delay = policy.delay_before_retry(1, failure);
    ASSERT_TRUE(delay.has_value());
    EXPECT_EQ(*delay, seconds(7));
}

TEST(RetryPolicy, ExcessiveRetryAfterGivesUp) {
    RetryPolicy policy(3);
    auto failure = http(429);
    failure.retry_after = RetryPolicy::kMaxRetryAfter + seconds(1);
    EXPECT_FALSE(policy.delay_before_retry(1, failure).has_value());
}

TEST(ParseRetryAfter, Seconds) {
    const auto now = std::chrono::system_clock::now();
    EXPECT_EQ(parse_retry_after("120", now), seconds(120));
    EXPECT_EQ(parse_retry_after(" 0 ", now), seconds(0));
    EXPECT_FALSE(parse_retry_after("-5", now).has_value());
    EXPECT_FALSE(parse_retry_after("soon", now).has_value());
    EXPECT_FALSE(parse_retry_after("", now).has_value());
}

TEST(ParseRetryAfter, HttpDate) {
    // Sun, 06 Nov 1994 08:49:37 GMT is 784111777 seconds after the epoch.
    const auto now = std::chrono::system_clock::from_time_t(784111777 - 30);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), seconds(30));
    const auto later = std::chrono::system_clock::from_time_t(784111777 + 30);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", later), seconds(0));
}

} // namespace
} // namespace ferry::native
