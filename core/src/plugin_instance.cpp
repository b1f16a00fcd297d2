#include <ferry/core/plugin_instance.hpp>

#include <ferry/core/cancellation.hpp>
#include <ferry/core/log.hpp>

#include <vector>

namespace ferry::core {
namespace {

// Borrowed C view of a SettingMap, valid while the map lives.
std::vector<ferry_setting> to_settings(const SettingMap& settings) {
    std::vector<ferry_setting> result;
    result.reserve(settings.size());
    for (const auto& [key, value] : settings) {
        result.push_back(ferry_setting{key.c_str(), value.c_str()});
    }
    return result;
}

std::string copy_string(const char* text) { return text == nullptr ? std::string() : std::string(text); }

// The plugin's message, or a stand-in when it returned a failure without calling set_error.
std::string error_text(HostServices& services, int32_t status) {
    std::string message = services.take_error();
    if (message.empty()) {
        message = "returned status " + std::to_string(status) + " without an error message";
    }
    return message;
}

// Calls into a plugin and turns an escaped exception into a status, so a plugin built without
// the SDK cannot take the host down by throwing.
template <typename Call>
int32_t call_plugin(HostServices& services, Call&& call) {
    try {
        return call();
    } catch (const std::exception& error) {
        services.api()->set_error(services.api()->context,
                                  (std::string("exception escaped the plugin: ") + error.what()).c_str());
    } catch (...) {
        services.api()->set_error(services.api()->context, "exception of unknown type escaped the plugin");
    }
    return FERRY_ERROR;
}

} // namespace

HostServices::HostServices(std::string plugin_name, ProgressCallback progress)
    : plugin_name_(std::move(plugin_name)), progress_(std::move(progress)) {
    api_.struct_size = sizeof(ferry_host_api);
    api_.context = this;
    api_.log = &HostServices::log;
    api_.set_error = &HostServices::set_error;
    api_.is_cancelled = &HostServices::is_cancelled;
    api_.progress = &HostServices::progress;
}

std::string HostServices::take_error() {
    std::lock_guard lock(mutex_);
    std::string error = std::move(error_);
    error_.clear();
    return error;
}

void HostServices::log(void* context, int32_t level, const char* message) {
    auto* self = static_cast<HostServices*>(context);
    if (message == nullptr) {
        return;
    }
    LogLevel mapped = LogLevel::info;
    if (level <= FERRY_LOG_DEBUG) {
        mapped = LogLevel::debug;
    } else if (level == FERRY_LOG_WARNING) {
        mapped = LogLevel::warning;
    } else if (level >= FERRY_LOG_ERROR) {
        mapped = LogLevel::error;
    }
    std::string text = mapped == LogLevel::debug ? "[" + self->plugin_name_ + "] " + message : message;
    Logger::instance().write(mapped, text);
}

void HostServices::set_error(void* context, const char* message) {
    auto* self = static_cast<HostServices*>(context);
    std::lock_guard lock(self->mutex_);
    self->error_ = copy_string(message);
}

int32_t HostServices::is_cancelled(void*) { return cancellation_requested() ? 1 : 0; }

void HostServices::progress(void* context, const char* item, uint64_t done, uint64_t total) {
    auto* self = static_cast<HostServices*>(context);
    if (self->progress_) {
        self->progress_(copy_string(item), done, total);
    }
}

BackendInstance::BackendInstance(std::shared_ptr<LoadedPlugin> plugin, const SettingMap& settings,
                                 ProgressCallback progress)
    : plugin_(std::move(plugin)),
      services_(std::make_unique<HostServices>(plugin_->name(), std::move(progress))) {
    std::vector<ferry_setting> view = to_settings(settings);
    int32_t status = call_plugin(*services_, [&] {
        return plugin_->backend_api()->create(services_->api(), view.data(), view.size(), &instance_);
    });
    if (status != FERRY_OK || instance_ == nullptr) {
        throw PluginError(status == FERRY_OK ? FERRY_ERROR : static_cast<ferry_status>(status),
                          describe("start") + ": " + error_text(*services_, status));
    }
}

BackendInstance::~BackendInstance() {
    if (instance_ != nullptr) {
        plugin_->backend_api()->destroy(instance_);
    }
}

std::string BackendInstance::describe(const std::string& operation) const {
    return "backend \"" + plugin_->name() + "\" (" + plugin_->info().file.string() + ") failed to " +
           operation;
}

CopyOutcome BackendInstance::copy(const ferry_copy_request& request) {
    ferry_copy_result result{};
    result.struct_size = sizeof(result);
    int32_t status = call_plugin(*services_, [&] {
        return plugin_->backend_api()->copy(instance_, &request, &result);
    });
    if (status != FERRY_OK) {
        throw PluginError(static_cast<ferry_status>(status), describe("copy") + ": " + error_text(*services_, status));
    }

    CopyOutcome outcome;
    outcome.digest = copy_string(result.digest);
    outcome.source_digest = copy_string(result.source_digest);
    outcome.platforms = copy_string(result.platforms);
    outcome.bytes = result.bytes;
    outcome.up_to_date = result.up_to_date != 0;
    return outcome;
}

std::string BackendInstance::resolve_digest(const ferry_side& side, const SettingMap& settings) {
    std::vector<ferry_setting> view = to_settings(settings);
    const char* digest = nullptr;
    int32_t status = call_plugin(*services_, [&] {
        return plugin_->backend_api()->resolve_digest(instance_, &side, view.data(), view.size(), &digest);
    });
    if (status != FERRY_OK) {
        throw PluginError(static_cast<ferry_status>(status),
                          describe("resolve a digest") + ": " + error_text(*services_, status));
    }
    return copy_string(digest);
}

void BackendInstance::check_credentials(const ferry_side& side, const SettingMap& settings) {
    const ferry_backend_api* api = plugin_->backend_api();
    if (!FERRY_HAS_FIELD(ferry_backend_api, api, check_credentials) || api->check_credentials == nullptr) {
        throw PluginError(FERRY_ERROR_UNSUPPORTED, "backend \"" + plugin_->name() + "\" cannot check credentials");
    }

    std::vector<ferry_setting> view = to_settings(settings);
    int32_t status = call_plugin(*services_, [&] {
        return api->check_credentials(instance_, &side, view.data(), view.size());
    });
    if (status != FERRY_OK) {
        throw PluginError(static_cast<ferry_status>(status),
                          describe("check credentials") + ": " + error_text(*services_, status));
    }
}

CredentialInstance::CredentialInstance(std::shared_ptr<LoadedPlugin> plugin, const SettingMap& settings)
    : plugin_(std::move(plugin)), services_(std::make_unique<HostServices>(plugin_->name(), nullptr)) {
    std::vector<ferry_setting> view = to_settings(settings);
    int32_t status = call_plugin(*services_, [&] {
        return plugin_->credential_api()->create(services_->api(), view.data(), view.size(), &instance_);
    });
    if (status != FERRY_OK || instance_ == nullptr) {
        throw PluginError(status == FERRY_OK ? FERRY_ERROR : static_cast<ferry_status>(status),
                          describe("start") + ": " + error_text(*services_, status));
    }
}

CredentialInstance::~CredentialInstance() {
    if (instance_ != nullptr) {
        plugin_->credential_api()->destroy(instance_);
    }
}

std::string CredentialInstance::describe(const std::string& operation) const {
    return "credential source \"" + plugin_->name() + "\" (" + plugin_->info().file.string() +
           ") failed to " + operation;
}

std::optional<FoundCredential> CredentialInstance::lookup(const ferry_credential_query& query) {
    ferry_credential credential{};
    credential.struct_size = sizeof(credential);
    int32_t status = call_plugin(*services_, [&] {
        return plugin_->credential_api()->lookup(instance_, &query, &credential);
    });
    if (status == FERRY_NOT_FOUND) {
        return std::nullopt;
    }
    if (status != FERRY_OK) {
        throw PluginError(static_cast<ferry_status>(status),
                          describe("look up credentials") + ": " + error_text(*services_, status));
    }

    FoundCredential found;
    found.username = copy_string(credential.username);
    found.password = sdk::Secret(copy_string(credential.password));
    found.identity_token = sdk::Secret(copy_string(credential.identity_token));
    found.registry_token = sdk::Secret(copy_string(credential.registry_token));
    found.source_name = credential.source_name != nullptr ? credential.source_name : plugin_->name();
    return found;
}

void CredentialInstance::store(const std::string& registry, const ferry_credential& credential) {
    const ferry_credential_api* api = plugin_->credential_api();
    if (!FERRY_HAS_FIELD(ferry_credential_api, api, store) || api->store == nullptr) {
        throw PluginError(FERRY_ERROR_UNSUPPORTED,
                          "credential source \"" + plugin_->name() + "\" cannot store credentials");
    }
    int32_t status = call_plugin(*services_, [&] { return api->store(instance_, registry.c_str(), &credential); });
    if (status != FERRY_OK) {
        throw PluginError(static_cast<ferry_status>(status), describe("store credentials for " + registry) +
                                                                 ": " + error_text(*services_, status));
    }
}

void CredentialInstance::erase(const std::string& registry) {
    const ferry_credential_api* api = plugin_->credential_api();
    if (!FERRY_HAS_FIELD(ferry_credential_api, api, erase) || api->erase == nullptr) {
        throw PluginError(FERRY_ERROR_UNSUPPORTED,
                          "credential source \"" + plugin_->name() + "\" cannot delete credentials");
    }
    int32_t status = call_plugin(*services_, [&] { return api->erase(instance_, registry.c_str()); });
    if (status != FERRY_OK) {
        throw PluginError(static_cast<ferry_status>(status), describe("delete credentials for " + registry) +
                                                                 ": " + error_text(*services_, status));
    }
}

} // namespace ferry::core
