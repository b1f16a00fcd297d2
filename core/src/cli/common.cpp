#include "commands.hpp"

#include <ferry/core/errors.hpp>

#include <iostream>
#include <iterator>

namespace ferry::cli {

std::string read_secret_from_stdin() {
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
