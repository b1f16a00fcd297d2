// A backend built with the SDK whose operations throw: copy a std::runtime_error, resolve_digest
// an sdk::Error with its own status. The SDK shims turn both into a status and a message.
#include <ferry/sdk.hpp>

#include <stdexcept>

namespace {

class ThrowingCopyBackend : public ferry::sdk::Backend {
public:
    ThrowingCopyBackend(ferry::sdk::Host, const ferry::sdk::Settings&) {}

    ferry::sdk::CopyOutcome copy(const ferry::sdk::CopyRequest&) override {
        throw std::runtime_error("disk full while writing blob sha256:1234");
    }

    std::string resolve_digest(const ferry::sdk::Side&, const ferry::sdk::Settings&) override {
        throw ferry::sdk::Error(FERRY_ERROR_UNSUPPORTED, "this backend cannot resolve digests");
    }
};

} // namespace

FERRY_BACKEND_PLUGIN(ThrowingCopyBackend, "test-throwing-copy", "0.0.1", "Throws from copy and resolve_digest")
