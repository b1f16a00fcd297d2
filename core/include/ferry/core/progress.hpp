// Progress of blob transfers, fed by plugins through ferry_host_api.progress.
//
// On a terminal it redraws one line with the total and the busiest transfers at most every
// 200 ms; otherwise (CI logs) it writes one line every 10 seconds. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace ferry::core {

class ProgressReporter {
public:
    explicit ProgressReporter(bool terminal);

    void update(const std::string& item, uint64_t done, uint64_t total);
    // Clears the terminal line; call once the copy ends.
    void finish();

    uint64_t bytes_done() const;

private:
    struct Transfer {
        uint64_t done = 0;
        uint64_t total = 0;
    };
    std::string render_locked(std::chrono::steady_clock::time_point now) const;

    bool terminal_;
    mutable std::mutex mutex_;
    std::map<std::string, Transfer> transfers_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point last_output_;
};

// "1.5 GiB", "512.0 MiB", "17 B"
std::string format_bytes(uint64_t bytes);

} // namespace ferry::core
