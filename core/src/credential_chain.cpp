#include <ferry/core/credential_chain.hpp>

#include <ferry/core/errors.hpp>
#include <ferry/core/log.hpp>

namespace ferry::core {
namespace {

std::string side_name(ferry_side_role role) { return role == FERRY_SIDE_SOURCE ? "source" : "destination"; }

std::string join(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& name : names) {
        text += (text.empty() ? "" : ", ") + name;
    }
    return text.empty() ? "none" : text;
}

} // namespace

std::vector<std::string> parse_name_list(const std::string& text, const std::string& option) {
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        std::string name = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (name.empty()) {
            throw UsageError("invalid " + option + " value \"" + text +
                             "\": give a comma-separated list of names without empty entries");
        }
        names.push_back(name);
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    return names;
}

CredentialChain::CredentialChain(const PluginHost& host, std::map<std::string, SettingMap> plugin_settings)
    : host_(host), plugin_settings_(std::move(plugin_settings)) {}

void CredentialChain::validate(const std::vector<std::string>& sources) const {
    for (const auto& name : sources) {
        if (!host_.find(name, FERRY_PLUGIN_CREDENTIAL_SOURCE)) {
            throw UsageError("unknown credential source \"" + name + "\"; available: " +
                             join(host_.names(FERRY_PLUGIN_CREDENTIAL_SOURCE)) +
                             " (run `ferry plugins` to see load errors)");
        }
    }
}

CredentialInstance& CredentialChain::source(const std::string& name) {
    auto found = instances_.find(name);
    if (found != instances_.end()) {
        return *found->second;
    }

    auto plugin = host_.find(name, FERRY_PLUGIN_CREDENTIAL_SOURCE);
    if (!plugin) {
        throw UsageError("unknown credential source \"" + name + "\"; available: " +
                         join(host_.names(FERRY_PLUGIN_CREDENTIAL_SOURCE)));
    }
    auto settings = plugin_settings_.find(name);
    auto instance = std::make_unique<CredentialInstance>(
        plugin, settings == plugin_settings_.end() ? SettingMap{} : settings->second);
    return *instances_.emplace(name, std::move(instance)).first->second;
}

std::optional<FoundCredential> CredentialChain::resolve(ferry_side_role role, const std::string& registry,
                                                        const std::string& repository,
                                                        const std::vector<std::string>& sources) {
    ferry_credential_query query{};
    query.struct_size = sizeof(query);
    query.role = role;
    query.registry = registry.c_str();
    query.repository = repository.empty() ? nullptr : repository.c_str();

    for (const auto& name : sources) {
        std::optional<FoundCredential> found;
        try {
            found = source(name).lookup(query);
        } catch (const PluginError& error) {
            if (error.status() == FERRY_ERROR_INVALID_INPUT) {
                throw UsageError(std::string(error.what()));
            }
            throw CopyError("credentials for " + side_name(role) + " registry " + registry + ": " + error.what());
        }

        if (found) {
            Logger::instance().add_secret(found->password.reveal());
            Logger::instance().add_secret(found->identity_token.reveal());
            Logger::instance().add_secret(found->registry_token.reveal());
            log_debug(side_name(role) + " registry " + registry + ": credentials from " + found->source_name +
                      (found->username.empty() ? "" : " (user \"" + found->username + "\")"));
            return found;
        }
        log_debug(side_name(role) + " registry " + registry + ": no credentials in \"" + name + "\"");
    }

    log_debug(side_name(role) + " registry " + registry + ": no credentials found in " + join(sources) +
              "; using anonymous access");
    return std::nullopt;
}

} // namespace ferry::core
