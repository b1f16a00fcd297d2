#include "docker_config_source.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <map>

namespace ferry::docker_config {
namespace {

using testing::auth_entry;
using testing::RecordingHost;
using testing::TempDir;
using testing::write_file;
using testing::write_script;

// A temporary HOME with XDG_RUNTIME_DIR, a helper directory for PATH, and the paths of every
// file the source reads.
class DockerConfigLookup : public ::testing::Test {
protected:
    DockerConfigLookup() {
        inputs_.home = root_.str("home");
        inputs_.xdg_runtime_dir = root_.str("run");
        inputs_.uid = ::getuid();
    }

    std::string runtime_auth() const { return root_.str("run/containers/auth.json"); }
    std::string config_home_auth() const { return root_.str("home/.config/containers/auth.json"); }
    std::string docker_config() const { return root_.str("home/.docker/config.json"); }
    std::string legacy_dockercfg() const { return root_.str("home/.dockercfg"); }

    static std::string auths_file(const std::string& entries) { return R"({"auths": {)" + entries + "}}"; }

    void add_helper(const std::string& name, const std::string& body) {
        write_script(root_.path() / "bin" / ("docker-credential-" + name), body);
    }

    std::unique_ptr<DockerConfigSource> make_source(const std::map<std::string, std::string>& settings = {}) {
        std::vector<ferry_setting> raw;
        for (const auto& [key, value] : settings) {
            raw.push_back({key.c_str(), value.c_str()});
        }
        return std::make_unique<DockerConfigSource>(host_.host(), sdk::Settings(raw.data(), raw.size()), inputs_,
                                                    root_.str("bin"));
    }

    std::optional<sdk::Credential> lookup(const std::string& registry, const std::string& repository = "team/app",
                                          ferry_side_role role = FERRY_SIDE_SOURCE) {
        if (!source_) {
            source_ = make_source();
        }
        sdk::CredentialQuery query;
        query.role = role;
        query.registry = registry;
        query.repository = repository;
        return source_->lookup(query);
    }

    // Returns the message of the sdk::Error that lookup throws, or "" when it throws nothing.
    std::string lookup_error(const std::string& registry, ferry_status expected_status = FERRY_ERROR) {
        try {
            lookup(registry);
        } catch (const sdk::Error& error) {
            EXPECT_EQ(error.status(), expected_status) << error.what();
            return error.what();
        }
        return {};
    }

    TempDir root_;
    LocationInputs inputs_;
    RecordingHost host_;
    std::unique_ptr<DockerConfigSource> source_;
};

TEST_F(DockerConfigLookup, NoFilesMeansNotFound) {
    EXPECT_FALSE(lookup("reg.example").has_value());
}

TEST_F(DockerConfigLookup, ReadsDockerConfigJson) {
    write_file(docker_config(), auths_file(R"("reg.example": )" + auth_entry("docker-user", "pw1")));
    const auto credential = lookup("reg.example");
    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "docker-user");
    EXPECT_EQ(credential->password.reveal(), "pw1");
    EXPECT_EQ(credential->source_name, "docker-config (" + docker_config() + ")");
}

TEST_F(DockerConfigLookup, RuntimeAuthJsonReadFirst) {
    write_file(runtime_auth(), auths_file(R"("reg.example": )" + auth_entry("podman-user", "a")));
    write_file(config_home_auth(), auths_file(R"("reg.example": )" + auth_entry("config-home-user", "b")));
    write_file(docker_config(), auths_file(R"("reg.example": )" + auth_entry("docker-user", "c")));
    const auto credential = lookup("reg.example");
    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "podman-user");
    EXPECT_EQ(credential->source_name, "docker-config (" + runtime_auth() + ")");
}

TEST_F(DockerConfigLookup, ConfigHomeAuthJsonBeforeDockerConfig) {
    write_file(config_home_auth(), auths_file(R"("reg.example": )" + auth_entry("config-home-user", "b")));
    write_file(docker_config(), auths_file(R"("reg.example": )" + auth_entry("docker-user", "c")));
    EXPECT_EQ(lookup("reg.example")->username, "config-home-user");
}

TEST_F(DockerConfigLookup, FileWithoutEntryFallsThrough) {
    write_file(runtime_auth(), auths_file(R"("other.example": )" + auth_entry("other-user", "a")));
    write_file(docker_config(), auths_file(R"("reg.example": )" + auth_entry("docker-user", "c")));
    EXPECT_EQ(lookup("reg.example")->username, "docker-user");
}

TEST_F(DockerConfigLookup, EmptyEntryFallsToNextFile) {
    write_file(runtime_auth(), auths_file(R"("reg.example": {})"));
    write_file(docker_config(), auths_file(R"("reg.example": )" + auth_entry("docker-user", "c")));
    EXPECT_EQ(lookup("reg.example")->username, "docker-user");
}

TEST_F(DockerConfigLookup, OnlyEmptyEntriesMeansNotFound) {
    write_file(docker_config(), auths_file(R"("reg.example": {}, "https://index.docker.io/v1/": {})"));
    EXPECT_FALSE(lookup("reg.example").has_value());
    EXPECT_FALSE(lookup("docker.io", "library/alpine").has_value());
}

TEST_F(DockerConfigLookup, LegacyDockercfgReadLast) {
    write_file(legacy_dockercfg(), R"({"https://reg.example": )" + auth_entry("legacy-user", "l") + "}");
    EXPECT_EQ(lookup("reg.example")->username, "legacy-user");
}

TEST_F(DockerConfigLookup, DockerConfigVariableReplacesHomeFile) {
    inputs_.docker_config = root_.str("ci-docker");
    write_file(root_.path() / "ci-docker/config.json", auths_file(R"("reg.example": )" + auth_entry("ci-user", "x")));
    write_file(docker_config(), auths_file(R"("other.example": )" + auth_entry("home-user", "y")));
    EXPECT_EQ(lookup("reg.example")->username, "ci-user");
    EXPECT_FALSE(lookup("other.example").has_value());
}

TEST_F(DockerConfigLookup, AuthfileSettingIsOnlyFile) {
    const std::string authfile = root_.str("explicit/auth.json");
    write_file(authfile, auths_file(R"("other.example": )" + auth_entry("explicit-user", "e")));
    write_file(docker_config(), auths_file(R"("reg.example": )" + auth_entry("docker-user", "c")));
    source_ = make_source({{"authfile", authfile}});

    EXPECT_FALSE(lookup("reg.example").has_value());
    const auto credential = lookup("other.example");
    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->source_name, "docker-config (" + authfile + ")");
}

TEST_F(DockerConfigLookup, AuthfileSettingBeatsRegistryAuthFile) {
    const std::string authfile = root_.str("explicit/auth.json");
    const std::string env_file = root_.str("env/auth.json");
    write_file(authfile, auths_file(R"("reg.example": )" + auth_entry("setting-user", "s")));
    write_file(env_file, auths_file(R"("reg.example": )" + auth_entry("env-user", "e")));
    inputs_.registry_auth_file = env_file;
    source_ = make_source({{"authfile", authfile}});
    EXPECT_EQ(lookup("reg.example")->username, "setting-user");
}

TEST_F(DockerConfigLookup, RegistryAuthFileIsOnlyFile) {
    const std::string env_file = root_.str("env/auth.json");
    write_file(env_file, auths_file(R"("reg.example": )" + auth_entry("env-user", "e")));
    write_file(runtime_auth(), auths_file(R"("reg.example": )" + auth_entry("podman-user", "a")));
    inputs_.registry_auth_file = env_file;
    EXPECT_EQ(lookup("reg.example")->username, "env-user");
}

TEST_F(DockerConfigLookup, MissingAuthfileSettingRejected) {
    const std::string authfile = root_.str("typo/auth.json");
    try {
        make_source({{"authfile", authfile}});
        FAIL() << "expected an error";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
        const std::string message = error.what();
        EXPECT_NE(message.find(authfile), std::string::npos) << message;
        EXPECT_NE(message.find("--authfile"), std::string::npos) << message;
        EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
    }
}

TEST_F(DockerConfigLookup, MissingRegistryAuthFileRejected) {
    inputs_.registry_auth_file = root_.str("typo/auth.json");
    try {
        make_source();
        FAIL() << "expected an error";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
        EXPECT_NE(std::string(error.what()).find("REGISTRY_AUTH_FILE"), std::string::npos) << error.what();
    }
}

TEST_F(DockerConfigLookup, LongestNamespacePrefixWins) {
    write_file(docker_config(), auths_file(R"("reg.example": )" + auth_entry("registry-user", "1") +
                                           R"(, "reg.example/team": )" + auth_entry("team-user", "2") +
                                           R"(, "reg.example/team/app": )" + auth_entry("app-user", "3")));
    EXPECT_EQ(lookup("reg.example", "team/app")->username, "app-user");
    EXPECT_EQ(lookup("reg.example", "team/web")->username, "team-user");
    EXPECT_EQ(lookup("reg.example", "other/app")->username, "registry-user");
}

TEST_F(DockerConfigLookup, NamespaceEntryInEarlierFileWins) {
    write_file(runtime_auth(), auths_file(R"("reg.example/team": )" + auth_entry("team-user", "2")));
    write_file(docker_config(), auths_file(R"("reg.example": )" + auth_entry("registry-user", "1")));
    EXPECT_EQ(lookup("reg.example", "team/app")->username, "team-user");
    EXPECT_EQ(lookup("reg.example", "other/app")->username, "registry-user");
}

TEST_F(DockerConfigLookup, DockerHubIndexKeyFound) {
    write_file(docker_config(), auths_file(R"("https://index.docker.io/v1/": )" + auth_entry("hub-user", "h")));
    for (const char* registry : {"docker.io", "index.docker.io", "registry-1.docker.io"}) {
        const auto credential = lookup(registry, "library/alpine");
        ASSERT_TRUE(credential.has_value()) << registry;
        EXPECT_EQ(credential->username, "hub-user") << registry;
    }
}

TEST_F(DockerConfigLookup, RegistryCaseIgnored) {
    write_file(docker_config(), auths_file(R"("Reg.Example:5000": )" + auth_entry("u", "p")));
    EXPECT_EQ(lookup("reg.example:5000")->username, "u");
}

TEST_F(DockerConfigLookup, IdentityTokenEntry) {
    write_file(docker_config(), auths_file(R"("reg.example": {"identitytoken": "refresh-9"})"));
    const auto credential = lookup("reg.example");
    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->identity_token.reveal(), "refresh-9");
}

TEST_F(DockerConfigLookup, MalformedLaterFileOnlyWarnsOnce) {
    write_file(runtime_auth(), auths_file(R"("reg.example": )" + auth_entry("podman-user", "a")));
    write_file(docker_config(), "{\"auths\": {\"reg.example\": {\"auth\": \"aHVudGVyMg==\"}");
    EXPECT_EQ(lookup("reg.example")->username, "podman-user");
    EXPECT_EQ(lookup("reg.example", "team/other")->username, "podman-user");

    const std::vector<std::string> warnings = host_.messages(FERRY_LOG_WARNING);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find(docker_config()), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("not valid JSON at line 1, column 51 (byte 51)"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find(runtime_auth()), std::string::npos) << warnings[0];
    EXPECT_EQ(warnings[0].find("aHVudGVyMg"), std::string::npos) << warnings[0];
}

TEST_F(DockerConfigLookup, MalformedEarlierFileIsError) {
    write_file(runtime_auth(), "{\n  \"auths\": {\"reg.example\" {}}\n}\n");
    write_file(docker_config(), auths_file(R"("reg.example": )" + auth_entry("docker-user", "c")));
    const std::string message = lookup_error("reg.example");
    EXPECT_NE(message.find("cannot use " + runtime_auth() + ": not valid JSON at line 2, column 27 (byte 29)"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("reg.example"), std::string::npos) << message;
}

TEST_F(DockerConfigLookup, MalformedFileErrorsWhenNothingMatched) {
    write_file(runtime_auth(), auths_file(R"("other.example": )" + auth_entry("other", "o")));
    write_file(docker_config(), "not json");
    const std::string message = lookup_error("reg.example");
    EXPECT_NE(message.find("cannot use " + docker_config() + ": not valid JSON at line 1, column 2 (byte 2)"),
              std::string::npos)
        << message;
    EXPECT_EQ(lookup("other.example")->username, "other");
}

TEST_F(DockerConfigLookup, AuthsOfWrongTypeIsError) {
    write_file(docker_config(), R"({"auths": ["reg.example"]})");
    const std::string message = lookup_error("reg.example");
    EXPECT_NE(message.find(docker_config()), std::string::npos) << message;
    EXPECT_NE(message.find("\"auths\" is a JSON array, expected an object"), std::string::npos) << message;
}

TEST_F(DockerConfigLookup, AuthOfWrongTypeIsError) {
    write_file(docker_config(), R"({"auths": {"reg.example": {"auth": 12345}}})");
    const std::string message = lookup_error("reg.example");
    EXPECT_NE(message.find("auths[\"reg.example\"] in " + docker_config()), std::string::npos) << message;
    EXPECT_NE(message.find("\"auth\" is a JSON number"), std::string::npos) << message;
}

TEST_F(DockerConfigLookup, InvalidBase64IsError) {
    write_file(docker_config(), auths_file(R"("https://reg.example/v2/": {"auth": "%%%not-base64"})"));
    const std::string message = lookup_error("reg.example");
    EXPECT_NE(message.find("auths[\"https://reg.example/v2/\"] in " + docker_config()), std::string::npos) << message;
    EXPECT_NE(message.find("not valid base64"), std::string::npos) << message;
}

TEST_F(DockerConfigLookup, BadEntryOfOtherRegistryIgnored) {
    write_file(docker_config(), auths_file(R"("broken.example": {"auth": false}, "reg.example": )" +
                                           auth_entry("u", "p")));
    EXPECT_EQ(lookup("reg.example")->username, "u");
}

TEST_F(DockerConfigLookup, CredHelperBeatsAuthsInSameFile) {
    add_helper("registry", "printf '{\"Username\":\"helper-user\",\"Secret\":\"hs\"}'\n");
    write_file(docker_config(), R"({"credHelpers": {"reg.example": "registry"}, "auths": {"reg.example": )" +
                                    auth_entry("file-user", "f") + "}}");
    const auto credential = lookup("reg.example");
    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "helper-user");
    EXPECT_EQ(credential->source_name, "docker-config (credential helper \"registry\")");
}

TEST_F(DockerConfigLookup, CredHelperWithoutAnswerSkipsRestOfFile) {
    add_helper("registry", "echo 'credentials not found in native keychain'\nexit 1\n");
    write_file(docker_config(), R"({"credHelpers": {"reg.example": "registry"}, "auths": {"reg.example": )" +
                                    auth_entry("file-user", "f") + "}}");
    write_file(legacy_dockercfg(), R"({"reg.example": )" + auth_entry("legacy-user", "l") + "}");
    EXPECT_EQ(lookup("reg.example")->username, "legacy-user");
}

TEST_F(DockerConfigLookup, CredHelperBeatsCredsStore) {
    add_helper("registry", "printf '{\"Username\":\"registry-helper\",\"Secret\":\"r\"}'\n");
    add_helper("store", "echo used >> " + root_.str("store-runs") + "\nprintf '{\"Username\":\"store\",\"Secret\":\"s\"}'\n");
    write_file(docker_config(), R"({"credsStore": "store", "credHelpers": {"reg.example": "registry"}})");
    EXPECT_EQ(lookup("reg.example")->username, "registry-helper");
    EXPECT_FALSE(std::filesystem::exists(root_.path() / "store-runs"));
}

TEST_F(DockerConfigLookup, CredsStoreAnswersBehindEmptyMarker) {
    add_helper("store", "printf '{\"Username\":\"store-user\",\"Secret\":\"s\"}'\n");
    write_file(docker_config(), R"({"credsStore": "store", "auths": {"reg.example": {}}})");
    const auto credential = lookup("reg.example");
    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "store-user");
    EXPECT_EQ(credential->source_name, "docker-config (credential helper \"store\")");
}

TEST_F(DockerConfigLookup, CredsStoreWithoutAnswerFallsToAuths) {
    add_helper("store", "echo 'credentials not found in native keychain'\nexit 1\n");
    write_file(docker_config(), R"({"credsStore": "store", "auths": {"reg.example": )" + auth_entry("inline-user", "i") +
                                    "}}");
    EXPECT_EQ(lookup("reg.example")->username, "inline-user");
}

TEST_F(DockerConfigLookup, MissingCredsStoreHelperFallsToAuths) {
    write_file(docker_config(), R"({"credsStore": "desktop", "auths": {"reg.example": )" +
                                    auth_entry("inline-user", "i") + "}}");

    EXPECT_EQ(lookup("reg.example")->username, "inline-user");

    const auto warnings = host_.messages(FERRY_LOG_WARNING);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("docker-credential-desktop (credsStore in " + docker_config() + ") is not on PATH"),
              std::string::npos)
        << warnings[0];
}

TEST_F(DockerConfigLookup, MissingCredsStoreHelperMeansNotFound) {
    write_file(docker_config(), R"({"credsStore": "desktop", "auths": {"reg.example": {}}})");

    EXPECT_FALSE(lookup("reg.example").has_value());
    EXPECT_EQ(host_.messages(FERRY_LOG_WARNING).size(), 1u);
}

TEST_F(DockerConfigLookup, MissingCredHelperMovesToNextFile) {
    write_file(runtime_auth(), R"({"credHelpers": {"reg.example": "ecr-login"}})");
    write_file(docker_config(), auths_file(R"("reg.example": )" + auth_entry("later-user", "l")));

    EXPECT_EQ(lookup("reg.example")->username, "later-user");

    const auto warnings = host_.messages(FERRY_LOG_WARNING);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("docker-credential-ecr-login (credHelpers[\"reg.example\"] in " + runtime_auth() + ")"),
              std::string::npos)
        << warnings[0];
}

TEST_F(DockerConfigLookup, FailingCredsStoreHelperIsError) {
    add_helper("locked", "echo 'error: keyring is locked'\nexit 1\n");
    write_file(docker_config(), R"({"credsStore": "locked", "auths": {"reg.example": {}}})");

    const std::string message = lookup_error("reg.example");
    EXPECT_NE(message.find("docker-credential-locked (credsStore in " + docker_config() + ") failed for reg.example"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("--creds-from input"), std::string::npos) << message;
}

TEST_F(DockerConfigLookup, HelperAskedOnceForBothSides) {
    add_helper("store", "echo run >> " + root_.str("runs") + "\nprintf '{\"Username\":\"u\",\"Secret\":\"s\"}'\n");
    write_file(docker_config(), R"({"credsStore": "store"})");
    EXPECT_TRUE(lookup("reg.example", "a/b", FERRY_SIDE_SOURCE).has_value());
    EXPECT_TRUE(lookup("reg.example", "c/d", FERRY_SIDE_DESTINATION).has_value());
    EXPECT_EQ(testing::read_file(root_.path() / "runs"), "run\n");
}

TEST_F(DockerConfigLookup, HelperTimeoutSettingApplied) {
    add_helper("slow", "sleep 300\n");
    write_file(docker_config(), R"({"credsStore": "slow"})");
    source_ = make_source({{"helper-timeout", "0.3"}});
    const std::string message = lookup_error("reg.example");
    EXPECT_NE(message.find("timed out after 0.3 s"), std::string::npos) << message;
}

TEST_F(DockerConfigLookup, InvalidHelperTimeoutRejected) {
    for (const char* value : {"0", "-1", "abc", "5m", "3601", "nan", ""}) {
        try {
            make_source({{"helper-timeout", value}});
            ADD_FAILURE() << "accepted helper-timeout=" << value;
        } catch (const sdk::Error& error) {
            EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT) << value;
            EXPECT_NE(std::string(error.what()).find("helper-timeout"), std::string::npos) << error.what();
        }
    }
}

TEST_F(DockerConfigLookup, HelperTimeoutAcceptsSecondsSuffix) {
    EXPECT_NO_THROW(make_source({{"helper-timeout", "45s"}}));
    EXPECT_NO_THROW(make_source({{"helper-timeout", "2.5"}}));
}

TEST_F(DockerConfigLookup, UnknownSettingWarns) {
    make_source({{"verbosity", "high"}});
    const std::vector<std::string> warnings = host_.messages(FERRY_LOG_WARNING);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("\"verbosity\""), std::string::npos) << warnings[0];
}

TEST_F(DockerConfigLookup, EmptyRegistryRejected) {
    EXPECT_EQ(lookup_error("", FERRY_ERROR_INVALID_INPUT).empty(), false);
}

TEST_F(DockerConfigLookup, SecretsNeverLoggedOrInErrors) {
    add_helper("store", "printf '{\"Username\":\"u\",\"Secret\":\"helper-secret-1\"}'\n");
    write_file(runtime_auth(), auths_file(R"("reg.example": )" + auth_entry("u", "file-secret-2") +
                                          R"(, "bad.example": {"auth": "file-secret-3"})"));
    write_file(docker_config(), R"({"credsStore": "store", "auths": {"x": {"auth": "file-secret-4)");

    EXPECT_TRUE(lookup("reg.example").has_value());
    const std::string bad_entry_error = lookup_error("bad.example");
    const std::string bad_file_error = lookup_error("other.example");
    EXPECT_FALSE(bad_entry_error.empty());
    EXPECT_FALSE(bad_file_error.empty());

    const std::string recorded = host_.everything() + bad_entry_error + bad_file_error;
    for (const char* secret : {"helper-secret-1", "file-secret-2", "file-secret-3", "file-secret-4"}) {
        EXPECT_EQ(recorded.find(secret), std::string::npos) << secret;
    }
}

} // namespace
} // namespace ferry::docker_config
