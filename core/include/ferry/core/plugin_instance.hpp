// Instances of loaded plugins, and the host services each instance receives.
//
// Every instance keeps a shared_ptr to its LoadedPlugin, so the library stays loaded while any
// object created from it lives. Every call into a plugin is wrapped: a non-OK status, or an
// exception that escaped a plugin not built with the SDK, becomes a PluginError that names the
// plugin, its file and the operation.
#pragma once

#include <ferry/core/plugin_host.hpp>
#include <ferry/sdk.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

namespace ferry::core {

class PluginError : public std::runtime_error {
public:
    PluginError(ferry_status status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    ferry_status status() const { return status_; }

private:
    ferry_status status_;
};

using ProgressCallback = std::function<void(const std::string& item, uint64_t done, uint64_t total)>;

// The ferry_host_api of one instance: logging with the plugin's name, the last error message,
// cancellation and progress. Thread-safe.
class HostServices {
public:
    HostServices(std::string plugin_name, ProgressCallback progress);

    const ferry_host_api* api() const { return &api_; }
    std::string take_error();

private:
    static void log(void* context, int32_t level, const char* message);
    static void set_error(void* context, const char* message);
    static int32_t is_cancelled(void* context);
    static void progress(void* context, const char* item, uint64_t done, uint64_t total);

    std::string plugin_name_;
    ProgressCallback progress_;
    std::mutex mutex_;
    std::string error_;
    ferry_host_api api_{};
};

// Plugin-specific settings from --plugin-option NAME.KEY=VALUE and the flags mapped to them.
using SettingMap = std::map<std::string, std::string>;

struct CopyOutcome {
    std::string digest;
    std::string source_digest;
    std::string platforms;
    uint64_t bytes = 0;
    bool up_to_date = false;
};

class BackendInstance {
public:
    BackendInstance(std::shared_ptr<LoadedPlugin> plugin, const SettingMap& settings,
                    ProgressCallback progress);
    ~BackendInstance();
    BackendInstance(const BackendInstance&) = delete;
    BackendInstance& operator=(const BackendInstance&) = delete;

    const std::string& name() const { return plugin_->name(); }
    CopyOutcome copy(const ferry_copy_request& request);
    std::string resolve_digest(const ferry_side& side, const SettingMap& settings);
    // Throws PluginError with FERRY_ERROR_UNSUPPORTED when the backend cannot check credentials.
    void check_credentials(const ferry_side& side, const SettingMap& settings);

private:
    std::string describe(const std::string& operation) const;

    std::shared_ptr<LoadedPlugin> plugin_;
    std::unique_ptr<HostServices> services_;
    void* instance_ = nullptr;
};

// Owned copy of a credential found by a source. Secrets are wiped on destruction.
struct FoundCredential {
    std::string username;
    sdk::Secret password;
    sdk::Secret identity_token;
    sdk::Secret registry_token;
    std::string source_name;
};

class CredentialInstance {
public:
    CredentialInstance(std::shared_ptr<LoadedPlugin> plugin, const SettingMap& settings);
    ~CredentialInstance();
    CredentialInstance(const CredentialInstance&) = delete;
    CredentialInstance& operator=(const CredentialInstance&) = delete;

    const std::string& name() const { return plugin_->name(); }
    // std::nullopt when the source has nothing for the registry; throws PluginError on failure.
    std::optional<FoundCredential> lookup(const ferry_credential_query& query);
    void store(const std::string& registry, const ferry_credential& credential);
    void erase(const std::string& registry);

private:
    std::string describe(const std::string& operation) const;

    std::shared_ptr<LoadedPlugin> plugin_;
    std::unique_ptr<HostServices> services_;
    void* instance_ = nullptr;
};

} // namespace ferry::core
