#include "www_authenticate.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace ferry::native {
namespace {

bool is_tchar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

bool is_token68_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           (c != '\0' && std::strchr("-._~+/", c) != nullptr);
}

std::string lowercase(std::string_view text) {
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

// A cursor over one header value.
class Scanner {
public:
    explicit Scanner(std::string_view text) : text_(text) {}

    bool at_end() const { return position_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[position_]; }
    std::size_t position() const { return position_; }
    void seek(std::size_t position) { position_ = position; }

    void skip_whitespace() {
        while (!at_end() && (peek() == ' ' || peek() == '\t')) {
            ++position_;
        }
    }

    void skip_whitespace_and_commas() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == ',')) {
            ++position_;
        }
    }

    std::string_view read_token() {
        const auto start = position_;
        while (!at_end() && is_tchar(peek())) {
            ++position_;
        }
        return text_.substr(start, position_ - start);
    }

    // Reads a quoted-string after its opening quote; a backslash escapes the next character.
    // An unterminated string ends at the end of the value.
    std::string read_quoted_rest() {
        std::string value;
        while (!at_end()) {
            const char c = text_[position_++];
            if (c == '"') {
                return value;
            }
            if (c == '\\' && !at_end()) {
                value += text_[position_++];
            } else {
                value += c;
            }
        }
        return value;
    }

    // Skips to just after the next comma that is outside a quoted string.
    void skip_element() {
        while (!at_end()) {
            const char c = text_[position_++];
            if (c == ',') {
                return;
            }
            if (c == '"') {
                read_quoted_rest();
            }
        }
    }

    // When a token68 starts here and fills the rest of the list element, consumes and returns it.
    std::optional<std::string> try_token68() {
        const auto start = position_;
        auto end = start;
        while (end < text_.size() && is_token68_char(text_[end])) {
            ++end;
        }
        if (end == start) {
            return std::nullopt;
        }
        while (end < text_.size() && text_[end] == '=') {
            ++end;
        }
        auto after = end;
        while (after < text_.size() && (text_[after] == ' ' || text_[after] == '\t')) {
            ++after;
        }
        if (after < text_.size() && text_[after] != ',') {
            return std::nullopt;
        }
        position_ = after;
        return std::string(text_.substr(start, end - start));
    }

private:
    std::string_view text_;
    std::size_t position_ = 0;
};

// True when an auth-param (token BWS "=" BWS value) starts at the scanner's position. A value
// is required, so "abc=" stays a token68.
bool param_follows(Scanner& scanner) {
    const auto start = scanner.position();
    const auto name = scanner.read_token();
    scanner.skip_whitespace();
    bool is_param = !name.empty() && scanner.peek() == '=';
    if (is_param) {
        scanner.seek(scanner.position() + 1);
        scanner.skip_whitespace();
        is_param = scanner.peek() == '"' || is_tchar(scanner.peek());
    }
    scanner.seek(start);
    return is_param;
}

// Reads the auth-params of one challenge; stops before a token that starts the next challenge.
void read_params(Scanner& scanner, Challenge& challenge) {
    while (true) {
        scanner.skip_whitespace_and_commas();
        if (scanner.at_end() || !param_follows(scanner)) {
            return;
        }

        const auto name = lowercase(scanner.read_token());
        scanner.skip_whitespace();
        scanner.seek(scanner.position() + 1); // the '='
        scanner.skip_whitespace();

        std::string value;
        if (scanner.peek() == '"') {
            scanner.seek(scanner.position() + 1);
            value = scanner.read_quoted_rest();
        } else {
            value = std::string(scanner.read_token());
        }
        challenge.params.emplace(name, std::move(value)); // the first occurrence wins

        scanner.skip_whitespace();
        if (!scanner.at_end() && scanner.peek() != ',') {
            scanner.skip_element(); // garbage after a value
        }
    }
}

} // namespace

std::string Challenge::param(const std::string& name) const {
    const auto found = params.find(name);
    return found == params.end() ? std::string() : found->second;
}

std::vector<Challenge> parse_www_authenticate(std::string_view value) {
    std::vector<Challenge> challenges;
    Scanner scanner(value);

    while (true) {
        scanner.skip_whitespace_and_commas();
        if (scanner.at_end()) {
            return challenges;
        }

        const auto scheme = scanner.read_token();
        if (scheme.empty()) {
            scanner.skip_element();
            continue;
        }

        Challenge challenge;
        challenge.scheme = lowercase(scheme);

        const char separator = scanner.peek();
        if (separator == ' ' || separator == '\t') {
            scanner.skip_whitespace();
            if (!param_follows(scanner)) {
                if (auto token68 = scanner.try_token68()) {
                    challenge.token68 = std::move(*token68);
                }
            }
            read_params(scanner, challenge);
        } else if (separator != ',' && separator != '\0') {
            scanner.skip_element(); // "scheme=..." or another character that no rule allows
            continue;
        }
        challenges.push_back(std::move(challenge));
    }
}

std::vector<Challenge> parse_www_authenticate(const std::vector<std::string>& values) {
    std::vector<Challenge> challenges;
    for (const auto& value : values) {
        auto parsed = parse_www_authenticate(value);
        challenges.insert(challenges.end(), std::make_move_iterator(parsed.begin()),
                          std::make_move_iterator(parsed.end()));
    }
    return challenges;
}

std::optional<Challenge> preferred_challenge(const std::vector<Challenge>& challenges) {
    for (const char* scheme : {"bearer", "basic"}) {
        const auto found = std::find_if(challenges.begin(), challenges.end(),
                                        [&](const Challenge& c) { return c.scheme == scheme; });
        if (found != challenges.end()) {
            return *found;
        }
    }
    return std::nullopt;
}

} // namespace ferry::native
