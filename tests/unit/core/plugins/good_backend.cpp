// A backend that copies nothing and returns fixed results, so that a test can check what crosses
// the plugin ABI in both directions.
#include <ferry/sdk.hpp>

#include <string>

namespace {

class GoodBackend : public ferry::sdk::Backend {
public:
    GoodBackend(ferry::sdk::Host host, const ferry::sdk::Settings& settings)
        : host_(host), digest_(settings.get_or("digest", "sha256:" + std::string(64, 'd'))) {}

    ferry::sdk::CopyOutcome copy(const ferry::sdk::CopyRequest& request) override {
        host_.progress("sha256:layer", 10, 20);

        ferry::sdk::CopyOutcome outcome;
        outcome.digest = digest_;
        outcome.source_digest = request.source.image.digest;
        outcome.platforms = request.platform.empty() ? "linux/amd64,linux/arm64" : request.platform;
        outcome.bytes = 4096;
        outcome.up_to_date = request.settings.get_or("up-to-date", "") == "true";
        return outcome;
    }

    // Returns a digest that depends on the side's role, so a test can tell that the side arrived.
    std::string resolve_digest(const ferry::sdk::Side& side, const ferry::sdk::Settings&) override {
        return "sha256:" + std::string(64, side.role == FERRY_SIDE_SOURCE ? 'a' : 'b');
    }

private:
    ferry::sdk::Host host_;
    std::string digest_;
};

} // namespace

FERRY_BACKEND_PLUGIN(GoodBackend, "test-backend", "1.2.3", "Returns fixed copy results for the core tests")
