// Levelled logging to standard error, with secret redaction and GitHub Actions annotations.
//
// Every message that reaches the terminal passes through Logger::write, which replaces each
// registered secret with "***" first, so a plugin that puts a password into a message by mistake
// still does not leak it. When GITHUB_ACTIONS=true, warnings and errors become `::warning::` and
// `::error::` workflow commands and debug lines `::debug::`.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::core {

enum class LogLevel { debug = 1, info = 2, warning = 3, error = 4, quiet = 5 };

// Parses "debug", "info", "warning", "error" or "quiet"; throws std::invalid_argument.
LogLevel parse_log_level(std::string_view text);

class Logger {
public:
    static Logger& instance();

    void set_level(LogLevel level);
    LogLevel level() const;
    bool enabled(LogLevel level) const;
    void set_github_actions(bool enabled);
    bool github_actions() const;

    // Registers a value that must never appear in output. Values shorter than 3 characters are
    // ignored because masking them would garble ordinary text.
    void add_secret(std::string_view secret);
    std::string redact(std::string_view text) const;

    void write(LogLevel level, std::string_view message);
    // Replaces the progress block at the bottom of the terminal with lines (an empty vector
    // clears it). Log messages are printed above the block. Ignored unless standard error is a
    // terminal.
    void write_progress_block(const std::vector<std::string>& lines);

private:
    Logger();
    std::string format(LogLevel level, std::string_view message) const;
    void clear_progress_block_locked();

    mutable std::mutex mutex_;
    LogLevel level_ = LogLevel::info;
    bool github_actions_ = false;
    std::size_t progress_lines_ = 0; // lines of the progress block on the terminal now
    std::vector<std::string> secrets_;
};

void log_debug(std::string_view message);
void log_info(std::string_view message);
void log_warning(std::string_view message);
void log_error(std::string_view message);

// Escapes text for a GitHub Actions workflow command: %, CR and LF become %25, %0D and %0A.
std::string escape_workflow_command(std::string_view text);

} // namespace ferry::core
