#include <ferry/core/retry_policy.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <string>

namespace ferry::core {
namespace {

std::string_view trim(std::string_view value) {
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
        value.remove_prefix(1);
    }
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
        value.remove_suffix(1);
    }
    return value;
}

// Seconds since the epoch of an HTTP-date in one of the three formats of RFC 9110 section 5.6.7.
// The names of days and months are English, which strptime matches in the C locale that ferry
// runs in.
std::optional<std::time_t> parse_http_date(const std::string& text) {
    static constexpr const char* kFormats[] = {
        "%a, %d %b %Y %H:%M:%S GMT", // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        "%A, %d-%b-%y %H:%M:%S GMT", // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        "%a %b %e %H:%M:%S %Y",      // asctime: Sun Nov  6 08:49:37 1994
    };
    for (const char* format : kFormats) {
        std::tm parts{};
        const char* end = ::strptime(text.c_str(), format, &parts);
        if (end != nullptr && *end == '\0') {
            return ::timegm(&parts);
        }
    }
    return std::nullopt;
}

} // namespace

RetryPolicy::RetryPolicy(int max_retries, std::chrono::milliseconds base,
                         std::chrono::milliseconds max_delay,
                         std::optional<Clock::time_point> deadline)
    : max_retries_(std::max(0, max_retries)), base_(std::max(base, std::chrono::milliseconds(0))),
      max_delay_(std::max(max_delay, base_)), deadline_(deadline), random_(std::random_device{}()) {}

bool RetryPolicy::deadline_passed(Clock::time_point now) const noexcept {
    return deadline_ && now >= *deadline_;
}

std::optional<std::chrono::milliseconds> RetryPolicy::time_left(Clock::time_point now) const {
    if (!deadline_) {
        return std::nullopt;
    }
    if (now >= *deadline_) {
        return std::chrono::milliseconds(0);
    }
    return std::chrono::ceil<std::chrono::milliseconds>(*deadline_ - now);
}

bool RetryPolicy::is_transient(const Failure& failure) {
    switch (failure.kind) {
    case Failure::Kind::network:
    case Failure::Kind::timeout:
        return true;
    case Failure::Kind::rejected:
        return false;
    case Failure::Kind::http:
        break;
    }

    switch (failure.http_status) {
    case 408:
    case 429:
    case 502:
    case 503:
    case 504:
        return true;
    case 500:
        return failure.idempotent;
    default:
        return false;
    }
}

RetryDecision RetryPolicy::decide(int retry, const Failure& failure, Clock::time_point now) {
    if (!is_transient(failure)) {
        return {RetryVerdict::permanent, {}};
    }
    if (retry > max_retries_) {
        return {RetryVerdict::retries_spent, {}};
    }
    if (failure.retry_after && *failure.retry_after > kMaxRetryAfter) {
        return {RetryVerdict::retry_after_too_long, {}};
    }

    const int shift = std::clamp(retry - 1, 0, 20);
    const auto ceiling = std::min<std::chrono::milliseconds>(max_delay_, base_ * (1LL << shift));
    std::chrono::milliseconds delay;
    {
        std::lock_guard lock(random_mutex_);
        std::uniform_int_distribution<long long> pick(ceiling.count() / 2, ceiling.count());
        delay = std::chrono::milliseconds(pick(random_));
    }
    if (failure.retry_after) {
        delay = std::max<std::chrono::milliseconds>(delay, *failure.retry_after);
    }

    if (deadline_ && now + delay >= *deadline_) {
        return {RetryVerdict::deadline_reached, delay};
    }
    return {RetryVerdict::retry, delay};
}

std::optional<std::chrono::milliseconds> RetryPolicy::delay_before_retry(int retry,
                                                                         const Failure& failure) {
    const auto decision = decide(retry, failure);
    if (!decision.retry()) {
        return std::nullopt;
    }
    return decision.delay;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
    value = trim(value);
    if (value.empty()) {
        return std::nullopt;
    }

    if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
        // More than nine digits is longer than any wait ferry honours; stoll cannot overflow.
        if (value.size() > 9) {
            return std::chrono::seconds(999999999);
        }
        return std::chrono::seconds(std::stoll(std::string(value)));
    }

    const auto date = parse_http_date(std::string(value));
    if (!date) {
        return std::nullopt;
    }
    const auto delta = std::chrono::system_clock::from_time_t(*date) - now;
    return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(delta));
}

std::string describe_verdict(RetryVerdict verdict, int max_retries) {
    switch (verdict) {
    case RetryVerdict::retries_spent:
        return "all " + std::to_string(max_retries) + " retries are used up (raise --retry-times)";
    case RetryVerdict::deadline_reached:
        return "the deadline was reached (raise --deadline)";
    case RetryVerdict::retry_after_too_long:
        return "the registry asked to wait longer than " + std::to_string(RetryPolicy::kMaxRetryAfter.count()) +
               " s (Retry-After)";
    case RetryVerdict::retry:
    case RetryVerdict::permanent:
        break;
    }
    return {};
}

} // namespace ferry::core
