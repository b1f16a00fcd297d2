#include "vault_api.hpp"

namespace ferry::vault {

void wipe_strings(nlohmann::json& value) noexcept {
    if (value.is_string()) {
        sdk::wipe(value.get_ref<std::string&>());
        return;
    }
    if (value.is_structured()) {
        for (auto& child : value) {
            wipe_strings(child);
        }
    }
}

std::string VaultResponse::errors_text() const {
    if (!body.is_object() || !body.contains("errors") || !body["errors"].is_array()) {
        return "";
    }
    std::string text;
    for (const auto& error : body["errors"]) {
        if (!error.is_string()) {
            continue;
        }
        // Vault 1.x wraps messages as "1 error occurred:\n\t* permission denied\n\n".
        std::string message = error.get<std::string>();
        const auto bullet = message.rfind("* ");
        if (bullet != std::string::npos) {
            message = message.substr(bullet + 2);
        }
        while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
            message.pop_back();
        }
        if (message.empty()) {
            continue;
        }
        text += text.empty() ? message : "; " + message;
    }
    return text;
}

VaultApi::VaultApi(sdk::Host host, const VaultSettings& settings)
    : address_(settings.address),
      namespace_name_(settings.namespace_name),
      http_(host, TlsOptions{settings.ca_cert, settings.ca_path}, settings.timeout) {}

VaultResponse VaultApi::get(const std::string& api_path, const sdk::Secret& token) {
    return send("GET", api_path, sdk::Secret(), token);
}

VaultResponse VaultApi::post(const std::string& api_path, const sdk::Secret& json_body,
                             const sdk::Secret& token) {
    return send("POST", api_path, json_body, token);
}

VaultResponse VaultApi::send(const std::string& method, const std::string& api_path,
                             const sdk::Secret& json_body, const sdk::Secret& token) {
    HttpRequest request;
    request.method = method;
    request.url = address_ + "/v1/" + percent_encode(api_path, "/:@");
    request.body = json_body;
    if (!token.empty()) {
        request.headers.push_back({"X-Vault-Token", token});
    }
    if (!namespace_name_.empty()) {
        request.headers.push_back({"X-Vault-Namespace", sdk::Secret(namespace_name_)});
    }

    HttpResponse raw;
    try {
        raw = http_.send(request);
    } catch (const sdk::Error& error) {
        if (error.status() != FERRY_ERROR_TRANSIENT) {
            throw sdk::Error(error.status(), method + " " + api_path + " at " + address_ + ": " +
                                                 error.what());
        }
        throw sdk::Error(FERRY_ERROR_TRANSIENT,
                         "cannot reach Vault at " + address_ + " (" + method + " " + api_path +
                             "): " + error.what() +
                             "; check --vault-addr or VAULT_ADDR and that Vault is running");
    }

    VaultResponse response;
    response.status = raw.status;
    response.location = raw.location;
    response.body = nlohmann::json::parse(raw.body.reveal(), nullptr, false);
    if (response.body.is_discarded()) {
        response.body = nullptr;
    }
    return response;
}

void throw_unexpected(const VaultResponse& response, const std::string& action,
                      const std::string& address) {
    const std::string errors = response.errors_text();
    const std::string status = "HTTP " + std::to_string(response.status);
    const std::string detail = errors.empty() ? status : status + ": " + errors;

    if (response.status == 503 && errors.find("Vault is sealed") != std::string::npos) {
        throw sdk::Error(FERRY_ERROR, "Vault at " + address + " is sealed (" + status + " while " +
                                          action + "); unseal it and retry");
    }
    if (response.status >= 500 || response.status == 429) {
        throw sdk::Error(FERRY_ERROR_TRANSIENT, "Vault at " + address + " failed while " + action +
                                                    " (" + detail + "); retry later");
    }
    if (response.status >= 300 && response.status < 400) {
        throw sdk::Error(FERRY_ERROR, "Vault at " + address + " redirected " + action + " to " +
                                          url_for_messages(response.location) + " (" + status +
                                          "); set --vault-addr to the active node's address");
    }
    throw sdk::Error(FERRY_ERROR, action + " failed (" + detail + ")");
}

} // namespace ferry::vault
