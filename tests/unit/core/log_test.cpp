// Logger: secret redaction, level filtering, and GitHub Actions workflow commands. Output is
// read back from file descriptor 2. Secrets stay registered for the life of the process, so every
// test registers values of its own.
#include "test_support.hpp"

#include <ferry/core/log.hpp>

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ferry::core {
namespace {

class LoggerTest : public ::testing::Test {
protected:
    void SetUp() override {
        previous_level_ = logger().level();
        previous_github_actions_ = logger().github_actions();
        logger().set_level(LogLevel::info);
        logger().set_github_actions(false);
    }

    void TearDown() override {
        logger().set_level(previous_level_);
        logger().set_github_actions(previous_github_actions_);
    }

    static Logger& logger() { return Logger::instance(); }

    // What one write at level prints on standard error.
    static std::string written(LogLevel level, const std::string& message) {
        test::StderrCapture capture;
        logger().write(level, message);
        return capture.finish();
    }

private:
    LogLevel previous_level_ = LogLevel::info;
    bool previous_github_actions_ = false;
};

TEST_F(LoggerTest, RedactMasksRegisteredSecret) {
    logger().add_secret("hunter2-redact");

    EXPECT_EQ(logger().redact("password is hunter2-redact."), "password is ***.");
}

TEST_F(LoggerTest, RedactMasksEveryOccurrence) {
    logger().add_secret("token-every");

    EXPECT_EQ(logger().redact("token-every, again token-every and token-everytoken-every"),
              "***, again *** and ******");
}

TEST_F(LoggerTest, RedactMasksLongestSecretFirst) {
    logger().add_secret("short-first");
    logger().add_secret("short-first-and-longer");

    EXPECT_EQ(logger().redact("[short-first-and-longer] [short-first]"), "[***] [***]");
}

TEST_F(LoggerTest, RedactLongestFirstWhateverOrderAdded) {
    logger().add_secret("long-added-first-xyz");
    logger().add_secret("long-added");

    EXPECT_EQ(logger().redact("a long-added-first-xyz b long-added c"), "a *** b *** c");
}

TEST_F(LoggerTest, RedactIgnoresSecretsShorterThanThree) {
    logger().add_secret("");
    logger().add_secret("q");
    logger().add_secret("q9");

    EXPECT_EQ(logger().redact("q9 and q are ordinary text"), "q9 and q are ordinary text");
}

TEST_F(LoggerTest, RedactMasksSecretOfThree) {
    logger().add_secret("q7#");

    EXPECT_EQ(logger().redact("x q7# y"), "x *** y");
}

TEST_F(LoggerTest, RedactKeepsSpecialCharactersOfSecret) {
    std::string secret = "p:a$s w'\"\\\n";
    logger().add_secret(secret);

    EXPECT_EQ(logger().redact("before " + secret + " after"), "before *** after");
}

TEST_F(LoggerTest, WriteRedactsBeforePrinting) {
    logger().add_secret("wr1te-s3cret");

    EXPECT_EQ(written(LogLevel::error, "login failed for wr1te-s3cret"), "ferry: error: login failed for ***\n");
}

TEST_F(LoggerTest, WritePrefixesByLevel) {
    logger().set_level(LogLevel::debug);

    EXPECT_EQ(written(LogLevel::debug, "a"), "ferry: debug: a\n");
    EXPECT_EQ(written(LogLevel::info, "b"), "ferry: b\n");
    EXPECT_EQ(written(LogLevel::warning, "c"), "ferry: warning: c\n");
    EXPECT_EQ(written(LogLevel::error, "d"), "ferry: error: d\n");
}

TEST_F(LoggerTest, LevelInfoDropsDebug) {
    EXPECT_EQ(written(LogLevel::debug, "hidden"), "");
    EXPECT_EQ(written(LogLevel::info, "shown"), "ferry: shown\n");
    EXPECT_FALSE(logger().enabled(LogLevel::debug));
    EXPECT_TRUE(logger().enabled(LogLevel::info));
}

TEST_F(LoggerTest, LevelWarningDropsInfoAndDebug) {
    logger().set_level(LogLevel::warning);

    EXPECT_EQ(written(LogLevel::debug, "hidden"), "");
    EXPECT_EQ(written(LogLevel::info, "hidden"), "");
    EXPECT_EQ(written(LogLevel::warning, "shown"), "ferry: warning: shown\n");
    EXPECT_EQ(written(LogLevel::error, "shown"), "ferry: error: shown\n");
}

TEST_F(LoggerTest, LevelErrorKeepsOnlyErrors) {
    logger().set_level(LogLevel::error);

    EXPECT_EQ(written(LogLevel::warning, "hidden"), "");
    EXPECT_EQ(written(LogLevel::error, "shown"), "ferry: error: shown\n");
}

TEST_F(LoggerTest, LevelQuietDropsEverything) {
    logger().set_level(LogLevel::quiet);

    EXPECT_EQ(written(LogLevel::error, "hidden"), "");
    EXPECT_FALSE(logger().enabled(LogLevel::error));
}

TEST_F(LoggerTest, FreeFunctionsUseSharedLogger) {
    logger().set_level(LogLevel::debug);
    test::StderrCapture capture;

    log_debug("one");
    log_info("two");
    log_warning("three");
    log_error("four");

    EXPECT_EQ(capture.finish(), "ferry: debug: one\nferry: two\nferry: warning: three\nferry: error: four\n");
}

TEST_F(LoggerTest, WriteFromThreadsKeepsLinesWhole) {
    constexpr int thread_count = 4;
    constexpr int lines_per_thread = 200;
    test::StderrCapture capture;

    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([t] {
            for (int i = 0; i < lines_per_thread; ++i) {
                log_info("thread " + std::to_string(t) + " line " + std::to_string(i) + " " + std::string(100, 'x'));
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    std::string output = capture.finish();

    std::istringstream lines(output);
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
        ++count;
        EXPECT_TRUE(line.starts_with("ferry: thread ")) << line;
        EXPECT_TRUE(line.ends_with(std::string(100, 'x'))) << line;
    }
    EXPECT_EQ(count, thread_count * lines_per_thread);
}

TEST_F(LoggerTest, GithubActionsErrorAnnotation) {
    logger().set_github_actions(true);

    EXPECT_EQ(written(LogLevel::error, "line1\nline2 100%\r"), "::error title=ferry::line1%0Aline2 100%25%0D\n");
}

TEST_F(LoggerTest, GithubActionsWarningAnnotation) {
    logger().set_github_actions(true);

    EXPECT_EQ(written(LogLevel::warning, "slow link: 5% done"), "::warning title=ferry::slow link: 5%25 done\n");
}

TEST_F(LoggerTest, GithubActionsDebugCommand) {
    logger().set_github_actions(true);
    logger().set_level(LogLevel::debug);

    EXPECT_EQ(written(LogLevel::debug, "a\nb"), "::debug::a%0Ab\n");
}

TEST_F(LoggerTest, GithubActionsInfoIsPlain) {
    logger().set_github_actions(true);

    EXPECT_EQ(written(LogLevel::info, "copied 100%"), "copied 100%\n");
}

TEST_F(LoggerTest, GithubActionsLevelFilterStillApplies) {
    logger().set_github_actions(true);
    logger().set_level(LogLevel::error);

    EXPECT_EQ(written(LogLevel::warning, "hidden"), "");
    EXPECT_EQ(written(LogLevel::debug, "hidden"), "");
}

// Redaction runs on the raw message: escaping first would turn a secret containing '%' or a line
// break into text that no longer matches it.
TEST_F(LoggerTest, GithubActionsRedactsBeforeEscaping) {
    logger().add_secret("50%off\nnow");
    logger().set_github_actions(true);

    EXPECT_EQ(written(LogLevel::error, "code 50%off\nnow rejected"), "::error title=ferry::code *** rejected\n");
}

TEST(EscapeWorkflowCommand, EscapesPercentCarriageReturnLineFeed) {
    EXPECT_EQ(escape_workflow_command("%\r\n"), "%25%0D%0A");
    EXPECT_EQ(escape_workflow_command("plain text: a=b, c"), "plain text: a=b, c");
    EXPECT_EQ(escape_workflow_command(""), "");
}

TEST(EscapeWorkflowCommand, EscapedSequenceNotDecoded) {
    EXPECT_EQ(escape_workflow_command("a%0Ab"), "a%250Ab");
}

TEST(ParseLogLevel, KnownNames) {
    EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
    EXPECT_EQ(parse_log_level("info"), LogLevel::info);
    EXPECT_EQ(parse_log_level("warning"), LogLevel::warning);
    EXPECT_EQ(parse_log_level("warn"), LogLevel::warning);
    EXPECT_EQ(parse_log_level("error"), LogLevel::error);
    EXPECT_EQ(parse_log_level("quiet"), LogLevel::quiet);
}

TEST(ParseLogLevel, UnknownNameRejected) {
    try {
        parse_log_level("verbose");
        FAIL() << "accepted \"verbose\"";
    } catch (const std::invalid_argument& error) {
        std::string message = error.what();
        EXPECT_NE(message.find("\"verbose\""), std::string::npos) << message;
        EXPECT_NE(message.find("debug, info, warning, error or quiet"), std::string::npos) << message;
    }
    EXPECT_THROW(parse_log_level("DEBUG"), std::invalid_argument);
    EXPECT_THROW(parse_log_level(""), std::invalid_argument);
}

TEST_F(LoggerTest, ProgressBlockIgnoredWithoutTerminal) {
    test::StderrCapture capture;

    logger().write_progress_block({"sha256:0123 [###.....] 12.0 MiB / 40.0 MiB", "total"});

    EXPECT_EQ(capture.finish(), "");
}

} // namespace
} // namespace ferry::core
