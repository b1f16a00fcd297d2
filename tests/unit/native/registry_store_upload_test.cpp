// RegistryStore::write_blob against a scripted registry on a loopback server: a large blob goes
// up in streamed PATCH requests of the chunk size (one without chunking), a failed PATCH
// continues at the offset the registry reports, and a lost session ends the attempt so that the
// caller restarts the blob.
#include "blob_content.hpp"
#include "digest.hpp"
#include "loopback_server.hpp"
#include "registry_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>

namespace ferry::native {
namespace {

using testing::LoopbackServer;
using testing::ReceivedRequest;

constexpr const char* kUploadPath = "/v2/repo/blobs/uploads/session";

std::string blob_bytes(std::size_t size) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        data[i] = static_cast<char>((i * 31 + i / 1021) & 0xff);
    }
    return data;
}

// Routes /v2/, the POST that opens the session and the closing PUT; every request to the
// session's URL goes to on_session.
LoopbackServer::Handler scripted_registry(std::function<std::string(const ReceivedRequest&)> on_session) {
    return [on_session](const ReceivedRequest& request) {
        if (request.target == "/v2/") {
            return LoopbackServer::response(200);
        }
        if (request.method == "POST") {
            return LoopbackServer::response(202, {std::string("Location: ") + kUploadPath + "?_state=0"});
        }
        if (request.method == "PUT") {
            return LoopbackServer::response(201);
        }
        return on_session(request);
    };
}

std::vector<ReceivedRequest> requests_with_method(const LoopbackServer& server, const std::string& method) {
    std::vector<ReceivedRequest> found;
    for (const auto& request : server.requests()) {
        if (request.method == method) {
            found.push_back(request);
        }
    }
    return found;
}

class StreamedUploadTest : public ::testing::Test {
protected:
    BlobWrite write(LoopbackServer& server, const std::string& data) {
        ferry::sdk::Side side;
        side.role = FERRY_SIDE_DESTINATION;
        side.image.registry = "127.0.0.1:" + std::to_string(server.port());
        side.image.repository = "repo";
        side.tls_verify = false;
        side.credential = credential_;
        RegistryStore store(FERRY_SIDE_DESTINATION, side, host_, &policy_, chunk_bytes_);
        store.prepare(http_);

        MemoryBlobContent content(data);
        const Descriptor blob{"application/octet-stream", compute_digest(data), data.size(), {}, {}};
        return store.write_blob(http_, blob, std::nullopt, content);
    }

    std::uint64_t chunk_bytes_ = 0; // one PATCH per blob unless a test sets a size
    std::optional<ferry::sdk::Credential> credential_;
    ferry::sdk::Host host_{nullptr};
    HttpClient http_{TlsConfig::load(false, ""), TransferSettings{}, host_};
    RetryPolicy policy_{3, std::chrono::milliseconds(1), std::chrono::milliseconds(2)};
};

TEST_F(StreamedUploadTest, LargeBlobGoesInOnePatch) {
    const std::string data = blob_bytes(kMonolithicUploadLimit + 4096);
    LoopbackServer server(scripted_registry([](const ReceivedRequest&) {
        return LoopbackServer::response(202, {std::string("Location: ") + kUploadPath + "?_state=1"});
    }));

    EXPECT_EQ(write(server, data), BlobWrite::uploaded);

    const auto patches = requests_with_method(server, "PATCH");
    ASSERT_EQ(patches.size(), 1u);
    EXPECT_EQ(patches[0].headers.at("content-range"), "0-" + std::to_string(data.size() - 1));
    EXPECT_TRUE(patches[0].body == data) << "the PATCH body differs from the blob";
    const auto puts = requests_with_method(server, "PUT");
    ASSERT_EQ(puts.size(), 1u);
    EXPECT_EQ(puts[0].target, std::string(kUploadPath) + "?_state=1&digest=" + compute_digest(data));
    EXPECT_TRUE(puts[0].body.empty());
}

TEST_F(StreamedUploadTest, FailedPatchContinuesAtReportedOffset) {
    const std::string data = blob_bytes(kMonolithicUploadLimit + 4096);
    const std::size_t kept = 5 * 1024 * 1024;
    int patches_seen = 0;
    LoopbackServer server(scripted_registry([&](const ReceivedRequest& request) {
        if (request.method == "GET") {
            return LoopbackServer::response(204, {"Range: 0-" + std::to_string(kept - 1),
                                                  std::string("Location: ") + kUploadPath + "?_state=kept"});
        }
        if (++patches_seen == 1) {
            return LoopbackServer::response(503); // a proxy error; this registry kept `kept` bytes
        }
        return LoopbackServer::response(202, {std::string("Location: ") + kUploadPath + "?_state=2"});
    }));

    EXPECT_EQ(write(server, data), BlobWrite::uploaded);

    const auto patches = requests_with_method(server, "PATCH");
    ASSERT_EQ(patches.size(), 2u);
    EXPECT_EQ(patches[1].target, std::string(kUploadPath) + "?_state=kept");
    EXPECT_EQ(patches[1].headers.at("content-range"),
              std::to_string(kept) + "-" + std::to_string(data.size() - 1));
    EXPECT_EQ(patches[1].body.size(), data.size() - kept);
    EXPECT_TRUE(patches[1].body == data.substr(kept)) << "the resumed PATCH does not carry the blob's tail";
    EXPECT_EQ(requests_with_method(server, "PUT").size(), 1u);
}

TEST_F(StreamedUploadTest, LostSessionFailsAttemptAndCancels) {
    const std::string data = blob_bytes(kMonolithicUploadLimit + 4096);
    LoopbackServer server(scripted_registry([](const ReceivedRequest& request) {
        if (request.method == "PATCH") {
            return LoopbackServer::response(503);
        }
        return LoopbackServer::response(404); // the status query and the DELETE
    }));

    try {
        write(server, data);
        FAIL() << "expected the lost session to fail the attempt";
    } catch (const TransferError& error) {
        EXPECT_EQ(error.failure().kind, Failure::Kind::network);
        EXPECT_NE(std::string(error.what()).find("must start again"), std::string::npos) << error.what();
    }
    EXPECT_EQ(requests_with_method(server, "PATCH").size(), 1u);
    EXPECT_EQ(requests_with_method(server, "PUT").size(), 0u);
    EXPECT_EQ(requests_with_method(server, "DELETE").size(), 1u);
}

// Each PATCH response names the next _state, as docker-registry does.
LoopbackServer::Handler counting_session(int& patches_seen) {
    return scripted_registry([&patches_seen](const ReceivedRequest&) {
        return LoopbackServer::response(
            202, {std::string("Location: ") + kUploadPath + "?_state=" + std::to_string(++patches_seen)});
    });
}

TEST_F(StreamedUploadTest, LargeBlobGoesInChunks) {
    chunk_bytes_ = 1024 * 1024;
    const std::string data = blob_bytes(chunk_bytes_ * 5 / 2);
    int patches_seen = 0;
    LoopbackServer server(counting_session(patches_seen));

    EXPECT_EQ(write(server, data), BlobWrite::uploaded);

    const auto patches = requests_with_method(server, "PATCH");
    ASSERT_EQ(patches.size(), 3u);
    const std::size_t chunk = chunk_bytes_;
    const std::size_t starts[] = {0, chunk, 2 * chunk};
    for (std::size_t i = 0; i < 3; ++i) {
        const std::size_t end = std::min(starts[i] + chunk, data.size());
        EXPECT_EQ(patches[i].headers.at("content-range"),
                  std::to_string(starts[i]) + "-" + std::to_string(end - 1));
        EXPECT_TRUE(patches[i].body == data.substr(starts[i], end - starts[i])) << "chunk " << i;
        // Each chunk goes to the Location the previous response named.
        EXPECT_EQ(patches[i].target, std::string(kUploadPath) + "?_state=" + std::to_string(i));
    }
    const auto puts = requests_with_method(server, "PUT");
    ASSERT_EQ(puts.size(), 1u);
    EXPECT_EQ(puts[0].target, std::string(kUploadPath) + "?_state=3&digest=" + compute_digest(data));
}

TEST_F(StreamedUploadTest, TwoChunkBlobSendsNoEmptyChunk) {
    chunk_bytes_ = 1024 * 1024;
    const std::string data = blob_bytes(chunk_bytes_ * 2);
    int patches_seen = 0;
    LoopbackServer server(counting_session(patches_seen));

    EXPECT_EQ(write(server, data), BlobWrite::uploaded);

    const auto patches = requests_with_method(server, "PATCH");
    ASSERT_EQ(patches.size(), 2u);
    EXPECT_EQ(patches[1].headers.at("content-range"),
              std::to_string(chunk_bytes_) + "-" + std::to_string(data.size() - 1));
}

TEST_F(StreamedUploadTest, ChunkSizedBlobGoesInOnePut) {
    chunk_bytes_ = 1024 * 1024;
    const std::string data = blob_bytes(chunk_bytes_);
    LoopbackServer server(scripted_registry([](const ReceivedRequest&) { return LoopbackServer::response(500); }));

    EXPECT_EQ(write(server, data), BlobWrite::uploaded);

    EXPECT_EQ(requests_with_method(server, "PATCH").size(), 0u);
    const auto puts = requests_with_method(server, "PUT");
    ASSERT_EQ(puts.size(), 1u);
    EXPECT_TRUE(puts[0].body == data);
}

TEST_F(StreamedUploadTest, FailedChunkContinuesAtReportedOffsetInChunks) {
    chunk_bytes_ = 1024 * 1024;
    const std::string data = blob_bytes(chunk_bytes_ * 3);
    int patches_seen = 0;
    LoopbackServer server(scripted_registry([&](const ReceivedRequest& request) {
        if (request.method == "GET") {
            return LoopbackServer::response(204, {"Range: 0-" + std::to_string(chunk_bytes_ - 1),
                                                  std::string("Location: ") + kUploadPath + "?_state=kept"});
        }
        if (++patches_seen == 2) {
            return LoopbackServer::response(503); // the second chunk fails; the first is kept
        }
        return LoopbackServer::response(202, {std::string("Location: ") + kUploadPath + "?_state=next"});
    }));

    EXPECT_EQ(write(server, data), BlobWrite::uploaded);

    const auto patches = requests_with_method(server, "PATCH");
    ASSERT_EQ(patches.size(), 4u);
    EXPECT_EQ(patches[2].target, std::string(kUploadPath) + "?_state=kept");
    EXPECT_EQ(patches[2].headers.at("content-range"),
              std::to_string(chunk_bytes_) + "-" + std::to_string(2 * chunk_bytes_ - 1));
    EXPECT_TRUE(patches[2].body == data.substr(chunk_bytes_, chunk_bytes_)) << "the resent chunk differs";
    EXPECT_TRUE(patches[3].body == data.substr(2 * chunk_bytes_)) << "the last chunk differs";
    EXPECT_EQ(requests_with_method(server, "PUT").size(), 1u);
}

TEST_F(StreamedUploadTest, RejectedTokenBetweenChunksRenewedAndChunkResent) {
    chunk_bytes_ = 1024 * 1024;
    credential_ = ferry::sdk::Credential{"ci", ferry::sdk::Secret("pushing"), {}, {}, "input"};
    const std::string data = blob_bytes(chunk_bytes_ * 2);
    int patches_seen = 0;
    LoopbackServer server(scripted_registry([&](const ReceivedRequest& request) {
        if (request.method == "GET") {
            return LoopbackServer::response(204, {"Range: 0-" + std::to_string(chunk_bytes_ - 1),
                                                  std::string("Location: ") + kUploadPath + "?_state=kept"});
        }
        if (++patches_seen == 2) {
            return LoopbackServer::response(401, {"WWW-Authenticate: Basic realm=\"registry\""});
        }
        return LoopbackServer::response(202, {std::string("Location: ") + kUploadPath + "?_state=next"});
    }));

    EXPECT_EQ(write(server, data), BlobWrite::uploaded);

    const auto patches = requests_with_method(server, "PATCH");
    ASSERT_EQ(patches.size(), 3u);
    EXPECT_EQ(patches[2].target, std::string(kUploadPath) + "?_state=kept");
    EXPECT_EQ(patches[2].headers.at("content-range"),
              std::to_string(chunk_bytes_) + "-" + std::to_string(2 * chunk_bytes_ - 1));
    EXPECT_TRUE(patches[2].body == data.substr(chunk_bytes_)) << "the resent chunk differs";
    EXPECT_EQ(patches[2].headers.count("authorization"), 1u) << "the resent chunk carries no credentials";
    EXPECT_EQ(requests_with_method(server, "PUT").size(), 1u);
}

TEST_F(StreamedUploadTest, SmallBlobGoesInOnePut) {
    const std::string data = blob_bytes(1000);
    LoopbackServer server(scripted_registry([](const ReceivedRequest&) { return LoopbackServer::response(500); }));

    EXPECT_EQ(write(server, data), BlobWrite::uploaded);

    EXPECT_EQ(requests_with_method(server, "PATCH").size(), 0u);
    const auto puts = requests_with_method(server, "PUT");
    ASSERT_EQ(puts.size(), 1u);
    EXPECT_EQ(puts[0].body, data);
}

} // namespace
} // namespace ferry::native
