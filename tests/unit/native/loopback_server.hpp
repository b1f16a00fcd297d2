// A minimal HTTP/1.1 server on 127.0.0.1 for unit tests: one thread, one request per
// connection, and a handler that maps each parsed request to a raw response.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ferry::native::testing {

struct ReceivedRequest {
    std::string method;
    std::string target;                         // path and query
    std::map<std::string, std::string> headers; // lowercase names
    std::string body;
};

class LoopbackServer {
public:
    using Handler = std::function<std::string(const ReceivedRequest&)>;

    explicit LoopbackServer(Handler handler);
    ~LoopbackServer();
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::vector<ReceivedRequest> requests() const;

    // A complete response with Content-Length and Connection: close.
    static std::string response(int status, const std::vector<std::string>& headers = {},
                                const std::string& body = "");

private:
    void serve();
    void handle(int connection);

    Handler handler_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::vector<ReceivedRequest> requests_;
    std::thread thread_;
};

} // namespace ferry::native::testing
