#include "auth_entry.hpp"

#include "base64.hpp"

#include <string>

namespace ferry::docker_config {
namespace {

[[noreturn]] void fail(std::string_view file, std::string_view key, const std::string& problem) {
    throw sdk::Error(FERRY_ERROR, "invalid entry auths[\"" + std::string(key) + "\"] in " + std::string(file) + ": " +
                                      problem + "; fix the entry or log in again");
}

// Returns the string field, "" when it is absent or null; fails for any other type.
std::string string_field(const nlohmann::json& entry, const char* field, std::string_view file,
                         std::string_view key) {
    auto found = entry.find(field);
    if (found == entry.end() || found->is_null()) {
        return {};
    }
    if (!found->is_string()) {
        fail(file, key, std::string("\"") + field + "\" is a JSON " + found->type_name() + ", expected a string");
    }
    return found->get<std::string>();
}

void decode_auth_field(std::string encoded, sdk::Credential& credential, std::string_view file,
                       std::string_view key) {
    std::optional<std::string> decoded = decode_base64(encoded);
    sdk::wipe(encoded);
    if (!decoded) {
        fail(file, key, "\"auth\" is not valid base64");
    }

    const std::size_t colon = decoded->find(':');
    if (colon == std::string::npos || colon == 0) {
        sdk::wipe(*decoded);
        fail(file, key, colon == 0 ? "\"auth\" decodes to an empty user name"
                                   : "\"auth\" does not decode to \"user:password\" (no colon)");
    }

    std::string password = decoded->substr(colon + 1);
    const std::size_t first = password.find_first_not_of('\0');
    const std::size_t last = password.find_last_not_of('\0');
    std::string trimmed = first == std::string::npos ? std::string() : password.substr(first, last - first + 1);
    sdk::wipe(password);

    credential.username = decoded->substr(0, colon);
    credential.password = sdk::Secret(std::move(trimmed));
    sdk::wipe(*decoded);
}

} // namespace

bool is_empty_credential(const sdk::Credential& credential) noexcept {
    return credential.username.empty() && credential.password.empty() && credential.identity_token.empty() &&
           credential.registry_token.empty();
}

sdk::Credential decode_auth_entry(const nlohmann::json& entry, std::string_view file, std::string_view key) {
    if (!entry.is_object()) {
        fail(file, key, std::string("the entry is a JSON ") + entry.type_name() + ", expected an object");
    }

    sdk::Credential credential;
    credential.username = string_field(entry, "username", file, key);
    credential.password = sdk::Secret(string_field(entry, "password", file, key));
    credential.identity_token = sdk::Secret(string_field(entry, "identitytoken", file, key));
    credential.registry_token = sdk::Secret(string_field(entry, "registrytoken", file, key));

    std::string auth = string_field(entry, "auth", file, key);
    if (!auth.empty()) {
        decode_auth_field(std::move(auth), credential, file, key);
    }
    return credential;
}

} // namespace ferry::docker_config
