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
    // Every signal whose default action ends the process cancels the copy instead, so that
    // plugins get to remove their temporary files (skopeo's auth files among them).
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM}) {
        sigaction(signal_number, &action, nullptr);
    }

    // A closed output pipe (`ferry copy ... | head`) must not kill ferry mid-copy: writes then
    // fail with EPIPE and the copy goes on.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, nullptr);
}

bool cancellation_requested() { return received_signal.load() != 0; }

int cancellation_signal() { return received_signal.load(); }

} // namespace ferry::core
