// A backend written against the C ABI without the SDK, whose functions let C++ exceptions
// escape: copy throws a std::runtime_error, resolve_digest an int. Only the host's own wrapper
// catches these exceptions before they would end the ferry process.
#include <ferry/plugin.h>

#include <stdexcept>

namespace {

int instance_storage = 0;

int32_t create(const ferry_host_api*, const ferry_setting*, size_t, void** instance) {
    *instance = &instance_storage;
    return FERRY_OK;
}

void destroy(void*) {}

int32_t copy(void*, const ferry_copy_request*, ferry_copy_result*) {
    throw std::runtime_error("raw copy failed on purpose");
}

int32_t resolve_digest(void*, const ferry_side*, const ferry_setting*, size_t, const char**) {
    throw 42;
}

// struct_size stops before check_credentials, as in a plugin built before that entry was
// appended, so the host must load it and treat check_credentials as absent.
const ferry_backend_api backend_api = {
    offsetof(ferry_backend_api, check_credentials), &create, &destroy, &copy, &resolve_digest, nullptr,
};

} // namespace

extern "C" FERRY_PLUGIN_EXPORT const ferry_plugin_descriptor* ferry_plugin_entry(void) {
    static const ferry_plugin_descriptor descriptor = {
        FERRY_PLUGIN_ABI_VERSION, sizeof(ferry_plugin_descriptor), FERRY_PLUGIN_BACKEND,
        "test-raw-throwing", "0.0.1", "Lets exceptions escape through the C ABI", &backend_api,
    };
    return &descriptor;
}
