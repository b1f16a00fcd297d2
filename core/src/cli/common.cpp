#include "commands.hpp"

#include <ferry/core/cancellation.hpp>
#include <ferry/core/errors.hpp>

#include <iostream>
#include <iterator>
#include <termios.h>
#include <unistd.h>

namespace ferry::cli {

namespace {

std::string read_secret_from_terminal(const std::string& prompt) {
    std::cerr << prompt << std::flush;

    termios saved{};
    tcgetattr(STDIN_FILENO, &saved);
    termios silent = saved;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
    std::string line;
    std::getline(std::cin, line);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";

    // Ctrl-C ends the read with an empty line; the caller must not take that for a password.
    if (core::cancellation_requested()) {
        throw core::CopyError("interrupted while reading the password");
    }
    return line;
}

} // namespace

std::string read_secret_from_stdin(const std::string& prompt) {
    if (isatty(STDIN_FILENO) != 0) {
        return read_secret_from_terminal(prompt);
    }

    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (!text.empty() && text.back() == '\n') {
        text.pop_back();
        if (!text.empty() && text.back() == '\r') {
            text.pop_back();
        }
    }
    return text;
}

std::unique_ptr<core::PluginHost> load_plugins(const GlobalOptions& global) {
    auto host = std::make_unique<core::PluginHost>();
    for (const auto& [directory, origin] : core::default_plugin_directories()) {
        host->add_directory(directory, origin);
    }
    for (const auto& directory : global.plugin_dirs) {
        host->add_directory(directory, "--plugin-dir");
    }
    return host;
}

} // namespace ferry::cli
