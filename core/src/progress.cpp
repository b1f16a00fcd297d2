#include <ferry/core/progress.hpp>

#include <ferry/core/log.hpp>

#include <cstdio>

namespace ferry::core {
namespace {

constexpr auto terminal_interval = std::chrono::milliseconds(200);
constexpr auto log_interval = std::chrono::seconds(10);

} // namespace

std::string format_bytes(uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024.0 && unit < 4) {
        value /= 1024.0;
        ++unit;
    }
    char text[32];
    if (unit == 0) {
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
    } else {
        std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    }
    return text;
}

ProgressReporter::ProgressReporter(bool terminal)
    : terminal_(terminal), started_(std::chrono::steady_clock::now()), last_output_(started_) {}

void ProgressReporter::update(const std::string& item, uint64_t done, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    std::string line;
    {
        std::lock_guard lock(mutex_);
        transfers_[item] = Transfer{done, total};
        auto interval = terminal_ ? std::chrono::duration_cast<std::chrono::milliseconds>(terminal_interval)
                                  : std::chrono::duration_cast<std::chrono::milliseconds>(log_interval);
        bool complete = total != 0 && done == total;
        if (now - last_output_ < interval && !(terminal_ && complete)) {
            return;
        }
        last_output_ = now;
        line = render_locked(now);
    }

    if (terminal_) {
        Logger::instance().write_progress_line(line);
    } else {
        log_info(line);
    }
}

std::string ProgressReporter::render_locked(std::chrono::steady_clock::time_point now) const {
    uint64_t done = 0;
    uint64_t total = 0;
    int finished = 0;
    for (const auto& [item, transfer] : transfers_) {
        done += transfer.done;
        total += transfer.total;
        if (transfer.total != 0 && transfer.done >= transfer.total) {
            ++finished;
        }
    }

    double seconds = std::chrono::duration<double>(now - started_).count();
    uint64_t rate = seconds > 0 ? static_cast<uint64_t>(static_cast<double>(done) / seconds) : 0;
    std::string line = "progress: " + std::to_string(finished) + "/" + std::to_string(transfers_.size()) +
                       " blobs, " + format_bytes(done) + " of " + format_bytes(total) + ", " +
                       format_bytes(rate) + "/s";
    if (terminal_ && total > 0) {
        constexpr int width = 24;
        int filled = static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * width);
        line = "[" + std::string(static_cast<std::size_t>(filled), '#') +
               std::string(static_cast<std::size_t>(width - filled), '.') + "] " + line;
    }
    return line;
}

void ProgressReporter::finish() {
    if (terminal_) {
        Logger::instance().write_progress_line("");
    }
}

uint64_t ProgressReporter::bytes_done() const {
    std::lock_guard lock(mutex_);
    uint64_t done = 0;
    for (const auto& [item, transfer] : transfers_) {
        done += transfer.done;
    }
    return done;
}

} // namespace ferry::core
