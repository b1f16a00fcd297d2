// Shortening and redaction of a credential helper's own output before it goes into a message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ferry::docker_config {

// Returns text fit for an error message: the value after every "secret", "pass...", "token"
// or "auth..." key (followed by ':' or '=', quoted or not) replaced by "<redacted>", control
// characters turned into spaces, runs of spaces collapsed, and the result cut to max_length
// bytes with "..." appended.
//
// NOTE: this catches key-value shapes only. A helper that prints a bare secret with no key in
// front of it would still leak it; helpers following Docker's protocol print secrets only as
// the "Secret" field of their JSON output.
std::string redact_helper_text(std::string_view text, std::size_t max_length = 300);

} // namespace ferry::docker_config
