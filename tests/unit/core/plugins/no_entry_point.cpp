// A shared library that exports a function but not the plugin entry point.
#include <ferry/plugin.h>

extern "C" FERRY_PLUGIN_EXPORT int ferry_test_not_a_plugin(void) { return 1; }
