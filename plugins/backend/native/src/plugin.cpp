// The entry point of ferry-native.so.
#include "native_backend.hpp"

FERRY_BACKEND_PLUGIN(ferry::native::NativeBackend, "native", "0.1.0",
                     "Copies images with ferry's own OCI distribution client (libcurl)")
