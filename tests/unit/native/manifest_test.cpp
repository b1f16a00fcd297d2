#include "manifest.hpp"

#include <ferry/sdk.hpp>
#include <gtest/gtest.h>

namespace ferry::native {
namespace {

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');
const std::string kDigestC = "sha256:" + std::string(64, 'c');

TEST(ParseManifest, OciIndexWithPlatforms) {
    const std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kDigestA + R"(","size":500,
         "platform":{"os":"linux","architecture":"amd64"}},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kDigestB + R"(","size":501,
         "platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]})";
    const auto manifest = parse_manifest(body, "application/vnd.oci.image.index.v1+json");
    EXPECT_EQ(manifest.type.kind, ManifestKind::index);
    ASSERT_EQ(manifest.manifests.size(), 2u);
    EXPECT_EQ(manifest.manifests[0].digest, kDigestA);
    EXPECT_EQ(manifest.manifests[0].size, 500u);
    ASSERT_TRUE(manifest.manifests[1].platform.has_value());
    EXPECT_EQ(manifest.manifests[1].platform->to_string(), "linux/arm64/v8");
}

TEST(ParseManifest, ImageWithConfigAndLayers) {
    const std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
        "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + kDigestA + R"(","size":10},
        "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" + kDigestB + R"(","size":20}]})";
    const auto manifest = parse_manifest(body, "application/vnd.docker.distribution.manifest.v2+json");
    EXPECT_EQ(manifest.type.kind, ManifestKind::image);
    ASSERT_TRUE(manifest.config.has_value());
    EXPECT_EQ(manifest.config->digest, kDigestA);
    ASSERT_EQ(manifest.layers.size(), 1u);
    EXPECT_EQ(manifest.layers[0].size, 20u);
    EXPECT_FALSE(manifest.layers[0].is_foreign());
}

TEST(ParseManifest, ArtifactWithEmptyConfig) {
    const std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
        "artifactType":"application/vnd.example.report.v1+json",
        "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":")" + kDigestA + R"(","size":2},
        "layers":[{"mediaType":"application/json","digest":")" + kDigestB + R"(","size":7}]})";
    const auto manifest = parse_manifest(body, "application/vnd.oci.image.manifest.v1+json");
    EXPECT_EQ(manifest.artifact_type, "application/vnd.example.report.v1+json");
    EXPECT_EQ(manifest.config->media_type, "application/vnd.oci.empty.v1+json");
    EXPECT_EQ(manifest.layers.size(), 1u);
}

TEST(ParseManifest, ForeignLayerDetected) {
    const std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
        "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + kDigestA + R"(","size":10},
        "layers":[{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":")" + kDigestB +
                             R"(","size":20,"urls":["https://example.com/layer"]},
                  {"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip","digest":")" + kDigestC +
                             R"(","size":30}]})";
    const auto manifest = parse_manifest(body, "");
    ASSERT_EQ(manifest.layers.size(), 2u);
    EXPECT_TRUE(manifest.layers[0].is_foreign());
    EXPECT_EQ(manifest.layers[0].urls.at(0), "https://example.com/layer");
    EXPECT_FALSE(manifest.layers[1].is_foreign()); // no urls: the registry must hold it
}

TEST(ParseManifest, InvalidDigestRejected) {
    for (const std::string& digest : std::vector<std::string>{"sha256:abc", "md5:" + std::string(32, 'a'), "sha256:" + std::string(64, 'A'),
                                     std::string(64, 'a')}) {
        const std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + digest + R"(","size":1},"layers":[]})";
        EXPECT_THROW(parse_manifest(body, ""), ferry::sdk::Error) << digest;
    }
}

TEST(ParseManifest, NegativeOrMissingSizeRejected) {
    for (const char* size : {R"("size":-1)", R"("size":"5")", R"("other":1)"}) {
        const std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{"mediaType":"x","digest":")" + kDigestA + "\"," + size + R"(},"layers":[]})";
        EXPECT_THROW(parse_manifest(body, ""), ferry::sdk::Error) << size;
    }
}

TEST(ParseManifest, ImageWithoutConfigRejected) {
    EXPECT_THROW(parse_manifest(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]})", ""),
                 ferry::sdk::Error);
}

TEST(Platform, ParseAndMatch) {
    const auto requested = Platform::parse("linux/arm64");
    ASSERT_TRUE(requested.has_value());
    EXPECT_TRUE((Platform{"linux", "arm64", "v8"}).matches(*requested));
    EXPECT_FALSE((Platform{"linux", "amd64", ""}).matches(*requested));

    const auto with_variant = Platform::parse("linux/arm/v7");
    ASSERT_TRUE(with_variant.has_value());
    EXPECT_EQ(with_variant->variant, "v7");
    EXPECT_FALSE((Platform{"linux", "arm", "v6"}).matches(*with_variant));
    EXPECT_TRUE((Platform{"linux", "arm", "v7"}).matches(*with_variant));
}

TEST(Platform, ParseRejectsMalformed) {
    for (const char* text : {"linux", "linux/", "/amd64", "linux/arm/", "linux/arm/v7/x", ""}) {
        EXPECT_FALSE(Platform::parse(text).has_value()) << text;
    }
}

TEST(ParseConfigPlatform, ReadsOsArchitectureVariant) {
    const auto platform = parse_config_platform(R"({"os":"linux","architecture":"arm","variant":"v7","config":{}})");
    ASSERT_TRUE(platform.has_value());
    EXPECT_EQ(platform->to_string(), "linux/arm/v7");
    EXPECT_FALSE(parse_config_platform("{}").has_value());
    EXPECT_FALSE(parse_config_platform("not json").has_value());
}

} // namespace
} // namespace ferry::native
