#include "transfer_options.hpp"

#include <gtest/gtest.h>

namespace ferry::native {
namespace {

ferry::sdk::Settings settings(std::vector<std::pair<const char*, const char*>> values) {
    std::vector<ferry_setting> raw;
    for (const auto& [key, value] : values) {
        raw.push_back(ferry_setting{key, value});
    }
    return ferry::sdk::Settings(raw.data(), raw.size());
}

TEST(TransferOptions, Defaults) {
    const auto options = TransferOptions::from(settings({}));
    EXPECT_EQ(options.jobs, 4);
    EXPECT_EQ(options.retry_times, 3);
    EXPECT_EQ(options.transfer.timeout_milliseconds, 0);
    EXPECT_EQ(options.transfer.stall_seconds, 60);
    EXPECT_FALSE(options.transfer.force_http1);
    EXPECT_EQ(options.upload_chunk_bytes, 32u * 1024 * 1024);
}

TEST(TransferOptions, ReadsEverySetting) {
    const auto options = TransferOptions::from(settings(
        {{"jobs", "8"}, {"retry-times", "0"}, {"timeout", "2.5"}, {"stall-timeout", "5"}, {"force-http1", "true"},
         {"upload-chunk-size", "5242880"}}));
    EXPECT_EQ(options.jobs, 8);
    EXPECT_EQ(options.retry_times, 0);
    EXPECT_EQ(options.transfer.timeout_milliseconds, 2500);
    EXPECT_EQ(options.transfer.stall_seconds, 5);
    EXPECT_TRUE(options.transfer.force_http1);
    EXPECT_EQ(options.upload_chunk_bytes, 5242880u);
}

TEST(TransferOptions, ZeroChunkSizeTurnsChunkingOff) {
    EXPECT_EQ(TransferOptions::from(settings({{"upload-chunk-size", "0"}})).upload_chunk_bytes, 0u);
}

TEST(TransferOptions, FractionalStallRoundsUp) {
    EXPECT_EQ(TransferOptions::from(settings({{"stall-timeout", "0.2"}})).transfer.stall_seconds, 1);
    EXPECT_EQ(TransferOptions::from(settings({{"stall-timeout", "2.5"}})).transfer.stall_seconds, 3);
}

TEST(TransferOptions, InvalidValuesNameKeyAndValue) {
    for (const auto& [key, value] : std::vector<std::pair<const char*, const char*>>{
             {"jobs", "0"}, {"jobs", "four"}, {"retry-times", "-1"}, {"timeout", "1e"}, {"stall-timeout", "-2"}, {"force-http1", "yes"},
             {"upload-chunk-size", "1048575"}, {"upload-chunk-size", "32MiB"}}) {
        try {
            TransferOptions::from(settings({{key, value}}));
            FAIL() << key << "=" << value;
        } catch (const ferry::sdk::Error& error) {
            EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
            EXPECT_NE(std::string(error.what()).find(key), std::string::npos);
            EXPECT_NE(std::string(error.what()).find(value), std::string::npos);
        }
    }
}

} // namespace
} // namespace ferry::native
