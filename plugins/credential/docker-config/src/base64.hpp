// Decoding of the standard base64 alphabet (RFC 4648 section 4) as Go's base64.StdEncoding
// does it, which is how Docker decodes the "auth" field of config.json.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry::docker_config {

// Decodes padded standard base64. Carriage returns and line feeds are skipped, as Go skips
// them. Returns std::nullopt for any other character outside the alphabet and for missing or
// misplaced padding. The caller owns the wiping of the result, which may be a secret.
std::optional<std::string> decode_base64(std::string_view text);

} // namespace ferry::docker_config
