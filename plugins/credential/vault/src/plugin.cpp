// Entry point of ferry-vault.so.
#include "vault_source.hpp"

FERRY_CREDENTIAL_PLUGIN(ferry::vault::VaultSource, "vault", "0.1.0",
                        "Registry credentials in a HashiCorp Vault KV secrets engine (token, "
                        "AppRole or GitHub Actions OIDC login)")
