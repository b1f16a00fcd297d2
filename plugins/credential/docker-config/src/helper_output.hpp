// The output a Docker credential helper prints for `get`, as defined by
// docker-credential-helpers: {"ServerURL": "...", "Username": "...", "Secret": "..."}.
#pragma once

#include <ferry/sdk.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace ferry::docker_config {

// What a helper prints on stdout, with exit status 1, when it has no credentials for the server.
inline constexpr std::string_view credentials_not_found_message = "credentials not found in native keychain";

// The user name that marks Secret as an identity token (an OAuth2 refresh token).
inline constexpr std::string_view identity_token_username = "<token>";

// Output that is not the expected JSON object. what() gives the reason and position only.
class HelperOutputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// True when stdout, with surrounding whitespace removed, is credentials_not_found_message.
bool is_not_found_output(std::string_view stdout_text);

// True when the output is GLib's report that no D-Bus session bus address is set and none could
// be started, as docker-credential-secretservice prints in a session without a desktop
// ("Cannot autolaunch D-Bus without X11 $DISPLAY"). No keyring is reachable then.
bool is_no_session_bus_output(std::string_view text);

// Parses the output into a credential: Username and Secret, or, when Username is "<token>",
// Secret as the identity token. Absent fields count as empty, so output with both empty
// yields an empty credential (docker-credential-pass 0.6.4 prints that for unknown servers).
// Other fields are ignored. Throws HelperOutputError for invalid JSON, a top level that is not
// an object, or a field that is not a string.
sdk::Credential parse_helper_output(std::string_view text);

} // namespace ferry::docker_config
