// Getting a Vault token: from a token file or VAULT_TOKEN, by AppRole login, or by JWT login
// with the GitHub Actions OIDC token.
#pragma once

#include "vault_api.hpp"
#include "vault_settings.hpp"

#include <ferry/sdk.hpp>

#include <functional>

namespace ferry::vault {

// Called with every secret the login reads or receives (secret ID, OIDC request token, JWT,
// Vault token), so the caller can keep them out of messages.
using SecretSink = std::function<void(const sdk::Secret&)>;

// Returns a token for the configured auth method. Throws sdk::Error naming the method, the
// file, variable or API path that failed, and what to do, but never a secret.
sdk::Secret obtain_token(const VaultSettings& settings, VaultApi& api,
                         const Environment& environment, const sdk::Host& host,
                         const SecretSink& remember);

} // namespace ferry::vault
