#include "registry_names.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace ferry::keyring {

namespace {

constexpr std::string_view kDockerHub = "docker.io";

constexpr std::array<std::string_view, 3> kDockerHubAliases = {
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
};

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char left, char right) {
        return std::tolower(static_cast<unsigned char>(left)) ==
               std::tolower(static_cast<unsigned char>(right));
    });
}

std::string_view strip_scheme(std::string_view server) {
    for (std::string_view scheme : {std::string_view("https://"), std::string_view("http://")}) {
        if (starts_with_ignoring_case(server, scheme)) {
            return server.substr(scheme.size());
        }
    }
    return server;
}

} // namespace

std::string canonical_registry(std::string_view server) {
    std::string_view rest = strip_scheme(server);
    rest = rest.substr(0, rest.find('/'));

    std::string host(rest);
    std::transform(host.begin(), host.end(), host.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });

    const bool is_hub_alias =
        std::find(kDockerHubAliases.begin(), kDockerHubAliases.end(), host) !=
        kDockerHubAliases.end();
    if (is_hub_alias) {
        return std::string(kDockerHub);
    }
    return host;
}

std::vector<std::string> docker_server_forms(const std::string& registry) {
    std::vector<std::string> hosts = {registry};
    if (registry == kDockerHub) {
        for (std::string_view alias : kDockerHubAliases) {
            hosts.emplace_back(alias);
        }
    }

    std::vector<std::string> forms;
    if (registry == kDockerHub) {
        // What `docker login` without a server argument stores.
        forms.emplace_back("https://index.docker.io/v1/");
    }
    for (const std::string& host : hosts) {
        forms.push_back(host);
        forms.push_back("http://" + host);
        forms.push_back("https://" + host);
        forms.push_back("https://" + host + "/");
        forms.push_back("https://" + host + "/v1/");
        forms.push_back("https://" + host + "/v2/");
    }

    std::vector<std::string> unique;
    for (std::string& form : forms) {
        if (std::find(unique.begin(), unique.end(), form) == unique.end()) {
            unique.push_back(std::move(form));
        }
    }
    return unique;
}

} // namespace ferry::keyring
