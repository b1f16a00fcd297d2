// Requests to the Vault HTTP API and the errors every endpoint shares.
#pragma once

#include "http_client.hpp"
#include "vault_settings.hpp"

#include <ferry/sdk.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace ferry::vault {

// Overwrites every string inside a JSON value, because Vault responses carry tokens and
// passwords.
void wipe_strings(nlohmann::json& value) noexcept;

// A parsed Vault response. Its JSON is wiped when it is destroyed.
class VaultResponse {
public:
    VaultResponse() = default;
    VaultResponse(const VaultResponse&) = delete;
    VaultResponse& operator=(const VaultResponse&) = delete;
    VaultResponse(VaultResponse&&) = default;
    VaultResponse& operator=(VaultResponse&&) = default;
    ~VaultResponse() { wipe_strings(body); }

    // Vault's "errors" array joined with "; ", or "" when there is none.
    std::string errors_text() const;

    long status = 0;
    nlohmann::json body; // null when the body was empty or not JSON
    std::string location;
};

// Sends requests to one Vault server, adding X-Vault-Token and X-Vault-Namespace.
class VaultApi {
public:
    VaultApi(sdk::Host host, const VaultSettings& settings);

    // api_path is relative to /v1/, such as "auth/token/lookup-self". token may be empty.
    // Throws sdk::Error(FERRY_ERROR_TRANSIENT) naming the address when Vault is unreachable.
    VaultResponse get(const std::string& api_path, const sdk::Secret& token);
    VaultResponse post(const std::string& api_path, const sdk::Secret& json_body,
                       const sdk::Secret& token);

    const std::string& address() const { return address_; }

private:
    VaultResponse send(const std::string& method, const std::string& api_path,
                       const sdk::Secret& json_body, const sdk::Secret& token);

    std::string address_;
    std::string namespace_name_;
    HttpClient http_;
};

// Throws the error for a response that no caller handled: sealed, server errors and rate
// limits (transient), redirects, and other client errors. action names the failed step, such
// as "reading secret/data/app".
[[noreturn]] void throw_unexpected(const VaultResponse& response, const std::string& action,
                                   const std::string& address);

} // namespace ferry::vault
