// An image repository in a registry, read and written through the OCI distribution API.
#pragma once

#include "image_store.hpp"
#include "registry_client.hpp"

#include <cstdint>
#include <string>

namespace ferry::native {

// Blobs up to this size go up in one PUT (POST + PUT: two requests). Larger blobs go in PATCH
// chunks of kUploadChunkBytes, each held in memory until the registry accepted it, so a chunk
// whose request failed can be sent again from the offset the registry reports. Chunks also keep
// single requests small for proxies and load balancers that cap request bodies or durations.
// Memory: one chunk per parallel job (--jobs 4: 64 MiB).
inline constexpr std::uint64_t kMonolithicUploadLimit = 16ULL * 1024 * 1024;
inline constexpr std::uint64_t kUploadChunkBytes = 16ULL * 1024 * 1024;

class RegistryStore : public ImageSource, public ImageDestination {
public:
    // role decides the token scopes: pull for a source, pull and push for a destination, so the
    // destination's first token also serves every later write.
    //
    // policy governs resuming a chunked upload after a failed PATCH or final PUT. Without one, any
    // failure ends write_blob and the caller restarts the blob.
    RegistryStore(ferry_side_role role, const ferry::sdk::Side& side, ferry::sdk::Host host,
                  RetryPolicy* policy = nullptr);

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
    std::string send_chunk(HttpClient& client, const Descriptor& blob, std::string location,
                           std::uint64_t offset, std::string_view chunk);
    std::string patch_chunk(HttpClient& client, const Descriptor& blob, const std::string& location,
                            std::uint64_t offset, std::string_view bytes);
    // Asks the registry how many bytes the session at location holds. Returns the committed
    // size and the Location to continue at, or std::nullopt when the registry lost the session.
    std::optional<std::pair<std::uint64_t, std::string>> query_upload(HttpClient& client,
                                                                      const Descriptor& blob,
                                                                      const std::string& location);
    void finish_upload(HttpClient& client, const Descriptor& blob, const std::string& location,
                       BlobContent* content);
    void finish_chunked_upload(HttpClient& client, const Descriptor& blob, std::string location);
    void cancel_upload(HttpClient& client, const std::string& location);
    // The transient error that makes the caller restart a blob whose session the registry lost.
    TransferError session_lost(const Descriptor& blob) const;

    ferry::sdk::Host host_;
    std::string repository_;
    Scopes scopes_;
    RegistryClient client_;
    RetryPolicy* policy_;
};

} // namespace ferry::native
