#include "registry_error.hpp"

#include <nlohmann/json.hpp>

namespace ferry::native {

std::string describe_registry_errors(std::string_view body) {
    const auto document = nlohmann::json::parse(body, nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        return {};
    }
    const auto errors = document.find("errors");
    if (errors == document.end() || !errors->is_array()) {
        return {};
    }

    std::string text;
    for (const auto& error : *errors) {
        if (!error.is_object()) {
            continue;
        }
        if (!text.empty()) {
            text += "; ";
        }
        const auto code = error.find("code");
        const auto message = error.find("message");
        text += code != error.end() && code->is_string() ? code->get<std::string>() : "UNKNOWN";
        if (message != error.end() && message->is_string()) {
            text += ": " + message->get<std::string>();
        }
    }

    constexpr std::size_t kMaxLength = 500;
    if (text.size() > kMaxLength) {
        text = text.substr(0, kMaxLength) + "...";
    }
    return text;
}

} // namespace ferry::native
