#include "keyring_schemas.hpp"

#include <initializer_list>

namespace ferry::keyring {

namespace {

SecretSchema make_schema(const char* name, SecretSchemaFlags flags,
                         std::initializer_list<const char*> attributes) {
    SecretSchema schema{};
    schema.name = name;
    schema.flags = flags;

    int index = 0;
    for (const char* attribute : attributes) {
        schema.attributes[index].name = attribute;
        schema.attributes[index].type = SECRET_SCHEMA_ATTRIBUTE_STRING;
        ++index;
    }
    return schema;
}

} // namespace

const SecretSchema& docker_search_schema() {
    static const SecretSchema schema = make_schema(
        kDockerSchemaName, SECRET_SCHEMA_DONT_MATCH_NAME,
        {kDockerServer, kDockerUsername, kDockerMarker});
    return schema;
}

const SecretSchema& ferry_search_schema() {
    static const SecretSchema schema = make_schema(
        kFerrySchemaName, SECRET_SCHEMA_DONT_MATCH_NAME,
        {kFerryRegistry, kFerryUsername, kFerryMarker});
    return schema;
}

const SecretSchema& ferry_store_schema() {
    static const SecretSchema schema = make_schema(
        kFerrySchemaName, SECRET_SCHEMA_NONE, {kFerryRegistry, kFerryUsername, kFerryMarker});
    return schema;
}

} // namespace ferry::keyring
