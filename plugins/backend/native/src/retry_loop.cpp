#include "retry_loop.hpp"

#include <algorithm>
#include <thread>

namespace ferry::native {
namespace {

std::string format_seconds(std::chrono::milliseconds delay) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(delay.count()) / 1000.0);
    return text;
}

} // namespace

void wait_unless_cancelled(const ferry::sdk::Host& host, std::chrono::milliseconds delay) {
    constexpr auto kSlice = std::chrono::milliseconds(100);
    const auto deadline = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < deadline) {
        if (host.cancelled()) {
            throw ferry::sdk::Error(FERRY_ERROR_CANCELLED, "cancelled");
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        std::this_thread::sleep_for(std::min(kSlice, std::max(left, std::chrono::milliseconds(0))));
    }
}

void warn_retry(const ferry::sdk::Host& host, const TransferError& error, std::string_view action,
                const RetryDecision& decision, int retry, int max_retries, std::string_view counter) {
    std::string message = error.what();
    if (error.failure().rate_limited()) {
        message += " (rate limited)";
    }
    message += "; " + std::string(action) + " in " + format_seconds(decision.delay) + " (" + std::string(counter) +
               " " + std::to_string(retry) + " of " + std::to_string(max_retries) + ")";
    host.warning(message);
}

ferry::sdk::Error final_error(const TransferError& error, int attempts, RetryVerdict verdict,
                              int max_retries) {
    if (verdict == RetryVerdict::permanent) {
        return ferry::sdk::Error(FERRY_ERROR, error.what());
    }

    std::string message = error.what();
    if (error.failure().rate_limited()) {
        message += " (rate limited)";
    }
    message += "; gave up after " + std::to_string(attempts) +
               (attempts == 1 ? " attempt: " : " attempts: ") +
               ferry::core::describe_verdict(verdict, max_retries);
    return ferry::sdk::Error(FERRY_ERROR_TRANSIENT, message);
}

} // namespace ferry::native
