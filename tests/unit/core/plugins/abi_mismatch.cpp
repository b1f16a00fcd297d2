// A plugin that declares ABI version 999. The host must reject it after reading abi_version and
// before touching any other field, which is why its function table is missing.
#include <ferry/plugin.h>

extern "C" FERRY_PLUGIN_EXPORT const ferry_plugin_descriptor* ferry_plugin_entry(void) {
    static const ferry_plugin_descriptor descriptor = {
        999u, sizeof(ferry_plugin_descriptor), FERRY_PLUGIN_BACKEND, "test-abi-mismatch", "9.9.9",
        "Declares an ABI version that no host supports", nullptr,
    };
    return &descriptor;
}
