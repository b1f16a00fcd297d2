// PipedBlobContent with a scripted source: integrity checks before the last byte, and resuming
// a broken download at the first byte not yet received.
#include "blob_content.hpp"
#include "digest.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace ferry::native {
namespace {

// A source that serves one blob, optionally failing once after `fail_after` bytes.
class ScriptedSource : public ImageSource {
public:
    explicit ScriptedSource(std::string content) : content_(std::move(content)) {}

    std::string describe() const override { return "scripted"; }
    void prepare(HttpClient&) override {}
    ManifestData read_manifest(HttpClient&, const std::string&) override { throw std::logic_error("unused"); }
    std::optional<std::pair<std::string, std::string>> registry_location() const override { return std::nullopt; }

    void read_blob(HttpClient&, const Descriptor&, std::uint64_t offset, const BlobSink& sink) override {
        offsets.push_back(offset);
        for (std::uint64_t position = offset; position < content_.size(); position += step) {
            if (fail_after && position >= *fail_after) {
                fail_after.reset();
                throw TransferError(Failure{Failure::Kind::network, 0, true, std::nullopt}, "connection reset");
            }
            const auto count = std::min<std::uint64_t>(step, content_.size() - position);
            sink(content_.data() + position, static_cast<std::size_t>(count));
        }
    }

    std::optional<std::uint64_t> fail_after;
    std::vector<std::uint64_t> offsets;
    std::uint64_t step = 3; // bytes per sink call

private:
    std::string content_;
};

class PipedBlobContentTest : public ::testing::Test {
protected:
    std::string drain(BlobContent& content) {
        std::string received;
        char buffer[5];
        content.start();
        while (const auto count = content.read(buffer, sizeof(buffer))) {
            received.append(buffer, count);
        }
        content.stop();
        return received;
    }

    ferry::sdk::Host host_{nullptr};
    HttpClient client_{TlsConfig{}, TransferSettings{}, host_};
    RetryPolicy policy_{3, std::chrono::milliseconds(1), std::chrono::milliseconds(2)};
};

TEST_F(PipedBlobContentTest, DeliversVerifiedContent) {
    const std::string data = "the content of one blob, longer than one read";
    ScriptedSource source(data);
    PipedBlobContent content(source, client_, Descriptor{"", compute_digest(data), data.size(), {}, {}}, host_, policy_);

    EXPECT_EQ(drain(content), data);
    EXPECT_EQ(source.offsets, std::vector<std::uint64_t>{0});
}

TEST_F(PipedBlobContentTest, DigestMismatchWithholdsLastByte) {
    const std::string data = "tampered content";
    ScriptedSource source(data);
    PipedBlobContent content(source, client_, Descriptor{"", compute_digest("original content"), data.size(), {}, {}},
                             host_, policy_);

    std::string received;
    char buffer[64];
    content.start();
    try {
        while (const auto count = content.read(buffer, sizeof(buffer))) {
            received.append(buffer, count);
        }
        FAIL() << "expected a digest error";
    } catch (const ferry::sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR);
        EXPECT_NE(std::string(error.what()).find("corrupt"), std::string::npos) << error.what();
    }
    content.stop();
    EXPECT_EQ(received, data.substr(0, data.size() - 1));
}

TEST_F(PipedBlobContentTest, SizeMismatchRejected) {
    const std::string data = "short";
    ScriptedSource source(data);
    PipedBlobContent content(source, client_, Descriptor{"", compute_digest(data), data.size() + 10, {}, {}}, host_,
                             policy_);

    EXPECT_THROW(drain(content), ferry::sdk::Error);
}

TEST_F(PipedBlobContentTest, BrokenDownloadResumesAtReceivedOffset) {
    const std::string data = "0123456789abcdefghijklmnopqrstuvwxyz";
    ScriptedSource source(data);
    source.fail_after = 12;
    PipedBlobContent content(source, client_, Descriptor{"", compute_digest(data), data.size(), {}, {}}, host_, policy_);

    EXPECT_EQ(drain(content), data);
    ASSERT_EQ(source.offsets.size(), 2u);
    EXPECT_EQ(source.offsets[0], 0u);
    EXPECT_EQ(source.offsets[1], 12u);
}

TEST_F(PipedBlobContentTest, RestartBeginsAgainAtZero) {
    const std::string data = "restartable";
    ScriptedSource source(data);
    PipedBlobContent content(source, client_, Descriptor{"", compute_digest(data), data.size(), {}, {}}, host_, policy_);

    EXPECT_EQ(drain(content), data);
    EXPECT_EQ(drain(content), data);
    EXPECT_EQ(source.offsets, (std::vector<std::uint64_t>{0, 0}));
}

// Bytes whose every 8 MiB piece differs, so a resume from the wrong checkpoint fails the digest.
std::string patterned_bytes(std::size_t size) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        data[i] = static_cast<char>((i * 7 + i / 4093) & 0xff);
    }
    return data;
}

std::string drain_from(BlobContent& content, std::uint64_t offset) {
    std::string received;
    std::vector<char> buffer(256 * 1024);
    content.start_at(offset);
    while (const auto count = content.read(buffer.data(), buffer.size())) {
        received.append(buffer.data(), count);
    }
    content.stop();
    return received;
}

TEST_F(PipedBlobContentTest, StartAtOffsetDownloadsFromCheckpoint) {
    const std::string data = patterned_bytes(2 * kHashCheckpointBytes + 12345);
    ScriptedSource source(data);
    source.step = 64 * 1024 + 1; // pieces that straddle checkpoint boundaries
    PipedBlobContent content(source, client_, Descriptor{"", compute_digest(data), data.size(), {}, {}}, host_, policy_);
    EXPECT_EQ(drain_from(content, 0), data);

    const std::uint64_t offset = kHashCheckpointBytes + 1000;
    const std::string resumed = drain_from(content, offset);

    EXPECT_EQ(resumed.size(), data.size() - offset);
    EXPECT_TRUE(resumed == data.substr(offset)) << "resumed bytes differ from the blob's tail";
    EXPECT_EQ(source.offsets, (std::vector<std::uint64_t>{0, kHashCheckpointBytes}));
}

TEST_F(PipedBlobContentTest, StartAtOffsetBeforeFirstCheckpoint) {
    const std::string data = "0123456789abcdefghijklmnopqrstuvwxyz";
    ScriptedSource source(data);
    PipedBlobContent content(source, client_, Descriptor{"", compute_digest(data), data.size(), {}, {}}, host_, policy_);

    EXPECT_EQ(drain_from(content, 20), data.substr(20));
    EXPECT_EQ(source.offsets, std::vector<std::uint64_t>{0});
}

TEST_F(PipedBlobContentTest, StartAtOffsetStillChecksDigest) {
    const std::string data = patterned_bytes(kHashCheckpointBytes + 100);
    std::string tampered = data;
    tampered[kHashCheckpointBytes + 50] ^= 1;
    ScriptedSource source(tampered);
    source.step = 4096;
    PipedBlobContent content(source, client_, Descriptor{"", compute_digest(data), data.size(), {}, {}}, host_, policy_);

    EXPECT_THROW(drain_from(content, kHashCheckpointBytes + 10), ferry::sdk::Error);
}

TEST(MemoryBlobContent, ReadsFromStartEachTime) {
    const std::string data = "config bytes";
    MemoryBlobContent content(data);
    char buffer[64];
    content.start();
    EXPECT_EQ(content.read(buffer, sizeof(buffer)), data.size());
    EXPECT_EQ(content.read(buffer, sizeof(buffer)), 0u);
    content.start();
    EXPECT_EQ(content.read(buffer, 6), 6u);
    EXPECT_EQ(std::string(buffer, 6), "config");
}

TEST(MemoryBlobContent, StartAtOffsetReadsTail) {
    const std::string data = "config bytes";
    MemoryBlobContent content(data);
    char buffer[64];
    content.start_at(7);
    EXPECT_EQ(content.read(buffer, sizeof(buffer)), 5u);
    EXPECT_EQ(std::string(buffer, 5), "bytes");
}

} // namespace
} // namespace ferry::native
