// A Secret Service that claims org.freedesktop.secrets on a bus and never answers OpenSession,
// like a service blocked on an unlock prompt that cannot be shown.
#pragma once

#include <gio/gio.h>

#include <string>
#include <thread>
#include <vector>

namespace ferry::keyring::testing {

class SilentSecretService {
public:
    // Returns once the name is owned on the bus at address.
    explicit SilentSecretService(const std::string& address);
    ~SilentSecretService();
    SilentSecretService(const SilentSecretService&) = delete;
    SilentSecretService& operator=(const SilentSecretService&) = delete;

    // How many calls arrived and were left unanswered.
    int unanswered_calls() const;

private:
    void serve();

    std::string address_;
    GMainContext* context_ = nullptr;
    GMainLoop* loop_ = nullptr;
    std::thread thread_;
    GMutex mutex_;
    GCond ready_;
    bool started_ = false;
    std::string failure_;
    std::vector<GDBusMethodInvocation*> pending_;
};

} // namespace ferry::keyring::testing
