// `ferry login REGISTRY` and `ferry logout REGISTRY`: store credentials in a credential source
// that can save them (the keyring by default) after the registry accepted them, and delete them.
#include "commands.hpp"

#include <ferry/core/cancellation.hpp>
#include <ferry/core/credential_chain.hpp>
#include <ferry/core/errors.hpp>
#include <ferry/core/log.hpp>
#include <ferry/core/reference.hpp>

#include <iostream>
#include <iterator>
#include <unistd.h>

namespace ferry::cli {
namespace {

struct LoginOptions {
    std::string registry;
    std::string username;
    bool password_stdin = false;
    std::string backends = default_backends;
    std::string store = "keyring";
    bool tls_verify = true;
    std::string cert_dir;
};

// Returns "host[:port]" for "host[:port]", "https://host[:port]/" and the like; throws
// UsageError for anything that is not a registry host.
std::string normalize_registry(std::string text) {
    for (const char* scheme : {"https://", "http://"}) {
        if (text.starts_with(scheme)) {
            text = text.substr(std::string(scheme).size());
        }
    }
    while (!text.empty() && text.back() == '/') {
        text.pop_back();
    }
    if (text == "index.docker.io" || text == "index.docker.io/v1" || text == "registry-1.docker.io") {
        text = "docker.io";
    }

    bool looks_like_host = text.find_first_of(".:") != std::string::npos || text == "localhost";
    if (!looks_like_host || text.find('/') != std::string::npos) {
        throw core::UsageError("\"" + text + "\" is not a registry host: write host[:port], "
                               "such as registry.example.com or 127.0.0.1:5000");
    }
    try {
        core::ImageReference reference = core::parse_registry_reference(text + "/ferry/login-check");
        return reference.registry;
    } catch (const core::ReferenceError& error) {
        throw core::UsageError(std::string("invalid registry: ") + error.what());
    }
}

std::string read_password(const LoginOptions& options) {
    const std::string prompt = "Password for " + options.username + "@" + options.registry + ": ";
    if (!options.password_stdin && isatty(STDIN_FILENO) == 0) {
        throw core::UsageError("no password given: pipe it to --password-stdin (ferry prompts only on a terminal)");
    }
    return read_secret_from_stdin(prompt);
}

// Asks each backend in order to check the credentials; the first that can check decides.
void check_with_backends(const core::PluginHost& host, const LoginOptions& options, const ferry_side& side) {
    for (const auto& name : core::parse_name_list(options.backends, "--backend")) {
        auto plugin = host.find(name, FERRY_PLUGIN_BACKEND);
        if (!plugin) {
            throw core::UsageError("unknown backend \"" + name + "\" (run `ferry plugins`)");
        }
        core::BackendInstance backend(plugin, {}, nullptr);
        try {
            backend.check_credentials(side, {});
            core::log_debug("backend " + name + " checked the credentials");
            return;
        } catch (const core::PluginError& error) {
            if (error.status() != FERRY_ERROR_UNSUPPORTED) {
                throw core::CopyError(std::string("login to ") + options.registry + " failed: " + error.what());
            }
            core::log_debug(std::string("backend ") + name + " cannot check credentials: " + error.what());
        }
    }
    throw core::CopyError("no backend in \"" + options.backends + "\" can check credentials; nothing was stored");
}

int run_login(const GlobalOptions& global, LoginOptions options) {
    options.registry = normalize_registry(options.registry);
    if (options.username.empty()) {
        throw core::UsageError("missing --username for " + options.registry);
    }
    if (options.username.find(':') != std::string::npos) {
        throw core::UsageError("the user name contains ':', which a registry user name cannot contain");
    }
    sdk::Secret password(read_password(options));
    if (core::cancellation_requested()) {
        throw core::CopyError("login interrupted; nothing was stored");
    }
    if (password.empty()) {
        throw core::UsageError("empty password for " + options.registry);
    }
    core::Logger::instance().add_secret(password.reveal());

    auto host = load_plugins(global);
    core::CredentialChain chain(*host, {});
    chain.validate({options.store});

    ferry_credential credential{};
    credential.struct_size = sizeof(credential);
    credential.username = options.username.c_str();
    credential.password = password.c_str();
    credential.source_name = "ferry login";
    std::string text = "docker://" + options.registry;
    ferry_image_reference image{};
    image.struct_size = sizeof(image);
    image.transport = FERRY_TRANSPORT_DOCKER;
    image.text = text.c_str();
    image.registry = options.registry.c_str();
    ferry_side side{};
    side.struct_size = sizeof(side);
    side.role = FERRY_SIDE_DESTINATION;
    side.image = &image;
    side.credential = &credential;
    side.tls_verify = options.tls_verify ? 1 : 0;
    side.cert_dir = options.cert_dir.empty() ? nullptr : options.cert_dir.c_str();

    check_with_backends(*host, options, side);
    try {
        chain.source(options.store).store(options.registry, credential);
    } catch (const core::PluginError& error) {
        throw core::CopyError(error.what());
    }
    std::cout << "Login succeeded: credentials for " << options.username << "@" << options.registry
              << " stored in " << options.store << "\n";
    return core::exit_ok;
}

int run_logout(const GlobalOptions& global, LoginOptions options) {
    options.registry = normalize_registry(options.registry);
    auto host = load_plugins(global);
    core::CredentialChain chain(*host, {});
    chain.validate({options.store});
    try {
        chain.source(options.store).erase(options.registry);
    } catch (const core::PluginError& error) {
        if (error.status() == FERRY_NOT_FOUND) {
            std::cout << "Not logged in to " << options.registry << " in " << options.store << "\n";
            return core::exit_ok;
        }
        throw core::CopyError(error.what());
    }
    std::cout << "Removed the credentials for " << options.registry << " from " << options.store << "\n";
    return core::exit_ok;
}

} // namespace

CommandRunner add_login_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<LoginOptions>();
    CLI::App* command = app.add_subcommand(
        "login", "Check credentials against REGISTRY and store them in the keyring (never on argv)");
    command->footer("Example:\n  printf '%s' \"$PASSWORD\" | ferry login --username ci --password-stdin registry.example.com");
    command->add_option("REGISTRY", options->registry, "Registry host[:port]")->required();
    command->add_option("-u,--username", options->username, "User name")->required();
    command->add_flag("--password-stdin", options->password_stdin,
                      "Read the password from standard input; without it ferry prompts on a terminal");
    command->add_option("--backend", options->backends, "Backends that may check the credentials, in order (default " + std::string(default_backends) + ")");
    command->add_option("--store", options->store, "Credential source that stores them (default keyring)");
    command->add_flag("--tls-verify", options->tls_verify,
                      "Verify the registry's TLS certificate (default true); false also allows plain HTTP");
    command->add_option("--cert-dir", options->cert_dir, "Directory with CA *.crt and client *.cert/*.key files")
        ->type_name("DIR")->check(CLI::ExistingDirectory.description(""));
    return [&global, options] { return run_login(global, *options); };
}

CommandRunner add_logout_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<LoginOptions>();
    CLI::App* command = app.add_subcommand("logout", "Delete the credentials ferry stored for REGISTRY");
    command->add_option("REGISTRY", options->registry, "Registry host[:port]")->required();
    command->add_option("--store", options->store, "Credential source to delete them from (default keyring)");
    return [&global, options] { return run_logout(global, *options); };
}

} // namespace ferry::cli
