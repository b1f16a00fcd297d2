#include "credential_options.hpp"

#include <ferry/core/credential_chain.hpp>
#include <ferry/core/errors.hpp>
#include <ferry/core/log.hpp>

#include <cstdlib>
#include <iostream>
#include <iterator>

namespace ferry::cli {
namespace {

constexpr const char* argv_warning =
    "puts the secret on the command line, where other local users can read it in the process "
    "list; prefer --%s-password-stdin or the %s environment variable";

// Settings key prefix and environment variable prefix of one side.
struct SideNames {
    const char* key;  // "src" or "dest"
    const char* env;  // "FERRY_SRC" or "FERRY_DEST"
};

void put(core::SettingMap& settings, const std::string& key, const std::string& value, const std::string& origin) {
    settings[key] = value;
    settings[key + "-origin"] = origin;
}

void warn_about_argv(const std::string& option, const SideNames& names) {
    char text[512];
    std::snprintf(text, sizeof text, argv_warning, names.key, (std::string(names.env) + "_PASSWORD").c_str());
    core::log_warning(option + " " + text);
}

void add_side_input(core::SettingMap& input, const SideCredentialOptions& side, const SideNames& names) {
    std::string prefix = names.key;
    auto from_env = [&](const std::string& suffix, const std::string& key) {
        std::string variable = std::string(names.env) + "_" + suffix;
        if (const char* value = std::getenv(variable.c_str()); value != nullptr && *value != '\0') {
            put(input, prefix + "-" + key, value, variable);
        }
    };

    from_env("CREDS", "creds");
    from_env("USERNAME", "username");
    from_env("PASSWORD", "password");

    if (!side.creds.empty()) {
        put(input, prefix + "-creds", side.creds, "--" + prefix + "-creds");
        warn_about_argv("--" + prefix + "-creds", names);
    }
    if (!side.username.empty()) {
        put(input, prefix + "-username", side.username, "--" + prefix + "-username");
    }
    if (!side.password.empty()) {
        put(input, prefix + "-password", side.password, "--" + prefix + "-password");
        warn_about_argv("--" + prefix + "-password", names);
    }
    if (side.password_stdin) {
        if (!side.password.empty()) {
            throw core::UsageError("--" + prefix + "-password and --" + prefix +
                                   "-password-stdin both give the password: keep one");
        }
        const std::string side_name = prefix == "src" ? "source" : "destination";
        put(input, prefix + "-password", read_secret_from_stdin("Password for the " + side_name + " registry: "),
            "--" + prefix + "-password-stdin");
    }

    // Only the password is masked in output: a USER:PASSWORD value without a colon is rejected
    // without being printed, and masking a bare user name would garble ordinary words.
    if (auto found = input.find(prefix + "-creds"); found != input.end()) {
        std::size_t colon = found->second.find(':');
        if (colon != std::string::npos) {
            core::Logger::instance().add_secret(found->second.substr(colon + 1));
        }
    }
    if (auto found = input.find(prefix + "-password"); found != input.end()) {
        core::Logger::instance().add_secret(found->second);
    }
}

void add_plugin_option(std::map<std::string, core::SettingMap>& settings, const std::string& text) {
    std::size_t dot = text.find('.');
    std::size_t equals = text.find('=');
    if (dot == std::string::npos || equals == std::string::npos || dot == 0 || equals < dot + 2) {
        throw core::UsageError("invalid --plugin-option \"" + text + "\": write NAME.KEY=VALUE, "
                               "such as docker-config.authfile=/path/auth.json");
    }
    settings[text.substr(0, dot)][text.substr(dot + 1, equals - dot - 1)] = text.substr(equals + 1);
}

} // namespace

void add_credential_options(CLI::App& command, CredentialOptions& options) {
    const char* group = "Credentials";
    command.add_option("--creds-from", options.creds_from,
                       "Credential sources asked in order for each registry (default " +
                           std::string(default_creds_from) + "); the first with credentials wins; when none has any, access is anonymous")
        ->group(group)->type_name("SOURCE[,SOURCE...]");
    command.add_option("--src-creds-from", options.source.creds_from, "--creds-from for the source side only")
        ->group(group)->type_name("SOURCE[,SOURCE...]");
    command.add_option("--dest-creds-from", options.destination.creds_from, "--creds-from for the destination side only")
        ->group(group)->type_name("SOURCE[,SOURCE...]");

    for (auto [side, name] : {std::pair{&options.source, "src"}, std::pair{&options.destination, "dest"}}) {
        std::string env = std::string(name) == "src" ? "FERRY_SRC" : "FERRY_DEST";
        command.add_option(std::string("--") + name + "-creds", side->creds,
                           "USER:PASSWORD, split at the first colon (the password may contain ':'). Visible to "
                           "other local users: prefer " + env + "_CREDS or --" + name + "-password-stdin")
            ->group(group)->type_name("USER:PASSWORD");
        command.add_option(std::string("--") + name + "-username", side->username,
                           "User name (also " + env + "_USERNAME); wins over --" + name + "-creds")
            ->group(group)->type_name("USER");
        command.add_option(std::string("--") + name + "-password", side->password,
                           "Password. Visible to other local users: prefer " + env + "_PASSWORD or --" + name +
                               "-password-stdin")
            ->group(group)->type_name("PASSWORD");
        command.add_flag(std::string("--") + name + "-password-stdin", side->password_stdin,
                         "Read the password from standard input (one trailing newline is removed)")
            ->group(group);
    }

    command.add_option("--authfile", options.authfile,
                       "Auth file for the docker-config source; when given, the only file it reads (REGISTRY_AUTH_FILE and the default files are skipped)")
        ->group(group)->type_name("FILE");
    for (const char* key : {"addr", "namespace", "cacert", "capath", "token-file", "auth-method", "role-id",
                            "secret-id-file", "jwt-role", "jwt-mount", "approle-mount", "oidc-audience",
                            "path-template", "username-field", "password-field", "timeout"}) {
        command.add_option(std::string("--vault-") + key, options.vault[key],
                           std::string("Vault source setting \"") + key + "\" (see docs/credentials.md)")
            ->group("Vault");
    }
    command.add_option("--keyring-timeout", options.keyring_timeout,
                       "Seconds one Secret Service call of the keyring source may take (default 5)")
        ->group(group)->type_name("SECONDS");
}

std::map<std::string, core::SettingMap> build_plugin_settings(const GlobalOptions& global,
                                                              const CredentialOptions& options) {
    std::map<std::string, core::SettingMap> settings;
    for (const auto& text : global.plugin_options) {
        add_plugin_option(settings, text);
    }

    if (options.source.password_stdin && options.destination.password_stdin) {
        throw core::UsageError("--src-password-stdin and --dest-password-stdin cannot both read standard input; "
                               "give one of the passwords in FERRY_SRC_PASSWORD or FERRY_DEST_PASSWORD");
    }
    add_side_input(settings["input"], options.source, SideNames{"src", "FERRY_SRC"});
    add_side_input(settings["input"], options.destination, SideNames{"dest", "FERRY_DEST"});

    if (!options.authfile.empty()) {
        settings["docker-config"]["authfile"] = options.authfile;
    }
    if (!options.keyring_timeout.empty()) {
        settings["keyring"]["timeout"] = options.keyring_timeout;
    }
    for (const auto& [key, value] : options.vault) {
        if (!value.empty()) {
            settings["vault"][key] = value;
        }
    }
    return settings;
}

std::vector<std::string> creds_from_for(const CredentialOptions& options, const SideCredentialOptions& side) {
    if (!side.creds_from.empty()) {
        return core::parse_name_list(side.creds_from, "--src-creds-from/--dest-creds-from");
    }
    return core::parse_name_list(options.creds_from, "--creds-from");
}

} // namespace ferry::cli
