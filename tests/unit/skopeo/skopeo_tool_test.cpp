#include "fake_skopeo.hpp"
#include "skopeo_tool.hpp"

#include <ferry/sdk.hpp>

#include <gtest/gtest.h>

#include <filesystem>

namespace ferry::skopeo {
namespace {

TEST(SkopeoVersion, ParsesPlainVersion) {
    const auto version = parse_skopeo_version("skopeo version 1.9.3\n");
    ASSERT_TRUE(version.has_value());
    EXPECT_EQ(version->major, 1);
    EXPECT_EQ(version->minor, 9);
    EXPECT_EQ(version->patch, 3);
    EXPECT_EQ(version->text(), "1.9.3");
}

TEST(SkopeoVersion, ParsesVersionWithCommit) {
    const auto version = parse_skopeo_version("skopeo version 1.13.3 commit: 1f2c3d\n");
    ASSERT_TRUE(version.has_value());
    EXPECT_EQ(version->text(), "1.13.3");
}

TEST(SkopeoVersion, RejectsOutputWithoutVersion) {
    EXPECT_FALSE(parse_skopeo_version("usage: skopeo [flags]").has_value());
    EXPECT_FALSE(parse_skopeo_version("").has_value());
}

TEST(SkopeoVersion, OrdersNumerically) {
    EXPECT_LT((SkopeoVersion{1, 4, 1}), (SkopeoVersion{1, 13, 3}));
    EXPECT_LT((SkopeoVersion{1, 3, 9}), kOldestSupportedVersion);
    EXPECT_FALSE((SkopeoVersion{1, 4, 1}) < kOldestSupportedVersion);
}

TEST(Capabilities, Skopeo141LacksMultiArchAndPreserveDigests) {
    const Capabilities capabilities = capabilities_of({1, 4, 1});
    EXPECT_FALSE(capabilities.multi_arch_flag);
    EXPECT_FALSE(capabilities.preserve_digests);
}

TEST(Capabilities, Skopeo159LacksMultiArch) {
    EXPECT_FALSE(capabilities_of({1, 5, 9}).multi_arch_flag);
}

TEST(Capabilities, Skopeo160HasBoth) {
    const Capabilities capabilities = capabilities_of({1, 6, 0});
    EXPECT_TRUE(capabilities.multi_arch_flag);
    EXPECT_TRUE(capabilities.preserve_digests);
}

TEST(Capabilities, Skopeo193And1133HaveBoth) {
    for (const SkopeoVersion version : {SkopeoVersion{1, 9, 3}, SkopeoVersion{1, 13, 3}}) {
        const Capabilities capabilities = capabilities_of(version);
        EXPECT_TRUE(capabilities.multi_arch_flag) << version.text();
        EXPECT_TRUE(capabilities.preserve_digests) << version.text();
    }
}

class LocateSkopeo : public ::testing::Test {
protected:
    LocateSkopeo() {
        std::filesystem::create_directory(directory_.path() / "bin");
        executable_ = directory_.path() / "bin" / "skopeo";
        testing::write_text(executable_, "#!/bin/sh\n");
        std::filesystem::permissions(executable_, std::filesystem::perms::owner_all);
    }

    testing::ScratchDirectory directory_{"ferry-locate"};
    std::filesystem::path executable_;
};

TEST_F(LocateSkopeo, ConfiguredAbsolutePathWins) {
    EXPECT_EQ(locate_skopeo(executable_.string(), "/nonexistent"), executable_.string());
}

TEST_F(LocateSkopeo, ConfiguredRelativePathIsInvalid) {
    try {
        locate_skopeo(std::string("bin/skopeo"), "/usr/bin");
        FAIL() << "a relative skopeo-path was accepted";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
        EXPECT_NE(std::string(error.what()).find("bin/skopeo"), std::string::npos);
    }
}

TEST_F(LocateSkopeo, ConfiguredMissingFileIsUnsupported) {
    try {
        locate_skopeo((directory_.path() / "missing").string(), "/usr/bin");
        FAIL() << "a missing skopeo-path was accepted";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_UNSUPPORTED);
    }
}

TEST_F(LocateSkopeo, SearchSkipsRelativeEntries) {
    const std::string search = "bin::.:" + (directory_.path() / "bin").string();
    const std::filesystem::path previous = std::filesystem::current_path();
    std::filesystem::current_path(directory_.path());

    const std::string found = locate_skopeo(std::nullopt, search);

    std::filesystem::current_path(previous);
    EXPECT_EQ(found, executable_.string());
}

TEST_F(LocateSkopeo, NonExecutableIsSkipped) {
    std::filesystem::permissions(executable_, std::filesystem::perms::owner_read);
    try {
        locate_skopeo(std::nullopt, (directory_.path() / "bin").string());
        FAIL() << "a non-executable skopeo was accepted";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_UNSUPPORTED);
        EXPECT_NE(std::string(error.what()).find("apt-get install skopeo"), std::string::npos);
        EXPECT_NE(std::string(error.what()).find("--backend native"), std::string::npos);
    }
}

} // namespace
} // namespace ferry::skopeo
