// RegistryStore::write_blob against a scripted registry on a loopback server: a large blob goes
// up in one streamed PATCH, a failed PATCH continues at the offset the registry reports, and a
// lost session ends the attempt so that the caller restarts the blob.
#include "blob_content.hpp"
#include "digest.hpp"
#include "loopback_server.hpp"
#include "registry_store.hpp"

#include <gtest/gtest.h>

#include <functional>

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
        RegistryStore store(FERRY_SIDE_DESTINATION, side, host_, &policy_);
        store.prepare(http_);

        MemoryBlobContent content(data);
        const Descriptor blob{"application/octet-stream", compute_digest(data), data.size(), {}, {}};
        return store.write_blob(http_, blob, std::nullopt, content);
    }

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
        EXPECT_NE(std::string(error.what()).find("restarting the blob"), std::string::npos) << error.what();
    }
    EXPECT_EQ(requests_with_method(server, "PATCH").size(), 1u);
    EXPECT_EQ(requests_with_method(server, "PUT").size(), 0u);
    EXPECT_EQ(requests_with_method(server, "DELETE").size(), 1u);
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
