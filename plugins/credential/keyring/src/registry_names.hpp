// How registry names in the keyring relate to the registry of a credential query.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::keyring {

// The registry as host[:port] in lowercase. Drops an http:// or https:// scheme and any path,
// and maps Docker Hub's other names (index.docker.io, registry-1.docker.io,
// registry.hub.docker.com) to docker.io. Returns "" when no host is left.
std::string canonical_registry(std::string_view server);

// The `server` values under which `docker login` may have stored credentials for a registry in
// canonical form: the bare host, with a scheme, with a trailing slash or API path, and for
// Docker Hub the legacy "https://index.docker.io/v1/". The keyring matches attributes exactly,
// and a locked gnome-keyring collection only matches them (it cannot list them), so the
// lookup searches for each form instead of filtering a listing.
std::vector<std::string> docker_server_forms(const std::string& registry);

} // namespace ferry::keyring
