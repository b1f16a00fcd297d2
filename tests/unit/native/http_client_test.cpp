// HttpClient against a loopback server: how TLS failures are classified and explained, how
// bodies beyond the buffer limit are cut, and cleanup requests after a cancellation.
#include "http_client.hpp"
#include "loopback_server.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace ferry::native {
namespace {

using testing::LoopbackServer;
using testing::ReceivedRequest;

TEST(HttpClientTls, PlainHttpServerIsPermanentWithHint) {
    LoopbackServer server([](const ReceivedRequest&) { return LoopbackServer::response(200); });
    const ferry::sdk::Host host{nullptr};
    HttpClient client(TlsConfig::load(true, ""), TransferSettings{}, host);
    HttpRequest request;
    request.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/v2/";

    try {
        client.perform(request);
        FAIL() << "expected a TLS failure";
    } catch (const TransferError& error) {
        const std::string message = error.what();
        EXPECT_EQ(error.failure().kind, Failure::Kind::rejected) << message;
        EXPECT_NE(message.find("wrong version number"), std::string::npos) << message;
        EXPECT_NE(message.find("speaks plain HTTP"), std::string::npos) << message;
        EXPECT_NE(message.find("--src-tls-verify=false"), std::string::npos) << message;
    }
}

TEST(HttpClientTls, PlainHttpServerStillReachableOverHttp) {
    LoopbackServer server([](const ReceivedRequest&) { return LoopbackServer::response(200, {}, "ok"); });
    const ferry::sdk::Host host{nullptr};
    HttpClient client(TlsConfig::load(true, ""), TransferSettings{}, host);
    HttpRequest https;
    https.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/v2/";
    EXPECT_THROW(client.perform(https), TransferError);

    // The failed attempt must not leave the client unusable.
    HttpRequest http;
    http.url = server.url() + "/v2/";
    const auto response = client.perform(http);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "ok");
}

TEST(HttpClientBody, BodyBeyondLimitCutWithoutError) {
    const std::string body(5 * 1024 * 1024, 'x');
    LoopbackServer server([&body](const ReceivedRequest&) { return LoopbackServer::response(200, {}, body); });
    const ferry::sdk::Host host{nullptr};
    HttpClient client(TlsConfig::load(false, ""), TransferSettings{}, host);
    HttpRequest request;
    request.url = server.url() + "/v2/repo/manifests/huge";
    request.max_buffered_body = 1000;

    const auto response = client.perform(request);

    EXPECT_EQ(response.status, 200);
    EXPECT_TRUE(response.body_truncated);
    EXPECT_EQ(response.body.size(), 1000u);
}

TEST(HttpClientBody, BodyWithinLimitKeptWhole) {
    LoopbackServer server([](const ReceivedRequest&) { return LoopbackServer::response(200, {}, "manifest"); });
    const ferry::sdk::Host host{nullptr};
    HttpClient client(TlsConfig::load(false, ""), TransferSettings{}, host);
    HttpRequest request;
    request.url = server.url() + "/v2/repo/manifests/small";
    request.max_buffered_body = 8;

    const auto response = client.perform(request);

    EXPECT_FALSE(response.body_truncated);
    EXPECT_EQ(response.body, "manifest");
}

// A host whose copy was interrupted (Ctrl-C).
ferry_host_api cancelled_host_api() {
    ferry_host_api api{};
    api.struct_size = sizeof(api);
    api.is_cancelled = [](void*) -> int32_t { return 1; };
    return api;
}

TEST(HttpClientCleanup, CancelledHostStopsOrdinaryRequest) {
    LoopbackServer server([](const ReceivedRequest&) { return LoopbackServer::response(202); });
    const auto api = cancelled_host_api();
    HttpClient client(TlsConfig::load(false, ""), TransferSettings{}, ferry::sdk::Host(&api));
    HttpRequest request;
    request.method = "DELETE";
    request.url = server.url() + "/v2/repo/blobs/uploads/session";

    try {
        client.perform(request);
        FAIL() << "expected cancellation";
    } catch (const ferry::sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_CANCELLED);
    }
    EXPECT_TRUE(server.requests().empty());
}

TEST(HttpClientCleanup, CleanupRequestSentDespiteCancellation) {
    LoopbackServer server([](const ReceivedRequest&) { return LoopbackServer::response(204); });
    const auto api = cancelled_host_api();
    HttpClient client(TlsConfig::load(false, ""), TransferSettings{}, ferry::sdk::Host(&api));
    HttpRequest request;
    request.method = "DELETE";
    request.url = server.url() + "/v2/repo/blobs/uploads/session";
    request.cleanup_timeout = std::chrono::milliseconds(2000);

    const auto response = client.perform(request);

    EXPECT_EQ(response.status, 204);
    const auto received = server.requests();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].method, "DELETE");
    EXPECT_EQ(received[0].target, "/v2/repo/blobs/uploads/session");
}

TEST(HttpClientCleanup, CleanupTimeoutBoundsSilentServer) {
    // A listening socket that never calls accept(): the kernel completes the connection, but
    // no response to the request ever arrives.
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    socklen_t length = sizeof(address);
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);

    const auto api = cancelled_host_api();
    TransferSettings settings;
    settings.stall_seconds = 0; // only the cleanup timeout may end the request
    HttpClient client(TlsConfig::load(false, ""), settings, ferry::sdk::Host(&api));
    HttpRequest request;
    request.method = "DELETE";
    request.url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/v2/repo/blobs/uploads/x";
    request.cleanup_timeout = std::chrono::milliseconds(300);

    const auto started = std::chrono::steady_clock::now();
    try {
        client.perform(request);
        FAIL() << "expected a timeout";
    } catch (const TransferError& error) {
        EXPECT_EQ(error.failure().kind, Failure::Kind::timeout) << error.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
    ::close(listener);
}

} // namespace
} // namespace ferry::native
