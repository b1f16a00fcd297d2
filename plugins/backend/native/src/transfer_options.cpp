#include "transfer_options.hpp"

#include <charconv>
#include <cmath>

namespace ferry::native {
namespace {

[[noreturn]] void invalid(const char* key, const std::string& text, const std::string& expected) {
    throw ferry::sdk::Error(FERRY_ERROR_INVALID_INPUT,
                            std::string("invalid ") + key + " \"" + text + "\": expected " + expected);
}

long read_count(const ferry::sdk::Settings& settings, const char* key, long fallback, long minimum, long maximum) {
    const auto text = settings.get(key);
    if (!text || text->empty()) {
        return fallback;
    }

    long value = 0;
    const auto* end = text->data() + text->size();
    const auto [position, error] = std::from_chars(text->data(), end, value);
    if (error != std::errc() || position != end || value < minimum || value > maximum) {
        invalid(key, *text, "a whole number from " + std::to_string(minimum) + " to " + std::to_string(maximum));
    }
    return value;
}

// Seconds, possibly fractional ("2.5"); std::nullopt when absent.
std::optional<double> read_seconds(const ferry::sdk::Settings& settings, const char* key) {
    const auto text = settings.get(key);
    if (!text || text->empty()) {
        return std::nullopt;
    }

    constexpr double kMaximum = 7 * 24 * 3600;
    double value = 0;
    const auto* end = text->data() + text->size();
    const auto [position, error] = std::from_chars(text->data(), end, value);
    if (error != std::errc() || position != end || !(value >= 0) || value > kMaximum) {
        invalid(key, *text, "seconds from 0 to " + std::to_string(static_cast<long>(kMaximum)));
    }
    return value;
}

bool read_flag(const ferry::sdk::Settings& settings, const char* key) {
    const auto text = settings.get(key);
    if (!text || text->empty() || *text == "false") {
        return false;
    }
    if (*text != "true") {
        invalid(key, *text, "true or false");
    }
    return true;
}

// 0 turns chunking off. Below 1 MiB the requests would cost more than the data they carry.
std::uint64_t read_chunk_size(const ferry::sdk::Settings& settings, std::uint64_t fallback) {
    constexpr const char* kKey = "upload-chunk-size";
    constexpr std::uint64_t kMinimum = 1024 * 1024;
    const auto text = settings.get(kKey);
    if (!text || text->empty()) {
        return fallback;
    }

    std::uint64_t value = 0;
    const auto* end = text->data() + text->size();
    const auto [position, error] = std::from_chars(text->data(), end, value);
    if (error != std::errc() || position != end || (value != 0 && value < kMinimum)) {
        invalid(kKey, *text, "0 or a number of bytes of at least " + std::to_string(kMinimum));
    }
    return value;
}

} // namespace

TransferOptions TransferOptions::from(const ferry::sdk::Settings& settings) {
    TransferOptions options;
    options.jobs = static_cast<int>(read_count(settings, "jobs", options.jobs, 1, 64));
    options.retry_times = static_cast<int>(read_count(settings, "retry-times", options.retry_times, 0, 100));

    if (const auto delay = read_seconds(settings, "retry-delay")) {
        options.retry_delay = std::chrono::milliseconds(std::lround(*delay * 1000));
    }
    if (const auto deadline = read_seconds(settings, "deadline"); deadline && *deadline > 0) {
        options.transfer.deadline =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(std::llround(*deadline * 1000));
    }
    if (const auto timeout = read_seconds(settings, "timeout")) {
        options.transfer.timeout_milliseconds = std::lround(*timeout * 1000);
    }
    // libcurl measures stalls in whole seconds; rounding up never aborts earlier than asked.
    if (const auto stall = read_seconds(settings, "stall-timeout")) {
        options.transfer.stall_seconds = static_cast<long>(std::ceil(*stall));
    }
    options.transfer.force_http1 = read_flag(settings, "force-http1");
    options.upload_chunk_bytes = read_chunk_size(settings, options.upload_chunk_bytes);
    return options;
}

} // namespace ferry::native
