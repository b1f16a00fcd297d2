// Feeds arbitrary bytes to the credential-file parser and looks up registries in the result.
// Every failure must surface as a problem() or an sdk::Error, never as a crash.
#include "auth_file.hpp"
#include "registry_key.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

void look_up(const ferry::docker_config::AuthFile& file, const std::string& registry, const std::string& repository) {
    try {
        (void)file.credential_helper_for(registry);
        (void)file.credentials_store();
        (void)file.find_entry(registry, repository);
    } catch (const ferry::sdk::Error&) {
        // A wrong-typed entry or an invalid helper name: reported to the user, not a defect.
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using ferry::docker_config::AuthFile;
    using ferry::docker_config::AuthFileFormat;

    if (size == 0) {
        return 0;
    }
    // The first byte picks the format; the rest is the file content.
    const AuthFileFormat format = (data[0] & 1) != 0 ? AuthFileFormat::legacy_dockercfg : AuthFileFormat::config_json;
    std::string text(reinterpret_cast<const char*>(data + 1), size - 1);

    (void)ferry::docker_config::canonical_auth_key(text);
    (void)ferry::docker_config::lookup_keys(text, text);

    const AuthFile file = AuthFile::parse("/fuzz/config.json", format, text);
    if (file.problem()) {
        return 0;
    }
    look_up(file, "docker.io", "library/alpine");
    look_up(file, "reg.example:5000", "team/app");
    look_up(file, "a", "");
    return 0;
}
