#include "vault_source.hpp"

#include "vault_auth.hpp"

namespace ferry::vault {

namespace {

constexpr const char* kMountsEndpoint = "sys/internal/ui/mounts/";

std::string field_names(const nlohmann::json& fields) {
    std::string names;
    for (const auto& item : fields.items()) {
        names += names.empty() ? item.key() : ", " + item.key();
    }
    return names.empty() ? "none" : names;
}

} // namespace

VaultSource::VaultSource(sdk::Host host, const sdk::Settings& settings)
    : VaultSource(host, settings, process_environment()) {}

VaultSource::VaultSource(sdk::Host host, const sdk::Settings& settings, Environment environment)
    : host_(host),
      environment_(std::move(environment)),
      settings_(resolve_settings(settings, environment_)),
      api_(host, settings_) {
    for (const std::string& key : settings_.unknown_keys) {
        host_.warning("vault: ignoring unknown setting \"" + key + "\"");
    }
}

std::optional<sdk::Credential> VaultSource::lookup(const sdk::CredentialQuery& query) {
    try {
        return read_credential(query.registry);
    } catch (const sdk::Error& error) {
        throw sdk::Error(error.status(), redactor_.redact("vault: " + std::string(error.what())));
    }
}

std::optional<sdk::Credential> VaultSource::read_credential(const std::string& registry) {
    const std::string secret_path = expand_path_template(settings_.path_template, registry);
    const KvMount& mount = mount_for(secret_path);
    const std::string api_path = kv_read_path(secret_path, mount);

    host_.debug("vault: reading " + api_path + " (KV v" + std::to_string(mount.version) +
                ") for registry " + registry);
    VaultResponse response = api_.get(api_path, token());

    if (response.status == 200) {
        return extract_fields(response, mount, api_path, registry);
    }
    if (response.status == 404) {
        host_.info(redactor_.redact("vault: no secret at " + api_path + " for registry " +
                                    registry + " (HTTP 404); trying the next credential source"));
        return std::nullopt;
    }
    if (response.status == 403) {
        throw_denied("reading " + api_path + " for registry " + registry, api_path, api_path);
    }
    throw_unexpected(response, "reading " + api_path + " for registry " + registry,
                     api_.address());
}

const sdk::Secret& VaultSource::token() {
    if (token_.empty()) {
        token_ = obtain_token(settings_, api_, environment_, host_,
                              [this](const sdk::Secret& secret) { redactor_.remember(secret); });
    }
    return token_;
}

const KvMount& VaultSource::mount_for(const std::string& secret_path) {
    if (auto cached = mounts_.find(secret_path); cached != mounts_.end()) {
        return cached->second;
    }

    const std::string api_path = kMountsEndpoint + secret_path;
    VaultResponse response = api_.get(api_path, token());

    KvMount mount;
    if (response.status == 200) {
        try {
            mount = parse_mount(response.body.value("data", nlohmann::json()));
        } catch (const sdk::Error& error) {
            throw sdk::Error(FERRY_ERROR, "reading " + api_path + ": " + error.what());
        }
    } else if (response.status == 404) {
        // Vault before 0.10 has no such endpoint and only KV v1.
        host_.debug("vault: " + api_path + " returned 404; reading " + secret_path + " as KV v1");
        mount.path = "";
        mount.version = 1;
    } else if (response.status == 403) {
        throw_denied("finding the KV mount of " + secret_path, api_path, secret_path);
    } else {
        throw_unexpected(response, "finding the KV mount of " + secret_path + " via " + api_path,
                         api_.address());
    }
    return mounts_.emplace(secret_path, mount).first->second;
}

void VaultSource::throw_denied(const std::string& action, const std::string& api_path,
                               const std::string& readable_path) {
    // A 403 also means an expired or revoked token, and a lookup-self call distinguishes the
    // two. A token from ferry's own login is fresh, so only a given token is checked.
    if (settings_.auth_method == AuthMethod::Token) {
        VaultResponse self = api_.get("auth/token/lookup-self", token());
        if (self.status == 403) {
            throw sdk::Error(FERRY_ERROR,
                             "the Vault token was rejected while " + action +
                                 " (HTTP 403 on auth/token/lookup-self); it may be expired or "
                                 "revoked: log in again, or give a fresh token with --vault-token-file or "
                                 "VAULT_TOKEN");
        }
    }
    throw sdk::Error(FERRY_ERROR, "permission denied while " + action + " (HTTP 403 on " +
                                      api_path + "); the token's policies must grant read on " +
                                      readable_path);
}

sdk::Credential VaultSource::extract_fields(VaultResponse& response, const KvMount& mount,
                                            const std::string& api_path,
                                            const std::string& registry) {
    nlohmann::json* fields = nullptr;
    if (response.body.is_object() && response.body.contains("data")) {
        fields = &response.body["data"];
        if (mount.version == 2) {
            fields = fields->is_object() && fields->contains("data") ? &(*fields)["data"] : nullptr;
        }
    }
    if (fields == nullptr || !fields->is_object()) {
        throw sdk::Error(FERRY_ERROR, "the response for " + api_path + " has no data object");
    }

    auto take = [&](const std::string& field, const char* setting) -> std::string {
        const auto found = fields->find(field);
        if (found == fields->end()) {
            throw sdk::Error(FERRY_ERROR, "the secret at " + api_path + " for registry " +
                                              registry + " has no field \"" + field +
                                              "\" (fields present: " + field_names(*fields) +
                                              "); add it, or set --vault-" + setting +
                                              " to the field that holds it");
        }
        if (!found->is_string()) {
            throw sdk::Error(FERRY_ERROR, "the field \"" + field + "\" of the secret at " +
                                              api_path + " is not a string");
        }
        std::string& value = found->get_ref<std::string&>();
        std::string copy = value;
        sdk::wipe(value);
        return copy;
    };

    sdk::Credential credential;
    credential.username = take(settings_.username_field, "username-field");
    std::string password = take(settings_.password_field, "password-field");
    credential.password = sdk::Secret(std::move(password));
    redactor_.remember(credential.password);
    credential.source_name = "vault (" + api_path + ")";
    return credential;
}

} // namespace ferry::vault
