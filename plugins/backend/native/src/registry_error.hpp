// Failures of registry requests, carrying what the retry policy and error messages need.
#pragma once

#include <ferry/core/retry_policy.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ferry::native {

// The "errors" array of a distribution API error body, as "CODE: message; CODE: message".
// Empty when the body contains no such array. Long bodies are cut, so a hostile registry cannot
// flood the terminal.
std::string describe_registry_errors(std::string_view body);

// The failure facts and the retry policy live in the core's retry library, shared with the
// skopeo backend.
using ferry::core::Failure;
using ferry::core::parse_retry_after;
using ferry::core::RetryDecision;
using ferry::core::RetryPolicy;
using ferry::core::RetryVerdict;

// A failed request. what() is a complete message: it names the operation, the registry and
// repository, the digest, the HTTP status and the registry's error codes, and never a
// credential.
class TransferError : public std::runtime_error {
public:
    TransferError(Failure failure, const std::string& message)
        : std::runtime_error(message), failure_(failure) {}
    const Failure& failure() const noexcept { return failure_; }

private:
    Failure failure_;
};

} // namespace ferry::native
