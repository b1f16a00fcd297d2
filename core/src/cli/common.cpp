#include "commands.hpp"

#include <ferry/core/errors.hpp>

namespace ferry::cli {

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
