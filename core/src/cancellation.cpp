#include <ferry/core/cancellation.hpp>

#include <atomic>
#include <csignal>

namespace ferry::core {
namespace {

std::atomic<int> received_signal{0};

extern "C" void handle_signal(int signal_number) {
    if (received_signal.exchange(signal_number) != 0) {
        std::signal(signal_number, SIG_DFL);
        std::raise(signal_number);
    }
}

} // namespace

void install_signal_handlers() {
    struct sigaction action {};
    action.sa_handler = handle_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

bool cancellation_requested() { return received_signal.load() != 0; }

int cancellation_signal() { return received_signal.load(); }

} // namespace ferry::core
