// Credentials given to ferry directly: USER:PASSWORD, a separate user name and password, or a
// password from standard input, each from an option or an environment variable.
//
// Rules, per side:
//   - USER:PASSWORD is split at the first colon only. The password is kept byte for byte: it may
//     contain ':', '$', spaces and quotes, and nothing is trimmed. A user name cannot contain ':'.
//   - A separate user name or password wins over the matching part of USER:PASSWORD.
//   - A user name without a password, or a password without a user name, is an error: ferry
//     never prompts.
#pragma once

#include <ferry/sdk.hpp>

#include <optional>
#include <string>

namespace ferry::input {

struct InputCredential {
    std::string username;
    sdk::Secret password;
    std::string description; // which options supplied it, for the log; never a value
};

// prefix is "src" or "dest". Reads keys PREFIX-creds, PREFIX-username, PREFIX-password and
// their "-origin" companions (the option or variable name). Throws sdk::Error with
// FERRY_ERROR_INVALID_INPUT; the message names the option, never its value.
std::optional<InputCredential> resolve_input_credential(const sdk::Settings& settings, const std::string& prefix);

} // namespace ferry::input
