// The one retry policy of ferry: which failures are transient, how long to wait before the next
// attempt, and when to give up. The native backend applies it to every registry request, the
// skopeo backend to whole skopeo runs.
//
// The library ferry_retry contains only this header's code and needs only the C++ standard
// library and POSIX (strptime and timegm for HTTP dates), so plugins can link it without pulling
// in the core.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace ferry::core {

// What went wrong in one attempt: the facts the retry policy decides on.
struct Failure {
    // network: the connection failed or broke (reset, refused, EOF, truncated body, DNS, HTTP/2
    // stream error); timeout: an attempt or stall limit ran out; http: the server responded with
    // http_status; rejected: a failure that repeats identically (certificate verification,
    // malformed URL, a protocol violation by the server).
    enum class Kind { network, timeout, http, rejected };

    Kind kind = Kind::network;
    long http_status = 0;   // for Kind::http
    bool idempotent = true; // the request may be repeated without side effects
    std::optional<std::chrono::seconds> retry_after;

    bool rate_limited() const noexcept { return kind == Kind::http && http_status == 429; }
};

// The policy's decision on a failure: retry, or the reason the retries end.
enum class RetryVerdict {
    retry,                // wait RetryDecision::delay, then try again
    permanent,            // a retry meets the same failure
    retries_spent,        // the retry budget is used up
    deadline_reached,     // the wait would end after the deadline
    retry_after_too_long, // the server asked for a longer wait than kMaxRetryAfter
};

struct RetryDecision {
    RetryVerdict verdict = RetryVerdict::permanent;
    std::chrono::milliseconds delay{0};

    bool retry() const noexcept { return verdict == RetryVerdict::retry; }
};

// Thread-safe: parallel workers share one policy. Copying is not allowed because the random
// source is shared state.
class RetryPolicy {
public:
    using Clock = std::chrono::steady_clock;

    static constexpr std::chrono::milliseconds kDefaultBaseDelay{500};
    static constexpr std::chrono::milliseconds kDefaultMaxDelay{30000};

    // Longest Retry-After honoured; a registry asking for more fails the copy instead.
    static constexpr std::chrono::seconds kMaxRetryAfter{120};

    // max_retries: repetitions after the first attempt (negative counts as 0). Delays grow as
    // base * 2^(retry - 1) up to max_delay, each drawn at random from its upper half so that
    // parallel workers do not retry in step. deadline: no wait may end after it.
    explicit RetryPolicy(int max_retries, std::chrono::milliseconds base = kDefaultBaseDelay,
                         std::chrono::milliseconds max_delay = kDefaultMaxDelay,
                         std::optional<Clock::time_point> deadline = std::nullopt);

    RetryPolicy(const RetryPolicy&) = delete;
    RetryPolicy& operator=(const RetryPolicy&) = delete;

    int max_retries() const noexcept { return max_retries_; }
    const std::optional<Clock::time_point>& deadline() const noexcept { return deadline_; }

    // True once the deadline has passed; always false without a deadline.
    bool deadline_passed(Clock::time_point now = Clock::now()) const noexcept;

    // Time left until the deadline (zero once it passed); std::nullopt without a deadline.
    std::optional<std::chrono::milliseconds> time_left(Clock::time_point now = Clock::now()) const;

    // Transient: network failures, timeouts and stalls, 408, 429, 502, 503, 504, and 500 on
    // idempotent requests. Everything else is permanent, among them 400, 401, 403, 404 and 413.
    static bool is_transient(const Failure& failure);

    // The decision before retry number `retry` (1-based). A Retry-After from the server replaces
    // the computed delay when it is longer.
    RetryDecision decide(int retry, const Failure& failure, Clock::time_point now = Clock::now());

    // decide() reduced to the delay; std::nullopt when the policy ends the retries.
    std::optional<std::chrono::milliseconds> delay_before_retry(int retry, const Failure& failure);

private:
    int max_retries_;
    std::chrono::milliseconds base_;
    std::chrono::milliseconds max_delay_;
    std::optional<Clock::time_point> deadline_;
    std::mutex random_mutex_;
    std::mt19937_64 random_;
};

// Parses a Retry-After value: delay-seconds or an HTTP-date (IMF-fixdate, RFC 850 or asctime
// format, RFC 9110 section 10.2.3), relative to now. std::nullopt when the value is neither.
// A date in the past gives 0 seconds.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

// "the retry budget of 3 retries is used up", "the deadline was reached", ...: the reason a
// final error gives for not trying again. Empty for RetryVerdict::retry and permanent.
std::string describe_verdict(RetryVerdict verdict, int max_retries);

} // namespace ferry::core
