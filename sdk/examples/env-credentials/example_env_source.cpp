// A credential source that reads EXAMPLE_REGISTRY_USER and EXAMPLE_REGISTRY_PASSWORD, for
// registries named by the setting "registry" (--plugin-option example-env.registry=HOST).
#include <ferry/sdk.hpp>

#include <cstdlib>

namespace {

class EnvironmentSource : public ferry::sdk::CredentialSource {
public:
    EnvironmentSource(ferry::sdk::Host host, const ferry::sdk::Settings& settings)
        : host_(host), registry_(settings.get_or("registry", "")) {}

    std::optional<ferry::sdk::Credential> lookup(const ferry::sdk::CredentialQuery& query) override {
        const char* user = std::getenv("EXAMPLE_REGISTRY_USER");
        const char* password = std::getenv("EXAMPLE_REGISTRY_PASSWORD");
        if (user == nullptr || password == nullptr || (!registry_.empty() && registry_ != query.registry)) {
            return std::nullopt;
        }

        host_.debug("found credentials for " + query.registry);
        ferry::sdk::Credential credential;
        credential.username = user;
        credential.password = ferry::sdk::Secret(password);
        credential.source_name = "example-env";
        return credential;
    }

private:
    ferry::sdk::Host host_;
    std::string registry_;
};

} // namespace

FERRY_CREDENTIAL_PLUGIN(EnvironmentSource, "example-env", "1.0.0",
                        "Example: credentials from EXAMPLE_REGISTRY_USER and EXAMPLE_REGISTRY_PASSWORD")
