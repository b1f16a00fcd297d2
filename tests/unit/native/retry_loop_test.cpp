#include "retry_loop.hpp"

#include <gtest/gtest.h>

namespace ferry::native {
namespace {

using std::chrono::milliseconds;

TransferError failure(long status) {
    return TransferError(Failure{Failure::Kind::http, status, true, std::nullopt}, "reading x: HTTP " + std::to_string(status));
}

TEST(WithRetries, TransientFailuresRetriedUntilSuccess) {
    RetryPolicy policy(3, milliseconds(1), milliseconds(2));
    int calls = 0;
    const auto value = with_retries(policy, ferry::sdk::Host(nullptr), [&] {
        if (++calls < 3) {
            throw failure(503);
        }
        return 42;
    });
    EXPECT_EQ(value, 42);
    EXPECT_EQ(calls, 3);
}

TEST(WithRetries, GivesUpWithTransientStatus) {
    RetryPolicy policy(2, milliseconds(1), milliseconds(2));
    int calls = 0;
    try {
        with_retries(policy, ferry::sdk::Host(nullptr), [&]() -> int { ++calls; throw failure(502); });
        FAIL() << "expected an error";
    } catch (const ferry::sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_TRANSIENT);
        EXPECT_NE(std::string(error.what()).find("HTTP 502"), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("after 3 attempts"), std::string::npos) << error.what();
    }
    EXPECT_EQ(calls, 3);
}

TEST(WithRetries, SingleAttemptCountedInSingular) {
    RetryPolicy policy(0, milliseconds(1), milliseconds(2));
    try {
        with_retries(policy, ferry::sdk::Host(nullptr), [&]() -> int { throw failure(503); });
        FAIL() << "expected an error";
    } catch (const ferry::sdk::Error& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("gave up after 1 attempt:"), std::string::npos) << message;
        EXPECT_EQ(message.find("attempts"), std::string::npos) << message;
    }
}

TEST(WithRetries, PermanentFailureStopsAtOnce) {
    RetryPolicy policy(5, milliseconds(1), milliseconds(2));
    int calls = 0;
    try {
        with_retries(policy, ferry::sdk::Host(nullptr), [&]() -> int { ++calls; throw failure(404); });
        FAIL() << "expected an error";
    } catch (const ferry::sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR);
        EXPECT_STREQ(error.what(), "reading x: HTTP 404");
    }
    EXPECT_EQ(calls, 1);
}

TEST(WithRetries, OtherExceptionsPassThrough) {
    RetryPolicy policy(5, milliseconds(1), milliseconds(2));
    int calls = 0;
    EXPECT_THROW(with_retries(policy, ferry::sdk::Host(nullptr),
                              [&]() -> int {
                                  ++calls;
                                  throw ferry::sdk::Error(FERRY_ERROR, "digest mismatch");
                              }),
                 ferry::sdk::Error);
    EXPECT_EQ(calls, 1);
}

TEST(WithRetries, CancelledHostStopsTheWait) {
    ferry_host_api api{};
    api.struct_size = sizeof(api);
    api.is_cancelled = [](void*) -> int32_t { return 1; };
    RetryPolicy policy(3, std::chrono::seconds(30), std::chrono::seconds(30));
    try {
        with_retries(policy, ferry::sdk::Host(&api), [&]() -> int { throw failure(503); });
        FAIL() << "expected cancellation";
    } catch (const ferry::sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_CANCELLED);
    }
}

} // namespace
} // namespace ferry::native
