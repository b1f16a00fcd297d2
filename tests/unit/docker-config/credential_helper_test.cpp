#include "credential_helper.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>

namespace ferry::docker_config {
namespace {

using namespace std::chrono_literals;
using testing::RecordingHost;
using testing::TempDir;
using testing::write_script;

constexpr const char* configured_by = "credsStore in /home/u/.docker/config.json";

class CredentialHelper : public ::testing::Test {
protected:
    void add_helper(const std::string& name, const std::string& body) {
        write_script(bin_.path() / ("docker-credential-" + name), body);
    }

    CredentialHelperClient client(std::chrono::milliseconds timeout = 10s) {
        return CredentialHelperClient(host_.host(), timeout, bin_.str());
    }

    // Returns the message of the sdk::Error that get() throws, or "" when it throws nothing.
    std::string error_of(CredentialHelperClient& helpers, const std::string& name, const std::string& registry) {
        try {
            helpers.get(name, registry, configured_by);
        } catch (const sdk::Error& error) {
            EXPECT_EQ(error.status(), FERRY_ERROR);
            return error.what();
        }
        return {};
    }

    std::string path(const std::string& name) const { return work_.str(name); }

    std::size_t count_lines(const std::string& name) const {
        const std::string text = testing::read_file(work_.path() / name);
        return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    }

    TempDir bin_;
    TempDir work_;
    RecordingHost host_;
};

TEST_F(CredentialHelper, ReturnsAnsweredCredentials) {
    add_helper("prints", "cat > " + path("stdin") +
                              "\nprintf '{\"ServerURL\":\"reg.example:5000\",\"Username\":\"alice\",\"Secret\":\"s3cret\"}\\n'\n");
    CredentialHelperClient helpers = client();

    const auto credential = helpers.get("prints", "reg.example:5000", configured_by);
    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "alice");
    EXPECT_EQ(credential->password.reveal(), "s3cret");
    EXPECT_EQ(testing::read_file(work_.path() / "stdin"), "reg.example:5000");
    EXPECT_EQ(host_.everything().find("s3cret"), std::string::npos);
}

TEST_F(CredentialHelper, DockerHubGetsIndexServerUrl) {
    add_helper("hub", "cat > " + path("stdin") + "\nprintf '{\"Username\":\"u\",\"Secret\":\"p\"}'\n");
    CredentialHelperClient helpers = client();
    ASSERT_TRUE(helpers.get("hub", "docker.io", configured_by).has_value());
    EXPECT_EQ(testing::read_file(work_.path() / "stdin"), "https://index.docker.io/v1/");
}

TEST_F(CredentialHelper, TokenUserGivesIdentityToken) {
    add_helper("token", "printf '{\"Username\":\"<token>\",\"Secret\":\"refresh-1\"}'\n");
    CredentialHelperClient helpers = client();
    const auto credential = helpers.get("token", "reg.example", configured_by);
    ASSERT_TRUE(credential.has_value());
    EXPECT_TRUE(credential->username.empty());
    EXPECT_EQ(credential->identity_token.reveal(), "refresh-1");
}

TEST_F(CredentialHelper, HangingHelperKilledWithGroup) {
    add_helper("hangs", "sleep 300 &\necho $! > " + path("child.pid") + "\necho $$ > " + path("leader.pid") +
                            "\nwait\n");
    CredentialHelperClient helpers = client(500ms);

    const auto started = std::chrono::steady_clock::now();
    const std::string message = error_of(helpers, "hangs", "reg.example");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);

    EXPECT_NE(message.find("docker-credential-hangs"), std::string::npos) << message;
    EXPECT_NE(message.find("timed out after 0.5 s for reg.example"), std::string::npos) << message;
    EXPECT_NE(message.find("helper-timeout"), std::string::npos) << message;
    EXPECT_NE(message.find("--creds-from input"), std::string::npos) << message;

    const pid_t leader = std::stoi(testing::read_file(work_.path() / "leader.pid"));
    const pid_t child = std::stoi(testing::read_file(work_.path() / "child.pid"));
    EXPECT_TRUE(testing::eventually([&] { return testing::process_is_gone(leader); }));
    EXPECT_TRUE(testing::eventually([&] { return testing::process_is_gone(child); }))
        << "background process " << child << " of the helper survived";
}

TEST_F(CredentialHelper, NonZeroExitRedactsOutput) {
    add_helper("fails", "echo 'store locked: Secret=hunter2'\necho 'password: hunter3' >&2\nexit 2\n");
    CredentialHelperClient helpers = client();

    const std::string message = error_of(helpers, "fails", "reg.example");
    EXPECT_NE(message.find("credential helper docker-credential-fails (" + std::string(configured_by) + ") failed for "
                           "reg.example with exit status 2"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("store locked"), std::string::npos) << message;
    EXPECT_NE(message.find("stderr: password: <redacted>"), std::string::npos) << message;
    EXPECT_NE(message.find("; fix the helper, remove " + std::string(configured_by) +
                           ", or use --creds-from input"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
    EXPECT_EQ(message.find("hunter3"), std::string::npos) << message;
}

TEST_F(CredentialHelper, FailureWithJsonAnswerHidesSecret) {
    add_helper("half", "printf '{\"Username\":\"u\",\"Secret\":\"hunter2\"}'\nexit 1\n");
    CredentialHelperClient helpers = client();
    const std::string message = error_of(helpers, "half", "reg.example");
    EXPECT_NE(message.find("exit status 1"), std::string::npos) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

TEST_F(CredentialHelper, BadJsonGivesPositionWithoutContent) {
    add_helper("badjson", "printf '{\"Username\":\"u\",\"Secret\":\"hunter2'\n");
    CredentialHelperClient helpers = client();

    const std::string message = error_of(helpers, "badjson", "reg.example");
    EXPECT_NE(message.find("docker-credential-badjson"), std::string::npos) << message;
    EXPECT_NE(message.find("printed invalid output for reg.example: not valid JSON at line 1, column"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

TEST_F(CredentialHelper, NotFoundAnswerMeansNone) {
    add_helper("empty", "echo 'credentials not found in native keychain'\nexit 1\n");
    CredentialHelperClient helpers = client();
    EXPECT_FALSE(helpers.get("empty", "reg.example", configured_by).has_value());
}

TEST_F(CredentialHelper, EmptyAnswerMeansNone) {
    add_helper("blank", "printf '{\"ServerURL\":\"reg.example\",\"Username\":\"\",\"Secret\":\"\"}\\n'\n");
    CredentialHelperClient helpers = client();
    EXPECT_FALSE(helpers.get("blank", "reg.example", configured_by).has_value());
}

TEST_F(CredentialHelper, RunsAtMostOncePerRegistry) {
    add_helper("counts", "echo run >> " + path("runs") + "\nprintf '{\"Username\":\"u\",\"Secret\":\"p\"}'\n");
    CredentialHelperClient helpers = client();

    EXPECT_TRUE(helpers.get("counts", "reg.example", configured_by).has_value());
    EXPECT_TRUE(helpers.get("counts", "reg.example", configured_by).has_value());
    EXPECT_EQ(count_lines("runs"), 1u);

    EXPECT_TRUE(helpers.get("counts", "other.example", configured_by).has_value());
    EXPECT_EQ(count_lines("runs"), 2u);
}

TEST_F(CredentialHelper, NotFoundAnswerCached) {
    add_helper("counts", "echo run >> " + path("runs") + "\necho 'credentials not found in native keychain'\nexit 1\n");
    CredentialHelperClient helpers = client();
    EXPECT_FALSE(helpers.get("counts", "reg.example", configured_by).has_value());
    EXPECT_FALSE(helpers.get("counts", "reg.example", configured_by).has_value());
    EXPECT_EQ(count_lines("runs"), 1u);
}

TEST_F(CredentialHelper, ErrorCachedAndRepeated) {
    add_helper("broken", "echo run >> " + path("runs") + "\necho 'boom'\nexit 4\n");
    CredentialHelperClient helpers = client();
    const std::string first = error_of(helpers, "broken", "reg.example");
    const std::string second = error_of(helpers, "broken", "reg.example");
    EXPECT_NE(first.find("boom"), std::string::npos) << first;
    EXPECT_EQ(first, second);
    EXPECT_EQ(count_lines("runs"), 1u);
}

TEST_F(CredentialHelper, MissingHelperWarnsAndFindsNothing) {
    CredentialHelperClient helpers = client();

    EXPECT_FALSE(helpers.get("absent", "reg.example", configured_by).has_value());

    const auto warnings = host_.messages(FERRY_LOG_WARNING);
    ASSERT_EQ(warnings.size(), 1u);
    const std::string& warning = warnings.front();
    EXPECT_NE(warning.find("credential helper docker-credential-absent (" + std::string(configured_by) +
                           ") is not on PATH"),
              std::string::npos)
        << warning;
    EXPECT_NE(warning.find("install docker-credential-absent, remove " + std::string(configured_by) +
                           ", or use --creds-from input"),
              std::string::npos)
        << warning;
    EXPECT_EQ(warning.find(bin_.str()), std::string::npos) << "the PATH value leaked into: " << warning;
}

TEST_F(CredentialHelper, MissingHelperWarnsOncePerEntry) {
    CredentialHelperClient helpers = client();

    EXPECT_FALSE(helpers.get("absent", "reg.example", configured_by).has_value());
    EXPECT_FALSE(helpers.get("absent", "other.example", configured_by).has_value());
    EXPECT_FALSE(helpers.get("absent", "third.example", "credsStore in /etc/other.json").has_value());

    const auto warnings = host_.messages(FERRY_LOG_WARNING);
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_NE(warnings[0].find(configured_by), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[1].find("/etc/other.json"), std::string::npos) << warnings[1];
}

TEST_F(CredentialHelper, NoSessionBusWarnsAndFindsNothing) {
    // What docker-credential-secretservice 0.6.4 prints, on stdout, without $DISPLAY and a
    // session bus address.
    add_helper("nobus", "echo 'Cannot autolaunch D-Bus without X11 $DISPLAY'\nexit 1\n");
    CredentialHelperClient helpers = client();

    EXPECT_FALSE(helpers.get("nobus", "reg.example", configured_by).has_value());

    const auto warnings = host_.messages(FERRY_LOG_WARNING);
    ASSERT_EQ(warnings.size(), 1u);
    const std::string& warning = warnings.front();
    EXPECT_NE(warning.find("docker-credential-nobus"), std::string::npos) << warning;
    EXPECT_NE(warning.find("no D-Bus session bus"), std::string::npos) << warning;
    EXPECT_NE(warning.find("Cannot autolaunch D-Bus"), std::string::npos) << warning;
    EXPECT_NE(warning.find("--creds-from input"), std::string::npos) << warning;
}

TEST_F(CredentialHelper, UnreachableBusAddressIsError) {
    // A set but dead session bus address may hide an unlocked keyring of another session, so
    // it stays an error.
    add_helper("deadbus", "echo 'Could not connect: No such file or directory'\nexit 1\n");
    CredentialHelperClient helpers = client();

    const std::string message = error_of(helpers, "deadbus", "reg.example");
    EXPECT_NE(message.find("failed for reg.example with exit status 1: Could not connect"), std::string::npos)
        << message;
    EXPECT_TRUE(host_.messages(FERRY_LOG_WARNING).empty());
}

TEST_F(CredentialHelper, KilledBySignalIsError) {
    add_helper("crashes", "kill -SEGV $$\n");
    CredentialHelperClient helpers = client();
    const std::string message = error_of(helpers, "crashes", "reg.example");
    EXPECT_NE(message.find("was killed by signal 11"), std::string::npos) << message;
    EXPECT_NE(message.find("--creds-from input"), std::string::npos) << message;
}

TEST_F(CredentialHelper, CancelledHostStopsHelper) {
    add_helper("slow", "sleep 300\n");
    host_.cancelled = true;
    CredentialHelperClient helpers = client();
    try {
        helpers.get("slow", "reg.example", configured_by);
        FAIL() << "expected cancellation";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_CANCELLED);
    }
}

TEST(FindProgramOnPath, SkipsRelativeAndEmptyEntries) {
    TempDir dir;
    write_script(dir.path() / "docker-credential-here", "exit 0\n");
    const std::string previous = std::filesystem::current_path();
    std::filesystem::current_path(dir.path());
    const auto found = find_program_on_path("docker-credential-here", ".::relative");
    std::filesystem::current_path(previous);
    EXPECT_FALSE(found.has_value());
}

TEST(FindProgramOnPath, SkipsNonExecutableAndDirectories) {
    TempDir first;
    TempDir second;
    TempDir third;
    testing::write_file(first.path() / "docker-credential-x", "#!/bin/sh\n", std::filesystem::perms(0600));
    std::filesystem::create_directories(second.path() / "docker-credential-x");
    write_script(third.path() / "docker-credential-x", "exit 0\n");

    const auto found =
        find_program_on_path("docker-credential-x", first.str() + ":" + second.str() + ":" + third.str() + "/");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(*found, third.str("docker-credential-x"));
}

} // namespace
} // namespace ferry::docker_config
