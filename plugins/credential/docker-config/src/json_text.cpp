#include "json_text.hpp"

#include <ferry/sdk.hpp>

#include <algorithm>
#include <optional>
#include <vector>

namespace ferry::docker_config {
namespace {

// Returns "line L, column C (byte B)" for the 0-based offset, counting from 1.
std::string describe_position(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + " (byte " +
           std::to_string(offset + 1) + ")";
}

// Returns the offset of the bracket that opens level max_json_depth + 1, if any. Brackets inside
// strings do not count.
std::optional<std::size_t> find_excess_nesting(std::string_view text) {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_json_depth) {
                return i;
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

} // namespace

nlohmann::json parse_json(std::string_view text) {
    if (auto offset = find_excess_nesting(text)) {
        throw JsonSyntaxError("JSON nested deeper than " + std::to_string(max_json_depth) + " levels at " +
                              describe_position(text, *offset));
    }

    // NOTE: nlohmann's lexer copies each string token into a buffer of its own and frees it
    // without wiping, so fragments of secrets can remain in freed heap memory after parsing.
    try {
        return nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error& error) {
        // nlohmann's message quotes the text it read last, which may be part of a password,
        // so only its position is kept. byte counts the characters read, so the character that
        // failed is at offset byte - 1.
        const std::size_t offset = error.byte == 0 ? 0 : error.byte - 1;
        throw JsonSyntaxError("not valid JSON at " + describe_position(text, offset));
    } catch (const nlohmann::json::out_of_range&) {
        // nlohmann stores numbers as double or 64-bit integers and reports no position here.
        throw JsonSyntaxError("not readable as JSON: it contains a number too large for a 64-bit double");
    }
}

void wipe_json(nlohmann::json& document) noexcept {
    std::vector<nlohmann::json*> pending{&document};
    while (!pending.empty()) {
        nlohmann::json* value = pending.back();
        pending.pop_back();
        if (value->is_string()) {
            sdk::wipe(value->get_ref<std::string&>());
        } else if (value->is_structured()) {
            for (auto& child : *value) {
                pending.push_back(&child);
            }
        }
    }
    document = nullptr;
}

} // namespace ferry::docker_config
