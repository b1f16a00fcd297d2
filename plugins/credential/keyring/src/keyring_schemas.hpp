// The libsecret schemas of the keyring entries that ferry reads and writes.
#pragma once

#include <libsecret/secret.h>

namespace ferry::keyring {

// Attribute names and values shared by the lookup, store and erase code.
inline constexpr const char* kDockerSchemaName = "io.docker.Credentials";
inline constexpr const char* kDockerServer = "server";
inline constexpr const char* kDockerUsername = "username";
inline constexpr const char* kDockerMarker = "docker_cli";

inline constexpr const char* kFerrySchemaName = "io.ferry.Registry";
inline constexpr const char* kFerryRegistry = "registry";
inline constexpr const char* kFerryUsername = "username";
inline constexpr const char* kFerryMarker = "ferry_cli";

// Value of kDockerMarker and kFerryMarker on every entry the two tools write.
inline constexpr const char* kMarkerValue = "1";

// docker-credential-secretservice (docker-credential-helpers 0.6.x) stores one item per
// registry with the attributes server, username and docker_cli="1"; the item's secret is the
// password, or an identity token when username is "<token>".
inline constexpr const char* kIdentityTokenUsername = "<token>";

// Schemas for searching. They do not match the schema name (xdg:schema) but the marker
// attribute instead: gnome-keyring 42 matches a locked collection's items by hashed
// attribute values and does not match xdg:schema there, so a search that includes it never
// finds locked entries and cannot report them as locked.
const SecretSchema& docker_search_schema();
const SecretSchema& ferry_search_schema();

// The schema ferry stores its own entries with. It records xdg:schema for tools such as
// secret-tool and Seahorse.
const SecretSchema& ferry_store_schema();

} // namespace ferry::keyring
