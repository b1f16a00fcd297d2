#include "upload_chunking.hpp"

#include <algorithm>

namespace ferry::native {

UploadChunking::UploadChunking(std::uint64_t chunk_bytes)
    : chunk_bytes_(chunk_bytes), floor_(std::min(chunk_bytes, kMinimumAdaptedChunkBytes)) {}

std::uint64_t UploadChunking::next_length(std::uint64_t offset, std::uint64_t blob_size) const {
    const std::uint64_t remaining = blob_size > offset ? blob_size - offset : 0;
    const std::uint64_t chunk = chunk_bytes_.load();
    return chunk == 0 ? remaining : std::min(remaining, chunk);
}

std::uint64_t UploadChunking::record_break(std::uint64_t sent, std::uint64_t length) {
    if (sent == 0) {
        return 0; // the request failed before its body: the connection, not the volume, failed
    }

    std::uint64_t current = chunk_bytes_.load();
    while (current > floor_ && current != 0) {
        // Parallel uploads often break together on one link. Halving only from a size at or
        // above this chunk's makes their breaks count once.
        if (current < length) {
            return 0;
        }
        const std::uint64_t halved = std::max(floor_, current / 2);
        if (chunk_bytes_.compare_exchange_weak(current, halved)) {
            return halved;
        }
    }
    return 0;
}

} // namespace ferry::native
