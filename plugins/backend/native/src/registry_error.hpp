// Failures of registry requests, carrying what the retry policy and error messages need.
#pragma once

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

// What went wrong in one request: the facts the retry policy decides on.
struct Failure {
    // network: the connection failed or broke; timeout: an attempt or stall limit ran out;
    // http: the server responded with http_status; rejected: a failure that repeats identically
    // (certificate verification, malformed URL).
    enum class Kind { network, timeout, http, rejected };

    Kind kind = Kind::network;
    long http_status = 0;     // for Kind::http
    bool idempotent = true;   // the request may be repeated without side effects
    std::optional<std::chrono::seconds> retry_after;
};

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
