#include "redaction.hpp"

#include <array>
#include <cctype>

namespace ferry::docker_config {
namespace {

constexpr std::string_view redacted = "<redacted>";

bool is_identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// Returns the length of the sensitive word at text[position], or 0.
std::size_t sensitive_word_at(std::string_view text, std::size_t position) {
    static constexpr std::array<std::string_view, 4> words = {"secret", "pass", "token", "auth"};
    for (std::string_view word : words) {
        if (text.size() - position < word.size()) {
            continue;
        }
        bool equal = true;
        for (std::size_t i = 0; i < word.size() && equal; ++i) {
            equal = std::tolower(static_cast<unsigned char>(text[position + i])) == word[i];
        }
        if (equal) {
            return word.size();
        }
    }
    return 0;
}

// If a key ends at position (rest of the identifier, closing quote, spaces, ':' or '='),
// returns the offset where its value starts; otherwise returns position unchanged.
std::size_t value_start_after_key(std::string_view text, std::size_t position) {
    std::size_t i = position;
    while (i < text.size() && is_identifier_char(text[i])) {
        ++i;
    }
    while (i < text.size() && (text[i] == '"' || text[i] == '\'')) {
        ++i;
    }
    while (i < text.size() && text[i] == ' ') {
        ++i;
    }
    if (i >= text.size() || (text[i] != ':' && text[i] != '=')) {
        return position;
    }
    ++i;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
        ++i;
    }
    return i;
}

// Returns the offset just past the value that starts at position: a quoted string up to its
// closing quote, otherwise everything up to the end of the line or a ',', ';', '}' or '&'.
std::size_t value_end(std::string_view text, std::size_t position) {
    if (position < text.size() && (text[position] == '"' || text[position] == '\'')) {
        const char quote = text[position];
        std::size_t i = position + 1;
        while (i < text.size() && text[i] != quote) {
            i += text[i] == '\\' ? 2 : 1;
        }
        return std::min(i + 1, text.size());
    }
    std::size_t i = position;
    while (i < text.size() && text[i] != '\n' && text[i] != '\r' && text[i] != ',' && text[i] != ';' &&
           text[i] != '}' && text[i] != '&') {
        ++i;
    }
    return i;
}

std::string redact_values(std::string_view text) {
    std::string result;
    result.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t word = sensitive_word_at(text, i);
        if (word == 0) {
            result.push_back(text[i++]);
            continue;
        }
        const std::size_t start = value_start_after_key(text, i + word);
        if (start == i + word) {
            result.append(text.substr(i, word));
            i += word;
            continue;
        }
        result.append(text.substr(i, start - i));
        result.append(redacted);
        i = value_end(text, start);
    }
    return result;
}

std::string collapse_whitespace(std::string_view text) {
    std::string result;
    for (char c : text) {
        const bool space = static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ' ';
        if (space) {
            if (!result.empty() && result.back() != ' ') {
                result.push_back(' ');
            }
        } else {
            result.push_back(c);
        }
    }
    while (!result.empty() && result.back() == ' ') {
        result.pop_back();
    }
    return result;
}

} // namespace

std::string redact_helper_text(std::string_view text, std::size_t max_length) {
    std::string result = collapse_whitespace(redact_values(text));
    if (result.size() > max_length) {
        result.resize(max_length);
        result += "...";
    }
    return result;
}

} // namespace ferry::docker_config
