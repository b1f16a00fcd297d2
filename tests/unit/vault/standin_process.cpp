#include "standin_process.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef FERRY_PYTHON
#error "FERRY_PYTHON must name the Python interpreter"
#endif
#ifndef FERRY_VAULT_STANDIN
#error "FERRY_VAULT_STANDIN must name tests/e2e/vault_standin.py"
#endif

namespace ferry::vault::testing {

namespace {

// Reads the first line the child prints, waiting at most timeout.
std::string read_line(int fd, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            throw std::runtime_error("the Vault stand-in printed no port within 10 s");
        }
        pollfd ready{fd, POLLIN, 0};
        if (poll(&ready, 1, static_cast<int>(left.count())) <= 0) {
            continue;
        }
        char c = 0;
        if (read(fd, &c, 1) <= 0) {
            throw std::runtime_error("the Vault stand-in exited before printing its port");
        }
        if (c == '\n') {
            return line;
        }
        line += c;
    }
}

} // namespace

StandinProcess::StandinProcess(const nlohmann::json& config) : tls_(config.contains("tls")) {
    char pattern[] = "/tmp/ferry-vault-standin.XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    directory_ = pattern;
    const std::string config_file = directory_ + "/config.json";
    std::ofstream(config_file) << config.dump(2);

    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        throw std::runtime_error("pipe failed");
    }
    pid_ = fork();
    if (pid_ == 0) {
        // The stand-in must not outlive a test that ctest kills at its timeout.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(pipe_fds[1], STDOUT_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        execl(FERRY_PYTHON, FERRY_PYTHON, FERRY_VAULT_STANDIN, config_file.c_str(),
              static_cast<char*>(nullptr));
        _exit(127);
    }
    close(pipe_fds[1]);
    const std::string line = read_line(pipe_fds[0], std::chrono::seconds(10));
    close(pipe_fds[0]);
    port_ = std::stoi(line);
}

StandinProcess::~StandinProcess() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
    }
    std::string command = "rm -rf '" + directory_ + "'";
    [[maybe_unused]] int ignored = std::system(command.c_str());
}

std::string StandinProcess::url() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

RecordingHost::RecordingHost() {
    api_.struct_size = sizeof(api_);
    api_.context = this;
    api_.log = &RecordingHost::log;
    api_.set_error = &RecordingHost::set_error;
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

TempDir::TempDir() {
    char pattern[] = "/tmp/ferry-vault-test.XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::string command = "rm -rf '" + path_ + "'";
    [[maybe_unused]] int ignored = std::system(command.c_str());
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file) << content;
    return file;
}

int unused_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

} // namespace ferry::vault::testing
