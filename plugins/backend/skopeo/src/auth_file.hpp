// The per-side auth file through which credentials reach skopeo.
//
// skopeo reads credentials from a containers-auth.json(5) file given with --src-authfile or
// --dest-authfile. That file is the only channel the backend uses: command-line flags such as
// --src-creds would put the password into /proc/PID/cmdline, which every local user can read.
#pragma once

#include <ferry/sdk.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::skopeo {

// The kind of credential one side uses. It is logged at debug level, the value never.
enum class AuthForm {
    anonymous,
    username_password,
    identity_token,
    registry_token,
};

AuthForm auth_form_of(const std::optional<sdk::Credential>& credential);
const char* describe(AuthForm form);

// Encodes bytes as standard base64 with padding and without line breaks.
sdk::Secret base64_encode(std::string_view bytes);

// Renders {"auths":{"<registry>":{"auth":"base64(user:password)"}}}, or an "identitytoken" entry
// whose "auth" is base64("<user>:"), with "<token>" when the credential has no username. skopeo
// ignores an entry whose "auth" does not decode to a user:password pair, identity token or not.
// Throws ferry::sdk::Error:
//   FERRY_ERROR_UNSUPPORTED for a registry token, because skopeo reads none from an auth file
//     (containers/image reads only "auth" and "identitytoken") and its only other way in,
//     --src-registry-token, is a command-line flag;
//   FERRY_ERROR_INVALID_INPUT for a username containing ':' or a username without a password.
sdk::Secret render_auth_file(const std::string& registry, const sdk::Credential& credential);

// The strings of a credential that must never appear in output: the password, the tokens and the
// base64 "auth" value. Empty ones are left out.
std::vector<sdk::Secret> sensitive_strings(const sdk::Credential& credential);

} // namespace ferry::skopeo
