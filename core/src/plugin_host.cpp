#include <ferry/core/plugin_host.hpp>

#include <ferry/core/log.hpp>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::core {
namespace {

constexpr const char* installed_plugin_dir = "../lib/ferry/plugins";

bool is_valid_plugin_name(const std::string& name) {
    return !name.empty() && name.size() <= 64 &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
           });
}

// Checks what the host relies on before it touches anything but abi_version.
std::optional<std::string> check_descriptor(const ferry_plugin_descriptor* descriptor) {
    if (descriptor == nullptr) {
        return "the entry point returned no descriptor";
    }
    if (descriptor->abi_version != FERRY_PLUGIN_ABI_VERSION) {
        return "plugin ABI version " + std::to_string(descriptor->abi_version) +
               " does not match this ferry's ABI version " +
               std::to_string(FERRY_PLUGIN_ABI_VERSION) + "; rebuild the plugin against the "
               "ferry SDK of this version";
    }
    if (descriptor->struct_size < sizeof(ferry_plugin_descriptor)) {
        return "descriptor is smaller than ABI version 1 requires";
    }
    if (descriptor->name == nullptr || !is_valid_plugin_name(descriptor->name)) {
        return "invalid plugin name: names use lowercase letters, digits and '-'";
    }
    if (descriptor->api == nullptr) {
        return "the descriptor has no function table";
    }
    if (descriptor->kind == FERRY_PLUGIN_BACKEND) {
        auto* api = static_cast<const ferry_backend_api*>(descriptor->api);
        // check_credentials was appended later within ABI 1, so it is optional.
        if (api->struct_size < offsetof(ferry_backend_api, check_credentials) || api->create == nullptr ||
            api->destroy == nullptr || api->copy == nullptr || api->resolve_digest == nullptr) {
            return "incomplete backend function table";
        }
        return std::nullopt;
    }
    if (descriptor->kind == FERRY_PLUGIN_CREDENTIAL_SOURCE) {
        auto* api = static_cast<const ferry_credential_api*>(descriptor->api);
        if (api->struct_size < offsetof(ferry_credential_api, store) || api->create == nullptr ||
            api->destroy == nullptr || api->lookup == nullptr) {
            return "incomplete credential source function table";
        }
        return std::nullopt;
    }
    return "unknown plugin kind " + std::to_string(descriptor->kind);
}

} // namespace

std::string kind_name(int32_t kind) {
    switch (kind) {
    case FERRY_PLUGIN_BACKEND:
        return "backend";
    case FERRY_PLUGIN_CREDENTIAL_SOURCE:
        return "credential-source";
    default:
        return "unknown";
    }
}

LoadedPlugin::LoadedPlugin(boost::dll::shared_library library,
                           const ferry_plugin_descriptor* descriptor, PluginInfo info)
    : library_(std::move(library)), descriptor_(descriptor), info_(std::move(info)) {}

const ferry_backend_api* LoadedPlugin::backend_api() const {
    return static_cast<const ferry_backend_api*>(descriptor_->api);
}

const ferry_credential_api* LoadedPlugin::credential_api() const {
    return static_cast<const ferry_credential_api*>(descriptor_->api);
}

std::optional<std::string> PluginHost::check_file_permissions(const std::filesystem::path& file) const {
    struct stat status {};
    if (::stat(file.c_str(), &status) != 0) {
        return "cannot read file status";
    }
    if (!S_ISREG(status.st_mode)) {
        return "not a regular file";
    }
    if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(status.st_mode & 0777));
        return std::string("refusing to load a file writable by other users (mode ") + mode +
               "); run chmod go-w on it";
    }
    if (status.st_uid != 0 && status.st_uid != ::geteuid()) {
        return "refusing to load a file owned by another user (uid " +
               std::to_string(status.st_uid) + ")";
    }
    return std::nullopt;
}

std::shared_ptr<LoadedPlugin> PluginHost::open(const std::filesystem::path& file,
                                               PluginInfo& info) const {
    boost::dll::shared_library library;
    try {
        // rtld_now: an unresolved symbol fails here, not in the middle of a copy.
        library.load(boost::dll::fs::path(file.string()),
                     boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const boost::system::system_error& error) {
        info.error = std::string("cannot load library: ") + error.what();
        return nullptr;
    }

    if (!library.has(FERRY_PLUGIN_ENTRY_SYMBOL)) {
        info.error = std::string("missing entry point ") + FERRY_PLUGIN_ENTRY_SYMBOL +
                     "; is this a ferry plugin?";
        return nullptr;
    }
    auto entry = library.get<const ferry_plugin_descriptor*()>(FERRY_PLUGIN_ENTRY_SYMBOL);
    const ferry_plugin_descriptor* descriptor = entry();
    if (descriptor != nullptr) {
        info.abi_version = descriptor->abi_version;
    }

    if (auto problem = check_descriptor(descriptor)) {
        info.error = *problem;
        return nullptr;
    }
    info.name = descriptor->name;
    info.kind = descriptor->kind;
    info.version = descriptor->version != nullptr ? descriptor->version : "";
    info.description = descriptor->description != nullptr ? descriptor->description : "";
    return std::make_shared<LoadedPlugin>(std::move(library), descriptor, info);
}

void PluginHost::load_file(const std::filesystem::path& file) {
    PluginInfo info;
    info.file = file;

    if (!file.is_absolute()) {
        info.error = "not an absolute path; plugins load from absolute paths only";
    } else if (auto problem = check_file_permissions(file)) {
        info.error = *problem;
    } else if (auto plugin = open(file, info)) {
        if (auto existing = find(plugin->name(), plugin->kind())) {
            info.error = "ignored: a plugin named \"" + info.name + "\" was already loaded from " +
                         existing->info().file.string();
        } else {
            loaded_.push_back(plugin);
        }
    }

    if (!info.error.empty()) {
        log_debug("plugin " + file.string() + ": " + info.error);
    }
    seen_.push_back(std::move(info));
}

void PluginHost::add_directory(const std::filesystem::path& directory, const std::string& origin) {
    if (!directory.is_absolute()) {
        PluginInfo info;
        info.file = directory;
        info.error = "plugin directory from " + origin + " is not an absolute path; ignored";
        seen_.push_back(std::move(info));
        return;
    }

    struct stat status {};
    if (::stat(directory.c_str(), &status) != 0 || !S_ISDIR(status.st_mode)) {
        // The installed directory may legitimately be absent (a bare build); a directory the
        // user named must exist.
        if (origin != "the installation") {
            PluginInfo info;
            info.file = directory;
            info.error = "plugin directory from " + origin + " does not exist or is not a directory";
            seen_.push_back(std::move(info));
        }
        return;
    }
    // Anyone who can write into the directory can replace a plugin between the file check and
    // dlopen, so such a directory is not used at all. A sticky directory such as /tmp is no safer.
    if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        PluginInfo info;
        info.file = directory;
        char mode[8];
        std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(status.st_mode & 0777));
        info.error = std::string("refusing plugin directory from ") + origin + ": writable by other users (mode " +
                     mode + "); run chmod go-w on it";
        seen_.push_back(std::move(info));
        return;
    }

    std::error_code error;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
        if (entry.path().extension() == ".so") {
            files.push_back(entry.path());
        }
    }
    if (error) {
        log_debug("plugin directory " + directory.string() + " from " + origin + ": " + error.message());
        return;
    }

    // Sorted, so that which duplicate wins does not depend on the file system's order.
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        load_file(file);
    }
}

std::shared_ptr<LoadedPlugin> PluginHost::find(const std::string& name, int32_t kind) const {
    for (const auto& plugin : loaded_) {
        if (plugin->name() == name && plugin->kind() == kind) {
            return plugin;
        }
    }
    return nullptr;
}

std::vector<std::string> PluginHost::names(int32_t kind) const {
    std::vector<std::string> result;
    for (const auto& plugin : loaded_) {
        if (plugin->kind() == kind) {
            result.push_back(plugin->name());
        }
    }
    return result;
}

std::vector<std::pair<std::filesystem::path, std::string>> default_plugin_directories() {
    std::vector<std::pair<std::filesystem::path, std::string>> directories;

    std::filesystem::path executable = boost::dll::program_location().string();
    directories.emplace_back((executable.parent_path() / installed_plugin_dir).lexically_normal(),
                             "the installation");

    if (const char* path = std::getenv("FERRY_PLUGIN_PATH"); path != nullptr) {
        std::string_view rest(path);
        while (!rest.empty()) {
            std::size_t colon = rest.find(':');
            std::string_view entry = rest.substr(0, colon);
            if (!entry.empty()) {
                directories.emplace_back(std::filesystem::path(entry), "FERRY_PLUGIN_PATH");
            }
            if (colon == std::string_view::npos) {
                break;
            }
            rest = rest.substr(colon + 1);
        }
    }
    return directories;
}

} // namespace ferry::core
