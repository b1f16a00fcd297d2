// Parsing of JSON documents that contain secrets: errors give a position only, and every string
// of a parsed document can be wiped.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ferry::docker_config {

// Deepest nesting of objects and arrays that parse_json accepts. Credential files use three
// levels; the limit keeps a hostile file from building millions of nested values.
inline constexpr std::size_t max_json_depth = 64;

// A document that is not valid JSON. what() gives the reason and the position only
// ("not valid JSON at line 3, column 7 (byte 41)"), never the text, which may hold a password.
class JsonSyntaxError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parses text as one JSON value (surrounding whitespace allowed); throws JsonSyntaxError.
nlohmann::json parse_json(std::string_view text);

// Overwrites every string value in the document (object keys excepted) and sets it to null.
// Iterative, so that deep nesting cannot exhaust the stack.
void wipe_json(nlohmann::json& document) noexcept;

// A parsed document that contains secrets, wiped when destroyed or replaced. Move-only.
class SecretJson {
public:
    SecretJson() = default;
    explicit SecretJson(nlohmann::json document) : document_(std::move(document)) {}
    SecretJson(SecretJson&& other) noexcept : document_(std::move(other.document_)) { other.document_ = nullptr; }
    SecretJson& operator=(SecretJson&& other) noexcept {
        if (this != &other) {
            wipe_json(document_);
            document_ = std::move(other.document_);
            other.document_ = nullptr;
        }
        return *this;
    }
    SecretJson(const SecretJson&) = delete;
    SecretJson& operator=(const SecretJson&) = delete;
    ~SecretJson() { wipe_json(document_); }

    const nlohmann::json& get() const noexcept { return document_; }

private:
    nlohmann::json document_;
};

} // namespace ferry::docker_config
