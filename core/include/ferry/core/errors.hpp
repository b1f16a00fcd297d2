// Errors that end a ferry command, each with the exit code it maps to.
//
// Exit codes: 0 copied or already up to date, 1 the copy failed, 2 usage or input error
// (invalid reference, invalid credentials format, unknown plugin), 130 interrupted.
#pragma once

#include <stdexcept>
#include <string>

namespace ferry::core {

enum ExitCode : int { exit_ok = 0, exit_failed = 1, exit_usage = 2, exit_interrupted = 130 };

// Invalid input, detected before any network traffic.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A failure while copying or talking to a registry.
class CopyError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace ferry::core
