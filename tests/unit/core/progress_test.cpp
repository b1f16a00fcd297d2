#include <ferry/core/progress.hpp>

#include <gtest/gtest.h>

using ferry::core::render_progress;
using ferry::core::Transfer;

namespace {

const std::string kLayerA = "sha256:aaaaaaaaaaaa0000000000000000000000000000000000000000000000000000";
const std::string kLayerB = "sha256:bbbbbbbbbbbb0000000000000000000000000000000000000000000000000000";

} // namespace

TEST(RenderProgress, TerminalShowsBarPerUnfinishedBlob) {
    std::map<std::string, Transfer> transfers = {{kLayerA, {512, 1024}}, {kLayerB, {1024, 1024}}};

    auto lines = render_progress(transfers, 1.0, true);

    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "sha256:aaaaaaaaaaaa [############............] 512 B / 1.0 KiB");
    EXPECT_EQ(lines[1], "total        [##################......] progress: 1/2 blobs, 1.5 KiB of 2.0 KiB, 1.5 KiB/s");
}

TEST(RenderProgress, LogModeWritesTotalOnly) {
    std::map<std::string, Transfer> transfers = {{kLayerA, {512, 1024}}};

    auto lines = render_progress(transfers, 2.0, false);

    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], "progress: 0/1 blobs, 512 B of 1.0 KiB, 256 B/s");
}

TEST(RenderProgress, ManyBlobsCollapseIntoMoreLine) {
    std::map<std::string, Transfer> transfers;
    for (int i = 0; i < 9; ++i) {
        transfers["sha256:" + std::to_string(i) + std::string(63, '0')] = Transfer{1, 10};
    }

    auto lines = render_progress(transfers, 1.0, true, 6);

    ASSERT_EQ(lines.size(), 8u);
    EXPECT_EQ(lines[6], "+3 more blobs in transfer");
}

TEST(RenderProgress, UnknownTotalDrawsEmptyBar) {
    std::map<std::string, Transfer> transfers = {{kLayerA, {100, 0}}};

    auto lines = render_progress(transfers, 0.0, true);

    EXPECT_EQ(lines[0], "sha256:aaaaaaaaaaaa [........................] 100 B / 0 B");
    EXPECT_EQ(lines[1], "total        [........................] progress: 0/1 blobs, 100 B of 0 B, 0 B/s");
}
