// The `vault` credential source: registry credentials in a HashiCorp Vault KV secrets engine.
#pragma once

#include "kv_path.hpp"
#include "redactor.hpp"
#include "vault_api.hpp"
#include "vault_settings.hpp"

#include <ferry/sdk.hpp>

#include <map>
#include <optional>
#include <string>

namespace ferry::vault {

// Reads <username-field> and <password-field> from the secret at path-template with
// {registry} replaced. The KV mount and its version come from
// GET /v1/sys/internal/ui/mounts/<path>, so KV v1 and v2 mounts both work.
//
// lookup() returns std::nullopt when Vault has no secret at the path (HTTP 404), after an info
// log that names the path. A denied read (403), a secret without the configured field, a
// sealed or unreachable Vault, or a failed login throw sdk::Error naming the API path.
// The source logs in on its first lookup and keeps the token and mount information for the
// rest of the run.
class VaultSource : public sdk::CredentialSource {
public:
    VaultSource(sdk::Host host, const sdk::Settings& settings);
    // For tests: the environment to read instead of the process's.
    VaultSource(sdk::Host host, const sdk::Settings& settings, Environment environment);

    std::optional<sdk::Credential> lookup(const sdk::CredentialQuery& query) override;

private:
    std::optional<sdk::Credential> read_credential(const std::string& registry);
    const sdk::Secret& token();
    const KvMount& mount_for(const std::string& secret_path);
    [[noreturn]] void throw_denied(const std::string& action, const std::string& api_path,
                                   const std::string& readable_path);
    sdk::Credential extract_fields(VaultResponse& response, const KvMount& mount,
                                   const std::string& api_path, const std::string& registry);

    sdk::Host host_;
    Environment environment_;
    VaultSettings settings_;
    VaultApi api_;
    Redactor redactor_;
    sdk::Secret token_;
    std::map<std::string, KvMount> mounts_;
};

} // namespace ferry::vault
