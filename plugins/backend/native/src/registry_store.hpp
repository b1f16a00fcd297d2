// An image repository in a registry, read and written through the OCI distribution API.
#pragma once

#include "image_store.hpp"
#include "registry_client.hpp"
#include "upload_chunking.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace ferry::native {

// Blobs up to this size (or the chunk size, when smaller) go up in one PUT (POST + PUT: two
// requests); a failure restarts them. Larger blobs stream in PATCH requests of the chunk size
// (UploadChunking) and close with an empty PUT, so that after a failure the registry can report
// how many bytes it kept and the upload continues there.
inline constexpr std::uint64_t kMonolithicUploadLimit = 16ULL * 1024 * 1024;

class RegistryStore : public ImageSource, public ImageDestination {
public:
    // role decides the token scopes: pull for a source, pull and push for a destination, so the
    // destination's first token also serves every later write.
    //
    // policy governs resuming a streamed upload after a failed PATCH or final PUT. Without one,
    // any failure ends write_blob and the caller restarts the blob.
    //
    // upload_chunk_bytes is the size of the PATCH requests of a large blob and the upload bytes
    // one connection may carry; 0 sends each blob in one request.
    RegistryStore(ferry_side_role role, const ferry::sdk::Side& side, ferry::sdk::Host host,
                  RetryPolicy* policy = nullptr, std::uint64_t upload_chunk_bytes = kDefaultUploadChunkBytes);

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
    // One attempt of write_blob: a mount, or a new upload session filled from content.
    BlobWrite upload_blob(HttpClient& client, const Descriptor& blob,
                          const std::optional<std::string>& mount_from, BlobContent& content);
    std::string api_path(const std::string& kind, const std::string& reference) const;
    std::string in_repository() const; // "registry/repository" for messages
    std::optional<std::string> start_upload(HttpClient& client, const Descriptor& blob,
                                            const std::optional<std::string>& mount_from,
                                            bool& mounted);
    // Streams content into the session at location with PATCH requests of the chunk size,
    // continuing after a failure from the offset the registry reports. Returns the Location for
    // the closing PUT.
    std::string stream_upload(HttpClient& client, const Descriptor& blob, std::string location,
                              BlobContent& content);
    // Sends the next length bytes of content as bytes offset.. of the blob. sent counts the
    // bytes handed to libcurl, also when the request fails.
    std::string patch_chunk(HttpClient& client, const Descriptor& blob, const std::string& location,
                            std::uint64_t offset, std::uint64_t length, BlobContent& content,
                            std::uint64_t& sent);
    // Adapts the chunk size after a PATCH of length bytes broke off after sent bytes.
    void note_broken_chunk(const TransferError& error, std::uint64_t sent, std::uint64_t length);
    // Asks the registry how many bytes the session at location holds. Returns the committed
    // size and the Location to continue at, or std::nullopt when the registry lost the session.
    std::optional<std::pair<std::uint64_t, std::string>> query_upload(HttpClient& client,
                                                                      const Descriptor& blob,
                                                                      const std::string& location);
    void finish_upload(HttpClient& client, const Descriptor& blob, const std::string& location,
                       BlobContent* content);
    void finish_streamed_upload(HttpClient& client, const Descriptor& blob, std::string location);
    void cancel_upload(HttpClient& client, const std::string& location);
    // The transient error that makes the caller restart a blob whose session the registry lost.
    TransferError session_lost(const Descriptor& blob) const;

    ferry::sdk::Host host_;
    std::string repository_;
    Scopes scopes_;
    RegistryClient client_;
    RetryPolicy* policy_;
    UploadChunking chunking_;
    // Set when a connection broke during a chunk that the chunk size could not shrink below, so
    // the final error can suggest a smaller --upload-chunk-size.
    std::atomic<bool> unshrunk_break_{false};
};

} // namespace ferry::native
