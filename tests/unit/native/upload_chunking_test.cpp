// UploadChunking: chunk lengths, and halving the chunk size after a chunk broke off mid-body.
#include "upload_chunking.hpp"

#include <gtest/gtest.h>

namespace ferry::native {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

TEST(UploadChunking, NextLengthIsChunkOrRemainder) {
    const UploadChunking chunking(32 * kMiB);
    EXPECT_EQ(chunking.next_length(0, 100 * kMiB), 32 * kMiB);
    EXPECT_EQ(chunking.next_length(96 * kMiB, 100 * kMiB), 4 * kMiB);
    EXPECT_EQ(chunking.next_length(100 * kMiB, 100 * kMiB), 0u);
}

TEST(UploadChunking, ZeroChunkSendsTheRestInOneRequest) {
    UploadChunking chunking(0);
    EXPECT_EQ(chunking.next_length(7, 100 * kMiB), 100 * kMiB - 7);
    EXPECT_EQ(chunking.connection_limit(), 0u);
    EXPECT_EQ(chunking.record_break(kMiB, 100 * kMiB), 0u) << "a chosen single request stays single";
}

TEST(UploadChunking, BreakMidChunkHalvesTheSize) {
    UploadChunking chunking(32 * kMiB);
    EXPECT_EQ(chunking.record_break(12 * kMiB, 32 * kMiB), 16 * kMiB);
    EXPECT_EQ(chunking.chunk_bytes(), 16 * kMiB);
    EXPECT_EQ(chunking.connection_limit(), 16 * kMiB);
    EXPECT_EQ(chunking.record_break(12 * kMiB, 16 * kMiB), 8 * kMiB);
}

TEST(UploadChunking, BreakBeforeFirstByteKeepsTheSize) {
    UploadChunking chunking(32 * kMiB);
    EXPECT_EQ(chunking.record_break(0, 32 * kMiB), 0u);
    EXPECT_EQ(chunking.chunk_bytes(), 32 * kMiB);
}

TEST(UploadChunking, BreakAfterWholeBodyWentToSocketHalves) {
    // The body can sit in socket buffers when the link cuts it, so a full send still counts.
    UploadChunking chunking(32 * kMiB);
    EXPECT_EQ(chunking.record_break(32 * kMiB, 32 * kMiB), 16 * kMiB);
}

TEST(UploadChunking, HalvingStopsAtFiveMiB) {
    UploadChunking chunking(8 * kMiB);
    EXPECT_EQ(chunking.record_break(kMiB, 8 * kMiB), kMinimumAdaptedChunkBytes);
    EXPECT_EQ(chunking.record_break(kMiB, kMinimumAdaptedChunkBytes), 0u);
    EXPECT_EQ(chunking.chunk_bytes(), 5 * kMiB);
}

TEST(UploadChunking, ConfiguredSizeBelowFloorNeverShrinks) {
    UploadChunking chunking(2 * kMiB);
    EXPECT_EQ(chunking.record_break(kMiB, 2 * kMiB), 0u);
    EXPECT_EQ(chunking.chunk_bytes(), 2 * kMiB);
}

TEST(UploadChunking, SimultaneousBreaksOfParallelUploadsHalveOnce) {
    UploadChunking chunking(32 * kMiB);
    // Four uploads sent 32 MiB chunks; all broke on the same link.
    EXPECT_EQ(chunking.record_break(20 * kMiB, 32 * kMiB), 16 * kMiB);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(chunking.record_break(20 * kMiB, 32 * kMiB), 0u);
    }
    EXPECT_EQ(chunking.chunk_bytes(), 16 * kMiB);
}

} // namespace
} // namespace ferry::native
