#include <ferry/core/progress.hpp>

#include <ferry/core/log.hpp>

#include <algorithm>
#include <cstdio>

namespace ferry::core {
namespace {

constexpr auto terminal_interval = std::chrono::milliseconds(200);
constexpr auto log_interval = std::chrono::seconds(10);
constexpr int bar_width = 24;

std::string bar(uint64_t done, uint64_t total) {
    int filled = total == 0 ? 0 : static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * bar_width);
    filled = std::min(filled, bar_width);
    return "[" + std::string(static_cast<std::size_t>(filled), '#') +
           std::string(static_cast<std::size_t>(bar_width - filled), '.') + "]";
}

// "sha256:0123456789ab" from a full digest, so the lines stay short.
std::string short_item(const std::string& item) {
    std::size_t colon = item.find(':');
    std::size_t keep = colon == std::string::npos ? 12 : colon + 13;
    return item.substr(0, keep);
}

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

std::vector<std::string> render_progress(const std::map<std::string, Transfer>& transfers, double elapsed_seconds,
                                         bool terminal, std::size_t max_bars) {
    uint64_t done = 0;
    uint64_t total = 0;
    std::size_t finished = 0;
    std::vector<std::string> lines;
    std::size_t hidden = 0;
    for (const auto& [item, transfer] : transfers) {
        done += transfer.done;
        total += transfer.total;
        bool complete = transfer.total != 0 && transfer.done >= transfer.total;
        if (complete) {
            ++finished;
        } else if (terminal && lines.size() < max_bars) {
            lines.push_back(short_item(item) + " " + bar(transfer.done, transfer.total) + " " +
                            format_bytes(transfer.done) + " / " + format_bytes(transfer.total));
        } else if (terminal) {
            ++hidden;
        }
    }
    if (hidden > 0) {
        lines.push_back("+" + std::to_string(hidden) + " more blobs in transfer");
    }

    uint64_t rate = elapsed_seconds > 0 ? static_cast<uint64_t>(static_cast<double>(done) / elapsed_seconds) : 0;
    std::string summary = "progress: " + std::to_string(finished) + "/" + std::to_string(transfers.size()) +
                          " blobs, " + format_bytes(done) + " of " + format_bytes(total) + ", " +
                          format_bytes(rate) + "/s";
    lines.push_back(terminal ? "total        " + bar(done, total) + " " + summary : summary);
    return lines;
}

ProgressReporter::ProgressReporter(bool terminal)
    : terminal_(terminal), started_(std::chrono::steady_clock::now()), last_output_(started_) {}

void ProgressReporter::update(const std::string& item, uint64_t done, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    std::vector<std::string> lines;
    {
        std::lock_guard lock(mutex_);
        transfers_[item] = Transfer{done, total};
        auto interval = terminal_ ? std::chrono::duration_cast<std::chrono::milliseconds>(terminal_interval)
                                  : std::chrono::duration_cast<std::chrono::milliseconds>(log_interval);
        if (now - last_output_ < interval) {
            return;
        }
        last_output_ = now;
        lines = render_progress(transfers_, std::chrono::duration<double>(now - started_).count(), terminal_);
    }

    if (terminal_) {
        Logger::instance().write_progress_block(lines);
    } else {
        log_info(lines.back());
    }
}

void ProgressReporter::finish() {
    if (terminal_) {
        Logger::instance().write_progress_block({});
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
