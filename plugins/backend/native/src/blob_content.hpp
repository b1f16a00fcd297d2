// BlobContent implementations: a blob streamed from a source through a BlobPipe, and a small
// blob already in memory.
#pragma once

#include "blob_pipe.hpp"
#include "image_store.hpp"

#include <ferry/sdk.hpp>

#include <memory>
#include <string>
#include <thread>

namespace ferry::native {

// Memory per transfer: enough to keep both connections busy (libcurl moves 512 KiB per
// callback), small enough that jobs * capacity stays a few dozen MiB.
inline constexpr std::size_t kPipeCapacityBytes = 4 * 1024 * 1024;

// Streams one blob from an ImageSource. start() runs the download on a thread of its own, which
// checks size and digest while it writes into the pipe. A mismatch fails the reader with
// ferry::sdk::Error FERRY_ERROR before the blob's last byte reaches the destination.
class PipedBlobContent : public BlobContent {
public:
    // policy governs resuming a broken download: each retry continues at the first byte not yet
    // received, and a retry that moved bytes resets the count, so a link that keeps breaking
    // still finishes as long as every attempt makes progress.
    PipedBlobContent(ImageSource& source, HttpClient& source_client, Descriptor blob,
                     ferry::sdk::Host host, RetryPolicy& policy);
    ~PipedBlobContent() override;

    void start() override;
    std::size_t read(char* buffer, std::size_t size) override;
    void stop() override;

private:
    void download(BlobPipe& pipe);
    // Calls read_blob until the blob is complete; received is the sink's byte count.
    void receive_with_resume(const BlobSink& sink, const std::uint64_t& received);

    ImageSource& source_;
    HttpClient& source_client_;
    Descriptor blob_;
    ferry::sdk::Host host_;
    RetryPolicy& policy_;
    std::unique_ptr<BlobPipe> pipe_;
    std::thread producer_;
};

// A blob whose verified bytes are already in memory (a config read for its platform).
class MemoryBlobContent : public BlobContent {
public:
    explicit MemoryBlobContent(const std::string& bytes) : bytes_(bytes) {}

    void start() override { offset_ = 0; }
    std::size_t read(char* buffer, std::size_t size) override;
    void stop() override {}

private:
    const std::string& bytes_;
    std::size_t offset_ = 0;
};

} // namespace ferry::native
