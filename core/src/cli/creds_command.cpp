// `ferry creds which REF`: the credential source that would supply credentials, and the user name.
#include "commands.hpp"
#include "credential_options.hpp"

#include <ferry/core/credential_chain.hpp>
#include <ferry/core/errors.hpp>
#include <ferry/core/reference.hpp>

#include <iostream>

namespace ferry::cli {
namespace {

struct CredsWhichOptions {
    std::string reference;
    std::string side = "source";
    CredentialOptions credentials;
};

int run_creds_which(const GlobalOptions& global, const CredsWhichOptions& options) {
    core::ImageReference reference;
    try {
        reference = core::parse_reference(options.reference);
    } catch (const core::ReferenceError& error) {
        throw core::UsageError(std::string("invalid reference: ") + error.what());
    }
    if (reference.transport != FERRY_TRANSPORT_DOCKER) {
        std::cout << reference.text() << ": a layout directory needs no credentials\n";
        return core::exit_ok;
    }

    bool source = options.side == "source";
    const SideCredentialOptions& side = source ? options.credentials.source : options.credentials.destination;
    std::vector<std::string> sources = creds_from_for(options.credentials, side);
    auto host = load_plugins(global);
    core::CredentialChain chain(*host, build_plugin_settings(global, options.credentials));
    chain.validate(sources);

    auto found = chain.resolve(source ? FERRY_SIDE_SOURCE : FERRY_SIDE_DESTINATION, reference.registry,
                               reference.repository, sources);
    if (!found) {
        std::cout << reference.registry << ": anonymous (no credentials in " << options.credentials.creds_from
                  << ")\n";
        return core::exit_ok;
    }
    std::string kind = !found->password.empty()         ? "password"
                       : !found->identity_token.empty() ? "identity token"
                                                        : "registry token";
    std::cout << reference.registry << ": " << found->source_name << ", user \"" << found->username << "\", "
              << kind << "\n";
    return core::exit_ok;
}

} // namespace

CommandRunner add_creds_command(CLI::App& app, const GlobalOptions& global) {
    auto options = std::make_shared<CredsWhichOptions>();
    CLI::App* creds = app.add_subcommand("creds", "Inspect where credentials come from");
    creds->require_subcommand(1);
    CLI::App* which = creds->add_subcommand(
        "which", "Print which credential source supplies credentials for REF and the user name (never the secret)");
    which->add_option("REF", options->reference, "Image reference")->required();
    which->add_option("--side", options->side, "source (default) or destination: which side's options apply")
        ->check(CLI::IsMember({"source", "destination"}));
    add_credential_options(*which, options->credentials);
    return [&global, options] { return run_creds_which(global, *options); };
}

} // namespace ferry::cli
