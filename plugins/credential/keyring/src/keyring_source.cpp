#include "keyring_source.hpp"

#include "keyring_schemas.hpp"
#include "registry_names.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ferry::keyring {

namespace {

constexpr double kDefaultTimeoutSeconds = 5.0;

std::chrono::milliseconds parse_timeout(const sdk::Settings& settings) {
    const auto text = settings.get("timeout");
    if (!text) {
        return std::chrono::milliseconds(static_cast<long>(kDefaultTimeoutSeconds * 1000));
    }

    double seconds = 0;
    std::size_t used = 0;
    try {
        seconds = std::stod(*text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text->size() || !std::isfinite(seconds) || seconds <= 0 || seconds > 600) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                         "keyring: invalid timeout \"" + *text +
                             "\": expected seconds per D-Bus call, greater than 0 and at most "
                             "600 (default 5)");
    }
    return std::chrono::milliseconds(static_cast<long>(seconds * 1000));
}

// Whether an unlocked item belongs to the expected schema. Items whose attributes are
// hidden (locked) cannot be checked and count as matching.
bool has_schema(const KeyringItem& item, const char* schema_name) {
    const auto found = item.attributes.find("xdg:schema");
    return found == item.attributes.end() || found->second == schema_name;
}

std::string attribute_or_empty(const KeyringItem& item, const char* name) {
    const auto found = item.attributes.find(name);
    return found == item.attributes.end() ? std::string() : found->second;
}

// The unlocked item modified last, or nullptr.
const KeyringItem* newest_unlocked(const std::vector<KeyringItem>& items) {
    const KeyringItem* newest = nullptr;
    for (const KeyringItem& item : items) {
        if (!item.locked && (newest == nullptr || item.modified > newest->modified)) {
            newest = &item;
        }
    }
    return newest;
}

bool any_locked(const std::vector<KeyringItem>& items) {
    return std::any_of(items.begin(), items.end(),
                       [](const KeyringItem& item) { return item.locked; });
}

// Runs body and prefixes any sdk::Error it throws with the source name and the action.
template <typename Body>
auto with_context(const std::string& action, Body&& body) {
    try {
        return body();
    } catch (const sdk::Error& error) {
        throw sdk::Error(error.status(), "keyring: " + action + ": " + error.what());
    }
}

} // namespace

std::string require_registry(const std::string& registry) {
    std::string canonical = canonical_registry(registry);
    if (canonical.empty()) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                         "keyring: invalid registry \"" + registry + "\": expected host[:port]");
    }
    return canonical;
}

KeyringSource::KeyringSource(sdk::Host host, const sdk::Settings& settings)
    : host_(host), call_timeout_(parse_timeout(settings)) {}

SecretServiceClient& KeyringSource::client() {
    if (!client_) {
        client_ = std::make_unique<SecretServiceClient>(host_, call_timeout_);
    }
    return *client_;
}

std::vector<KeyringItem> KeyringSource::find_ferry_items(const std::string& registry) {
    std::vector<KeyringItem> items = client().search(
        ferry_search_schema(), {{kFerryRegistry, registry}, {kFerryMarker, kMarkerValue}});

    std::erase_if(items, [](const KeyringItem& item) { return !has_schema(item, kFerrySchemaName); });
    return items;
}

std::vector<KeyringItem> KeyringSource::find_docker_items(const std::string& registry) {
    std::vector<KeyringItem> items;
    for (const std::string& server : docker_server_forms(registry)) {
        std::vector<KeyringItem> found = client().search(
            docker_search_schema(), {{kDockerServer, server}, {kDockerMarker, kMarkerValue}});
        for (KeyringItem& item : found) {
            const bool duplicate =
                std::any_of(items.begin(), items.end(), [&](const KeyringItem& known) {
                    return known.object_path == item.object_path;
                });
            if (!duplicate && has_schema(item, kDockerSchemaName)) {
                items.push_back(std::move(item));
            }
        }
    }
    return items;
}

sdk::Credential KeyringSource::read_credential(const KeyringItem& item, bool from_docker) {
    sdk::Credential credential;
    sdk::Secret secret = client().load_secret(item);

    const std::string username =
        attribute_or_empty(item, from_docker ? kDockerUsername : kFerryUsername);
    if (username == kIdentityTokenUsername) {
        credential.identity_token = std::move(secret);
    } else {
        credential.username = username;
        credential.password = std::move(secret);
    }

    credential.source_name = from_docker ? "keyring (docker-credential-secretservice entry)"
                                         : "keyring";
    return credential;
}

std::optional<sdk::Credential> KeyringSource::lookup(const sdk::CredentialQuery& query) {
    const std::string registry = require_registry(query.registry);

    return with_context("looking up credentials for " + registry,
                        [&]() -> std::optional<sdk::Credential> {
        const std::vector<KeyringItem> ferry_items = find_ferry_items(registry);
        if (const KeyringItem* item = newest_unlocked(ferry_items)) {
            host_.debug("keyring: using ferry's entry " + item->object_path + " for " + registry);
            return read_credential(*item, false);
        }

        const std::vector<KeyringItem> docker_items = find_docker_items(registry);
        if (const KeyringItem* item = newest_unlocked(docker_items)) {
            host_.debug("keyring: using docker-credential-secretservice entry " +
                        item->object_path + " for " + registry);
            return read_credential(*item, true);
        }

        if (any_locked(ferry_items) || any_locked(docker_items)) {
            throw sdk::Error(FERRY_ERROR, "the entry is in a locked keyring collection; " +
                                              unlock_advice());
        }

        host_.debug("keyring: no entry for " + registry);
        return std::nullopt;
    });
}

void KeyringSource::store(const std::string& registry, const sdk::Credential& credential) {
    const std::string canonical = require_registry(registry);

    const bool has_password = !credential.password.empty();
    const bool has_identity_token = !credential.identity_token.empty();
    if (has_password == has_identity_token) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                         "keyring: cannot store credentials for " + canonical +
                             ": give either a username and password or an identity token");
    }
    if (has_password && credential.username.empty()) {
        throw sdk::Error(FERRY_ERROR_INVALID_INPUT,
                         "keyring: cannot store credentials for " + canonical +
                             ": the username is empty");
    }

    with_context("storing credentials for " + canonical, [&] {
        // The username is an attribute, so an entry for another user would not be replaced
        // by the create call below; delete ferry's old entries first.
        const std::vector<KeyringItem> old_items = find_ferry_items(canonical);
        if (any_locked(old_items)) {
            throw sdk::Error(FERRY_ERROR, "ferry's existing entry is in a locked keyring "
                                          "collection; " + unlock_advice());
        }
        for (const KeyringItem& item : old_items) {
            client().delete_item(item);
        }

        const std::string username =
            has_password ? credential.username : std::string(kIdentityTokenUsername);
        const Attributes attributes = {
            {kFerryRegistry, canonical},
            {kFerryUsername, username},
            {kFerryMarker, kMarkerValue},
        };
        client().create_item(ferry_store_schema(), attributes, "ferry: " + canonical,
                             has_password ? credential.password : credential.identity_token);
    });
    host_.debug("keyring: stored credentials for " + canonical);
}

void KeyringSource::erase(const std::string& registry) {
    const std::string canonical = require_registry(registry);

    with_context("deleting credentials for " + canonical, [&] {
        const std::vector<KeyringItem> items = find_ferry_items(canonical);
        if (items.empty()) {
            std::string message = "ferry has no entry for " + canonical + " in the keyring";
            if (!find_docker_items(canonical).empty()) {
                message += "; the entry that docker-credential-secretservice stored stays, "
                           "remove it with `docker logout " + canonical + "`";
            }
            throw sdk::Error(FERRY_NOT_FOUND, message);
        }
        if (any_locked(items)) {
            throw sdk::Error(FERRY_ERROR, "the entry is in a locked keyring collection; " +
                                              unlock_advice());
        }
        for (const KeyringItem& item : items) {
            client().delete_item(item);
        }
    });
    host_.debug("keyring: deleted credentials for " + canonical);
}

} // namespace ferry::keyring
