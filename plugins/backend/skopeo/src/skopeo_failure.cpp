#include "skopeo_failure.hpp"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <regex>

namespace ferry::skopeo {

namespace {

// Reasons longer than this keep their last part, where skopeo puts the cause.
constexpr std::size_t kMaxReasonLength = 1500;

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = text.substr(start, end - start);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.remove_suffix(1);
        }
        if (!line.empty()) {
            lines.push_back(line);
        }
        start = end + 1;
    }
    return lines;
}

// Reads the Go-quoted value of msg="..." from a logrus text line.
std::string unquote_message(std::string_view line, std::size_t open_quote) {
    std::string message;
    for (std::size_t i = open_quote + 1; i < line.size(); ++i) {
        const char character = line[i];
        if (character == '"') {
            break;
        }
        if (character == '\\' && i + 1 < line.size()) {
            const char escaped = line[++i];
            // Line breaks and tabs inside a message become spaces, so the reason stays one line.
            if (escaped == 'n' || escaped == 't') {
                message += ' ';
            } else {
                message += escaped;
            }
            continue;
        }
        message += character;
    }
    return message;
}

enum class LineKind { error, noise, other };

// Classifies one stderr line and extracts its message.
LineKind read_line(std::string_view line, std::string& message) {
    static const std::regex logfmt(R"(^time="[^"]*" level=(\w+) msg=)");
    static const std::regex terminal(R"(^(FATA|ERRO|PANI|WARN|INFO|DEBU|TRAC)\[[^\]]*\]\s*)");

    std::match_results<std::string_view::const_iterator> match;
    if (std::regex_search(line.begin(), line.end(), match, logfmt)) {
        const std::string level = match[1].str();
        const std::size_t quote = static_cast<std::size_t>(match.length(0));
        message = quote < line.size() && line[quote] == '"'
                      ? unquote_message(line, quote)
                      : std::string(line.substr(quote));
        if (level == "fatal" || level == "error" || level == "panic") {
            return LineKind::error;
        }
        return level == "warning" ? LineKind::other : LineKind::noise;
    }
    if (std::regex_search(line.begin(), line.end(), match, terminal)) {
        const std::string level = match[1].str();
        message = std::string(line.substr(static_cast<std::size_t>(match.length(0))));
        if (level == "FATA" || level == "ERRO" || level == "PANI") {
            return LineKind::error;
        }
        return level == "WARN" ? LineKind::other : LineKind::noise;
    }
    message = std::string(line);
    return LineKind::other;
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& part : parts) {
        if (!out.empty()) {
            out += "; ";
        }
        out += part;
    }
    return out;
}

bool matches(std::string_view text, const std::regex& pattern) {
    return std::regex_search(text.begin(), text.end(), pattern);
}

// Authentication, authorization and TLS trust failures, which a retry meets again.
const std::regex& authentication_pattern() {
    static const std::regex pattern(
        R"(unauthorized|authentication required|access denied|requested access to the resource is denied|denied:|forbidden|invalid username|incorrect username|\b401\b|\b403\b|x509:|certificate)",
        std::regex::icase);
    return pattern;
}

const std::regex& not_found_pattern() {
    static const std::regex pattern(
        R"(manifest unknown|name unknown|repository name not known|not found|\b404\b|no such file or directory|no descriptor found|does not exist)",
        std::regex::icase);
    return pattern;
}

const std::regex& network_pattern() {
    static const std::regex pattern(
        R"(connection refused|connection reset|broken pipe|i/o timeout|timed? ?out|deadline exceeded|no route to host|network is unreachable|temporary failure in name resolution|server misbehaving|use of closed network connection|unexpected eof|:\s*EOF\s*$|:\s*EOF[;,)]|http2: |stream error|status[^0-9]{0,30}\b5\d\d\b|\b5\d\d (internal server error|bad gateway|service unavailable|gateway timeout)|\b429\b|too ?many ?requests)",
        std::regex::icase);
    return pattern;
}

} // namespace

std::string redact(std::string text, const std::vector<sdk::Secret>& secrets) {
    std::vector<const std::string*> ordered;
    for (const sdk::Secret& secret : secrets) {
        if (!secret.empty()) {
            ordered.push_back(&secret.reveal());
        }
    }
    std::sort(ordered.begin(), ordered.end(),
              [](const std::string* a, const std::string* b) { return a->size() > b->size(); });

    for (const std::string* secret : ordered) {
        std::size_t position = 0;
        while ((position = text.find(*secret, position)) != std::string::npos) {
            text.replace(position, secret->size(), "***");
            position += 3;
        }
    }
    return text;
}

std::string failure_reason(std::string_view stderr_text) {
    std::vector<std::string> errors;
    std::vector<std::string> others;
    for (std::string_view line : split_lines(stderr_text)) {
        std::string message;
        const LineKind kind = read_line(line, message);
        if (kind == LineKind::error) {
            errors.push_back(std::move(message));
        } else if (kind == LineKind::other) {
            others.push_back(std::move(message));
        }
    }

    if (errors.empty()) {
        const std::size_t keep = std::min<std::size_t>(others.size(), 3);
        errors.assign(others.end() - static_cast<std::ptrdiff_t>(keep), others.end());
    }
    std::string reason = join(errors);
    if (reason.size() > kMaxReasonLength) {
        reason = "..." + reason.substr(reason.size() - kMaxReasonLength);
    }
    return reason;
}

ferry_status classify_failure(std::string_view reason) {
    if (matches(reason, authentication_pattern()) || matches(reason, not_found_pattern())) {
        return FERRY_ERROR;
    }
    if (matches(reason, network_pattern())) {
        return FERRY_ERROR_TRANSIENT;
    }
    return FERRY_ERROR;
}

core::Failure failure_facts(std::string_view reason) {
    static const std::regex rate_limit(R"(\b429\b|too ?many ?requests|rate limit)", std::regex::icase);
    core::Failure failure;
    if (matches(reason, rate_limit)) {
        failure.kind = core::Failure::Kind::http;
        failure.http_status = 429;
    }
    return failure;
}

bool is_not_found(std::string_view reason) {
    return matches(reason, not_found_pattern()) && !matches(reason, authentication_pattern());
}

sdk::Error failure_error(const std::string& step, const ProcessResult& result,
                         const std::vector<sdk::Secret>& secrets) {
    std::string outcome;
    if (result.signal != 0) {
        outcome = "skopeo was killed by signal " + std::to_string(result.signal) + " (" +
                  ::strsignal(result.signal) + ")";
    } else {
        outcome = "skopeo exited with status " + std::to_string(result.exit_code);
    }

    // Redacted before and after parsing: unquoting a log message can turn an escaped secret back
    // into its plain form.
    std::string reason = redact(failure_reason(redact(result.err, secrets)), secrets);
    if (reason.empty()) {
        reason = "it wrote no error message";
    }

    const ferry_status status = result.signal != 0 ? FERRY_ERROR : classify_failure(reason);
    return sdk::Error(status, step + ": " + outcome + ": " + reason);
}

} // namespace ferry::skopeo
