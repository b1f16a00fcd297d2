// Registry names and the keys of `auths` and `credHelpers`, brought to one canonical form so
// that "https://index.docker.io/v1/", "registry-1.docker.io" and "docker.io" compare equal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::docker_config {

// The name ferry's queries use for Docker Hub.
inline constexpr std::string_view docker_hub_registry = "docker.io";

// The key Docker writes for Docker Hub, and the server URL it passes to credential helpers.
inline constexpr std::string_view docker_hub_server_url = "https://index.docker.io/v1/";

// Returns the registry with its host in lower case and every Docker Hub host
// (docker.io, index.docker.io, registry-1.docker.io) as "docker.io".
std::string canonical_registry(std::string_view registry);

// Returns an `auths` or `credHelpers` key as "registry[/namespace...]" in the form of
// canonical_registry. Strips an http:// or https:// prefix, trailing slashes, and a path that
// is only an API version ("/v1", "/v2"), so "https://index.docker.io/v1/" becomes "docker.io".
std::string canonical_auth_key(std::string_view key);

// Returns the keys to try for a repository, most specific first:
// "reg/team/app", "reg/team", "reg". repository may be empty.
std::vector<std::string> lookup_keys(std::string_view registry, std::string_view repository);

// Returns the server URL that Docker's CLI passes to a credential helper for the registry:
// docker_hub_server_url for Docker Hub, the registry name otherwise.
std::string helper_server_url(std::string_view registry);

} // namespace ferry::docker_config
