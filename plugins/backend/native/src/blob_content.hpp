// BlobContent implementations: a blob streamed from a source through a BlobPipe, and a small
// blob already in memory.
#pragma once

#include "blob_pipe.hpp"
#include "digest.hpp"
#include "image_store.hpp"

#include <ferry/sdk.hpp>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ferry::native {

// Memory per transfer, the largest part of what each parallel job adds. libcurl hands over at
// most 128 KiB per callback (its buffers are set in http_client.cpp), so the download can fill
// one buffer while the upload drains the other. tests/bench/bench_copy.py (1 GiB in 4 layers
// over loopback, 4 jobs) measured the same wall time as with 512 KiB pipes and 256 KiB libcurl
// buffers, and 2 MiB less peak RSS.
inline constexpr std::size_t kPipeCapacityBytes = 256 * 1024;

// Distance between the saved hash states that an upload resumed mid-blob restarts from: it
// re-downloads at most this many bytes before the resume offset. A state costs a few hundred bytes.
inline constexpr std::uint64_t kHashCheckpointBytes = 8ULL * 1024 * 1024;

// Streams one blob from an ImageSource. start_at() runs the download on a thread of its own,
// which checks size and digest while it writes into the pipe. A mismatch fails the reader with
// ferry::sdk::Error FERRY_ERROR before the blob's last byte reaches the destination.
class PipedBlobContent : public BlobContent {
public:
    // policy governs resuming a broken download: each retry continues at the first byte not yet
    // received, and a retry that moved bytes resets the count, so a link that keeps breaking
    // still finishes as long as every attempt makes progress.
    PipedBlobContent(ImageSource& source, HttpClient& source_client, Descriptor blob,
                     ferry::sdk::Host host, RetryPolicy& policy);
    ~PipedBlobContent() override;

    // With an offset above 0, the download restarts at the last hash checkpoint at or before it
    // (with a Range request) and hashes the bytes up to offset without delivering them. The
    // digest check therefore still covers the whole blob.
    void start_at(std::uint64_t offset) override;
    std::size_t read(char* buffer, std::size_t size) override;
    void stop() override;

private:
    struct Checkpoint {
        std::uint64_t offset;
        DigestHasher hasher; // the state after `offset` bytes
    };

    void download(BlobPipe& pipe, std::uint64_t offset);
    // Calls read_blob until the blob is complete; received is the sink's byte count.
    void receive_with_resume(const BlobSink& sink, const std::uint64_t& received);
    const Checkpoint& checkpoint_at_or_before(std::uint64_t offset) const;

    ImageSource& source_;
    HttpClient& source_client_;
    Descriptor blob_;
    ferry::sdk::Host host_;
    RetryPolicy& policy_;
    std::unique_ptr<BlobPipe> pipe_;
    std::thread producer_;
    // Ascending by offset; the producer appends, start_at() reads after joining it.
    std::vector<Checkpoint> checkpoints_;
};

// A blob whose verified bytes are already in memory (a config read for its platform).
class MemoryBlobContent : public BlobContent {
public:
    explicit MemoryBlobContent(const std::string& bytes) : bytes_(bytes) {}

    void start_at(std::uint64_t offset) override { offset_ = static_cast<std::size_t>(offset); }
    std::size_t read(char* buffer, std::size_t size) override;
    void stop() override {}

private:
    const std::string& bytes_;
    std::size_t offset_ = 0;
};

} // namespace ferry::native
