#include <ferry/core/byte_size.hpp>

#include <ferry/core/errors.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

namespace ferry::core {
namespace {

// The multiplier of a unit suffix, lowercase, without the optional "b"/"ib"; 0 when unknown.
double unit_factor(std::string unit) {
    std::transform(unit.begin(), unit.end(), unit.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (unit.empty() || unit == "b") {
        return 1;
    }
    const std::pair<const char*, double> units[] = {
        {"k", 1024.0}, {"m", 1024.0 * 1024}, {"g", 1024.0 * 1024 * 1024}, {"t", 1024.0 * 1024 * 1024 * 1024}};
    for (const auto& [prefix, factor] : units) {
        if (unit == prefix || unit == std::string(prefix) + "b" || unit == std::string(prefix) + "ib") {
            return factor;
        }
    }
    return 0;
}

[[noreturn]] void invalid(const std::string& text, const std::string& option) {
    throw UsageError(option + " \"" + text + "\": expected a size such as 32MiB, 512KiB or a number of bytes");
}

} // namespace

std::uint64_t parse_byte_size(const std::string& text, const std::string& option) {
    // Digits with at most one '.', so that from_chars reads no sign, exponent, "inf" or "nan".
    const std::size_t digits_end = text.find_first_not_of("0123456789.");
    const std::string number_text = text.substr(0, digits_end);
    if (number_text.empty() || number_text.find('.') != number_text.rfind('.')) {
        invalid(text, option);
    }
    double number = 0;
    const auto* end = text.data() + text.size();
    const auto [position, error] = std::from_chars(text.data(), text.data() + number_text.size(), number);
    if (error != std::errc() || position != text.data() + number_text.size()) {
        invalid(text, option);
    }

    std::string unit(position, end);
    if (!unit.empty() && unit.front() == ' ') {
        unit.erase(0, 1);
    }
    const double factor = unit_factor(unit);
    const double bytes = number * factor;
    if (factor == 0 || bytes != std::floor(bytes) || bytes > 9.2e18) {
        invalid(text, option);
    }
    return static_cast<std::uint64_t>(bytes);
}

} // namespace ferry::core
