#include "child_spawn.hpp"
#include "fake_skopeo.hpp"
#include "memory_file.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace ferry::skopeo {
namespace {

using testing::ScratchDirectory;

SpawnOptions echo_options() {
    SpawnOptions options;
    options.argv = {"/bin/echo", "hello"};
    options.stdout_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    options.stderr_fd = ::dup(options.stdout_fd);
    return options;
}

void close_streams(const SpawnOptions& options) {
    ::close(options.stdout_fd);
    ::close(options.stderr_fd);
}

TEST(SpawnChild, EmptyArgvIsInvalid) {
    SpawnOptions options = echo_options();
    options.argv.clear();
    pid_t pid = -1;

    EXPECT_EQ(spawn_child(options, pid), EINVAL);
    close_streams(options);
}

TEST(SpawnChild, InheritedStandardStreamIsRejected) {
    SpawnOptions options = echo_options();
    options.inherited_fds = {STDERR_FILENO};
    pid_t pid = -1;

    EXPECT_EQ(spawn_child(options, pid), EBADF);
    close_streams(options);
}

TEST(SpawnChild, OutputDescriptorBelowThreeIsRejected) {
    SpawnOptions options = echo_options();
    const int pipe_fd = options.stdout_fd;
    options.stdout_fd = STDOUT_FILENO;
    pid_t pid = -1;

    EXPECT_EQ(spawn_child(options, pid), EBADF);
    options.stdout_fd = pipe_fd;
    close_streams(options);
}

TEST(SpawnChild, ExecFailureIsReportedAndReaped) {
    SpawnOptions options = echo_options();
    options.argv = {"/nonexistent/skopeo"};
    pid_t pid = 12345;

    EXPECT_EQ(spawn_child(options, pid), ENOENT);
    EXPECT_EQ(pid, -1);
    // The failed child was reaped inside spawn_child, so there is nothing left to wait for.
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
    close_streams(options);
}

TEST(SpawnChild, ChildDiesWhenParentIsKilled) {
    ScratchDirectory scratch("ferry-spawn");
    const std::string pid_file = (scratch.path() / "pid").string();

    // The middle process plays ferry's part: it runs a long child through run_process and is
    // then killed with SIGKILL, which no handler can intercept.
    const pid_t middle = ::fork();
    ASSERT_GE(middle, 0);
    if (middle == 0) {
        ProcessSpec spec;
        spec.argv = {"/bin/sh", "-c", "echo $$ > '" + pid_file + ".tmp' && mv '" + pid_file + ".tmp' '" +
                                          pid_file + "' && exec sleep 600"};
        run_process(spec, nullptr);
        ::_exit(0);
    }

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!std::filesystem::exists(pid_file) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(middle, SIGKILL);
    ::waitpid(middle, nullptr, 0);
    ASSERT_TRUE(std::filesystem::exists(pid_file)) << "the child never started";
    const int child = std::stoi(testing::read_text(pid_file));

    while (!testing::process_gone(child) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const bool child_ended = testing::process_gone(child);
    if (!child_ended) {
        ::kill(child, SIGKILL);
    }
    EXPECT_TRUE(child_ended) << "child " << child << " outlived its killed parent";
}

} // namespace
} // namespace ferry::skopeo
