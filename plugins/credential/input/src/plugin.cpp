// The `input` credential source: credentials given on ferry's command line or in its
// environment, separately for the source and the destination side.
#include "input_credentials.hpp"

namespace {

class InputSource : public ferry::sdk::CredentialSource {
public:
    InputSource(ferry::sdk::Host host, const ferry::sdk::Settings& settings) : host_(host) {
        // Both sides are validated at creation, so a malformed value fails before any request.
        source_ = ferry::input::resolve_input_credential(settings, "src");
        destination_ = ferry::input::resolve_input_credential(settings, "dest");
    }

    std::optional<ferry::sdk::Credential> lookup(const ferry::sdk::CredentialQuery& query) override {
        bool is_source = query.role == FERRY_SIDE_SOURCE;
        const auto& found = is_source ? source_ : destination_;
        if (!found) {
            return std::nullopt;
        }

        host_.info(std::string(is_source ? "source" : "destination") + " credentials for " + query.registry +
                   ": " + found->description);
        ferry::sdk::Credential credential;
        credential.username = found->username;
        credential.password = found->password;
        credential.source_name = "input (" + found->description + ")";
        return credential;
    }

private:
    ferry::sdk::Host host_;
    std::optional<ferry::input::InputCredential> source_;
    std::optional<ferry::input::InputCredential> destination_;
};

} // namespace

FERRY_CREDENTIAL_PLUGIN(InputSource, "input", "0.1.0",
                        "Credentials from --src-creds/--dest-creds, --*-username/--*-password(-stdin) and FERRY_SRC_*/FERRY_DEST_*")
