#include "blob_content.hpp"
#include "digest.hpp"
#include "layout_store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace ferry::native {
namespace {

namespace fs = std::filesystem;

class LayoutStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("ferry-layout-test-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
    }
    void TearDown() override { fs::remove_all(root_); }

    static std::string read(const fs::path& path) {
        std::ifstream stream(path, std::ios::binary);
        std::ostringstream text;
        text << stream.rdbuf();
        return text.str();
    }

    // Writes a one-layer image under tag and returns its manifest.
    ManifestData write_image(LayoutStore& store, const std::string& layer, const std::optional<std::string>& tag) {
        const std::string config = R"({"os":"linux","architecture":"amd64"})";
        const Descriptor config_blob{"application/vnd.oci.image.config.v1+json", compute_digest(config), config.size(), {}, {}};
        const Descriptor layer_blob{"application/vnd.oci.image.layer.v1.tar", compute_digest(layer), layer.size(), {}, {}};
        MemoryBlobContent config_content(config);
        MemoryBlobContent layer_content(layer);
        store.write_blob(client_, config_blob, std::nullopt, config_content);
        store.write_blob(client_, layer_blob, std::nullopt, layer_content);

        ManifestData manifest;
        manifest.bytes = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                         config_blob.digest + R"(","size":)" + std::to_string(config.size()) +
                         R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" +
                         layer_blob.digest + R"(","size":)" + std::to_string(layer.size()) + "}]}";
        manifest.media_type = "application/vnd.oci.image.manifest.v1+json";
        manifest.digest = compute_digest(manifest.bytes);
        store.write_manifest(client_, manifest, parse_manifest(manifest.bytes, manifest.media_type), tag);
        return manifest;
    }

    fs::path root_;
    ferry::sdk::Host host_{nullptr};
    HttpClient client_{TlsConfig{}, TransferSettings{}, host_};
};

TEST_F(LayoutStoreTest, WritesLayoutAndReadsItBack) {
    LayoutStore store(root_, host_);
    const auto manifest = write_image(store, "layer one", std::string("v1"));

    EXPECT_EQ(nlohmann::json::parse(read(root_ / "oci-layout"))["imageLayoutVersion"], "1.0.0");
    const auto index = nlohmann::json::parse(read(root_ / "index.json"));
    ASSERT_EQ(index["manifests"].size(), 1u);
    EXPECT_EQ(index["manifests"][0]["digest"], manifest.digest);
    EXPECT_EQ(index["manifests"][0]["annotations"][kRefNameAnnotation], "v1");
    EXPECT_EQ(index["manifests"][0]["mediaType"], manifest.media_type);

    const auto read_back = store.read_manifest(client_, "v1");
    EXPECT_EQ(read_back.bytes, manifest.bytes);
    EXPECT_EQ(read_back.digest, manifest.digest);
    EXPECT_EQ(store.manifest_digest(client_, "v1"), manifest.digest);
    EXPECT_EQ(store.read_manifest(client_, "").digest, manifest.digest); // the only image
    EXPECT_EQ(store.read_manifest(client_, manifest.digest).digest, manifest.digest);
}

TEST_F(LayoutStoreTest, ReplacingRefKeepsOtherEntries) {
    LayoutStore store(root_, host_);
    const auto first = write_image(store, "first", std::string("v1"));
    const auto other = write_image(store, "other", std::string("v2"));
    const auto second = write_image(store, "second", std::string("v1"));

    const auto index = nlohmann::json::parse(read(root_ / "index.json"));
    ASSERT_EQ(index["manifests"].size(), 2u);
    EXPECT_EQ(store.manifest_digest(client_, "v1"), second.digest);
    EXPECT_EQ(store.manifest_digest(client_, "v2"), other.digest);
    EXPECT_NE(first.digest, second.digest);
    EXPECT_FALSE(store.manifest_digest(client_, "v3").has_value());
}

TEST_F(LayoutStoreTest, ManifestByDigestAloneLeavesIndexUntouched) {
    LayoutStore store(root_, host_);
    const auto manifest = write_image(store, "child", std::nullopt);
    EXPECT_TRUE(fs::exists(root_ / "blobs" / "sha256" / parse_digest(manifest.digest)->hex));
    EXPECT_FALSE(fs::exists(root_ / "index.json"));
}

TEST_F(LayoutStoreTest, CorruptBlobContentLeavesNoFile) {
    LayoutStore store(root_, host_);
    const std::string content = "actual bytes";
    const Descriptor blob{"application/octet-stream", compute_digest("expected bytes"), content.size(), {}, {}};
    MemoryBlobContent memory(content);
    EXPECT_THROW(store.write_blob(client_, blob, std::nullopt, memory), ferry::sdk::Error);
    EXPECT_FALSE(store.has_blob(client_, blob));

    // No temporary file is left behind either.
    std::size_t files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root_)) {
        files += entry.is_regular_file() ? 1 : 0;
    }
    EXPECT_EQ(files, 0u);
}

TEST_F(LayoutStoreTest, CorruptManifestDetectedOnRead) {
    LayoutStore store(root_, host_);
    const auto manifest = write_image(store, "layer", std::string("v1"));
    std::ofstream(root_ / "blobs" / "sha256" / parse_digest(manifest.digest)->hex, std::ios::trunc) << "{}";
    try {
        store.read_manifest(client_, "v1");
        FAIL() << "expected a digest error";
    } catch (const ferry::sdk::Error& error) {
        EXPECT_NE(std::string(error.what()).find(manifest.digest), std::string::npos) << error.what();
    }
}

TEST_F(LayoutStoreTest, UnknownRefListsAvailableNames) {
    LayoutStore store(root_, host_);
    write_image(store, "a", std::string("v1"));
    write_image(store, "b", std::string("v2"));
    try {
        store.read_manifest(client_, "nope");
        FAIL() << "expected an error";
    } catch (const ferry::sdk::Error& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("\"nope\""), std::string::npos) << message;
        EXPECT_NE(message.find("v1, v2"), std::string::npos) << message;
    }
}

TEST_F(LayoutStoreTest, ReadWriteStorePrepareCreatesEmptyLayout) {
    LayoutStore store(root_, host_, LayoutStore::Access::read_write);
    store.prepare(client_);

    EXPECT_EQ(nlohmann::json::parse(read(root_ / "oci-layout"))["imageLayoutVersion"], "1.0.0");
    const auto index = nlohmann::json::parse(read(root_ / "index.json"));
    EXPECT_EQ(index["schemaVersion"], 2);
    ASSERT_TRUE(index["manifests"].is_array());
    EXPECT_TRUE(index["manifests"].empty());
}

TEST_F(LayoutStoreTest, ReadWriteStorePrepareKeepsExistingIndex) {
    LayoutStore first(root_, host_);
    const auto manifest = write_image(first, "layer", std::string("v1"));

    LayoutStore second(root_, host_, LayoutStore::Access::read_write);
    second.prepare(client_);
    EXPECT_EQ(second.manifest_digest(client_, "v1"), manifest.digest);
}

TEST_F(LayoutStoreTest, ReadOnlyStorePrepareCreatesNothing) {
    LayoutStore store(root_, host_);
    store.prepare(client_);
    EXPECT_FALSE(fs::exists(root_));
}

// Every writer has its own store, as parallel ferry processes do, so only the file lock on the
// layout keeps their index.json updates from overwriting each other.
TEST_F(LayoutStoreTest, ParallelStoresKeepEveryTag) {
    constexpr int kWriters = 8;
    constexpr int kTagsPerWriter = 5;
    std::vector<std::thread> writers;
    for (int writer = 0; writer < kWriters; ++writer) {
        writers.emplace_back([this, writer] {
            LayoutStore store(root_, host_); // a layout store never uses the HTTP client
            for (int round = 0; round < kTagsPerWriter; ++round) {
                const auto tag = "t" + std::to_string(writer) + "-" + std::to_string(round);
                write_image(store, "layer " + tag, tag);
            }
        });
    }
    for (auto& writer : writers) {
        writer.join();
    }

    const auto index = nlohmann::json::parse(read(root_ / "index.json"));
    EXPECT_EQ(index["manifests"].size(), static_cast<std::size_t>(kWriters * kTagsPerWriter));
    LayoutStore reader(root_, host_);
    for (int writer = 0; writer < kWriters; ++writer) {
        for (int round = 0; round < kTagsPerWriter; ++round) {
            const auto tag = "t" + std::to_string(writer) + "-" + std::to_string(round);
            EXPECT_TRUE(reader.manifest_digest(client_, tag).has_value()) << tag;
        }
    }
}

} // namespace
} // namespace ferry::native
