#include "url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ferry::native {
namespace {

TEST(Url, ParsesParts) {
    const auto url = Url::parse("HTTPS://Registry.Example:5000/v2/a/b?x=1&y=2#frag");
    ASSERT_TRUE(url.has_value());
    EXPECT_EQ(url->scheme, "https");
    EXPECT_EQ(url->authority, "Registry.Example:5000");
    EXPECT_EQ(url->path, "/v2/a/b");
    EXPECT_EQ(url->query, "x=1&y=2");
    EXPECT_EQ(url->fragment, "frag");
}

TEST(Url, RejectsNonHttp) {
    EXPECT_FALSE(Url::parse("ftp://host/x").has_value());
    EXPECT_FALSE(Url::parse("/relative/path").has_value());
    EXPECT_FALSE(Url::parse("https://user:pass@host/").has_value());
    EXPECT_FALSE(Url::parse("https:///path").has_value());
}

TEST(Url, OriginMakesDefaultPortExplicit) {
    EXPECT_EQ(Url::parse("https://Host.Example/x")->origin(), "https://host.example:443");
    EXPECT_EQ(Url::parse("http://host")->origin(), "http://host:80");
    EXPECT_EQ(Url::parse("http://[::1]:5000/v2/")->origin(), "http://[::1]:5000");
    EXPECT_EQ(Url::parse("http://[::1]/v2/")->origin(), "http://[::1]:80");
}

TEST(SameOrigin, ComparesSchemeHostAndPort) {
    EXPECT_TRUE(same_origin("https://r.example/v2/", "https://R.EXAMPLE:443/other?q"));
    EXPECT_TRUE(same_origin("http://127.0.0.1:5000/a", "http://127.0.0.1:5000/b"));
    EXPECT_FALSE(same_origin("http://127.0.0.1:5000/a", "http://127.0.0.1:5001/a"));
    EXPECT_FALSE(same_origin("http://127.0.0.1:5000/a", "https://127.0.0.1:5000/a"));
    EXPECT_FALSE(same_origin("http://127.0.0.1:5000/a", "http://localhost:5000/a"));
    EXPECT_FALSE(same_origin("https://r.example/", "https://r.example.evil.com/"));
    EXPECT_FALSE(same_origin("https://r.example/", "not a url"));
}

TEST(ResolveUrl, AbsoluteReference) {
    EXPECT_EQ(resolve_url("http://a:1/v2/x", "https://storage:9/blob?sig=1"), "https://storage:9/blob?sig=1");
}

TEST(ResolveUrl, NetworkPathReference) {
    EXPECT_EQ(resolve_url("https://a/v2/x", "//cdn.example/blob"), "https://cdn.example/blob");
}

TEST(ResolveUrl, AbsolutePathReference) {
    EXPECT_EQ(resolve_url("http://a:1/v2/x/blobs/uploads/?mount=1", "/v2/x/blobs/uploads/uuid?_state=abc"),
              "http://a:1/v2/x/blobs/uploads/uuid?_state=abc");
}

TEST(ResolveUrl, RelativePathReference) {
    EXPECT_EQ(resolve_url("http://a/v2/x/blobs/uploads/", "uuid?_state=s"), "http://a/v2/x/blobs/uploads/uuid?_state=s");
    EXPECT_EQ(resolve_url("http://a/v2/x/blobs/uploads/old", "../new"), "http://a/v2/x/blobs/new");
    EXPECT_EQ(resolve_url("http://a/v2/x/y", "./z"), "http://a/v2/x/z");
}

TEST(ResolveUrl, QueryOnlyReference) {
    EXPECT_EQ(resolve_url("http://a/v2/x?old=1", "?new=2"), "http://a/v2/x?new=2");
}

TEST(ResolveUrl, DotSegmentsCannotClimbAboveRoot) {
    EXPECT_EQ(resolve_url("http://a/b/c", "../../../d"), "http://a/d");
}

TEST(ResolveUrl, InvalidBaseThrows) {
    EXPECT_THROW(resolve_url("relative", "x"), std::invalid_argument);
    EXPECT_THROW(resolve_url("http://a/", "ftp://b/"), std::invalid_argument);
}

} // namespace
} // namespace ferry::native
