// Entry point of ferry-skopeo.so.
#include "skopeo_backend.hpp"

#include <ferry/sdk.hpp>

FERRY_BACKEND_PLUGIN(ferry::skopeo::SkopeoBackend, "skopeo", "0.1.0",
                     "Copies images by running the skopeo CLI")
