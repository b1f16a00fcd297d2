#include "loopback_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace ferry::native::testing {

LoopbackServer::LoopbackServer(Handler handler) : handler_(std::move(handler)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listener_, 16) != 0) {
        throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    socklen_t length = sizeof(address);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
}

LoopbackServer::~LoopbackServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
}

std::vector<ReceivedRequest> LoopbackServer::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::string LoopbackServer::response(int status, const std::vector<std::string>& headers,
                                     const std::string& body) {
    std::string text = "HTTP/1.1 " + std::to_string(status) + " Status\r\n";
    for (const auto& header : headers) {
        text += header + "\r\n";
    }
    text += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    return text;
}

void LoopbackServer::serve() {
    while (!stopping_) {
        pollfd waiting{listener_, POLLIN, 0};
        if (::poll(&waiting, 1, 100) <= 0) {
            continue;
        }
        const int connection = ::accept(listener_, nullptr, nullptr);
        if (connection < 0) {
            continue;
        }
        handle(connection);
        ::close(connection);
    }
}

void LoopbackServer::handle(int connection) {
    std::string data;
    char buffer[4096];
    std::size_t header_end = std::string::npos;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
        const auto count = ::recv(connection, buffer, sizeof(buffer), 0);
        if (count <= 0) {
            return;
        }
        data.append(buffer, static_cast<std::size_t>(count));
        // A TLS ClientHello starts with 0x16. Like real HTTP servers, reply with a plain 400 at
        // once, so that a client probing HTTPS first learns that the server speaks plain HTTP.
        if (data[0] == '\x16') {
            const std::string reply = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
            ::send(connection, reply.data(), reply.size(), MSG_NOSIGNAL);
            return;
        }
    }

    ReceivedRequest request;
    const auto first_line_end = data.find("\r\n");
    const auto first_line = data.substr(0, first_line_end);
    const auto space = first_line.find(' ');
    request.method = first_line.substr(0, space);
    request.target = first_line.substr(space + 1, first_line.rfind(' ') - space - 1);

    std::size_t position = first_line_end + 2;
    while (position < header_end) {
        const auto line_end = data.find("\r\n", position);
        const auto line = data.substr(position, line_end - position);
        const auto colon = line.find(':');
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        request.headers[name] = value;
        position = line_end + 2;
    }

    request.body = data.substr(header_end + 4);
    const auto length = request.headers.count("content-length") ? std::stoul(request.headers["content-length"]) : 0;
    while (request.body.size() < length) {
        const auto count = ::recv(connection, buffer, sizeof(buffer), 0);
        if (count <= 0) {
            break;
        }
        request.body.append(buffer, static_cast<std::size_t>(count));
    }

    const auto reply = handler_(request);
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
    }
    ::send(connection, reply.data(), reply.size(), MSG_NOSIGNAL);
}

} // namespace ferry::native::testing
