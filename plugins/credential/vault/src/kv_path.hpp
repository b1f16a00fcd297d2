// Paths of a registry's secret: the path template and the KV secrets engine's API paths.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace ferry::vault {

// Replaces every {registry} in path_template with registry (host[:port]) and drops leading and
// trailing slashes. Throws sdk::Error(FERRY_ERROR_INVALID_INPUT) for another placeholder, an
// empty result, or a registry that is not a plain host[:port].
std::string expand_path_template(const std::string& path_template, const std::string& registry);

// The KV mount that contains a path, from GET /v1/sys/internal/ui/mounts/<path>.
struct KvMount {
    std::string path; // "secret/", always with one trailing slash
    int version = 1;
};

// Reads the response's "data" object. Throws sdk::Error(FERRY_ERROR) when it has no mount path.
KvMount parse_mount(const nlohmann::json& data);

// The API path that reads secret_path (which starts with mount.path). For KV v2 it is
// <mount>/data/<rest>, where one leading "data/" of rest is dropped first, so paths with and
// without "data/" both work. A secret whose own name starts with "data/" therefore needs it
// written twice. For KV v1 it is secret_path unchanged.
std::string kv_read_path(const std::string& secret_path, const KvMount& mount);

} // namespace ferry::vault
