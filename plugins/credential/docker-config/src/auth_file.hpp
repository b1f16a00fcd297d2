// One credential file (auth.json, config.json or the legacy .dockercfg), read once and searched
// per registry.
#pragma once

#include "auth_file_locations.hpp"
#include "json_text.hpp"

#include <ferry/sdk.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::docker_config {

// Largest credential file read; larger files are reported as a problem and not parsed.
inline constexpr std::size_t max_auth_file_size = 16 * 1024 * 1024;

// A credential helper named by a file, and the key that named it, for messages.
struct HelperChoice {
    std::string name; // "pass" for docker-credential-pass
    std::string key;  // "credHelpers[\"registry.example.com\"]" or "credsStore"
};

// The `auths` entry that matched a lookup.
struct EntryMatch {
    std::string key; // as written in the file, e.g. "https://index.docker.io/v1/"
    sdk::Credential credential;
};

class AuthFile {
public:
    // Reads the file, reporting trouble through the result rather than by throwing: a missing
    // file gives exists() == false, and an unreadable, oversized or malformed one a problem().
    static AuthFile load(const AuthFileLocation& location);

    // Parses text as the content of the file at path, then wipes text.
    static AuthFile parse(std::string path, AuthFileFormat format, std::string& text);

    const std::string& path() const noexcept { return path_; }
    bool exists() const noexcept { return exists_; }

    // Why the file cannot be used, such as "not valid JSON at line 3, column 7 (byte 41)" or
    // "\"auths\" is a JSON array, expected an object". Never contains file content.
    const std::optional<std::string>& problem() const noexcept { return problem_; }

    // The following need exists() and no problem(). They throw sdk::Error (FERRY_ERROR) naming
    // the file and key for a value of the wrong type or an invalid helper name.

    // The `credHelpers` entry for the registry. Keys with a namespace path never match.
    std::optional<HelperChoice> credential_helper_for(std::string_view registry) const;

    // The `credsStore` value, when it is set and not empty.
    std::optional<HelperChoice> credentials_store() const;

    // The `auths` entry with the longest key that names the repository, its namespace or its
    // registry, decoded. Among keys with the same canonical form (see canonical_auth_key), a key
    // written exactly in that form wins, then the first in byte order.
    std::optional<EntryMatch> find_entry(std::string_view registry, std::string_view repository) const;

private:
    AuthFile(std::string path, AuthFileFormat format) : path_(std::move(path)), format_(format) {}

    void set_document(nlohmann::json document);
    void index_keys();
    const nlohmann::json* auths() const;
    const nlohmann::json* credential_helpers() const;
    const nlohmann::json* top_level_value(const char* key) const;

    std::string path_;
    AuthFileFormat format_;
    bool exists_ = false;
    std::optional<std::string> problem_;
    SecretJson document_;

    // Canonical key -> keys as written in the file, best first.
    std::map<std::string, std::vector<std::string>, std::less<>> auths_index_;
    std::map<std::string, std::vector<std::string>, std::less<>> helpers_index_;
};

} // namespace ferry::docker_config
