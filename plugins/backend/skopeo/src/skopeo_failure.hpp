// Turning a failed skopeo run into a ferry error: the reason from stderr, secrets redacted, and a
// status from which the host decides whether a retry or another backend can help.
#pragma once

#include "process.hpp"

#include <ferry/core/retry_policy.hpp>
#include <ferry/plugin.h>
#include <ferry/sdk.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ferry::skopeo {

// Replaces every occurrence of each non-empty secret in text with "***", longest secret first so
// that one containing another is replaced whole.
std::string redact(std::string text, const std::vector<sdk::Secret>& secrets);

// Returns the reason skopeo gave for failing: the messages of its fatal and error log lines
// (logrus's `level=fatal msg="..."` or `FATA[0000] ...` form), or else its last three non-empty
// lines that are not debug or info logs, joined with "; ". Long reasons keep their end.
std::string failure_reason(std::string_view stderr_text);

// FERRY_ERROR_TRANSIENT for network-class failures (refused or reset connections, timeouts,
// EOF, HTTP 5xx and 429); FERRY_ERROR otherwise, including authentication failures and unknown
// manifests, which a retry does not fix. Authentication and not-found wording wins over network
// wording.
ferry_status classify_failure(std::string_view reason);

// The facts the retry policy decides on, for a reason that classify_failure found transient:
// an HTTP 429 (rate limit) when the reason names one, a network failure otherwise. skopeo does
// not print Retry-After, so the policy's own backoff applies.
core::Failure failure_facts(std::string_view reason);

// True when reason reports that the image does not exist (manifest unknown, name unknown, HTTP 404,
// a missing layout directory or reference), which the destination check treats as "not there".
bool is_not_found(std::string_view reason);

// The error for a skopeo run that did not succeed. step names what ferry was doing, e.g.
// "inspecting source docker://127.0.0.1:5000/team/app:v1". secrets are redacted from the reason.
sdk::Error failure_error(const std::string& step, const ProcessResult& result,
                         const std::vector<sdk::Secret>& secrets);

} // namespace ferry::skopeo
