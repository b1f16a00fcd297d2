#include "blob_content.hpp"

#include "retry_loop.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>

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

void PipedBlobContent::start_at(std::uint64_t offset) {
    stop();
    if (checkpoints_.empty()) {
        checkpoints_.push_back(Checkpoint{0, DigestHasher(parse_digest(blob_.digest)->algorithm)});
    }
    const std::uint64_t remaining = offset < blob_.size ? blob_.size - offset : 0;
    pipe_ = std::make_unique<BlobPipe>(kPipeCapacityBytes, remaining);
    producer_ = std::thread([this, pipe = pipe_.get(), offset] { download(*pipe, offset); });
}

std::size_t PipedBlobContent::read(char* buffer, std::size_t size) { return pipe_->read(buffer, size); }

void PipedBlobContent::stop() {
    if (producer_.joinable()) {
        pipe_->abandon();
        producer_.join();
    }
}

const PipedBlobContent::Checkpoint& PipedBlobContent::checkpoint_at_or_before(std::uint64_t offset) const {
    auto found = std::upper_bound(checkpoints_.begin(), checkpoints_.end(), offset,
                                  [](std::uint64_t value, const Checkpoint& c) { return value < c.offset; });
    return *std::prev(found); // checkpoints_ starts at offset 0
}

void PipedBlobContent::download(BlobPipe& pipe, std::uint64_t offset) {
    try {
        const Checkpoint& resume = checkpoint_at_or_before(offset);
        DigestHasher hasher = resume.hasher;
        std::uint64_t received = resume.offset;
        std::uint64_t reported = received;
        const std::string where = "blob " + blob_.digest + " from " + source_.describe();

        // Hashes data in pieces that end on checkpoint boundaries and saves the state at each
        // boundary not saved before. received advances by size.
        auto hash = [&](const char* data, std::size_t size) {
            while (size > 0) {
                const std::uint64_t boundary = (received / kHashCheckpointBytes + 1) * kHashCheckpointBytes;
                const auto piece = static_cast<std::size_t>(std::min<std::uint64_t>(size, boundary - received));
                hasher.update(data, piece);
                received += piece;
                data += piece;
                size -= piece;
                if (received == boundary && received > checkpoints_.back().offset) {
                    checkpoints_.push_back(Checkpoint{received, hasher});
                }
            }
        };

        const BlobSink sink = [&](const char* data, std::size_t size) {
            if (received + size > blob_.size) {
                throw ferry::sdk::Error(FERRY_ERROR, where + " is larger than the " +
                                                         std::to_string(blob_.size) +
                                                         " bytes its descriptor states; the source is corrupt");
            }
            const std::uint64_t first = received;
            hash(data, size);
            if (received - reported >= kProgressStepBytes || received == blob_.size) {
                host_.progress(blob_.digest, received, blob_.size);
                reported = received;
            }

            // Bytes before offset were delivered by an earlier attempt; they are only hashed.
            const auto skipped = static_cast<std::size_t>(std::min<std::uint64_t>(
                size, offset > first ? offset - first : 0));
            if (size > skipped && !pipe.write(data + skipped, size - skipped)) {
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
                       policy_.max_retries(), "resume");
            wait_unless_cancelled(host_, decision.delay);
        }
    }
}

std::size_t MemoryBlobContent::read(char* buffer, std::size_t size) {
    const std::size_t count = std::min(size, bytes_.size() - std::min(offset_, bytes_.size()));
    std::memcpy(buffer, bytes_.data() + offset_, count);
    offset_ += count;
    return count;
}

} // namespace ferry::native
