// A backend written against the C ABI that fails with a status and a message through
// host->set_error, the way a plugin in another language would. create fails too when the
// setting fail-create is "yes".
#include <ferry/plugin.h>

#include <cstring>

namespace {

struct Instance {
    const ferry_host_api* host;
};

Instance instance_storage{nullptr};

int32_t fail(const ferry_host_api* host, ferry_status status, const char* message) {
    host->set_error(host->context, message);
    return status;
}

int32_t create(const ferry_host_api* host, const ferry_setting* settings, size_t count, void** instance) {
    for (size_t i = 0; i < count; ++i) {
        if (std::strcmp(settings[i].key, "fail-create") == 0 && std::strcmp(settings[i].value, "yes") == 0) {
            return fail(host, FERRY_ERROR_UNSUPPORTED, "fail-create is set to yes");
        }
    }
    instance_storage.host = host;
    *instance = &instance_storage;
    return FERRY_OK;
}

void destroy(void*) {}

int32_t copy(void* instance, const ferry_copy_request*, ferry_copy_result*) {
    return fail(static_cast<Instance*>(instance)->host, FERRY_ERROR_TRANSIENT,
                "registry.example.com answered 503 Service Unavailable");
}

int32_t resolve_digest(void* instance, const ferry_side*, const ferry_setting*, size_t, const char**) {
    return fail(static_cast<Instance*>(instance)->host, FERRY_ERROR_INVALID_INPUT,
                "the source has no tag to resolve");
}

const ferry_backend_api backend_api = {
    sizeof(ferry_backend_api), &create, &destroy, &copy, &resolve_digest, nullptr,
};

} // namespace

extern "C" FERRY_PLUGIN_EXPORT const ferry_plugin_descriptor* ferry_plugin_entry(void) {
    static const ferry_plugin_descriptor descriptor = {
        FERRY_PLUGIN_ABI_VERSION, sizeof(ferry_plugin_descriptor), FERRY_PLUGIN_BACKEND,
        "test-error-status", "0.0.1", "Fails every operation with a status and a message", &backend_api,
    };
    return &descriptor;
}
