#include "retry_loop.hpp"

namespace ferry::native {

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

ferry::sdk::Error final_error(const TransferError& error, int attempts) {
    if (!RetryPolicy::is_transient(error.failure())) {
        return ferry::sdk::Error(FERRY_ERROR, error.what());
    }
    return ferry::sdk::Error(FERRY_ERROR_TRANSIENT, std::string(error.what()) + " (gave up after " +
                                                        std::to_string(attempts) + " attempts)");
}

} // namespace ferry::native
