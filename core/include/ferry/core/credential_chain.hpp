// The credential chain: for one side of a copy, asks the selected credential sources in order
// and returns the first credentials found.
//
// "Not found" moves on to the next source. A failing source (malformed file, helper crashed,
// vault denied, keyring locked) stops the chain with an error naming the source, the registry
// and the reason: the chain never falls through to other credentials or to anonymous access.
// Sources are created on first use, so a source that the user did not select (the keyring and
// its D-Bus connection, say) is never started.
#pragma once

#include <ferry/core/plugin_host.hpp>
#include <ferry/core/plugin_instance.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ferry::core {

// Parses "input,docker-config"; throws UsageError for an empty list or an empty name.
std::vector<std::string> parse_name_list(const std::string& text, const std::string& option);

class CredentialChain {
public:
    CredentialChain(const PluginHost& host, std::map<std::string, SettingMap> plugin_settings);

    // Throws UsageError naming the unknown source and the available ones.
    void validate(const std::vector<std::string>& sources) const;

    // The first credentials any of sources has for registry, or std::nullopt (anonymous).
    std::optional<FoundCredential> resolve(ferry_side_role role, const std::string& registry,
                                           const std::string& repository,
                                           const std::vector<std::string>& sources);

    CredentialInstance& source(const std::string& name);

private:
    const PluginHost& host_;
    std::map<std::string, SettingMap> plugin_settings_;
    std::map<std::string, std::unique_ptr<CredentialInstance>> instances_;
};

} // namespace ferry::core
