// A backend whose constructor throws: loading the library succeeds, creating an instance fails.
#include <ferry/sdk.hpp>

#include <stdexcept>

namespace {

class ThrowingConstructorBackend : public ferry::sdk::Backend {
public:
    ThrowingConstructorBackend(ferry::sdk::Host, const ferry::sdk::Settings&) {
        throw std::runtime_error("cannot create the cache directory /nonexistent/cache");
    }

    ferry::sdk::CopyOutcome copy(const ferry::sdk::CopyRequest&) override { return {}; }
    std::string resolve_digest(const ferry::sdk::Side&, const ferry::sdk::Settings&) override { return {}; }
};

} // namespace

FERRY_BACKEND_PLUGIN(ThrowingConstructorBackend, "test-throwing-constructor", "0.0.1",
                     "Throws from its constructor")
