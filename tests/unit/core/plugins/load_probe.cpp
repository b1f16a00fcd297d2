// A backend that records, the moment the dynamic loader maps it, the path it was loaded from:
// its library constructor sets FERRY_TEST_LOAD_PROBE to that path. A test that must prove a file
// was never loaded checks that the variable stays unset.
#include <ferry/sdk.hpp>

#include <cstdlib>
#include <dlfcn.h>

namespace {

__attribute__((constructor)) void record_load_path() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&record_load_path), &info) != 0 && info.dli_fname != nullptr) {
        setenv("FERRY_TEST_LOAD_PROBE", info.dli_fname, 1);
    } else {
        setenv("FERRY_TEST_LOAD_PROBE", "unknown path", 1);
    }
}

class LoadProbeBackend : public ferry::sdk::Backend {
public:
    LoadProbeBackend(ferry::sdk::Host, const ferry::sdk::Settings&) {}
    ferry::sdk::CopyOutcome copy(const ferry::sdk::CopyRequest&) override { return {}; }
    std::string resolve_digest(const ferry::sdk::Side&, const ferry::sdk::Settings&) override { return {}; }
};

} // namespace

FERRY_BACKEND_PLUGIN(LoadProbeBackend, "test-load-probe", "0.0.1", "Records where it was loaded from")
