// Registers the docker-config credential source with ferry.
#include "docker_config_source.hpp"

#include <ferry/sdk.hpp>

#ifndef FERRY_DOCKER_CONFIG_VERSION
#define FERRY_DOCKER_CONFIG_VERSION "0.0.0"
#endif

FERRY_CREDENTIAL_PLUGIN(ferry::docker_config::DockerConfigSource, "docker-config", FERRY_DOCKER_CONFIG_VERSION,
                        "Reads credentials from Docker and Podman auth files and Docker credential helpers")
