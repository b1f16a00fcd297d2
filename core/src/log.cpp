#include <ferry/core/log.hpp>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <unistd.h>

namespace ferry::core {

LogLevel parse_log_level(std::string_view text) {
    if (text == "debug") {
        return LogLevel::debug;
    }
    if (text == "info") {
        return LogLevel::info;
    }
    if (text == "warning" || text == "warn") {
        return LogLevel::warning;
    }
    if (text == "error") {
        return LogLevel::error;
    }
    if (text == "quiet") {
        return LogLevel::quiet;
    }
    throw std::invalid_argument("invalid log level \"" + std::string(text) +
                                "\": use debug, info, warning, error or quiet");
}

Logger& Logger::instance() {
    static Logger logger;
    return logger;
}

Logger::Logger() = default;

void Logger::set_level(LogLevel level) {
    std::lock_guard lock(mutex_);
    level_ = level;
}

LogLevel Logger::level() const {
    std::lock_guard lock(mutex_);
    return level_;
}

bool Logger::enabled(LogLevel level) const {
    std::lock_guard lock(mutex_);
    return level >= level_;
}

void Logger::set_github_actions(bool enabled) {
    std::lock_guard lock(mutex_);
    github_actions_ = enabled;
}

bool Logger::github_actions() const {
    std::lock_guard lock(mutex_);
    return github_actions_;
}

void Logger::add_secret(std::string_view secret) {
    if (secret.size() < 3) {
        return;
    }
    std::lock_guard lock(mutex_);
    if (std::find(secrets_.begin(), secrets_.end(), secret) == secrets_.end()) {
        secrets_.emplace_back(secret);
        // Longer secrets first, so a secret that contains another is masked whole.
        std::sort(secrets_.begin(), secrets_.end(),
                  [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    }
}

std::string Logger::redact(std::string_view text) const {
    std::string result(text);
    std::lock_guard lock(mutex_);
    for (const std::string& secret : secrets_) {
        std::size_t position = 0;
        while ((position = result.find(secret, position)) != std::string::npos) {
            result.replace(position, secret.size(), "***");
            position += 3;
        }
    }
    return result;
}

std::string escape_workflow_command(std::string_view text) {
    std::string escaped;
    for (char c : text) {
        if (c == '%') {
            escaped += "%25";
        } else if (c == '\r') {
            escaped += "%0D";
        } else if (c == '\n') {
            escaped += "%0A";
        } else {
            escaped += c;
        }
    }
    return escaped;
}

std::string Logger::format(LogLevel level, std::string_view message) const {
    if (github_actions_) {
        switch (level) {
        case LogLevel::debug:
            return "::debug::" + escape_workflow_command(message);
        case LogLevel::warning:
            return "::warning title=ferry::" + escape_workflow_command(message);
        case LogLevel::error:
            return "::error title=ferry::" + escape_workflow_command(message);
        default:
            return std::string(message);
        }
    }
    switch (level) {
    case LogLevel::debug:
        return "ferry: debug: " + std::string(message);
    case LogLevel::warning:
        return "ferry: warning: " + std::string(message);
    case LogLevel::error:
        return "ferry: error: " + std::string(message);
    default:
        return "ferry: " + std::string(message);
    }
}

void Logger::write(LogLevel level, std::string_view message) {
    if (!enabled(level)) {
        return;
    }
    std::string redacted = redact(message);

    // format() reads github_actions_, so it runs under the lock like every other access.
    std::lock_guard lock(mutex_);
    std::string line = format(level, redacted);
    clear_progress_block_locked();
    std::fputs(line.c_str(), stderr);
    std::fputc('\n', stderr);
    std::fflush(stderr);
}

void Logger::clear_progress_block_locked() {
    if (progress_lines_ == 0) {
        return;
    }
    // Back to the first line of the block, then clear to the end of the screen.
    std::fputc('\r', stderr);
    for (std::size_t i = 1; i < progress_lines_; ++i) {
        std::fputs("\033[A", stderr);
    }
    std::fputs("\033[J", stderr);
    progress_lines_ = 0;
}

void Logger::write_progress_block(const std::vector<std::string>& lines) {
    if (isatty(STDERR_FILENO) == 0 || !enabled(LogLevel::info)) {
        return;
    }
    std::lock_guard lock(mutex_);
    clear_progress_block_locked();
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) {
            std::fputc('\n', stderr);
        }
        std::fputs(lines[i].c_str(), stderr);
    }
    std::fflush(stderr);
    progress_lines_ = lines.size();
}

void log_debug(std::string_view message) { Logger::instance().write(LogLevel::debug, message); }
void log_info(std::string_view message) { Logger::instance().write(LogLevel::info, message); }
void log_warning(std::string_view message) { Logger::instance().write(LogLevel::warning, message); }
void log_error(std::string_view message) { Logger::instance().write(LogLevel::error, message); }

} // namespace ferry::core
