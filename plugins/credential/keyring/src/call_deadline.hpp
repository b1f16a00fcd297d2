// A per-call time limit for blocking libsecret calls.
#pragma once

#include "glib_handles.hpp"

#include <ferry/sdk.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace ferry::keyring {

// Owns a GCancellable that a watcher thread cancels once the timeout has passed or the host
// reports that the user interrupted ferry. Pass cancellable() to one libsecret *_sync call,
// which then returns G_IO_ERROR_CANCELLED early. Without it a D-Bus call waits for the bus
// default of 25 s, for example when the Secret Service waits for an unlock prompt that no
// one can see.
class CallDeadline {
public:
    CallDeadline(const sdk::Host& host, std::chrono::milliseconds timeout);
    ~CallDeadline();

    CallDeadline(const CallDeadline&) = delete;
    CallDeadline& operator=(const CallDeadline&) = delete;

    GCancellable* cancellable() const noexcept { return cancellable_.get(); }

    // Valid after the call returned: which of the two reasons, if any, cancelled it.
    bool timed_out() const;
    bool interrupted() const;

private:
    void watch();

    sdk::Host host_;
    std::chrono::steady_clock::time_point deadline_;
    GObjectHandle<GCancellable> cancellable_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool finished_ = false;
    bool timed_out_ = false;
    bool interrupted_ = false;
    std::thread watcher_;
};

} // namespace ferry::keyring
