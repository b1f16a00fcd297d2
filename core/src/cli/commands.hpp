// The ferry subcommands. Each registers its options on the CLI11 app and returns a function
// that runs it and returns the process exit code. Nothing below main() calls exit().
#pragma once

#include <ferry/core/plugin_host.hpp>

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ferry::cli {

// Options every subcommand shares.
struct GlobalOptions {
    std::vector<std::string> plugin_dirs;
    std::vector<std::string> plugin_options; // NAME.KEY=VALUE
    bool verbose = false;
    bool debug = false;
    std::string log_level;
};

using CommandRunner = std::function<int()>;

// The backends tried when --backend is not given: ferry's own client first, skopeo only when
// the native backend cannot do a copy.
inline constexpr const char* default_backends = "native,skopeo";

// Reads a secret from standard input. From a pipe or file: all of it, less one trailing line
// break, because that is the terminator of `echo` or a here-string, not part of the secret. From
// a terminal: one line typed with echo off, after printing prompt to standard error.
std::string read_secret_from_stdin(const std::string& prompt);

// Loads the plugins from the default directories and --plugin-dir, in that order.
std::unique_ptr<core::PluginHost> load_plugins(const GlobalOptions& global);

CommandRunner add_copy_command(CLI::App& app, const GlobalOptions& global);
CommandRunner add_plugins_command(CLI::App& app, const GlobalOptions& global);
CommandRunner add_creds_command(CLI::App& app, const GlobalOptions& global);
CommandRunner add_login_command(CLI::App& app, const GlobalOptions& global);
CommandRunner add_logout_command(CLI::App& app, const GlobalOptions& global);

} // namespace ferry::cli
