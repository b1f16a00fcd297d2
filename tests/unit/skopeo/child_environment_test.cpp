#include "child_environment.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace ferry::skopeo {
namespace {

const IsolatedPaths kPaths{"/p/home", "/p/runtime", "/p/home/.config", "/p/docker"};

bool contains(const std::vector<std::string>& entries, const std::string& entry) {
    return std::find(entries.begin(), entries.end(), entry) != entries.end();
}

bool has_name(const std::vector<std::string>& entries, const std::string& name) {
    return std::any_of(entries.begin(), entries.end(), [&](const std::string& entry) {
        return entry.rfind(name + "=", 0) == 0;
    });
}

TEST(ChildEnvironment, KeepsNetworkVariables) {
    const std::vector<std::string> parent = {
        "PATH=/opt/bin:/usr/bin", "TMPDIR=/var/tmp", "https_proxy=http://proxy:3128",
        "NO_PROXY=127.0.0.1", "SSL_CERT_FILE=/etc/ca.pem"};

    const auto child = build_child_environment(parent, kPaths);

    for (const std::string& entry : parent) {
        EXPECT_TRUE(contains(child, entry)) << entry;
    }
}

TEST(ChildEnvironment, ReplacesCredentialLocations) {
    const std::vector<std::string> parent = {
        "HOME=/root", "XDG_RUNTIME_DIR=/run/user/0", "XDG_CONFIG_HOME=/root/.config",
        "DOCKER_CONFIG=/root/.docker", "REGISTRY_AUTH_FILE=/root/auth.json",
        "CONTAINERS_REGISTRIES_CONF=/root/registries.conf", "AWS_SECRET_ACCESS_KEY=x"};

    const auto child = build_child_environment(parent, kPaths);

    EXPECT_TRUE(contains(child, "HOME=/p/home"));
    EXPECT_TRUE(contains(child, "XDG_RUNTIME_DIR=/p/runtime"));
    EXPECT_TRUE(contains(child, "XDG_CONFIG_HOME=/p/home/.config"));
    EXPECT_TRUE(contains(child, "DOCKER_CONFIG=/p/docker"));
    EXPECT_FALSE(contains(child, "HOME=/root"));
    EXPECT_FALSE(contains(child, "DOCKER_CONFIG=/root/.docker"));
    EXPECT_FALSE(has_name(child, "REGISTRY_AUTH_FILE"));
    EXPECT_FALSE(has_name(child, "CONTAINERS_REGISTRIES_CONF"));
    EXPECT_FALSE(has_name(child, "AWS_SECRET_ACCESS_KEY"));
}

TEST(ChildEnvironment, DefaultPathWhenParentHasNone) {
    const auto child = build_child_environment({}, kPaths);

    EXPECT_TRUE(contains(child, "PATH=/usr/local/bin:/usr/bin:/bin"));
    EXPECT_EQ(child.size(), 5u);
}

TEST(ChildEnvironment, PrefixOfKeptNameIsDropped) {
    const auto child = build_child_environment({"PATHX=/evil", "TMPDIR_OLD=/x"}, kPaths);

    EXPECT_FALSE(has_name(child, "PATHX"));
    EXPECT_FALSE(has_name(child, "TMPDIR_OLD"));
}

} // namespace
} // namespace ferry::skopeo
