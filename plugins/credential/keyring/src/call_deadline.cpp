#include "call_deadline.hpp"

#include <algorithm>

namespace ferry::keyring {

namespace {

// How often the watcher polls the host to learn whether the user interrupted ferry.
constexpr std::chrono::milliseconds kInterruptPollInterval{100};

} // namespace

CallDeadline::CallDeadline(const sdk::Host& host, std::chrono::milliseconds timeout)
    : host_(host),
      deadline_(std::chrono::steady_clock::now() + timeout),
      cancellable_(g_cancellable_new()) {
    watcher_ = std::thread([this] { watch(); });
}

CallDeadline::~CallDeadline() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        finished_ = true;
    }
    wake_.notify_all();
    watcher_.join();
}

bool CallDeadline::timed_out() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return timed_out_;
}

bool CallDeadline::interrupted() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return interrupted_;
}

void CallDeadline::watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!finished_) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline_) {
            timed_out_ = true;
            break;
        }

        const auto pause = std::min<std::chrono::steady_clock::duration>(
            kInterruptPollInterval, deadline_ - now);
        if (wake_.wait_for(lock, pause, [this] { return finished_; })) {
            return;
        }

        lock.unlock();
        const bool cancelled = host_.cancelled();
        lock.lock();
        if (cancelled) {
            interrupted_ = true;
            break;
        }
    }

    if (timed_out_ || interrupted_) {
        // g_cancellable_cancel is thread-safe, and the blocked call wakes up in its own thread.
        g_cancellable_cancel(cancellable_.get());
    }
}

} // namespace ferry::keyring
