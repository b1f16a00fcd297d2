// ferry: copies container images between registries.
#include "commands.hpp"

#include <ferry/core/cancellation.hpp>
#include <ferry/core/errors.hpp>
#include <ferry/core/log.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>

namespace {

constexpr const char* version_text = "ferry " FERRY_VERSION " (plugin ABI " FERRY_ABI_TEXT ")";

bool env_is_true(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && std::strcmp(value, "true") == 0;
}

void configure_logging(const ferry::cli::GlobalOptions& global) {
    auto& logger = ferry::core::Logger::instance();
    if (global.verbose || global.debug) {
        logger.set_level(ferry::core::LogLevel::debug);
    }
    if (!global.log_level.empty()) {
        logger.set_level(ferry::core::parse_log_level(global.log_level));
    }
}

// CLI11 repeats unexpected arguments in its error, and a misplaced one may be a password, so
// only option names are shown (the part before '='), never values.
std::string describe_unexpected_arguments(int argc, char** argv) {
    std::string options;
    for (int i = 1; i < argc; ++i) {
        std::string argument = argv[i];
        if (argument.size() > 1 && argument[0] == '-') {
            options += " " + argument.substr(0, argument.find('='));
        }
    }
    std::string message = "unexpected arguments on the command line (values are not shown, because they may "
                          "contain secrets)";
    if (!options.empty()) {
        message += "; options given:" + options;
    }
    // `--src-tls-verify false` leaves "false" as a stray argument: a flag takes its value after '='.
    for (int i = 2; i < argc; ++i) {
        const std::string flag = argv[i - 1];
        const std::string value = argv[i];
        if ((value == "false" || value == "true") && flag.size() > 11 &&
            flag.compare(flag.size() - 11, 11, "-tls-verify") == 0) {
            message += "; write " + flag + "=" + value + ", with '='";
        }
    }
    return message + ". Global options such as -v, --log-level and --plugin-dir go before the command: "
                     "`ferry -v copy SRC DST`. Run `ferry COMMAND --help` for a command's options";
}

// Returns whether argv requests JSON output (`--format json` or `--format=json`). It reads argv
// itself because parsing failed.
bool json_requested(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--format=json" || (argument == "--format" && i + 1 < argc && std::string(argv[i + 1]) == "json")) {
            return true;
        }
    }
    return false;
}

// Logs a command-line error and returns the usage exit code. With --format json, standard output
// gets the error as one JSON object too, as for every other failure of `ferry copy`.
int report_parse_error(const std::string& message, int argc, char** argv) {
    ferry::core::log_error(message);
    if (json_requested(argc, argv)) {
        const nlohmann::json result = {{"error", ferry::core::Logger::instance().redact(message)},
                                       {"exit_code", ferry::core::exit_usage}};
        std::cout << result.dump() << std::endl;
    }
    return ferry::core::exit_usage;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"ferry copies container images between registries: all platforms of a multi-arch\n"
                 "image, credentials from the sources you choose, retries over unreliable links.",
                 "ferry"};
    app.require_subcommand(1);
    app.set_version_flag("--version", version_text);
    app.footer("Exit codes: 0 success (for copy: copied or already up to date), 1 failed, 2 usage or\n"
               "input error, 130 interrupted.\nRun `ferry COMMAND --help` for a command's options.");

    ferry::cli::GlobalOptions global;
    app.add_option("--plugin-dir", global.plugin_dirs,
                   "Also load plugins from DIR (absolute path); searched after the installed\n"
                   "directory and FERRY_PLUGIN_PATH")
        ->type_name("DIR");
    app.add_option("--plugin-option", global.plugin_options,
                   "Pass KEY=VALUE to plugin NAME, as NAME.KEY=VALUE")
        ->type_name("NAME.KEY=VALUE");
    app.add_flag("-v,--verbose", global.verbose, "Log debug messages: which credential source and backend were used");
    app.add_flag("--debug", global.debug, "Same as --verbose");
    app.add_option("--log-level", global.log_level, "debug, info (default), warning, error or quiet");

    std::map<CLI::App*, ferry::cli::CommandRunner> runners;
    auto register_command = [&](ferry::cli::CommandRunner runner) {
        runners[app.get_subcommands({}).back()] = std::move(runner);
    };
    register_command(ferry::cli::add_copy_command(app, global));
    register_command(ferry::cli::add_plugins_command(app, global));
    register_command(ferry::cli::add_creds_command(app, global));
    register_command(ferry::cli::add_login_command(app, global));
    register_command(ferry::cli::add_logout_command(app, global));

    // Known before parsing, so that parse errors, which may quote a value given on the command
    // line, are printed as escaped workflow commands too.
    ferry::core::Logger::instance().set_github_actions(env_is_true("GITHUB_ACTIONS"));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ExtrasError&) {
        return report_parse_error(describe_unexpected_arguments(argc, argv), argc, argv);
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0) {
            return app.exit(error); // --help, --version
        }
        return report_parse_error(std::string(error.what()) + "; run `ferry --help` or `ferry COMMAND --help`",
                                  argc, argv);
    }

    try {
        configure_logging(global);
        ferry::core::install_signal_handlers();
        for (auto* command : app.get_subcommands()) {
            return runners.at(command)();
        }
    } catch (const ferry::core::UsageError& error) {
        ferry::core::log_error(error.what());
        return ferry::core::cancellation_requested() ? ferry::core::exit_interrupted : ferry::core::exit_usage;
    } catch (const std::invalid_argument& error) {
        ferry::core::log_error(error.what());
        return ferry::core::exit_usage;
    } catch (const std::exception& error) {
        ferry::core::log_error(error.what());
        return ferry::core::cancellation_requested() ? ferry::core::exit_interrupted : ferry::core::exit_failed;
    }
    return ferry::core::exit_usage;
}
