// C++ layer over the C plugin ABI in ferry/plugin.h.
//
// A plugin author writes an ordinary C++ class and registers it with one macro:
//
//     class MyBackend : public ferry::sdk::Backend { ... };
//     FERRY_BACKEND_PLUGIN(MyBackend, "my-backend", "1.0.0", "Copies images with ...")
//
// The macro generates the exported entry point, the descriptor and noexcept shims. The shims
// catch every exception: ferry::sdk::Error keeps its status, any other exception becomes
// FERRY_ERROR with its what() text, so no exception ever crosses the library boundary.
#pragma once

#include <ferry/plugin.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace ferry::sdk {

// Overwrites the characters of a string in a way the compiler may not remove.
inline void wipe(std::string& text) noexcept {
    volatile char* bytes = text.data();
    for (std::size_t i = 0; i < text.size(); ++i) {
        bytes[i] = 0;
    }
    text.clear();
}

// A string holding a password or token: wiped when destroyed or reassigned, never printed.
class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(const Secret& other) : value_(other.value_) {}
    Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { wipe(other.value_); }
    Secret& operator=(const Secret& other) {
        if (this != &other) {
            wipe(value_);
            value_ = other.value_;
        }
        return *this;
    }
    Secret& operator=(Secret&& other) noexcept {
        if (this != &other) {
            wipe(value_);
            value_ = std::move(other.value_);
            wipe(other.value_);
        }
        return *this;
    }
    ~Secret() { wipe(value_); }

    const std::string& reveal() const noexcept { return value_; }
    const char* c_str() const noexcept { return value_.c_str(); }
    bool empty() const noexcept { return value_.empty(); }

private:
    std::string value_;
};

// An error with the status that the failing call returns to the host.
class Error : public std::runtime_error {
public:
    Error(ferry_status status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    ferry_status status() const noexcept { return status_; }

private:
    ferry_status status_;
};

inline const char* or_null(const std::string& text) { return text.empty() ? nullptr : text.c_str(); }
inline std::string from_c(const char* text) { return text == nullptr ? std::string() : std::string(text); }

// Settings passed by the host, as key -> value.
class Settings {
public:
    Settings() = default;
    Settings(const ferry_setting* settings, std::size_t count) {
        for (std::size_t i = 0; i < count; ++i) {
            if (settings[i].key != nullptr) {
                values_[settings[i].key] = from_c(settings[i].value);
            }
        }
    }
    ~Settings() {
        for (auto& entry : values_) {
            wipe(entry.second);
        }
    }
    Settings(const Settings&) = default;
    Settings& operator=(const Settings&) = default;

    std::optional<std::string> get(std::string_view key) const {
        auto found = values_.find(std::string(key));
        if (found == values_.end()) {
            return std::nullopt;
        }
        return found->second;
    }
    std::string get_or(std::string_view key, std::string fallback) const {
        return get(key).value_or(std::move(fallback));
    }
    const std::map<std::string, std::string>& all() const noexcept { return values_; }

private:
    std::map<std::string, std::string> values_;
};

// The host's services for one plugin instance. Cheap to copy; valid while the instance lives.
class Host {
public:
    explicit Host(const ferry_host_api* api) : api_(api) {}

    void log(ferry_log_level level, const std::string& message) const {
        if (api_ != nullptr && api_->log != nullptr) {
            api_->log(api_->context, level, message.c_str());
        }
    }
    void debug(const std::string& message) const { log(FERRY_LOG_DEBUG, message); }
    void info(const std::string& message) const { log(FERRY_LOG_INFO, message); }
    void warning(const std::string& message) const { log(FERRY_LOG_WARNING, message); }

    bool cancelled() const {
        return api_ != nullptr && api_->is_cancelled != nullptr &&
               api_->is_cancelled(api_->context) != 0;
    }
    void progress(const std::string& item, std::uint64_t done, std::uint64_t total) const {
        if (api_ != nullptr && api_->progress != nullptr) {
            api_->progress(api_->context, item.c_str(), done, total);
        }
    }
    void set_error(const std::string& message) const {
        if (api_ != nullptr && api_->set_error != nullptr) {
            api_->set_error(api_->context, message.c_str());
        }
    }

private:
    const ferry_host_api* api_;
};

// Owned copies of the request structs, so plugin code works with std::string.
struct ImageReference {
    ferry_transport transport = FERRY_TRANSPORT_DOCKER;
    std::string text;
    std::string registry;
    std::string repository;
    std::string tag;
    std::string digest;
    std::string path;
    std::string layout_ref;

    static ImageReference from(const ferry_image_reference& image) {
        ImageReference copy;
        copy.transport = static_cast<ferry_transport>(image.transport);
        copy.text = from_c(image.text);
        copy.registry = from_c(image.registry);
        copy.repository = from_c(image.repository);
        copy.tag = from_c(image.tag);
        copy.digest = from_c(image.digest);
        copy.path = from_c(image.path);
        copy.layout_ref = from_c(image.layout_ref);
        return copy;
    }
};

struct Credential {
    std::string username;
    Secret password;
    Secret identity_token;
    Secret registry_token;
    std::string source_name;

    static std::optional<Credential> from(const ferry_credential* credential) {
        if (credential == nullptr) {
            return std::nullopt;
        }
        Credential copy;
        copy.username = from_c(credential->username);
        copy.password = Secret(from_c(credential->password));
        copy.identity_token = Secret(from_c(credential->identity_token));
        copy.registry_token = Secret(from_c(credential->registry_token));
        copy.source_name = from_c(credential->source_name);
        return copy;
    }
};

struct Side {
    ferry_side_role role = FERRY_SIDE_SOURCE;
    ImageReference image;
    std::optional<Credential> credential;
    bool tls_verify = true;
    std::string cert_dir;

    static Side from(const ferry_side& side) {
        Side copy;
        copy.role = static_cast<ferry_side_role>(side.role);
        if (side.image != nullptr) {
            copy.image = ImageReference::from(*side.image);
        }
        copy.credential = Credential::from(side.credential);
        copy.tls_verify = side.tls_verify != 0;
        copy.cert_dir = from_c(side.cert_dir);
        return copy;
    }
};

struct CopyRequest {
    Side source;
    Side destination;
    std::string platform; // empty: all platforms
    Settings settings;

    static CopyRequest from(const ferry_copy_request& request) {
        CopyRequest copy;
        if (request.source != nullptr) {
            copy.source = Side::from(*request.source);
        }
        if (request.destination != nullptr) {
            copy.destination = Side::from(*request.destination);
        }
        copy.platform = from_c(request.platform);
        copy.settings = Settings(request.settings, request.setting_count);
        return copy;
    }
};

struct CopyOutcome {
    std::string digest;
    std::string source_digest;
    std::string platforms;
    std::uint64_t bytes = 0;
    bool up_to_date = false;
};

struct CredentialQuery {
    ferry_side_role role = FERRY_SIDE_SOURCE;
    std::string registry;
    std::string repository;
};

// Base class of a copy backend. One instance serves one ferry run; the host calls it from one
// thread at a time.
class Backend {
public:
    virtual ~Backend() = default;
    virtual CopyOutcome copy(const CopyRequest& request) = 0;
    virtual std::string resolve_digest(const Side& side, const Settings& settings) = 0;
    // Throws Error(FERRY_ERROR, ...) when the registry rejects side.credential.
    virtual void check_credentials(const Side& side, const Settings& settings) {
        (void)side;
        (void)settings;
        throw Error(FERRY_ERROR_UNSUPPORTED, "this backend cannot check credentials");
    }
};

// Base class of a credential source. lookup returns std::nullopt when nothing is stored.
class CredentialSource {
public:
    virtual ~CredentialSource() = default;
    virtual std::optional<Credential> lookup(const CredentialQuery& query) = 0;
    virtual void store(const std::string& registry, const Credential& credential) {
        (void)registry;
        (void)credential;
        throw Error(FERRY_ERROR_UNSUPPORTED, "this credential source cannot store credentials");
    }
    virtual void erase(const std::string& registry) {
        (void)registry;
        throw Error(FERRY_ERROR_UNSUPPORTED, "this credential source cannot delete credentials");
    }
};

namespace detail {

// Runs body, turning every exception into a status and a message for the host.
template <typename Body>
int32_t guarded(const ferry_host_api* host, Body&& body) noexcept {
    try {
        return body();
    } catch (const Error& error) {
        Host(host).set_error(error.what());
        return error.status();
    } catch (const std::exception& error) {
        Host(host).set_error(std::string("unexpected error: ") + error.what());
        return FERRY_ERROR;
    } catch (...) {
        Host(host).set_error("unexpected error of unknown type");
        return FERRY_ERROR;
    }
}

// One plugin object plus the strings its last result points into.
template <typename Plugin>
struct Instance {
    const ferry_host_api* host;
    std::unique_ptr<Plugin> plugin;
    CopyOutcome last_copy;
    std::string last_digest;
    std::optional<Credential> last_credential;
};

template <typename Plugin>
int32_t create(const ferry_host_api* host, const ferry_setting* settings, size_t count,
               void** instance) noexcept {
    *instance = nullptr;
    return guarded(host, [&]() -> int32_t {
        auto wrapper = std::make_unique<Instance<Plugin>>();
        wrapper->host = host;
        wrapper->plugin = std::make_unique<Plugin>(Host(host), Settings(settings, count));
        *instance = wrapper.release();
        return FERRY_OK;
    });
}

template <typename Plugin>
void destroy(void* instance) noexcept {
    try {
        delete static_cast<Instance<Plugin>*>(instance);
    } catch (...) {
        // A destructor that throws is a plugin bug; the host must keep running.
    }
}

template <typename Plugin>
int32_t copy(void* instance, const ferry_copy_request* request, ferry_copy_result* result) noexcept {
    auto* self = static_cast<Instance<Plugin>*>(instance);
    return guarded(self->host, [&]() -> int32_t {
        self->last_copy = self->plugin->copy(CopyRequest::from(*request));
        result->digest = self->last_copy.digest.c_str();
        if (FERRY_HAS_FIELD(ferry_copy_result, result, source_digest)) {
            result->source_digest = self->last_copy.source_digest.c_str();
        }
        if (FERRY_HAS_FIELD(ferry_copy_result, result, platforms)) {
            result->platforms = self->last_copy.platforms.c_str();
        }
        if (FERRY_HAS_FIELD(ferry_copy_result, result, bytes)) {
            result->bytes = self->last_copy.bytes;
        }
        if (FERRY_HAS_FIELD(ferry_copy_result, result, up_to_date)) {
            result->up_to_date = self->last_copy.up_to_date ? 1 : 0;
        }
        return FERRY_OK;
    });
}

template <typename Plugin>
int32_t resolve_digest(void* instance, const ferry_side* side, const ferry_setting* settings,
                       size_t count, const char** digest) noexcept {
    auto* self = static_cast<Instance<Plugin>*>(instance);
    return guarded(self->host, [&]() -> int32_t {
        self->last_digest = self->plugin->resolve_digest(Side::from(*side), Settings(settings, count));
        *digest = self->last_digest.c_str();
        return FERRY_OK;
    });
}

template <typename Plugin>
int32_t check_credentials(void* instance, const ferry_side* side, const ferry_setting* settings,
                          size_t count) noexcept {
    auto* self = static_cast<Instance<Plugin>*>(instance);
    return guarded(self->host, [&]() -> int32_t {
        self->plugin->check_credentials(Side::from(*side), Settings(settings, count));
        return FERRY_OK;
    });
}

template <typename Plugin>
int32_t lookup(void* instance, const ferry_credential_query* query, ferry_credential* out) noexcept {
    auto* self = static_cast<Instance<Plugin>*>(instance);
    return guarded(self->host, [&]() -> int32_t {
        CredentialQuery request;
        request.role = static_cast<ferry_side_role>(query->role);
        request.registry = from_c(query->registry);
        request.repository = from_c(query->repository);

        self->last_credential = self->plugin->lookup(request);
        if (!self->last_credential) {
            return FERRY_NOT_FOUND;
        }

        const Credential& found = *self->last_credential;
        out->username = or_null(found.username);
        out->password = or_null(found.password.reveal());
        out->identity_token = or_null(found.identity_token.reveal());
        out->registry_token = or_null(found.registry_token.reveal());
        if (FERRY_HAS_FIELD(ferry_credential, out, source_name)) {
            out->source_name = or_null(found.source_name);
        }
        return FERRY_OK;
    });
}

template <typename Plugin>
int32_t store(void* instance, const char* registry, const ferry_credential* credential) noexcept {
    auto* self = static_cast<Instance<Plugin>*>(instance);
    return guarded(self->host, [&]() -> int32_t {
        auto value = Credential::from(credential);
        if (!value) {
            throw Error(FERRY_ERROR_INVALID_INPUT, "no credentials given to store");
        }
        self->plugin->store(from_c(registry), *value);
        return FERRY_OK;
    });
}

template <typename Plugin>
int32_t erase(void* instance, const char* registry) noexcept {
    auto* self = static_cast<Instance<Plugin>*>(instance);
    return guarded(self->host, [&]() -> int32_t {
        self->plugin->erase(from_c(registry));
        return FERRY_OK;
    });
}

template <typename Plugin>
const ferry_backend_api* backend_api() noexcept {
    static const ferry_backend_api api = {
        sizeof(ferry_backend_api), &create<Plugin>, &destroy<Plugin>, &copy<Plugin>,
        &resolve_digest<Plugin>, &check_credentials<Plugin>,
    };
    return &api;
}

template <typename Plugin>
const ferry_credential_api* credential_api() noexcept {
    static const ferry_credential_api api = {
        sizeof(ferry_credential_api), &create<Plugin>, &destroy<Plugin>, &lookup<Plugin>,
        &store<Plugin>, &erase<Plugin>,
    };
    return &api;
}

} // namespace detail
} // namespace ferry::sdk

// Defines the exported entry point of a plugin library. Use exactly one per library.
#define FERRY_DEFINE_PLUGIN_ENTRY(KIND, API, NAME, VERSION, DESCRIPTION)                     \
    extern "C" FERRY_PLUGIN_EXPORT const ferry_plugin_descriptor* ferry_plugin_entry(void) {  \
        static const ferry_plugin_descriptor descriptor = {                                    \
            FERRY_PLUGIN_ABI_VERSION, sizeof(ferry_plugin_descriptor), KIND, NAME, VERSION,    \
            DESCRIPTION, API,                                                                   \
        };                                                                                     \
        return &descriptor;                                                                    \
    }

#define FERRY_BACKEND_PLUGIN(CLASS, NAME, VERSION, DESCRIPTION)                          \
    FERRY_DEFINE_PLUGIN_ENTRY(FERRY_PLUGIN_BACKEND, ::ferry::sdk::detail::backend_api<CLASS>(), \
                              NAME, VERSION, DESCRIPTION)

#define FERRY_CREDENTIAL_PLUGIN(CLASS, NAME, VERSION, DESCRIPTION)                              \
    FERRY_DEFINE_PLUGIN_ENTRY(FERRY_PLUGIN_CREDENTIAL_SOURCE,                                     \
                              ::ferry::sdk::detail::credential_api<CLASS>(), NAME, VERSION,       \
                              DESCRIPTION)
