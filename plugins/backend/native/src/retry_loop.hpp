// Runs an operation under a RetryPolicy: logs each retry through the host, waits in short
// slices so a cancellation interrupts the wait, and turns the final failure into the
// ferry::sdk::Error the host reports.
#pragma once

#include "registry_error.hpp"
#include "retry_policy.hpp"

#include <ferry/sdk.hpp>

#include <chrono>
#include <string>
#include <thread>

namespace ferry::native {

// Waits for delay; throws ferry::sdk::Error FERRY_ERROR_CANCELLED when the host is cancelled.
void wait_unless_cancelled(const ferry::sdk::Host& host, std::chrono::milliseconds delay);

// The error a TransferError becomes once retries are over: FERRY_ERROR_TRANSIENT for
// network-class failures, FERRY_ERROR for the rest.
ferry::sdk::Error final_error(const TransferError& error, int attempts);

template <typename Operation>
auto with_retries(RetryPolicy& policy, const ferry::sdk::Host& host, Operation&& operation)
    -> decltype(operation()) {
    for (int retry = 1;; ++retry) {
        try {
            return operation();
        } catch (const TransferError& error) {
            const auto delay = policy.delay_before_retry(retry, error.failure());
            if (!delay) {
                throw final_error(error, retry);
            }
            host.warning(std::string(error.what()) + "; retrying in " +
                         std::to_string(delay->count()) + " ms (retry " + std::to_string(retry) +
                         " of " + std::to_string(policy.max_retries()) + ")");
            wait_unless_cancelled(host, *delay);
        }
    }
}

} // namespace ferry::native
