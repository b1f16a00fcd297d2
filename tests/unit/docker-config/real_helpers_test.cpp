// The source against the credential helpers Debian ships (golang-docker-credential-helpers):
// each test stores a credential with `docker-credential-X store` and reads it back through
// DockerConfigSource. Every daemon runs with a temporary HOME, bus and key store, and is
// stopped by its pid.
#include "credential_helper.hpp"
#include "docker_config_source.hpp"
#include "helper_process.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>

extern char** environ;

namespace ferry::docker_config {
namespace {

using namespace std::chrono_literals;
using testing::EnvironmentOverride;
using testing::RecordingHost;
using testing::TempDir;

std::string system_path() {
    const char* path = std::getenv("PATH");
    return path == nullptr ? std::string("/usr/bin:/bin") : std::string(path);
}

// Returns the absolute path of each tool, or the name of the first one missing.
std::optional<std::string> first_missing(const std::vector<std::string>& tools) {
    for (const auto& tool : tools) {
        if (!find_program_on_path(tool, system_path())) {
            return tool;
        }
    }
    return std::nullopt;
}

// Runs a tool to completion with the process environment; fails the test on a non-zero exit.
std::string run_tool(const std::vector<std::string>& command, std::string_view input = {},
                     std::chrono::milliseconds timeout = 60s) {
    ProcessRequest request;
    request.program = find_program_on_path(command.front(), system_path()).value_or(command.front());
    request.arguments.assign(command.begin() + 1, command.end());
    request.input = input;
    request.timeout = timeout;
    const ProcessOutcome outcome = run_process(request);
    EXPECT_EQ(outcome.ending, ProcessOutcome::Ending::exited) << command.front();
    EXPECT_EQ(outcome.exit_code, 0) << command.front() << ": " << outcome.stdout_text.reveal() << outcome.stderr_text;
    return outcome.stdout_text.reveal();
}

// A daemon running in the foreground with the process environment. Its stdin is fed from
// text and its output goes to a log file. stop() sends SIGTERM, then SIGKILL, and reaps it.
class Daemon {
public:
    Daemon(const std::vector<std::string>& command, const std::string& stdin_text, const std::string& log_path) {
        int input[2];
        if (::pipe2(input, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
        const ssize_t written = ::write(input[1], stdin_text.data(), stdin_text.size());
        ::close(input[1]);
        if (written != static_cast<ssize_t>(stdin_text.size())) {
            ::close(input[0]);
            throw std::runtime_error("writing the daemon's input failed");
        }

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, input[0], 0);
        posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);

        std::vector<char*> argv;
        for (const auto& part : command) {
            argv.push_back(const_cast<char*>(part.c_str()));
        }
        argv.push_back(nullptr);
        const int error = ::posix_spawnp(&pid_, command.front().c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(input[0]);
        if (error != 0) {
            throw std::runtime_error("cannot start " + command.front() + ": " + std::strerror(error));
        }
    }
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;
    ~Daemon() { stop(); }

    void stop() {
        if (pid_ <= 0) {
            return;
        }
        ::kill(pid_, SIGTERM);
        int status = 0;
        const bool exited = testing::eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, 5s);
        if (!exited) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
        pid_ = 0;
    }

private:
    pid_t pid_ = 0;
};

std::unique_ptr<DockerConfigSource> source_for(const RecordingHost& host, const std::string& home) {
    LocationInputs inputs;
    inputs.home = home;
    inputs.xdg_runtime_dir = home + "/run";
    inputs.uid = ::getuid();
    return std::make_unique<DockerConfigSource>(host.host(), sdk::Settings(), inputs, system_path());
}

std::optional<sdk::Credential> lookup(DockerConfigSource& source, const std::string& registry) {
    sdk::CredentialQuery query;
    query.registry = registry;
    query.repository = "team/app";
    return source.lookup(query);
}

TEST(RealCredentialHelper, SecretServiceWithoutSessionBus) {
    if (auto missing = first_missing({"docker-credential-secretservice"})) {
        GTEST_SKIP() << *missing << " is not installed (package golang-docker-credential-helpers)";
    }
    TempDir root;
    testing::write_file(root.path() / "home" / ".docker" / "config.json",
                        R"({"credsStore": "secretservice", "auths": {"reg.example": {}}})");
    // A headless session: no bus address, no $DISPLAY, and no bus socket in XDG_RUNTIME_DIR,
    // which GLib tries when the address is unset.
    EnvironmentOverride no_bus("DBUS_SESSION_BUS_ADDRESS", std::nullopt);
    EnvironmentOverride no_display("DISPLAY", std::nullopt);
    EnvironmentOverride runtime_dir("XDG_RUNTIME_DIR", root.str("home/run"));
    RecordingHost host;

    auto source = source_for(host, root.str("home"));

    EXPECT_FALSE(lookup(*source, "reg.example").has_value());
    const auto warnings = host.messages(FERRY_LOG_WARNING);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("docker-credential-secretservice"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("no D-Bus session bus"), std::string::npos) << warnings[0];
}

TEST(RealCredentialHelper, SecretServiceRoundTrip) {
    if (auto missing = first_missing({"dbus-daemon", "gnome-keyring-daemon", "docker-credential-secretservice"})) {
        GTEST_SKIP() << *missing << " is not installed (packages dbus-daemon, gnome-keyring, "
                     << "golang-docker-credential-helpers)";
    }

    TempDir root;
    for (const char* directory : {"home", "data", "run", "config"}) {
        std::filesystem::create_directories(root.path() / directory);
        std::filesystem::permissions(root.path() / directory, std::filesystem::perms::owner_all);
    }
    const std::string bus = root.str("bus");
    EnvironmentOverride home("HOME", root.str("home"));
    EnvironmentOverride data("XDG_DATA_HOME", root.str("data"));
    EnvironmentOverride config("XDG_CONFIG_HOME", root.str("config"));
    EnvironmentOverride runtime("XDG_RUNTIME_DIR", root.str("run"));
    EnvironmentOverride address("DBUS_SESSION_BUS_ADDRESS", "unix:path=" + bus);

    // A private session bus with the policy of Debian's session.conf but without its service
    // directories, so that D-Bus activation starts nothing behind the test's back.
    testing::write_file(root.path() / "bus.conf",
                        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                        "<busconfig><type>session</type><listen>unix:path=" + bus + "</listen>\n"
                        "<auth>EXTERNAL</auth><policy context=\"default\">\n"
                        "<allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/>\n"
                        "<allow own=\"*\"/></policy></busconfig>\n");
    Daemon bus_daemon({"dbus-daemon", "--config-file=" + root.str("bus.conf"), "--nofork", "--nopidfile"}, "",
                      root.str("dbus.log"));
    ASSERT_TRUE(testing::eventually([&] { return std::filesystem::exists(bus); }, 10s)) << "the bus did not start";

    Daemon keyring({"gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"}, "test-password",
                   root.str("keyring.log"));
    ProcessRequest probe;
    probe.program = *find_program_on_path("docker-credential-secretservice", system_path());
    probe.arguments = {"list"};
    probe.timeout = 5s;
    ASSERT_TRUE(testing::eventually([&] { return run_process(probe).exit_code == 0; }, 15s))
        << "the keyring did not come up: " << testing::read_file(root.path() / "keyring.log");

    run_tool({"docker-credential-secretservice", "store"},
             R"({"ServerURL":"reg.example:5000","Username":"keyring-user","Secret":"keyring-secret"})");
    testing::write_file(root.path() / "home/.docker/config.json",
                        R"({"credsStore": "secretservice", "auths": {"reg.example:5000": {}}})");

    RecordingHost host;
    auto source = source_for(host, root.str("home"));
    const auto credential = lookup(*source, "reg.example:5000");
    ASSERT_TRUE(credential.has_value()) << host.everything();
    EXPECT_EQ(credential->username, "keyring-user");
    EXPECT_EQ(credential->password.reveal(), "keyring-secret");
    EXPECT_EQ(credential->source_name, "docker-config (credential helper \"secretservice\")");

    EXPECT_FALSE(lookup(*source, "other.example").has_value()) << host.everything();
    EXPECT_EQ(host.everything().find("keyring-secret"), std::string::npos);

    keyring.stop();
    bus_daemon.stop();
}

// Returns the fingerprint of the first secret key in the colon listing of gpg.
std::string first_fingerprint(const std::string& listing) {
    std::istringstream lines(listing);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("fpr:", 0) == 0) {
            std::vector<std::string> fields;
            std::istringstream parts(line);
            std::string field;
            while (std::getline(parts, field, ':')) {
                fields.push_back(field);
            }
            if (fields.size() > 9) {
                return fields[9];
            }
        }
    }
    return {};
}

// Stops the gpg-agent that gpg started for GNUPGHOME, by the pid it reports.
void stop_gpg_agent() {
    ProcessRequest request;
    const auto program = find_program_on_path("gpg-connect-agent", system_path());
    if (!program) {
        return;
    }
    request.program = *program;
    request.arguments = {"--no-autostart", "getinfo pid", "/bye"};
    request.timeout = 10s;
    const std::string reply = run_process(request).stdout_text.reveal();
    if (reply.rfind("D ", 0) != 0) {
        return;
    }
    const pid_t pid = static_cast<pid_t>(std::stol(reply.substr(2)));
    ::kill(pid, SIGTERM);
    EXPECT_TRUE(testing::eventually([&] { return testing::process_is_gone(pid); }, 10s)) << "gpg-agent " << pid;
}

TEST(RealCredentialHelper, PassRoundTrip) {
    if (auto missing = first_missing({"gpg", "gpg-connect-agent", "pass", "docker-credential-pass"})) {
        GTEST_SKIP() << *missing << " is not installed (packages gpg, gpg-agent, pass, "
                     << "golang-docker-credential-helpers)";
    }

    TempDir root;
    std::filesystem::create_directories(root.path() / "gnupg");
    std::filesystem::permissions(root.path() / "gnupg", std::filesystem::perms::owner_all);
    std::filesystem::create_directories(root.path() / "home");
    EnvironmentOverride gnupg_home("GNUPGHOME", root.str("gnupg"));
    EnvironmentOverride store("PASSWORD_STORE_DIR", root.str("store"));
    EnvironmentOverride home("HOME", root.str("home"));

    run_tool({"gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
              "ferry test <test@ferry.invalid>", "default", "default", "never"});
    const std::string fingerprint =
        first_fingerprint(run_tool({"gpg", "--batch", "--with-colons", "--list-secret-keys"}));
    ASSERT_FALSE(fingerprint.empty());
    run_tool({"pass", "init", fingerprint});
    run_tool({"docker-credential-pass", "store"},
             R"({"ServerURL":"reg.example:5000","Username":"pass-user","Secret":"pass-secret"})");
    testing::write_file(root.path() / "home/.docker/config.json",
                        R"({"credHelpers": {"reg.example:5000": "pass", "other.example": "pass"}})");

    RecordingHost host;
    auto source = source_for(host, root.str("home"));
    const auto credential = lookup(*source, "reg.example:5000");
    const auto other = lookup(*source, "other.example");
    stop_gpg_agent();

    ASSERT_TRUE(credential.has_value()) << host.everything();
    EXPECT_EQ(credential->username, "pass-user");
    EXPECT_EQ(credential->password.reveal(), "pass-secret");
    EXPECT_EQ(credential->source_name, "docker-config (credential helper \"pass\")");
    EXPECT_FALSE(other.has_value()) << "docker-credential-pass prints empty fields for unknown servers";
    EXPECT_EQ(host.everything().find("pass-secret"), std::string::npos);
}

} // namespace
} // namespace ferry::docker_config
