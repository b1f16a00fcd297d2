#include "auth_file_locations.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

namespace ferry::docker_config {
namespace {

std::vector<std::string> paths_of(const std::vector<AuthFileLocation>& locations) {
    std::vector<std::string> paths;
    for (const auto& location : locations) {
        paths.push_back(location.path);
    }
    return paths;
}

LocationInputs home_only() {
    LocationInputs inputs;
    inputs.home = "/home/u";
    inputs.uid = 1000;
    return inputs;
}

TEST(AuthFileLocations, DefaultOrderWithoutXdgVariables) {
    const std::vector<std::string> expected = {"/run/containers/1000/auth.json", "/home/u/.config/containers/auth.json",
                                               "/home/u/.docker/config.json", "/home/u/.dockercfg"};
    const auto locations = auth_file_locations(home_only());
    EXPECT_EQ(paths_of(locations), expected);
    EXPECT_EQ(locations.back().format, AuthFileFormat::legacy_dockercfg);
    for (const auto& location : locations) {
        EXPECT_FALSE(location.explicit_choice) << location.path;
    }
}

TEST(AuthFileLocations, XdgVariablesReplaceDefaults) {
    LocationInputs inputs = home_only();
    inputs.xdg_runtime_dir = "/run/user/1000";
    inputs.xdg_config_home = "/home/u/cfg";
    const std::vector<std::string> expected = {"/run/user/1000/containers/auth.json", "/home/u/cfg/containers/auth.json",
                                               "/home/u/.docker/config.json", "/home/u/.dockercfg"};
    EXPECT_EQ(paths_of(auth_file_locations(inputs)), expected);
}

TEST(AuthFileLocations, DockerConfigReplacesHomeDocker) {
    LocationInputs inputs = home_only();
    inputs.docker_config = "/etc/docker-ci";
    const std::vector<std::string> expected = {"/run/containers/1000/auth.json", "/home/u/.config/containers/auth.json",
                                               "/etc/docker-ci/config.json", "/home/u/.dockercfg"};
    EXPECT_EQ(paths_of(auth_file_locations(inputs)), expected);
}

TEST(AuthFileLocations, AuthfileSettingIsOnlyFile) {
    LocationInputs inputs = home_only();
    inputs.authfile_setting = "/secrets/auth.json";
    inputs.registry_auth_file = "/other/auth.json";
    const auto locations = auth_file_locations(inputs);
    ASSERT_EQ(locations.size(), 1u);
    EXPECT_EQ(locations[0].path, "/secrets/auth.json");
    EXPECT_TRUE(locations[0].explicit_choice);
    EXPECT_EQ(locations[0].origin, "--authfile");
}

TEST(AuthFileLocations, RegistryAuthFileIsOnlyFile) {
    LocationInputs inputs = home_only();
    inputs.registry_auth_file = "/other/auth.json";
    const auto locations = auth_file_locations(inputs);
    ASSERT_EQ(locations.size(), 1u);
    EXPECT_EQ(locations[0].path, "/other/auth.json");
    EXPECT_TRUE(locations[0].explicit_choice);
    EXPECT_EQ(locations[0].origin, "REGISTRY_AUTH_FILE");
}

TEST(AuthFileLocations, EmptyValuesCountAsUnset) {
    LocationInputs inputs = home_only();
    inputs.authfile_setting = "";
    inputs.registry_auth_file = "";
    inputs.docker_config = "";
    EXPECT_EQ(auth_file_locations(inputs).size(), 4u);
}

TEST(AuthFileLocations, NoHomeLeavesOutHomePaths) {
    LocationInputs inputs;
    inputs.uid = 5;
    inputs.docker_config = "/dc";
    const std::vector<std::string> expected = {"/run/containers/5/auth.json", "/dc/config.json"};
    EXPECT_EQ(paths_of(auth_file_locations(inputs)), expected);
}

TEST(LocationInputs, ReadsProcessEnvironment) {
    testing::EnvironmentOverride registry_auth_file("REGISTRY_AUTH_FILE", "/env/auth.json");
    testing::EnvironmentOverride runtime("XDG_RUNTIME_DIR", "/env/run");
    testing::EnvironmentOverride config_home("XDG_CONFIG_HOME", "");
    testing::EnvironmentOverride docker_config("DOCKER_CONFIG", "/env/docker");
    testing::EnvironmentOverride home("HOME", "/env/home");

    const LocationInputs inputs = LocationInputs::from_process(std::string("/setting/auth.json"));
    EXPECT_EQ(inputs.authfile_setting, "/setting/auth.json");
    EXPECT_EQ(inputs.registry_auth_file, "/env/auth.json");
    EXPECT_EQ(inputs.xdg_runtime_dir, "/env/run");
    EXPECT_EQ(inputs.xdg_config_home, std::nullopt);
    EXPECT_EQ(inputs.docker_config, "/env/docker");
    EXPECT_EQ(inputs.home, "/env/home");
    EXPECT_EQ(inputs.uid, static_cast<unsigned long>(::getuid()));
}

TEST(LocationInputs, HomeFallsBackToPasswordDatabase) {
    testing::EnvironmentOverride home("HOME", std::nullopt);
    const LocationInputs inputs = LocationInputs::from_process(std::nullopt);
    ASSERT_TRUE(inputs.home.has_value());
    EXPECT_EQ(inputs.home->front(), '/');
}

} // namespace
} // namespace ferry::docker_config
