#include "redactor.hpp"

namespace ferry::vault {

namespace {

// Shorter values could match ordinary words of a message.
constexpr std::size_t kMinimumLength = 4;

} // namespace

void Redactor::remember(const sdk::Secret& secret) {
    if (secret.reveal().size() >= kMinimumLength) {
        secrets_.push_back(secret);
    }
}

std::string Redactor::redact(std::string text) const {
    for (const sdk::Secret& secret : secrets_) {
        const std::string& value = secret.reveal();
        for (auto found = text.find(value); found != std::string::npos;
             found = text.find(value, found)) {
            text.replace(found, value.size(), "<redacted>");
        }
    }
    return text;
}

} // namespace ferry::vault
