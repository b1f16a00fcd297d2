#include "media_types.hpp"

#include <ferry/sdk.hpp>
#include <gtest/gtest.h>

namespace ferry::native {
namespace {

constexpr const char* kOciManifestBody =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]})";
constexpr const char* kDockerListBody =
    R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]})";

TEST(DetectManifestType, ExactContentType) {
    const auto type = detect_manifest_type("application/vnd.oci.image.index.v1+json", R"({"schemaVersion":2,"manifests":[]})");
    EXPECT_EQ(type.media_type, "application/vnd.oci.image.index.v1+json");
    EXPECT_EQ(type.kind, ManifestKind::index);
}

TEST(DetectManifestType, GenericContentTypeUsesBodyMediaType) {
    for (const char* header : {"application/json", "text/plain", "application/octet-stream", ""}) {
        const auto type = detect_manifest_type(header, kDockerListBody);
        EXPECT_EQ(type.media_type, "application/vnd.docker.distribution.manifest.list.v2+json") << header;
        EXPECT_EQ(type.kind, ManifestKind::index) << header;
    }
}

TEST(DetectManifestType, ParameterisedContentTypeStripped) {
    const auto type = detect_manifest_type("Application/VND.docker.distribution.manifest.v2+json; charset=utf-8",
                                           R"({"schemaVersion":2,"config":{},"layers":[]})");
    EXPECT_EQ(type.media_type, "application/vnd.docker.distribution.manifest.v2+json");
    EXPECT_EQ(type.kind, ManifestKind::image);
}

TEST(DetectManifestType, BodyMediaTypeWinsOverHeader) {
    const auto type = detect_manifest_type("application/vnd.oci.image.index.v1+json", kOciManifestBody);
    EXPECT_EQ(type.media_type, "application/vnd.oci.image.manifest.v1+json");
    EXPECT_EQ(type.kind, ManifestKind::image);
}

TEST(DetectManifestType, StructureWhenNothingElse) {
    EXPECT_EQ(detect_manifest_type("application/json", R"({"schemaVersion":2,"manifests":[]})").media_type,
              "application/vnd.oci.image.index.v1+json");
    EXPECT_EQ(detect_manifest_type("", R"({"schemaVersion":2,"config":{},"layers":[]})").media_type,
              "application/vnd.oci.image.manifest.v1+json");
}

TEST(DetectManifestType, Schema1IsRejectedClearly) {
    for (const auto& [header, body] : std::vector<std::pair<std::string, std::string>>{
             {"application/vnd.docker.distribution.manifest.v1+prettyjws", R"({"schemaVersion":1})"},
             {"application/json", R"({"schemaVersion":1,"name":"x","fsLayers":[]})"},
             {"application/vnd.docker.distribution.manifest.v1+json", "{}"}}) {
        try {
            detect_manifest_type(header, body);
            FAIL() << "expected an error for " << header;
        } catch (const ferry::sdk::Error& error) {
            EXPECT_EQ(error.status(), FERRY_ERROR);
            EXPECT_NE(std::string(error.what()).find("schema 1"), std::string::npos) << error.what();
        }
    }
}

TEST(DetectManifestType, NotJsonIsAnError) {
    EXPECT_THROW(detect_manifest_type("application/vnd.oci.image.manifest.v1+json", "<html>"), ferry::sdk::Error);
    EXPECT_THROW(detect_manifest_type("application/json", R"({"hello":"world"})"), ferry::sdk::Error);
}

TEST(AcceptHeader, ListsEveryManifestType) {
    const auto accept = media_type::accept_header();
    for (const auto type : {media_type::kOciIndex, media_type::kOciManifest, media_type::kDockerManifestList,
                            media_type::kDockerManifest, media_type::kDockerSchema1Signed}) {
        EXPECT_NE(accept.find(type), std::string::npos) << type;
    }
}

TEST(BareMediaType, StripsParametersAndCase) {
    EXPECT_EQ(bare_media_type("  Application/JSON ; charset=utf-8"), "application/json");
    EXPECT_EQ(bare_media_type(""), "");
}

} // namespace
} // namespace ferry::native
