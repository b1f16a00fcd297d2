// RegistryClient against loopback servers: redirects, the origin rule for credentials, token
// caching and the 401 renewal.
#include "loopback_server.hpp"
#include "registry_client.hpp"

#include <gtest/gtest.h>

namespace ferry::native {
namespace {

using testing::LoopbackServer;
using testing::ReceivedRequest;

ferry::sdk::Credential registry_token(const std::string& token) {
    ferry::sdk::Credential credential;
    credential.registry_token = ferry::sdk::Secret(token);
    return credential;
}

ferry::sdk::Credential password(const std::string& user, const std::string& secret) {
    ferry::sdk::Credential credential;
    credential.username = user;
    credential.password = ferry::sdk::Secret(secret);
    return credential;
}

class RegistryClientTest : public ::testing::Test {
protected:
    ferry::sdk::Host host_{nullptr};
    HttpClient http_{TlsConfig::load(false, ""), TransferSettings{}, host_};

    HttpRequest get(const LoopbackServer& server, const std::string& path) {
        HttpRequest request;
        request.url = server.url() + path;
        return request;
    }
};

TEST_F(RegistryClientTest, RedirectToOtherOriginDropsAuthorization) {
    LoopbackServer storage([](const ReceivedRequest&) { return LoopbackServer::response(200, {}, "blob-bytes"); });
    LoopbackServer registry([&](const ReceivedRequest& request) {
        if (request.target == "/v2/") {
            return LoopbackServer::response(200);
        }
        return LoopbackServer::response(307, {"Location: " + storage.url() + "/data?signature=abc"});
    });
    RegistryClient client("127.0.0.1:" + std::to_string(registry.port()), registry_token("secret-token"), false, host_);
    client.ping(http_);

    std::string body;
    auto request = get(registry, "/v2/repo/blobs/sha256:x");
    request.sink = [&](const char* data, std::size_t size) { body.append(data, size); };
    const auto response = client.send(http_, request, {"repository:repo:pull"}, "reading a blob");

    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(body, "blob-bytes");
    ASSERT_EQ(storage.requests().size(), 1u);
    EXPECT_EQ(storage.requests()[0].target, "/data?signature=abc");
    EXPECT_EQ(storage.requests()[0].headers.count("authorization"), 0u);
    const auto registry_requests = registry.requests();
    ASSERT_EQ(registry_requests.size(), 2u);
    EXPECT_EQ(registry_requests[1].headers.at("authorization"), "Bearer secret-token");
}

TEST_F(RegistryClientTest, RelativeRedirectKeepsAuthorization) {
    LoopbackServer registry([](const ReceivedRequest& request) {
        if (request.target == "/v2/repo/blobs/sha256:x") {
            return LoopbackServer::response(307, {"Location: /mirror/data"});
        }
        return LoopbackServer::response(200, {}, "ok");
    });
    RegistryClient client("127.0.0.1:" + std::to_string(registry.port()), registry_token("t"), false, host_);
    client.ping(http_);

    const auto response = client.send(http_, get(registry, "/v2/repo/blobs/sha256:x"), {}, "reading");

    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "ok");
    const auto requests = registry.requests();
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(requests[2].target, "/mirror/data");
    EXPECT_EQ(requests[2].headers.at("authorization"), "Bearer t");
}

TEST_F(RegistryClientTest, RedirectLoopStops) {
    LoopbackServer registry([](const ReceivedRequest& request) {
        if (request.target == "/v2/") {
            return LoopbackServer::response(200);
        }
        return LoopbackServer::response(302, {"Location: /v2/loop"});
    });
    RegistryClient client("127.0.0.1:" + std::to_string(registry.port()), std::nullopt, false, host_);
    client.ping(http_);

    EXPECT_THROW(client.send(http_, get(registry, "/v2/loop"), {}, "looping"), TransferError);
}

TEST_F(RegistryClientTest, BearerTokenFetchedOnceAndCachedPerScope) {
    LoopbackServer tokens([](const ReceivedRequest&) {
        return LoopbackServer::response(200, {"Content-Type: application/json"}, R"({"token":"tok-1","expires_in":300})");
    });
    LoopbackServer registry([&](const ReceivedRequest& request) {
        const auto authorization = request.headers.count("authorization") ? request.headers.at("authorization") : "";
        if (authorization != "Bearer tok-1") {
            return LoopbackServer::response(
                401, {"WWW-Authenticate: Bearer realm=\"" + tokens.url() + "/token?x=1\",service=\"reg\""});
        }
        return LoopbackServer::response(200, {}, "ok");
    });
    RegistryClient client("127.0.0.1:" + std::to_string(registry.port()), password("user", "pw"), false, host_);
    client.ping(http_);

    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(client.send(http_, get(registry, "/v2/a/manifests/v1"), {"repository:a:pull"}, "reading").status, 200);
    }

    const auto token_requests = tokens.requests();
    ASSERT_EQ(token_requests.size(), 1u);
    EXPECT_EQ(token_requests[0].target, "/token?x=1&service=reg&scope=repository%3Aa%3Apull&account=user");
    EXPECT_EQ(token_requests[0].headers.at("authorization"), "Basic dXNlcjpwdw==");
    // The ping, then three requests that all carried the token.
    EXPECT_EQ(registry.requests().size(), 4u);
}

TEST_F(RegistryClientTest, RejectedTokenRenewedOnce) {
    int issued = 0;
    LoopbackServer tokens([&](const ReceivedRequest&) {
        ++issued;
        return LoopbackServer::response(200, {}, R"({"access_token":"tok-)" + std::to_string(issued) + R"("})");
    });
    LoopbackServer registry([&](const ReceivedRequest& request) {
        const auto authorization = request.headers.count("authorization") ? request.headers.at("authorization") : "";
        if (authorization != "Bearer tok-2") {
            return LoopbackServer::response(401, {"WWW-Authenticate: Bearer realm=\"" + tokens.url() + "/t\""});
        }
        return LoopbackServer::response(200);
    });
    RegistryClient client("127.0.0.1:" + std::to_string(registry.port()), std::nullopt, false, host_);
    client.ping(http_);

    const auto response = client.send(http_, get(registry, "/v2/a/manifests/v1"), {"repository:a:pull"}, "reading");

    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(issued, 2);
}

TEST_F(RegistryClientTest, IdentityTokenUsesRefreshTokenGrant) {
    LoopbackServer tokens([](const ReceivedRequest&) {
        return LoopbackServer::response(200, {}, R"({"access_token":"from-refresh","expires_in":600})");
    });
    LoopbackServer registry([&](const ReceivedRequest& request) {
        if (request.headers.count("authorization") && request.headers.at("authorization") == "Bearer from-refresh") {
            return LoopbackServer::response(200);
        }
        return LoopbackServer::response(401, {"WWW-Authenticate: Bearer realm=\"" + tokens.url() + "/oauth\",service=\"reg\""});
    });
    ferry::sdk::Credential credential;
    credential.identity_token = ferry::sdk::Secret("refresh-me");
    RegistryClient client("127.0.0.1:" + std::to_string(registry.port()), credential, false, host_);
    client.ping(http_);

    EXPECT_EQ(client.send(http_, get(registry, "/v2/a/manifests/v1"), {"repository:a:pull,push", "repository:b:pull"},
                          "reading").status,
              200);

    const auto token_requests = tokens.requests();
    ASSERT_EQ(token_requests.size(), 1u);
    EXPECT_EQ(token_requests[0].method, "POST");
    EXPECT_EQ(token_requests[0].target, "/oauth");
    EXPECT_EQ(token_requests[0].headers.at("content-type"), "application/x-www-form-urlencoded");
    EXPECT_EQ(token_requests[0].body,
              "grant_type=refresh_token&client_id=ferry&service=reg&scope=repository%3Aa%3Apull%2Cpush%20"
              "repository%3Ab%3Apull&refresh_token=refresh-me");
    EXPECT_EQ(token_requests[0].headers.count("authorization"), 0u);
}

TEST_F(RegistryClientTest, ErrorNamesStatusAndRegistryCode) {
    RegistryClient client("registry.example", std::nullopt, true, host_);
    HttpResponse response;
    response.status = 404;
    response.body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})";

    const auto error = client.unexpected_status(response, "reading manifest v1 from r/a", true);

    EXPECT_STREQ(error.what(), "reading manifest v1 from r/a: HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)");
    EXPECT_EQ(error.failure().http_status, 404);
}

TEST_F(RegistryClientTest, PlainHttpFallbackOnlyWithoutVerification) {
    LoopbackServer registry([](const ReceivedRequest&) { return LoopbackServer::response(200); });
    const auto name = "127.0.0.1:" + std::to_string(registry.port());

    RegistryClient insecure(name, std::nullopt, false, host_);
    EXPECT_NO_THROW(insecure.ping(http_));
    EXPECT_EQ(insecure.url("/v2/"), registry.url() + "/v2/");

    HttpClient verifying(TlsConfig::load(true, ""), TransferSettings{}, host_);
    RegistryClient secure(name, std::nullopt, true, host_);
    EXPECT_THROW(secure.ping(verifying), TransferError);
}

} // namespace
} // namespace ferry::native
