#include "registry_names.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace ferry::keyring {
namespace {

bool contains(const std::vector<std::string>& forms, const std::string& form) {
    return std::find(forms.begin(), forms.end(), form) != forms.end();
}

TEST(CanonicalRegistry, KeepsHostAndPort) {
    EXPECT_EQ(canonical_registry("reg.example.com:5000"), "reg.example.com:5000");
}

TEST(CanonicalRegistry, StripsSchemeAndPath) {
    EXPECT_EQ(canonical_registry("https://reg.example.com/v2/"), "reg.example.com");
    EXPECT_EQ(canonical_registry("http://127.0.0.1:5000"), "127.0.0.1:5000");
    EXPECT_EQ(canonical_registry("HTTPS://Reg.Example.COM"), "reg.example.com");
}

TEST(CanonicalRegistry, MapsDockerHubAliases) {
    EXPECT_EQ(canonical_registry("https://index.docker.io/v1/"), "docker.io");
    EXPECT_EQ(canonical_registry("registry-1.docker.io"), "docker.io");
    EXPECT_EQ(canonical_registry("registry.hub.docker.com"), "docker.io");
}

TEST(CanonicalRegistry, EmptyWithoutHost) {
    EXPECT_EQ(canonical_registry(""), "");
    EXPECT_EQ(canonical_registry("https://"), "");
}

TEST(DockerServerForms, CoverWhatDockerLoginStores) {
    const auto forms = docker_server_forms("reg.example.com:5000");
    EXPECT_TRUE(contains(forms, "reg.example.com:5000"));
    EXPECT_TRUE(contains(forms, "https://reg.example.com:5000"));
    EXPECT_TRUE(contains(forms, "http://reg.example.com:5000"));
    EXPECT_TRUE(contains(forms, "https://reg.example.com:5000/v2/"));
    EXPECT_FALSE(contains(forms, "reg.example.com"));
}

TEST(DockerServerForms, DockerHubIncludesLegacyIndex) {
    const auto forms = docker_server_forms("docker.io");
    EXPECT_EQ(forms.front(), "https://index.docker.io/v1/");
    EXPECT_TRUE(contains(forms, "docker.io"));
    EXPECT_TRUE(contains(forms, "registry-1.docker.io"));
}

TEST(DockerServerForms, NoDuplicates) {
    const auto forms = docker_server_forms("docker.io");
    const std::set<std::string> unique(forms.begin(), forms.end());
    EXPECT_EQ(unique.size(), forms.size());
}

} // namespace
} // namespace ferry::keyring
