// Fuzzes the image reference parser: any input either parses into a reference whose canonical
// text parses again to the same text, or throws ReferenceError. Anything else is a bug.
#include <ferry/core/reference.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    if (text.starts_with("oci:")) {
        return 0; // layout paths depend on the working directory; covered by unit tests
    }
    try {
        ferry::core::ImageReference reference = ferry::core::parse_reference(text);
        std::string canonical = reference.text();
        if (ferry::core::parse_reference(canonical).text() != canonical) {
            std::abort();
        }
    } catch (const ferry::core::ReferenceError&) {
    }
    return 0;
}
