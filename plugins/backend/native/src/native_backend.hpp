// The native copy backend: ferry's own OCI distribution client.
#pragma once

#include "blob_locations.hpp"

#include <ferry/sdk.hpp>

namespace ferry::native {

class NativeBackend : public ferry::sdk::Backend {
public:
    // settings: this plugin's --plugin-option values; none are defined yet.
    NativeBackend(ferry::sdk::Host host, ferry::sdk::Settings settings);

    ferry::sdk::CopyOutcome copy(const ferry::sdk::CopyRequest& request) override;
    std::string resolve_digest(const ferry::sdk::Side& side, const ferry::sdk::Settings& settings) override;
    // Pings the registry and authenticates for no repository, as `docker login` does.
    void check_credentials(const ferry::sdk::Side& side, const ferry::sdk::Settings& settings) override;

private:
    ferry::sdk::Host host_;
    // Blobs seen in destination repositories during this run, for cross-repository mounts.
    BlobLocations locations_;
};

} // namespace ferry::native
