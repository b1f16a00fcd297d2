// Command-line options that feed the credential sources, shared by `copy` and `creds which`.
#pragma once

#include "commands.hpp"

#include <ferry/core/plugin_instance.hpp>

#include <map>
#include <string>
#include <vector>

namespace ferry::cli {

// The default --creds-from list: credentials given to ferry directly, then Docker's and
// containers' auth files.
inline constexpr const char* default_creds_from = "input,docker-config";

struct SideCredentialOptions {
    std::string creds_from; // overrides --creds-from for this side when set
    std::string creds;      // USER:PASSWORD
    std::string username;
    std::string password;
    bool password_stdin = false;
};

struct CredentialOptions {
    std::string creds_from = default_creds_from;
    SideCredentialOptions source;
    SideCredentialOptions destination;
    std::string authfile;
    std::map<std::string, std::string> vault; // --vault-KEY VALUE
    std::string keyring_timeout;
};

void add_credential_options(CLI::App& command, CredentialOptions& options);

// Plugin settings from --plugin-option NAME.KEY=VALUE, the credential options and the
// FERRY_SRC_* / FERRY_DEST_* environment variables. Reads standard input for
// --*-password-stdin. Throws UsageError.
std::map<std::string, core::SettingMap> build_plugin_settings(const GlobalOptions& global,
                                                              const CredentialOptions& options);

std::vector<std::string> creds_from_for(const CredentialOptions& options, const SideCredentialOptions& side);

} // namespace ferry::cli
