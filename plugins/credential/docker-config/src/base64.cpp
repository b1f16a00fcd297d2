#include "base64.hpp"

#include <ferry/sdk.hpp>

#include <array>
#include <cstdint>

namespace ferry::docker_config {
namespace {

constexpr std::int8_t invalid = -1;

constexpr std::array<std::int8_t, 256> make_decoding_table() {
    std::array<std::int8_t, 256> table{};
    for (auto& value : table) {
        value = invalid;
    }
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    }
    return table;
}

constexpr std::array<std::int8_t, 256> decoding_table = make_decoding_table();

// Decodes symbols (line breaks already removed) into decoded; false when they are invalid.
bool decode_symbols(const std::string& symbols, std::string& decoded) {
    if (symbols.size() % 4 != 0) {
        return false;
    }

    std::size_t padding = 0;
    while (padding < 2 && padding < symbols.size() && symbols[symbols.size() - 1 - padding] == '=') {
        ++padding;
    }

    decoded.reserve(symbols.size() / 4 * 3);
    std::uint32_t group = 0;
    const std::size_t data_length = symbols.size() - padding;
    for (std::size_t i = 0; i < data_length; ++i) {
        const std::int8_t value = decoding_table[static_cast<unsigned char>(symbols[i])];
        if (value == invalid) {
            return false;
        }
        group = (group << 6) | static_cast<std::uint32_t>(value);
        if (i % 4 == 3) {
            decoded.push_back(static_cast<char>((group >> 16) & 0xff));
            decoded.push_back(static_cast<char>((group >> 8) & 0xff));
            decoded.push_back(static_cast<char>(group & 0xff));
            group = 0;
        }
    }

    // The last group contains 2 symbols (one byte) or 3 symbols (two bytes). Like Go's
    // StdEncoding, which Docker uses, the unused low bits are ignored.
    const std::size_t tail = data_length % 4;
    if (tail == 2) {
        decoded.push_back(static_cast<char>((group >> 4) & 0xff));
    } else if (tail == 3) {
        decoded.push_back(static_cast<char>((group >> 10) & 0xff));
        decoded.push_back(static_cast<char>((group >> 2) & 0xff));
    } else if (tail == 1 || padding != 0) {
        return false;
    }
    return true;
}

} // namespace

std::optional<std::string> decode_base64(std::string_view text) {
    std::string symbols;
    symbols.reserve(text.size());
    for (char c : text) {
        if (c != '\r' && c != '\n') {
            symbols.push_back(c);
        }
    }

    std::string decoded;
    const bool valid = decode_symbols(symbols, decoded);
    sdk::wipe(symbols);
    if (!valid) {
        sdk::wipe(decoded);
        return std::nullopt;
    }
    return decoded;
}

} // namespace ferry::docker_config
