#include "kv_path.hpp"

#include <ferry/sdk.hpp>

#include <gtest/gtest.h>

namespace ferry::vault {
namespace {

KvMount mount(const std::string& path, int version) { return KvMount{path, version}; }

TEST(ExpandPathTemplate, ReplacesRegistryWithPort) {
    EXPECT_EQ(expand_path_template("secret/data/ferry/registries/{registry}", "reg.example.com:5000"),
              "secret/data/ferry/registries/reg.example.com:5000");
}

TEST(ExpandPathTemplate, ReplacesEveryOccurrenceAndTrimsSlashes) {
    EXPECT_EQ(expand_path_template("/kv/{registry}/{registry}/", "docker.io"),
              "kv/docker.io/docker.io");
}

TEST(ExpandPathTemplate, RejectsUnknownPlaceholder) {
    try {
        expand_path_template("secret/{repository}", "docker.io");
        FAIL() << "expected an error";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
        EXPECT_NE(std::string(error.what()).find("{repository}"), std::string::npos) << error.what();
    }
}

TEST(ExpandPathTemplate, RejectsRegistryWithPathCharacters) {
    EXPECT_THROW(expand_path_template("secret/{registry}", "reg/../../sys"), sdk::Error);
    EXPECT_THROW(expand_path_template("secret/{registry}", ""), sdk::Error);
}

TEST(ParseMount, ReadsPathAndVersion) {
    const auto parsed = parse_mount({{"path", "secret/"}, {"type", "kv"}, {"options", {{"version", "2"}}}});
    EXPECT_EQ(parsed.path, "secret/");
    EXPECT_EQ(parsed.version, 2);
}

TEST(ParseMount, NullOptionsIsVersionOne) {
    const auto parsed = parse_mount({{"path", "kv"}, {"type", "kv"}, {"options", nullptr}});
    EXPECT_EQ(parsed.path, "kv/");
    EXPECT_EQ(parsed.version, 1);
}

TEST(ParseMount, RejectsMissingPath) {
    EXPECT_THROW(parse_mount({{"type", "kv"}}), sdk::Error);
}

TEST(KvReadPath, V2AddsDataOnce) {
    EXPECT_EQ(kv_read_path("secret/ferry/reg", mount("secret/", 2)), "secret/data/ferry/reg");
    EXPECT_EQ(kv_read_path("secret/data/ferry/reg", mount("secret/", 2)), "secret/data/ferry/reg");
}

TEST(KvReadPath, V2MountNamedDataTeam) {
    EXPECT_EQ(kv_read_path("data-team/ferry/reg", mount("data-team/", 2)),
              "data-team/data/ferry/reg");
    EXPECT_EQ(kv_read_path("data-team/data/ferry/reg", mount("data-team/", 2)),
              "data-team/data/ferry/reg");
}

TEST(KvReadPath, V2MountNamedData) {
    EXPECT_EQ(kv_read_path("data/reg", mount("data/", 2)), "data/data/reg");
    EXPECT_EQ(kv_read_path("data/data/reg", mount("data/", 2)), "data/data/reg");
}

TEST(KvReadPath, V2SecretNamedDataNeedsItTwice) {
    EXPECT_EQ(kv_read_path("secret/data/data/reg", mount("secret/", 2)), "secret/data/data/reg");
}

TEST(KvReadPath, V2NestedMount) {
    EXPECT_EQ(kv_read_path("team/kv/ferry/reg", mount("team/kv/", 2)), "team/kv/data/ferry/reg");
}

TEST(KvReadPath, V1Unchanged) {
    EXPECT_EQ(kv_read_path("kv/data/reg", mount("kv/", 1)), "kv/data/reg");
    EXPECT_EQ(kv_read_path("kv/ferry/reg", mount("kv/", 1)), "kv/ferry/reg");
}

TEST(KvReadPath, V2RejectsMountItself) {
    EXPECT_THROW(kv_read_path("secret/data", mount("secret/", 2)), sdk::Error);
}

TEST(KvReadPath, V2RejectsForeignMount) {
    EXPECT_THROW(kv_read_path("other/reg", mount("secret/", 2)), sdk::Error);
}

} // namespace
} // namespace ferry::vault
