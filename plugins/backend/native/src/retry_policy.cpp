#include "retry_policy.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace ferry::native {

RetryPolicy::RetryPolicy(int max_retries, std::chrono::milliseconds base,
                         std::chrono::milliseconds cap)
    : max_retries_(std::max(0, max_retries)), base_(base), cap_(cap),
      random_(std::random_device{}()) {}

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

std::optional<std::chrono::milliseconds> RetryPolicy::delay_before_retry(int retry,
                                                                         const Failure& failure) {
    if (retry > max_retries_ || !is_transient(failure)) {
        return std::nullopt;
    }
    if (failure.retry_after && *failure.retry_after > kMaxRetryAfter) {
        return std::nullopt;
    }

    const int shift = std::min(retry - 1, 20);
    const auto ceiling = std::min<std::chrono::milliseconds>(cap_, base_ * (1LL << shift));
    std::chrono::milliseconds delay;
    {
        std::lock_guard lock(random_mutex_);
        std::uniform_int_distribution<long long> pick(ceiling.count() / 2, ceiling.count());
        delay = std::chrono::milliseconds(pick(random_));
    }

    if (failure.retry_after) {
        delay = std::max<std::chrono::milliseconds>(delay, *failure.retry_after);
    }
    return delay;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
        value.remove_prefix(1);
    }
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
        value.remove_suffix(1);
    }
    if (value.empty()) {
        return std::nullopt;
    }

    if (std::all_of(value.begin(), value.end(),
                    [](unsigned char c) { return std::isdigit(c) != 0; })) {
        if (value.size() > 9) {
            return std::chrono::seconds(999999999);
        }
        return std::chrono::seconds(std::stoll(std::string(value)));
    }

    // curl_getdate parses the three HTTP-date formats; -1 means not a date.
    const std::string text(value);
    const time_t date = curl_getdate(text.c_str(), nullptr);
    if (date == -1) {
        return std::nullopt;
    }
    const auto delta = std::chrono::system_clock::from_time_t(date) - now;
    return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(delta));
}

} // namespace ferry::native
