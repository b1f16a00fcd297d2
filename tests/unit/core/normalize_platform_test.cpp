// normalize_platform: the --platform values accepted, and their canonical form.
#include <ferry/core/copy_job.hpp>
#include <ferry/core/errors.hpp>

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

TEST(NormalizePlatform, CanonicalValueUnchanged) {
    EXPECT_EQ(normalize_platform("linux/amd64"), "linux/amd64");
    EXPECT_EQ(normalize_platform("linux/arm64/v8"), "linux/arm64/v8");
}

TEST(NormalizePlatform, UppercaseLowered) {
    EXPECT_EQ(normalize_platform("Linux/AMD64"), "linux/amd64");
    EXPECT_EQ(normalize_platform("LINUX/ARM/V7"), "linux/arm/v7");
}

TEST(NormalizePlatform, UnameArchitecturesMapped) {
    EXPECT_EQ(normalize_platform("linux/x86_64"), "linux/amd64");
    EXPECT_EQ(normalize_platform("linux/aarch64"), "linux/arm64");
    EXPECT_EQ(normalize_platform("linux/aarch64/v8"), "linux/arm64/v8");
    EXPECT_EQ(normalize_platform("linux/i686"), "linux/386");
}

TEST(NormalizePlatform, MalformedRejectedWithExample) {
    for (const char* text : {"linux", "linux/", "/amd64", "linux/arm/v7/extra", "linux/am d64", ""}) {
        try {
            normalize_platform(text);
            FAIL() << "accepted \"" << text << "\"";
        } catch (const UsageError& error) {
            EXPECT_NE(std::string(error.what()).find("linux/arm64/v8"), std::string::npos) << error.what();
        }
    }
}

} // namespace
} // namespace ferry::core
