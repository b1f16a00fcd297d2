#include "fake_skopeo.hpp"
#include "layout_lock.hpp"

#include <ferry/sdk.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

namespace ferry::skopeo {
namespace {

using testing::ScratchDirectory;

// Returns true when a separate open of directory can take the lock right now.
bool lock_is_free(const std::filesystem::path& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    return free;
}

TEST(LayoutLock, CreatesMissingDirectory) {
    ScratchDirectory scratch("ferry-layout-lock");
    const auto layout = scratch.path() / "new" / "layout";

    const LayoutLock lock = LayoutLock::acquire(layout.string(), nullptr);

    EXPECT_TRUE(std::filesystem::is_directory(layout));
}

TEST(LayoutLock, ExcludesOthersUntilDestroyed) {
    ScratchDirectory scratch("ferry-layout-lock");
    {
        const LayoutLock lock = LayoutLock::acquire(scratch.path().string(), nullptr);
        EXPECT_FALSE(lock_is_free(scratch.path()));
    }

    EXPECT_TRUE(lock_is_free(scratch.path()));
}

TEST(LayoutLock, MoveKeepsTheLock) {
    ScratchDirectory scratch("ferry-layout-lock");
    LayoutLock first = LayoutLock::acquire(scratch.path().string(), nullptr);

    const LayoutLock second = std::move(first);

    EXPECT_FALSE(lock_is_free(scratch.path()));
}

TEST(LayoutLock, WaitEndsWhenStopped) {
    ScratchDirectory scratch("ferry-layout-lock");
    const LayoutLock holder = LayoutLock::acquire(scratch.path().string(), nullptr);
    int polls = 0;

    try {
        LayoutLock::acquire(scratch.path().string(), [&] { return ++polls >= 3; },
                            std::chrono::milliseconds(1));
        ADD_FAILURE() << "acquired a lock that is held";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_CANCELLED);
        EXPECT_NE(std::string(error.what()).find(scratch.path().string()), std::string::npos) << error.what();
    }
    EXPECT_EQ(polls, 3);
}

TEST(LayoutLock, PathThatIsAFileFails) {
    ScratchDirectory scratch("ferry-layout-lock");
    const auto file = scratch.path() / "index.json";
    testing::write_text(file, "{}");

    try {
        LayoutLock::acquire(file.string(), nullptr);
        ADD_FAILURE() << "locked a regular file as a layout directory";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR);
        EXPECT_NE(std::string(error.what()).find(file.string()), std::string::npos) << error.what();
    }
}

} // namespace
} // namespace ferry::skopeo
