// Fuzzes the WWW-Authenticate parser with arbitrary header values. Besides memory errors it
// checks the parser's contract: schemes and parameter names are lowercase, and no challenge
// has an empty scheme.
#include "www_authenticate.hpp"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

bool is_lowercase(const std::string& text) {
    for (const char c : text) {
        if (std::isupper(static_cast<unsigned char>(c)) != 0) {
            return false;
        }
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view header(reinterpret_cast<const char*>(data), size);
    const auto challenges = ferry::native::parse_www_authenticate(header);

    for (const auto& challenge : challenges) {
        if (challenge.scheme.empty() || !is_lowercase(challenge.scheme)) {
            std::abort();
        }
        for (const auto& [name, value] : challenge.params) {
            if (name.empty() || !is_lowercase(name)) {
                std::abort();
            }
        }
    }

    (void)ferry::native::preferred_challenge(challenges);
    return 0;
}
