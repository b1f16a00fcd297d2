#include "keyring_test_support.hpp"

#include <gio/gio.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ferry::keyring::testing {

namespace {

[[noreturn]] void exec_child(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const std::string& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
}

void write_all(int fd, const std::string& data) {
    std::size_t written = 0;
    while (written < data.size()) {
        const ssize_t count = write(fd, data.data() + written, data.size() - written);
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count <= 0) {
            throw std::runtime_error("writing to a child process failed");
        }
        written += static_cast<std::size_t>(count);
    }
}

// Reads one line from fd, waiting at most timeout in total.
std::string read_line(int fd, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            throw std::runtime_error("timed out reading a line from a child process");
        }
        pollfd ready{fd, POLLIN, 0};
        if (poll(&ready, 1, static_cast<int>(left.count())) <= 0) {
            continue;
        }
        char c = 0;
        const ssize_t count = read(fd, &c, 1);
        if (count <= 0) {
            throw std::runtime_error("a child process closed its output before a full line");
        }
        if (c == '\n') {
            return line;
        }
        line += c;
    }
}

} // namespace

RecordingHost::RecordingHost() {
    api_.struct_size = sizeof(api_);
    api_.context = this;
    api_.log = &RecordingHost::log;
    api_.set_error = &RecordingHost::set_error;
    api_.is_cancelled = &RecordingHost::is_cancelled;
}

std::string RecordingHost::log_text() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string text;
    for (const std::string& line : lines_) {
        text += line + "\n";
    }
    return text;
}

void RecordingHost::log(void* context, int32_t /*level*/, const char* message) {
    auto* self = static_cast<RecordingHost*>(context);
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->lines_.emplace_back(message);
}

void RecordingHost::set_error(void* context, const char* message) {
    log(context, FERRY_LOG_ERROR, message);
}

int32_t RecordingHost::is_cancelled(void* /*context*/) { return 0; }

bool keyring_session_available() {
    const char* session = std::getenv("FERRY_KEYRING_SESSION");
    return session != nullptr && std::string(session) == "1";
}

int run_with_input(const std::vector<std::string>& argv, const std::string& input) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        throw std::runtime_error("pipe failed");
    }

    const pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_fds[0], STDIN_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        exec_child(argv);
    }
    close(pipe_fds[0]);
    write_all(pipe_fds[1], input);
    close(pipe_fds[1]);

    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

EnvOverride::EnvOverride(std::string name, std::optional<std::string> value)
    : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) {
        saved_ = old;
    }
    if (value) {
        setenv(name_.c_str(), value->c_str(), 1);
    } else {
        unsetenv(name_.c_str());
    }
}

EnvOverride::~EnvOverride() {
    if (saved_) {
        setenv(name_.c_str(), saved_->c_str(), 1);
    } else {
        unsetenv(name_.c_str());
    }
}

PrivateBus::PrivateBus() {
    char pattern[] = "/tmp/ferry-private-bus.XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    directory_ = pattern;

    const std::string config = directory_ + "/bus.conf";
    std::ofstream(config) << "<!DOCTYPE busconfig PUBLIC "
                             "\"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
                             "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                             "<busconfig>\n"
                             "  <type>session</type>\n"
                             "  <listen>unix:dir=" << directory_ << "</listen>\n"
                             "  <auth>EXTERNAL</auth>\n"
                             "  <policy context=\"default\">\n"
                             "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                             "    <allow eavesdrop=\"true\"/>\n"
                             "    <allow own=\"*\"/>\n"
                             "  </policy>\n"
                             "</busconfig>\n";

    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        throw std::runtime_error("pipe failed");
    }
    pid_ = fork();
    if (pid_ == 0) {
        // The bus must not outlive a test that ctest kills at its timeout.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(pipe_fds[1], STDOUT_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        exec_child({"dbus-daemon", "--config-file=" + config, "--nofork", "--print-address=1"});
    }
    close(pipe_fds[1]);
    address_ = read_line(pipe_fds[0], std::chrono::seconds(10));
    close(pipe_fds[0]);
}

PrivateBus::~PrivateBus() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
    }
    std::string command = "rm -rf '" + directory_ + "'";
    [[maybe_unused]] int ignored = std::system(command.c_str());
}

void lock_login_collection() {
    GError* error = nullptr;
    GDBusConnection* bus = g_bus_get_sync(G_BUS_TYPE_SESSION, nullptr, &error);
    ASSERT_NE(bus, nullptr) << (error != nullptr ? error->message : "");

    GVariantBuilder paths;
    g_variant_builder_init(&paths, G_VARIANT_TYPE("ao"));
    g_variant_builder_add(&paths, "o", "/org/freedesktop/secrets/collection/login");
    GVariant* reply = g_dbus_connection_call_sync(
        bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
        "org.freedesktop.Secret.Service", "Lock", g_variant_new("(ao)", &paths),
        G_VARIANT_TYPE("(aoo)"), G_DBUS_CALL_FLAGS_NONE, 10000, nullptr, &error);
    ASSERT_NE(reply, nullptr) << (error != nullptr ? error->message : "");
    g_variant_unref(reply);
    g_object_unref(bus);
}

void store_with_docker_helper(const std::string& server, const std::string& username,
                              const std::string& secret) {
    const std::string input = "{\"ServerURL\":\"" + server + "\",\"Username\":\"" + username +
                              "\",\"Secret\":\"" + secret + "\"}";
    ASSERT_EQ(run_with_input({"docker-credential-secretservice", "store"}, input), 0)
        << "docker-credential-secretservice store failed for " << server;
}

} // namespace ferry::keyring::testing
