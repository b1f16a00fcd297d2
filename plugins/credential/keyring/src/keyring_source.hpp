// The `keyring` credential source: registry credentials in the Secret Service (gnome-keyring,
// KeePassXC) on the D-Bus session bus.
#pragma once

#include "secret_service_client.hpp"

#include <ferry/sdk.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace ferry::keyring {

// Reads ferry's own entries (schema io.ferry.Registry, written by store()) and the entries
// that docker-credential-secretservice wrote, preferring ferry's. Settings:
//   timeout  seconds that one D-Bus call may take (default 5)
//
// lookup() returns std::nullopt only when no entry exists for the registry. A missing bus or
// Secret Service, a locked entry, or a call that timed out throws sdk::Error. The source
// connects to D-Bus on its first lookup, store or erase, not when it is created.
class KeyringSource : public sdk::CredentialSource {
public:
    KeyringSource(sdk::Host host, const sdk::Settings& settings);

    std::optional<sdk::Credential> lookup(const sdk::CredentialQuery& query) override;

    // Replaces ferry's entry for the registry with one for this credential.
    void store(const std::string& registry, const sdk::Credential& credential) override;

    // Deletes ferry's entries for the registry and keeps docker's. Throws FERRY_NOT_FOUND when
    // ferry has none.
    void erase(const std::string& registry) override;

private:
    SecretServiceClient& client();
    std::vector<KeyringItem> find_ferry_items(const std::string& registry);
    std::vector<KeyringItem> find_docker_items(const std::string& registry);
    sdk::Credential read_credential(const KeyringItem& item, bool from_docker);

    sdk::Host host_;
    std::chrono::milliseconds call_timeout_;
    std::unique_ptr<SecretServiceClient> client_;
};

// Returns the registry in canonical form. Throws FERRY_ERROR_INVALID_INPUT when it is empty.
std::string require_registry(const std::string& registry);

} // namespace ferry::keyring
