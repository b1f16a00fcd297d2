// Feeds arbitrary bytes to the parser of credential-helper output and to the redaction of
// helper error output. Bad output must surface as HelperOutputError, never as a crash.
#include "helper_output.hpp"
#include "redaction.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    (void)ferry::docker_config::is_not_found_output(text);
    (void)ferry::docker_config::redact_helper_text(text);
    (void)ferry::docker_config::redact_helper_text(text, 8);
    try {
        (void)ferry::docker_config::parse_helper_output(text);
    } catch (const ferry::docker_config::HelperOutputError&) {
        // Invalid output is reported to the user.
    }
    return 0;
}
