#include "memory_file.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace ferry::skopeo {
namespace {

std::string read_path(const std::string& path) {
    std::ifstream file(path);
    std::stringstream content;
    content << file.rdbuf();
    return content.str();
}

TEST(MemoryFile, ChildPathNamesTheDescriptor) {
    const MemoryFile file = MemoryFile::create("auth.json", "{}");

    EXPECT_GT(file.fd(), STDERR_FILENO);
    EXPECT_EQ(file.child_path(), "/dev/fd/" + std::to_string(file.fd()));
}

TEST(MemoryFile, EveryOpenReadsFromTheStart) {
    const std::string content = R"({"auths":{"127.0.0.1:5000":{"auth":"YWxpY2U6cHc="}}})";
    const MemoryFile file = MemoryFile::create("auth.json", content);

    EXPECT_EQ(read_path(file.child_path()), content);
    EXPECT_EQ(read_path(file.child_path()), content);
}

TEST(MemoryFile, IsCloseOnExecWithMode0600) {
    const MemoryFile file = MemoryFile::create("auth.json", "secret");

    EXPECT_EQ(::fcntl(file.fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    struct stat status = {};
    ASSERT_EQ(::fstat(file.fd(), &status), 0);
    EXPECT_EQ(status.st_mode & 07777, 0600u);
    EXPECT_EQ(status.st_size, 6);
}

TEST(MemoryFile, SealedAgainstChanges) {
    const MemoryFile file = MemoryFile::create("auth.json", "secret");

    const int seals = ::fcntl(file.fd(), F_GET_SEALS);
    EXPECT_EQ(seals & F_SEAL_WRITE, F_SEAL_WRITE);
    EXPECT_EQ(seals & F_SEAL_SEAL, F_SEAL_SEAL);
    EXPECT_EQ(::pwrite(file.fd(), "x", 1, 0), -1);
    EXPECT_EQ(::ftruncate(file.fd(), 0), -1);
    EXPECT_EQ(read_path(file.child_path()), "secret");
}

TEST(MemoryFile, EmptyContentIsAllowed) {
    const MemoryFile file = MemoryFile::create("empty", "");

    EXPECT_EQ(read_path(file.child_path()), "");
}

TEST(MemoryFile, DestructorClosesTheDescriptor) {
    int fd = -1;
    {
        const MemoryFile file = MemoryFile::create("auth.json", "secret");
        fd = file.fd();
        ASSERT_NE(::fcntl(fd, F_GETFD), -1);
    }

    EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
}

TEST(MemoryFile, MoveTransfersOwnership) {
    MemoryFile first = MemoryFile::create("auth.json", "one");
    const int fd = first.fd();

    MemoryFile second = std::move(first);

    EXPECT_EQ(second.fd(), fd);
    EXPECT_EQ(first.fd(), -1); // NOLINT(bugprone-use-after-move): the moved-from state is the contract
    EXPECT_EQ(read_path(second.child_path()), "one");
}

TEST(MemoryFile, StaysAboveStandardStreamsWhenStdinIsClosed) {
    const int saved_stdin = ::dup(STDIN_FILENO);
    ASSERT_GE(saved_stdin, 0);
    ::close(STDIN_FILENO);

    int fd = -1;
    std::string content;
    {
        const MemoryFile file = MemoryFile::create("auth.json", "secret");
        fd = file.fd();
        content = read_path(file.child_path());
    }
    const bool stdin_still_free = ::fcntl(STDIN_FILENO, F_GETFD) == -1;
    ::dup2(saved_stdin, STDIN_FILENO);
    ::close(saved_stdin);

    EXPECT_GT(fd, STDERR_FILENO);
    EXPECT_EQ(content, "secret");
    EXPECT_TRUE(stdin_still_free);
}

} // namespace
} // namespace ferry::skopeo
