// `ferry plugins`: every plugin file found, usable or not, with its load error.
#include "commands.hpp"

#include <ferry/core/errors.hpp>

#include <nlohmann/json.hpp>

#include <iostream>

namespace ferry::cli {
namespace {

struct PluginsOptions {
    std::string format = "text";
};

int run_plugins(const GlobalOptions& global, const PluginsOptions& options) {
    auto host = load_plugins(global);

    if (options.format == "json") {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& info : host->list()) {
            list.push_back({{"name", info.name},
                            {"kind", core::kind_name(info.kind)},
                            {"version", info.version},
                            {"abi", info.abi_version},
                            {"file", info.file.string()},
                            {"description", info.description},
                            {"error", info.error}});
        }
        std::cout << list.dump(2) << "\n";
        return core::exit_ok;
    }

    if (host->list().empty()) {
        std::cout << "no plugins found; install ferry's plugins into <prefix>/lib/ferry/plugins or "
                     "set FERRY_PLUGIN_PATH\n";
        return core::exit_ok;
    }
    for (const auto& info : host->list()) {
        if (info.error.empty()) {
            std::cout << info.name << "\t" << core::kind_name(info.kind) << "\t" << info.version << "\tABI "
                      << info.abi_version << "\t" << info.file.string() << "\n";
            if (!info.description.empty()) {
                std::cout << "\t" << info.description << "\n";
            }
        } else {
            std::cout << (info.name.empty() ? "?" : info.name) << "\terror\t" << info.file.string() << "\n\t"
                      << info.error << "\n";
        }
    }
    return core::exit_ok;
}

} // namespace

CommandRunner add_plugins_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<PluginsOptions>();
    CLI::App* command = app.add_subcommand(
        "plugins", "List every plugin found: name, kind, version, ABI version, file, and load errors");
    command->add_option("--format", options->format, "text (default) or json")
        ->check(CLI::IsMember({"text", "json"}));
    return [&global, options] { return run_plugins(global, *options); };
}

} // namespace ferry::cli
