// Handling of the Location header of blob upload sessions.
//
// Registries put session state into the Location query (docker-registry: "_state=..."), so the
// client keeps every existing parameter byte for byte, always continues at the latest Location,
// and resolves relative Locations against the URL of the request that returned them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::native {

// Resolves a Location header value against the request URL. Throws std::invalid_argument when
// the value is empty or does not resolve to an http(s) URL.
std::string resolve_upload_location(std::string_view request_url, std::string_view location);

// Appends "digest=<digest>" to the query of an upload URL: after "&" when a query is already
// present, after "?" otherwise. Any fragment stays at the end.
std::string with_digest_parameter(std::string_view upload_url, std::string_view digest);

// The bytes an upload session holds, from the Range header of an upload status response
// ("0-N" means N + 1 bytes). docker-registry 2.8 reports an empty session as "0-0", like a
// one-byte one, so "0-0" is read as 0: resending that byte is harmless. std::nullopt when the
// value is not of that form.
std::optional<std::uint64_t> parse_upload_range(std::string_view range);

} // namespace ferry::native
