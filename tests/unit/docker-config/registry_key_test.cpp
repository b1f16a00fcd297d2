#include "registry_key.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace ferry::docker_config {
namespace {

TEST(CanonicalRegistry, LowersHostCase) {
    EXPECT_EQ(canonical_registry("Registry.Example.COM:5000"), "registry.example.com:5000");
}

TEST(CanonicalRegistry, MapsDockerHubAliases) {
    for (const char* alias : {"docker.io", "index.docker.io", "registry-1.docker.io", "Index.Docker.IO"}) {
        EXPECT_EQ(canonical_registry(alias), "docker.io") << alias;
    }
}

TEST(CanonicalRegistry, KeepsOtherDockerSubdomains) {
    EXPECT_EQ(canonical_registry("mirror.docker.io"), "mirror.docker.io");
}

TEST(CanonicalAuthKey, StripsSchemesAndApiPaths) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"registry.example.com", "registry.example.com"},
        {"https://registry.example.com", "registry.example.com"},
        {"http://registry.example.com:5000", "registry.example.com:5000"},
        {"https://registry.example.com/", "registry.example.com"},
        {"https://registry.example.com/v1/", "registry.example.com"},
        {"https://registry.example.com/v2/", "registry.example.com"},
        {"registry.example.com/v2", "registry.example.com"},
        {"HTTPS://Registry.Example.com/v2", "registry.example.com"},
        {"https://index.docker.io/v1/", "docker.io"},
        {"registry-1.docker.io", "docker.io"},
        {"index.docker.io", "docker.io"},
        {"docker.io", "docker.io"},
        {"127.0.0.1:5000", "127.0.0.1:5000"},
    };
    for (const auto& [key, expected] : cases) {
        EXPECT_EQ(canonical_auth_key(key), expected) << key;
    }
}

TEST(CanonicalAuthKey, KeepsNamespacePaths) {
    EXPECT_EQ(canonical_auth_key("registry.example.com/team/app"), "registry.example.com/team/app");
    EXPECT_EQ(canonical_auth_key("https://registry.example.com/team/"), "registry.example.com/team");
    EXPECT_EQ(canonical_auth_key("docker.io/library"), "docker.io/library");
    EXPECT_EQ(canonical_auth_key("registry.example.com/v2/team"), "registry.example.com/v2/team");
}

TEST(CanonicalAuthKey, KeepsPathCase) {
    EXPECT_EQ(canonical_auth_key("REG.example/Team"), "reg.example/Team");
}

TEST(LookupKeys, MostSpecificFirst) {
    const std::vector<std::string> expected = {"reg.example:5000/team/sub/app", "reg.example:5000/team/sub",
                                               "reg.example:5000/team", "reg.example:5000"};
    EXPECT_EQ(lookup_keys("reg.example:5000", "team/sub/app"), expected);
}

TEST(LookupKeys, RegistryOnlyWithoutRepository) {
    EXPECT_EQ(lookup_keys("Reg.Example", ""), std::vector<std::string>{"reg.example"});
}

TEST(LookupKeys, DockerHubUsesCanonicalName) {
    const std::vector<std::string> expected = {"docker.io/library/alpine", "docker.io/library", "docker.io"};
    EXPECT_EQ(lookup_keys("index.docker.io", "library/alpine"), expected);
}

TEST(HelperServerUrl, DockerHubUsesIndexUrl) {
    EXPECT_EQ(helper_server_url("docker.io"), "https://index.docker.io/v1/");
    EXPECT_EQ(helper_server_url("registry-1.docker.io"), "https://index.docker.io/v1/");
}

TEST(HelperServerUrl, OtherRegistriesPassedAsGiven) {
    EXPECT_EQ(helper_server_url("registry.example.com:5000"), "registry.example.com:5000");
}

} // namespace
} // namespace ferry::docker_config
