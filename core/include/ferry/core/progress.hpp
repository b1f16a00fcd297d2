// Progress of blob transfers, fed by plugins through ferry_host_api.progress.
//
// On a terminal it redraws, at most every 200 ms, a block with one bar per blob in transfer and a
// total line. Otherwise (CI logs) it writes one total line every 10 seconds. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ferry::core {

struct Transfer {
    uint64_t done = 0;
    uint64_t total = 0; // 0 when unknown
};

// Renders the progress lines for transfers after elapsed seconds. On a terminal these are one bar
// per unfinished blob (at most max_bars, then "+N more") and the total. Otherwise it is the total
// line alone.
std::vector<std::string> render_progress(const std::map<std::string, Transfer>& transfers, double elapsed_seconds,
                                         bool terminal, std::size_t max_bars = 6);

class ProgressReporter {
public:
    explicit ProgressReporter(bool terminal);

    void update(const std::string& item, uint64_t done, uint64_t total);
    // Clears the terminal block; call once the copy ends.
    void finish();

    uint64_t bytes_done() const;

private:
    bool terminal_;
    mutable std::mutex mutex_;
    std::map<std::string, Transfer> transfers_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point last_output_;
};

// "1.5 GiB", "512.0 MiB", "17 B"
std::string format_bytes(uint64_t bytes);

} // namespace ferry::core
