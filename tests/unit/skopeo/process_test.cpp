#include "fake_skopeo.hpp"
#include "memory_file.hpp"
#include "process.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

namespace ferry::skopeo {
namespace {

ProcessSpec shell(const std::string& script, std::vector<std::string> environment = {}) {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.environment = std::move(environment);
    return spec;
}

TEST(RunProcess, CapturesOutputAndExitStatus) {
    const ProcessResult result = run_process(shell("echo out; echo err >&2; exit 3"), nullptr);

    EXPECT_EQ(result.spawn_error, 0);
    EXPECT_EQ(result.exit_code, 3);
    EXPECT_EQ(result.signal, 0);
    EXPECT_EQ(result.out, "out\n");
    EXPECT_EQ(result.err, "err\n");
    EXPECT_FALSE(result.succeeded());
}

TEST(RunProcess, LargeOutputOnBothStreams) {
    const ProcessResult result = run_process(
        shell("head -c 300000 /dev/zero; head -c 200000 /dev/zero >&2"), nullptr);

    EXPECT_TRUE(result.succeeded());
    EXPECT_EQ(result.out.size(), 300000u);
    EXPECT_EQ(result.err.size(), 200000u);
}

TEST(RunProcess, PassesExactlyTheGivenEnvironment) {
    const ProcessResult result = run_process(shell("env", {"ONLY=this"}), nullptr);

    EXPECT_TRUE(result.succeeded());
    std::istringstream lines(result.out);
    std::vector<std::string> entries;
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("PWD=", 0) != 0 && line.rfind("SHLVL=", 0) != 0 && line.rfind("_=", 0) != 0) {
            entries.push_back(line);
        }
    }
    EXPECT_EQ(entries, std::vector<std::string>{"ONLY=this"});
}

TEST(RunProcess, ArgumentsAreNotShellInterpreted) {
    ProcessSpec spec;
    spec.argv = {"/bin/echo", "$HOME", "a;b", "`id`"};

    const ProcessResult result = run_process(spec, nullptr);

    EXPECT_EQ(result.out, "$HOME a;b `id`\n");
}

TEST(RunProcess, MissingExecutableReportsSpawnError) {
    ProcessSpec spec;
    spec.argv = {"/nonexistent/skopeo", "--version"};

    const ProcessResult result = run_process(spec, nullptr);

    EXPECT_EQ(result.spawn_error, ENOENT);
    EXPECT_FALSE(result.succeeded());
}

TEST(RunProcess, StdinIsDevNull) {
    const ProcessResult result = run_process(shell("cat; echo done"), nullptr);

    EXPECT_EQ(result.out, "done\n");
}

TEST(RunProcess, DoesNotLeakInheritableDescriptors) {
    const int fd = ::open("/dev/null", O_RDONLY); // deliberately without O_CLOEXEC
    ASSERT_GE(fd, 0);

    const ProcessResult result = run_process(
        shell("test -e /proc/self/fd/" + std::to_string(fd) + " && echo leaked || echo closed"),
        nullptr);

    ::close(fd);
    EXPECT_EQ(result.out, "closed\n");
}

TEST(RunProcess, InheritedMemoryFileCanBeReadTwice) {
    const MemoryFile file = MemoryFile::create("auth.json", "content");
    ProcessSpec spec = shell("cat " + file.child_path() + "; cat " + file.child_path());
    spec.inherited_fds = {file.fd()};

    const ProcessResult result = run_process(spec, nullptr);

    EXPECT_TRUE(result.succeeded()) << result.err;
    EXPECT_EQ(result.out, "contentcontent");
}

TEST(RunProcess, MemoryFileNotListedIsNotInherited) {
    const MemoryFile listed = MemoryFile::create("listed", "");
    const MemoryFile unlisted = MemoryFile::create("unlisted", "");
    ProcessSpec spec = shell("for fd in " + std::to_string(listed.fd()) + " " + std::to_string(unlisted.fd()) +
                             "; do test -e /proc/self/fd/$fd && echo open || echo closed; done");
    spec.inherited_fds = {listed.fd()};

    const ProcessResult result = run_process(spec, nullptr);

    EXPECT_EQ(result.out, "open\nclosed\n");
}

TEST(RunProcess, SignalMaskAndIgnoredSignalsAreReset) {
    sigset_t blocked;
    sigset_t previous_mask;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR1);
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &blocked, &previous_mask), 0);
    struct sigaction ignore = {};
    struct sigaction previous_action = {};
    ignore.sa_handler = SIG_IGN;
    ASSERT_EQ(::sigaction(SIGUSR2, &ignore, &previous_action), 0);
    ProcessSpec spec;
    spec.argv = {"/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"};

    const ProcessResult result = run_process(spec, nullptr);

    ::sigaction(SIGUSR2, &previous_action, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
    EXPECT_EQ(result.out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST(RunProcess, RunsInItsOwnProcessGroup) {
    const ProcessResult result = run_process(
        shell("set -- $(cut -d' ' -f5 /proc/$$/stat); echo $$ $1"), nullptr);

    std::istringstream fields(result.out);
    int pid = 0;
    int group = 0;
    fields >> pid >> group;
    EXPECT_GT(pid, 0);
    EXPECT_EQ(pid, group);
    EXPECT_NE(group, ::getpgrp());
}

TEST(RunProcess, StopKillsTheWholeGroup) {
    testing::ScratchDirectory scratch("ferry-process");
    const std::string pids = (scratch.path() / "pids").string();
    // The shell ignores SIGTERM, so only the SIGKILL after the grace period ends it.
    ProcessSpec spec = shell("trap '' TERM; sleep 600 & echo $$ $! > " + pids + "; wait; wait");
    spec.termination_grace = std::chrono::milliseconds(300);

    const auto started = std::chrono::steady_clock::now();
    const ProcessResult result = run_process(spec, [&] {
        return std::filesystem::exists(pids) && std::filesystem::file_size(pids) > 0;
    });

    EXPECT_TRUE(result.stopped);
    EXPECT_EQ(result.signal, SIGKILL);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
    std::istringstream fields(testing::read_text(pids));
    int shell_pid = 0;
    int sleep_pid = 0;
    fields >> shell_pid >> sleep_pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!testing::process_gone(sleep_pid) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(testing::process_gone(shell_pid));
    EXPECT_TRUE(testing::process_gone(sleep_pid));
}

TEST(RunProcess, StopEndsCooperativeChildWithSigterm) {
    std::atomic<int> polls{0};
    const ProcessResult result =
        run_process(shell("exec sleep 600"), [&] { return ++polls > 2; });

    EXPECT_TRUE(result.stopped);
    EXPECT_EQ(result.signal, SIGTERM);
}

} // namespace
} // namespace ferry::skopeo
