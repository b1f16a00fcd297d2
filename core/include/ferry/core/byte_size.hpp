// Byte sizes as users write them on the command line.
#pragma once

#include <cstdint>
#include <string>

namespace ferry::core {

// Parses "33554432", "32MiB", "32M", "512KiB", "1.5GiB" (units are powers of 1024; "B" and a
// space before the unit are accepted, case is ignored). Throws UsageError naming option and
// text for anything else, including fractions of a byte and values above 2^63.
std::uint64_t parse_byte_size(const std::string& text, const std::string& option);

} // namespace ferry::core
