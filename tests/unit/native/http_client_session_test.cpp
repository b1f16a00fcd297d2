// HttpClient's TLS session cache: a request that must open a new connection (the previous one
// carried its upload limit) resumes the TLS session of the old connection. The server is
// `openssl s_server -www`, whose status page reports whether the session was reused.
#include "http_client.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace ferry::native {
namespace {

int free_loopback_port() {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(listener);
    return ntohs(address.sin_port);
}

int run(const std::vector<std::string>& arguments) {
    std::vector<char*> argv;
    for (const auto& argument : arguments) {
        argv.push_back(const_cast<char*>(argument.c_str()));
    }
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
        return -1;
    }
    return pid;
}

// openssl s_server with a fresh self-signed certificate in a directory of its own.
class TlsStatusServer {
public:
    TlsStatusServer() {
        directory_ = std::filesystem::temp_directory_path() / ("ferry-tls-resume-" + std::to_string(::getpid()));
        std::filesystem::create_directories(directory_);
        const auto key = (directory_ / "key.pem").string();
        const auto cert = (directory_ / "cert.pem").string();
        const pid_t request = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                                   "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-batch"});
        int status = 0;
        if (request <= 0 || ::waitpid(request, &status, 0) != request || status != 0) {
            return;
        }
        port_ = free_loopback_port();
        pid_ = run({"openssl", "s_server", "-quiet", "-www", "-accept", "127.0.0.1:" + std::to_string(port_),
                    "-cert", cert, "-key", key});
    }

    ~TlsStatusServer() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
        std::filesystem::remove_all(directory_);
    }

    bool started() const { return pid_ > 0; }
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/"; }

private:
    std::filesystem::path directory_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// A GET with a body, so that it counts against connection_upload_limit; s_server ignores the body.
HttpRequest status_request(const std::string& url, const std::string& body) {
    HttpRequest request;
    request.url = url;
    request.body = std::string_view(body);
    request.connection_upload_limit = body.size() + body.size() / 2;
    return request;
}

TEST(HttpClientSession, NewConnectionResumesTlsSession) {
    TlsStatusServer server;
    ASSERT_TRUE(server.started()) << "openssl could not start";
    const ferry::sdk::Host host{nullptr};
    HttpClient client(TlsConfig::load(false, ""), TransferSettings{}, host);
    const std::string body(1000, 'x');

    // Poll until s_server accepts connections.
    HttpResponse first;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
        try {
            first = client.perform(status_request(server.url(), body));
            break;
        } catch (const TransferError&) {
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "s_server did not accept connections";
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    const auto second = client.perform(status_request(server.url(), body));

    EXPECT_EQ(first.status, 200);
    EXPECT_NE(first.body.find("New, TLS"), std::string::npos) << first.body.substr(0, 300);
    EXPECT_EQ(second.status, 200);
    EXPECT_NE(second.body.find("Reused, TLS"), std::string::npos) << second.body.substr(0, 300);
}

} // namespace
} // namespace ferry::native
