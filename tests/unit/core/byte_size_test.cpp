// parse_byte_size: the sizes accepted on the command line and the errors for the rest.
#include <ferry/core/byte_size.hpp>
#include <ferry/core/errors.hpp>

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

TEST(ByteSize, PlainNumberIsBytes) {
    EXPECT_EQ(parse_byte_size("33554433", "--size"), 33554433u);
    EXPECT_EQ(parse_byte_size("0", "--size"), 0u);
}

TEST(ByteSize, BinaryUnitsInEverySpelling) {
    EXPECT_EQ(parse_byte_size("32MiB", "--size"), 32 * kMiB);
    EXPECT_EQ(parse_byte_size("32M", "--size"), 32 * kMiB);
    EXPECT_EQ(parse_byte_size("32mb", "--size"), 32 * kMiB);
    EXPECT_EQ(parse_byte_size("32 MiB", "--size"), 32 * kMiB);
    EXPECT_EQ(parse_byte_size("512KiB", "--size"), 512u * 1024);
    EXPECT_EQ(parse_byte_size("2G", "--size"), 2048 * kMiB);
    EXPECT_EQ(parse_byte_size("1TiB", "--size"), 1024 * 1024 * kMiB);
    EXPECT_EQ(parse_byte_size("100B", "--size"), 100u);
}

TEST(ByteSize, FractionWithUnitThatMakesWholeBytes) {
    EXPECT_EQ(parse_byte_size("1.5GiB", "--size"), 1536 * kMiB);
    EXPECT_EQ(parse_byte_size("0.5K", "--size"), 512u);
}

TEST(ByteSize, RejectsFractionOfAByte) {
    EXPECT_THROW(parse_byte_size("1.5", "--size"), UsageError);
    EXPECT_THROW(parse_byte_size("0.1K", "--size"), UsageError);
}

TEST(ByteSize, RejectsUnknownUnitsAndNoise) {
    for (const char* text : {"", "MiB", "32XB", "32 M iB", "-1", "32MiBs", "nan", "inf", "1e30", "1e9", "1.2.3M",
                             "+5M", ".M"}) {
        EXPECT_THROW(parse_byte_size(text, "--size"), UsageError) << text;
    }
}

TEST(ByteSize, ErrorNamesOptionAndValue) {
    try {
        parse_byte_size("32QB", "--upload-chunk-size");
        FAIL() << "expected a UsageError";
    } catch (const UsageError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("--upload-chunk-size"), std::string::npos) << message;
        EXPECT_NE(message.find("\"32QB\""), std::string::npos) << message;
        EXPECT_NE(message.find("32MiB"), std::string::npos) << message;
    }
}

} // namespace
} // namespace ferry::core
