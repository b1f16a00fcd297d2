// Runs an operation under a RetryPolicy: logs each retry through the host, waits in short
// slices so a cancellation interrupts the wait, and turns the final failure into the
// ferry::sdk::Error the host reports.
#pragma once

#include "registry_error.hpp"

#include <ferry/sdk.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace ferry::native {

// Waits for delay; throws ferry::sdk::Error FERRY_ERROR_CANCELLED when the host is cancelled.
void wait_unless_cancelled(const ferry::sdk::Host& host, std::chrono::milliseconds delay);

// Logs one retry at warning level: the failure, what happens next (action, e.g. "retrying" or
// "resuming at byte 1048576"), the delay and the retry number. counter names the loop ("retry"
// for whole operations, "resume" for continuing a transfer), because a blob's resumes and its
// retries are counted separately.
void warn_retry(const ferry::sdk::Host& host, const TransferError& error, std::string_view action,
                const RetryDecision& decision, int retry, int max_retries, std::string_view counter = "retry");

// The error a TransferError becomes once the policy ends its retries: FERRY_ERROR_TRANSIENT for
// network-class failures, FERRY_ERROR for the rest. The message keeps the failure's own text
// (operation, registry, blob or manifest, last HTTP status or network error) and adds the
// attempts made and why no further attempt follows.
ferry::sdk::Error final_error(const TransferError& error, int attempts, RetryVerdict verdict,
                              int max_retries);

template <typename Operation>
auto with_retries(RetryPolicy& policy, const ferry::sdk::Host& host, Operation&& operation)
    -> decltype(operation()) {
    for (int retry = 1;; ++retry) {
        try {
            return operation();
        } catch (const TransferError& error) {
            const auto decision = policy.decide(retry, error.failure());
            if (!decision.retry()) {
                throw final_error(error, retry, decision.verdict, policy.max_retries());
            }
            warn_retry(host, error, "retrying", decision, retry, policy.max_retries());
            wait_unless_cancelled(host, decision.delay);
        }
    }
}

} // namespace ferry::native
