// The chunk size of large blob uploads: the length of each PATCH request, and the upload bytes
// one connection may carry.
//
// Filtered long-distance links often reset a connection after it has carried a certain amount
// of data. docker-registry 2.8 (and registries built on it) keeps the bytes of a PATCH that broke
// off but then cancels the whole upload session, so one broken request costs every byte sent for
// that blob. Chunks that each travel on a connection below the link's limit never break that way.
#pragma once

#include <atomic>
#include <cstdint>

namespace ferry::native {

// Small enough to stay below the per-connection limits seen on filtered links, large enough
// that the extra request and connection per chunk cost little on a healthy one.
inline constexpr std::uint64_t kDefaultUploadChunkBytes = 32ULL * 1024 * 1024;

// The floor of adaptation: Amazon ECR rejects layer parts smaller than 5 MiB
// (LayerPartTooSmallException), and smaller chunks spend more on handshakes than they save.
inline constexpr std::uint64_t kMinimumAdaptedChunkBytes = 5ULL * 1024 * 1024;

// Shared by every upload to one destination, from several threads.
class UploadChunking {
public:
    // chunk_bytes 0 sends each blob in one request on any connection.
    explicit UploadChunking(std::uint64_t chunk_bytes);

    std::uint64_t chunk_bytes() const { return chunk_bytes_.load(); }

    // The length of the next PATCH of a blob of blob_size bytes whose first offset bytes the
    // registry holds.
    std::uint64_t next_length(std::uint64_t offset, std::uint64_t blob_size) const;

    // The upload bytes one connection may carry (HttpRequest::connection_upload_limit).
    std::uint64_t connection_limit() const { return chunk_bytes_.load(); }

    // Called when the connection of a chunk of length bytes broke after sent of its bytes went
    // to libcurl. Socket buffers take megabytes before the network carries them, so sent is a poor
    // guide to where the link cut. Any break after the body started suggests a link that cuts
    // connections at a lower volume. Later chunks are then halved, not below
    // kMinimumAdaptedChunkBytes (or the configured size, when that is smaller). Returns the new
    // chunk size when it changed, 0 otherwise.
    std::uint64_t record_break(std::uint64_t sent, std::uint64_t length);

private:
    std::atomic<std::uint64_t> chunk_bytes_;
    const std::uint64_t floor_;
};

} // namespace ferry::native
