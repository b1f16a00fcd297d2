// The decision whether and when to repeat a failed request. Kept free of I/O so that it can
// move into the core and be tested alone.
#pragma once

#include "registry_error.hpp"

#include <chrono>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>

namespace ferry::native {

class RetryPolicy {
public:
    // max_retries: repetitions after the first attempt. Delays grow as base * 2^(retry - 1) up
    // to cap, each drawn at random from its upper half so parallel workers do not retry in step.
    explicit RetryPolicy(int max_retries,
                         std::chrono::milliseconds base = std::chrono::milliseconds(500),
                         std::chrono::milliseconds cap = std::chrono::seconds(30));

    int max_retries() const noexcept { return max_retries_; }

    // Network errors, timeouts, 408, 429, 502, 503, 504, and 500 on idempotent requests.
    static bool is_transient(const Failure& failure);

    // The wait before retry number `retry` (1-based), or std::nullopt when the failure is
    // permanent or the retries are used up. A Retry-After from the server replaces the computed
    // delay when it is longer, up to kMaxRetryAfter.
    std::optional<std::chrono::milliseconds> delay_before_retry(int retry, const Failure& failure);

    // Longest Retry-After honoured; a registry asking for more fails the copy instead.
    static constexpr std::chrono::seconds kMaxRetryAfter{120};

private:
    int max_retries_;
    std::chrono::milliseconds base_;
    std::chrono::milliseconds cap_;
    std::mutex random_mutex_;
    std::mt19937_64 random_;
};

// Parses a Retry-After value: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3), relative
// to now. std::nullopt when the value is neither.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

} // namespace ferry::native
