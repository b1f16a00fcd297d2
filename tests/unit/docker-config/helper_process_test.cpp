#include "helper_process.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>

namespace ferry::docker_config {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using testing::write_script;

class HelperProcess : public ::testing::Test {
protected:
    ProcessRequest request_for(const std::string& script_body) {
        const std::string path = dir_.str("program-" + std::to_string(++scripts_));
        write_script(path, script_body);
        ProcessRequest request;
        request.program = path;
        request.timeout = 10s;
        return request;
    }

    pid_t read_pid(const std::string& name) {
        std::string text;
        EXPECT_TRUE(testing::eventually([&] {
            text = testing::read_file(dir_.path() / name);
            return !text.empty() && text.back() == '\n';
        })) << name;
        return static_cast<pid_t>(std::stol(text));
    }

    TempDir dir_;
    int scripts_ = 0;
};

TEST_F(HelperProcess, CapturesStreamsAndExitCode) {
    ProcessRequest request = request_for("cat; echo out; echo err >&2; exit 3\n");
    request.arguments = {"get"};
    request.input = "server-url";

    const ProcessOutcome outcome = run_process(request);
    EXPECT_EQ(outcome.ending, ProcessOutcome::Ending::exited);
    EXPECT_EQ(outcome.exit_code, 3);
    EXPECT_EQ(outcome.stdout_text.reveal(), "server-urlout\n");
    EXPECT_EQ(outcome.stderr_text, "err\n");
}

TEST_F(HelperProcess, PassesArguments) {
    ProcessRequest request = request_for("printf '%s|' \"$@\"\n");
    request.arguments = {"get", "two words"};
    EXPECT_EQ(run_process(request).stdout_text.reveal(), "get|two words|");
}

TEST_F(HelperProcess, TimeoutKillsWholeProcessGroup) {
    ProcessRequest request = request_for("sleep 300 &\necho $! > " + dir_.str("child.pid") + "\necho $$ > " +
                                         dir_.str("leader.pid") + "\nwait\n");
    request.timeout = 500ms;

    const auto started = std::chrono::steady_clock::now();
    const ProcessOutcome outcome = run_process(request);
    const auto elapsed = std::chrono::steady_clock::now() - started;

    EXPECT_EQ(outcome.ending, ProcessOutcome::Ending::timed_out);
    EXPECT_GE(elapsed, 500ms);
    EXPECT_LT(elapsed, 5s);
    const pid_t leader = read_pid("leader.pid");
    const pid_t child = read_pid("child.pid");
    EXPECT_EQ(leader, outcome.pid);
    EXPECT_TRUE(testing::eventually([&] { return testing::process_is_gone(leader); }));
    EXPECT_TRUE(testing::eventually([&] { return testing::process_is_gone(child); }))
        << "the helper's background child " << child << " survived";
}

TEST_F(HelperProcess, RunsInOwnProcessGroup) {
    const ProcessOutcome outcome = run_process(request_for("echo $$; cut -d' ' -f5 /proc/$$/stat\n"));
    const std::string text = outcome.stdout_text.reveal();
    const std::size_t newline = text.find('\n');
    ASSERT_NE(newline, std::string::npos) << text;
    EXPECT_EQ(text.substr(0, newline + 1), text.substr(newline + 1));
    EXPECT_NE(text.substr(0, newline), std::to_string(::getpgrp()));
}

TEST_F(HelperProcess, ClosedOutputStillTimesOut) {
    ProcessRequest request = request_for("exec >&- 2>&-\nsleep 300\n");
    request.timeout = 300ms;
    EXPECT_EQ(run_process(request).ending, ProcessOutcome::Ending::timed_out);
}

TEST_F(HelperProcess, ReturnsWhenLeftoverChildHoldsPipes) {
    ProcessRequest request = request_for("sleep 300 &\necho $! > " + dir_.str("child.pid") + "\necho done\n");
    request.timeout = 20s;

    const auto started = std::chrono::steady_clock::now();
    const ProcessOutcome outcome = run_process(request);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    const pid_t child = read_pid("child.pid");
    ::kill(child, SIGKILL);

    EXPECT_EQ(outcome.ending, ProcessOutcome::Ending::exited);
    EXPECT_EQ(outcome.stdout_text.reveal(), "done\n");
    EXPECT_LT(elapsed, 5s);
}

TEST_F(HelperProcess, StdoutOverLimitKills) {
    ProcessRequest request = request_for("head -c 200000 /dev/zero\nsleep 300\n");
    request.max_stdout = 64 * 1024;
    const ProcessOutcome outcome = run_process(request);
    EXPECT_EQ(outcome.ending, ProcessOutcome::Ending::output_too_large);
    EXPECT_EQ(outcome.stdout_text.reveal().size(), 64u * 1024);
}

TEST_F(HelperProcess, StdoutAtLimitAccepted) {
    ProcessRequest request = request_for("head -c 65536 /dev/zero\n");
    const ProcessOutcome outcome = run_process(request);
    EXPECT_EQ(outcome.ending, ProcessOutcome::Ending::exited);
    EXPECT_EQ(outcome.stdout_text.reveal().size(), 65536u);
}

TEST_F(HelperProcess, StderrTruncatedNotFatal) {
    ProcessRequest request = request_for("head -c 100000 /dev/zero >&2\necho done\n");
    request.max_stderr = 1000;
    const ProcessOutcome outcome = run_process(request);
    EXPECT_EQ(outcome.ending, ProcessOutcome::Ending::exited);
    EXPECT_EQ(outcome.stderr_text.size(), 1000u);
    EXPECT_EQ(outcome.stdout_text.reveal(), "done\n");
}

TEST_F(HelperProcess, ReportsTerminatingSignal) {
    const ProcessOutcome outcome = run_process(request_for("kill -TERM $$\nsleep 5\n"));
    EXPECT_EQ(outcome.ending, ProcessOutcome::Ending::signalled);
    EXPECT_EQ(outcome.signal_number, SIGTERM);
}

TEST_F(HelperProcess, CancellationKills) {
    ProcessRequest request = request_for("echo $$ > " + dir_.str("leader.pid") + "\nsleep 300\n");
    int polls = 0;
    request.cancelled = [&] { return ++polls > 3; };

    const ProcessOutcome outcome = run_process(request);
    EXPECT_EQ(outcome.ending, ProcessOutcome::Ending::cancelled);
    EXPECT_TRUE(testing::eventually([&] { return testing::process_is_gone(outcome.pid); }));
}

TEST_F(HelperProcess, HostDescriptorsNotInherited) {
    const int leaked = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
    ASSERT_GE(leaked, 3);
    const std::string fd = std::to_string(leaked);
    const ProcessOutcome outcome =
        run_process(request_for("if [ -e /proc/$$/fd/" + fd + " ]; then echo leaked; else echo clean; fi\n"));
    ::close(leaked);
    EXPECT_EQ(outcome.stdout_text.reveal(), "clean\n");
}

TEST_F(HelperProcess, SignalsStartWithDefaults) {
    struct sigaction ignore {};
    struct sigaction previous {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGTERM, &ignore, &previous);
    const ProcessOutcome outcome = run_process(request_for("kill -TERM $$\nsleep 5\n"));
    ::sigaction(SIGTERM, &previous, nullptr);
    EXPECT_EQ(outcome.ending, ProcessOutcome::Ending::signalled);
}

TEST_F(HelperProcess, RelativeProgramRejected) {
    ProcessRequest request;
    request.program = "docker-credential-pass";
    EXPECT_THROW(run_process(request), sdk::Error);
}

TEST_F(HelperProcess, MissingProgramNamesSystemError) {
    ProcessRequest request;
    request.program = dir_.str("absent");
    try {
        run_process(request);
        FAIL() << "expected an error";
    } catch (const sdk::Error& error) {
        EXPECT_NE(std::string(error.what()).find("No such file or directory"), std::string::npos) << error.what();
    }
}

TEST_F(HelperProcess, ScriptWithoutInterpreterLineNotRunByShell) {
    const std::string path = dir_.str("no-shebang");
    testing::write_file(path, "echo ran-by-a-shell\n", std::filesystem::perms(0700));
    ProcessRequest request;
    request.program = path;
    EXPECT_THROW(run_process(request), sdk::Error);
}

} // namespace
} // namespace ferry::docker_config
