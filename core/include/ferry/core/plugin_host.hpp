// Discovery and loading of plugin libraries.
//
// Search order: the directory installed next to the executable (<prefix>/lib/ferry/plugins),
// then each directory of FERRY_PLUGIN_PATH (colon-separated), then each --plugin-dir. Only
// absolute paths are loaded, never the working directory and never a bare name, and a file
// writable by other users (group or world write bit, or owned by another non-root user) is
// rejected. When two plugins share a name, the first one found is used and the later one is
// listed with an error.
//
// A library that fails to load, lacks the entry point, has a different ABI version or an
// invalid descriptor is recorded with its error and never used. The other plugins still load.
// Loaded libraries stay loaded until the PluginHost and every instance created from them are
// destroyed (see plugin_instance.hpp).
#pragma once

#include <ferry/plugin.h>

#include <boost/dll/shared_library.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ferry::core {

std::string kind_name(int32_t kind);

// The entry `ferry plugins` shows for one file.
struct PluginInfo {
    std::filesystem::path file;
    std::string name;        // empty when the descriptor could not be read
    int32_t kind = 0;        // ferry_plugin_kind, 0 when unknown
    std::string version;
    std::string description;
    uint32_t abi_version = 0; // 0 when unknown
    std::string error;        // empty when the plugin is usable
};

// A loaded library with a valid descriptor. Shared by every instance created from it.
class LoadedPlugin {
public:
    LoadedPlugin(boost::dll::shared_library library, const ferry_plugin_descriptor* descriptor,
                 PluginInfo info);

    const PluginInfo& info() const { return info_; }
    const std::string& name() const { return info_.name; }
    int32_t kind() const { return info_.kind; }
    const ferry_backend_api* backend_api() const;
    const ferry_credential_api* credential_api() const;

private:
    boost::dll::shared_library library_;
    const ferry_plugin_descriptor* descriptor_;
    PluginInfo info_;
};

class PluginHost {
public:
    // Directories in search order. Relative ones are recorded as errors and skipped.
    void add_directory(const std::filesystem::path& directory, const std::string& origin);
    // Loads one file; the result (usable or not) is recorded for list().
    void load_file(const std::filesystem::path& file);

    // The usable plugin with this name and kind, or nullptr.
    std::shared_ptr<LoadedPlugin> find(const std::string& name, int32_t kind) const;
    // Every file seen, usable or not, in load order; plus directory errors.
    const std::vector<PluginInfo>& list() const { return seen_; }
    std::vector<std::string> names(int32_t kind) const;

private:
    std::optional<std::string> check_file_permissions(const std::filesystem::path& file) const;
    std::shared_ptr<LoadedPlugin> open(const std::filesystem::path& file, PluginInfo& info) const;

    std::vector<std::shared_ptr<LoadedPlugin>> loaded_;
    std::vector<PluginInfo> seen_;
};

// The default search directories: the installed directory relative to the running executable,
// then FERRY_PLUGIN_PATH. --plugin-dir values are added by the caller afterwards.
std::vector<std::pair<std::filesystem::path, std::string>> default_plugin_directories();

} // namespace ferry::core
