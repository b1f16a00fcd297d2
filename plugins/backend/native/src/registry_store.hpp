// An image repository in a registry, read and written through the OCI distribution API.
#pragma once

#include "image_store.hpp"
#include "registry_client.hpp"

#include <cstdint>
#include <string>

namespace ferry::native {

// Blobs up to this size go up in one PUT (POST + PUT: two requests). Larger blobs go in PATCH
// chunks of kUploadChunkBytes, so no single request carries more than that: proxies and load
// balancers in front of registries often cap request bodies or durations.
inline constexpr std::uint64_t kMonolithicUploadLimit = 256ULL * 1024 * 1024;
inline constexpr std::uint64_t kUploadChunkBytes = 256ULL * 1024 * 1024;

class RegistryStore : public ImageSource, public ImageDestination {
public:
    // role decides the token scopes: pull for a source, pull and push for a destination, so the
    // destination's first token also serves every later write.
    RegistryStore(ferry_side_role role, const ferry::sdk::Side& side, ferry::sdk::Host host);

    std::string describe() const override;
    void prepare(HttpClient& client) override;

    ManifestData read_manifest(HttpClient& client, const std::string& reference) override;
    void read_blob(HttpClient& client, const Descriptor& blob, std::uint64_t offset,
                   const BlobSink& sink) override;

    std::optional<std::string> manifest_digest(HttpClient& client, const std::string& reference) override;
    bool has_blob(HttpClient& client, const Descriptor& blob) override;
    BlobWrite write_blob(HttpClient& client, const Descriptor& blob,
                         const std::optional<std::string>& mount_from, BlobContent& content) override;
    void write_manifest(HttpClient& client, const ManifestData& manifest, const Manifest& parsed,
                        const std::optional<std::string>& tag) override;

    std::optional<std::pair<std::string, std::string>> registry_location() const override;

private:
    std::string api_path(const std::string& kind, const std::string& reference) const;
    std::string in_repository() const; // "registry/repository" for messages
    std::optional<std::string> start_upload(HttpClient& client, const Descriptor& blob,
                                            const std::optional<std::string>& mount_from,
                                            bool& mounted);
    std::string upload_chunks(HttpClient& client, const Descriptor& blob, std::string location,
                              BlobContent& content);
    void finish_upload(HttpClient& client, const Descriptor& blob, const std::string& location,
                       BlobContent* content);
    void cancel_upload(HttpClient& client, const std::string& location);

    ferry::sdk::Host host_;
    std::string repository_;
    Scopes scopes_;
    RegistryClient client_;
};

} // namespace ferry::native
