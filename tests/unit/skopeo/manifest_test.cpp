#include "manifest.hpp"

#include <ferry/sdk.hpp>

#include <gtest/gtest.h>

namespace ferry::skopeo {
namespace {

const std::string kIndex = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {"digest": "sha256:aa", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
    {"digest": "sha256:bb", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
    {"digest": "sha256:cc", "platform": {"os": "linux", "architecture": "arm64"}},
    {"digest": "sha256:dd", "platform": {"os": "unknown", "architecture": "unknown"}},
    {"digest": "sha256:ee"}
  ]
})";

TEST(Sha256Digest, KnownValues) {
    EXPECT_EQ(sha256_digest(""),
              "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_digest("abc"),
              "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ParseManifest, IndexEntries) {
    const Manifest manifest = parse_manifest(kIndex);

    EXPECT_TRUE(manifest.is_index);
    ASSERT_EQ(manifest.entries.size(), 5u);
    EXPECT_EQ(manifest.entries[1].digest, "sha256:bb");
    ASSERT_TRUE(manifest.entries[1].platform.has_value());
    EXPECT_EQ(manifest.entries[1].platform->text(), "linux/arm64/v8");
    EXPECT_FALSE(manifest.entries[4].platform.has_value());
}

TEST(ParseManifest, OciIndexWithoutMediaType) {
    EXPECT_TRUE(parse_manifest(R"({"schemaVersion":2,"manifests":[]})").is_index);
}

TEST(ParseManifest, SingleManifestConfigType) {
    const Manifest manifest = parse_manifest(
        R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.ferry.test+json"}})");

    EXPECT_FALSE(manifest.is_index);
    EXPECT_EQ(manifest.config_media_type, "application/vnd.ferry.test+json");
    EXPECT_FALSE(is_image_config(manifest.config_media_type));
}

TEST(ParseManifest, RejectsNonObject) {
    EXPECT_THROW(parse_manifest("[1,2]"), sdk::Error);
    EXPECT_THROW(parse_manifest("not json"), sdk::Error);
}

TEST(SelectPlatform, VariantMustMatchWhenGiven) {
    const Manifest manifest = parse_manifest(kIndex);

    const IndexEntry* entry = select_platform(manifest, Platform{"linux", "arm64", "v8"});
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->digest, "sha256:bb");
    EXPECT_EQ(select_platform(manifest, Platform{"linux", "arm", "v6"}), nullptr);
}

TEST(SelectPlatform, WithoutVariantPrefersEntryWithoutVariant) {
    const Manifest manifest = parse_manifest(kIndex);

    const IndexEntry* entry = select_platform(manifest, Platform{"linux", "arm64", ""});
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->digest, "sha256:cc");
}

TEST(SelectPlatform, WithoutVariantFallsBackToFirstVariant) {
    const Manifest manifest = parse_manifest(kIndex);

    const IndexEntry* entry = select_platform(manifest, Platform{"linux", "arm", ""});
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->digest, "sha256:aa");
}

TEST(PlatformList, SkipsUnknownAndMissing) {
    EXPECT_EQ(platform_list(parse_manifest(kIndex)), "linux/arm/v7,linux/arm64/v8,linux/arm64");
}

TEST(Platform, ParsesTwoAndThreeParts) {
    const Platform two = Platform::parse("linux/amd64");
    EXPECT_EQ(two.os, "linux");
    EXPECT_EQ(two.architecture, "amd64");
    EXPECT_EQ(two.variant, "");
    EXPECT_EQ(Platform::parse("linux/arm64/v8").variant, "v8");
}

TEST(Platform, RejectsMalformedText) {
    for (const char* text : {"linux", "linux/", "/amd64", "linux//v8", "a/b/c/d", ""}) {
        try {
            Platform::parse(text);
            ADD_FAILURE() << "accepted \"" << text << "\"";
        } catch (const sdk::Error& error) {
            EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT) << text;
        }
    }
}

TEST(PlatformOfConfig, ReadsOsArchitectureVariant) {
    const auto platform =
        platform_of_config(R"({"os":"linux","architecture":"arm","variant":"v7","config":{}})");
    ASSERT_TRUE(platform.has_value());
    EXPECT_EQ(platform->text(), "linux/arm/v7");
    EXPECT_FALSE(platform_of_config(R"({"architecture":"amd64"})").has_value());
    EXPECT_FALSE(platform_of_config("garbage").has_value());
}

} // namespace
} // namespace ferry::skopeo
