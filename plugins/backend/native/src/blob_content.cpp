#include "blob_content.hpp"

#include "digest.hpp"
#include "retry_loop.hpp"

#include <algorithm>
#include <cstring>

namespace ferry::native {
namespace {

// Thrown inside the download when the upload has gone away; it only ends the download.
struct ReaderGone {};

// Progress is reported when this many bytes have moved since the last report.
constexpr std::uint64_t kProgressStepBytes = 1024 * 1024;

} // namespace

PipedBlobContent::PipedBlobContent(ImageSource& source, HttpClient& source_client, Descriptor blob,
                                   ferry::sdk::Host host, RetryPolicy& policy)
    : source_(source), source_client_(source_client), blob_(std::move(blob)), host_(host), policy_(policy) {}

PipedBlobContent::~PipedBlobContent() { stop(); }

void PipedBlobContent::start() {
    stop();
    pipe_ = std::make_unique<BlobPipe>(kPipeCapacityBytes, blob_.size);
    producer_ = std::thread([this, pipe = pipe_.get()] { download(*pipe); });
}

std::size_t PipedBlobContent::read(char* buffer, std::size_t size) { return pipe_->read(buffer, size); }

void PipedBlobContent::stop() {
    if (producer_.joinable()) {
        pipe_->abandon();
        producer_.join();
    }
}

void PipedBlobContent::download(BlobPipe& pipe) {
    try {
        DigestHasher hasher(parse_digest(blob_.digest)->algorithm);
        std::uint64_t received = 0;
        std::uint64_t reported = 0;
        const std::string where = "blob " + blob_.digest + " from " + source_.describe();

        const BlobSink sink = [&](const char* data, std::size_t size) {
            if (received + size > blob_.size) {
                throw ferry::sdk::Error(FERRY_ERROR, where + " is larger than the " +
                                                         std::to_string(blob_.size) +
                                                         " bytes its descriptor states; the source is corrupt");
            }
            hasher.update(data, size);
            received += size;
            if (received - reported >= kProgressStepBytes || received == blob_.size) {
                host_.progress(blob_.digest, received, blob_.size);
                reported = received;
            }
            if (!pipe.write(data, size)) {
                throw ReaderGone{};
            }
        };
        receive_with_resume(sink, received);

        if (received != blob_.size) {
            throw ferry::sdk::Error(FERRY_ERROR, where + " has " + std::to_string(received) +
                                                     " bytes, but its descriptor states " +
                                                     std::to_string(blob_.size) + "; the source is corrupt");
        }
        const auto digest = hasher.finish();
        if (digest != blob_.digest) {
            throw ferry::sdk::Error(FERRY_ERROR, where + " has digest " + digest +
                                                     "; the source is corrupt, nothing was tagged");
        }
        pipe.finish();
    } catch (const ReaderGone&) {
        pipe.finish(std::make_exception_ptr(ferry::sdk::Error(FERRY_ERROR, "upload stopped")));
    } catch (...) {
        pipe.finish(std::current_exception());
    }
}

void PipedBlobContent::receive_with_resume(const BlobSink& sink, const std::uint64_t& received) {
    for (int retry = 1;; ++retry) {
        const auto start = received;
        try {
            source_.read_blob(source_client_, blob_, start, sink);
            return;
        } catch (const TransferError& error) {
            if (received > start) {
                retry = 1;
            }
            const auto decision = policy_.decide(retry, error.failure());
            if (!decision.retry()) {
                throw final_error(error, retry, decision.verdict, policy_.max_retries());
            }
            warn_retry(host_, error, "resuming at byte " + std::to_string(received), decision, retry,
                       policy_.max_retries());
            wait_unless_cancelled(host_, decision.delay);
        }
    }
}

std::size_t MemoryBlobContent::read(char* buffer, std::size_t size) {
    const std::size_t count = std::min(size, bytes_.size() - offset_);
    std::memcpy(buffer, bytes_.data() + offset_, count);
    offset_ += count;
    return count;
}

} // namespace ferry::native
