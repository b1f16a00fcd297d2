// Decoding of one `auths` entry of config.json or auth.json into credentials.
#pragma once

#include <ferry/sdk.hpp>

#include <nlohmann/json.hpp>

#include <string_view>

namespace ferry::docker_config {

// Returns true when the credential carries nothing: an empty `auths` entry ({}), which Docker
// writes as a marker when a credential helper stores the secret.
bool is_empty_credential(const sdk::Credential& credential) noexcept;

// Decodes an entry as Docker does: "auth" is base64 of "user:password" split at the first
// colon, with NUL bytes trimmed from both ends of the password, and takes precedence over the
// "username" and "password" fields. "identitytoken" and "registrytoken" are copied as they are.
// Other fields ("email", "serveraddress") are ignored.
//
// Throws sdk::Error (FERRY_ERROR) naming file and key when the entry is not an object, a field
// is not a string, "auth" is not valid base64, or it has no colon or an empty user name. The
// message never contains the secret. source_name is left empty.
sdk::Credential decode_auth_entry(const nlohmann::json& entry, std::string_view file, std::string_view key);

} // namespace ferry::docker_config
