#include "keyring_source.hpp"

#include "keyring_test_support.hpp"
#include "silent_secret_service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace ferry::keyring {
namespace {

using testing::EnvOverride;
using testing::RecordingHost;

constexpr const char* kPassword = "pw-3f9c1e77";
constexpr const char* kOtherPassword = "pw-8d20aa41";

sdk::CredentialQuery query_for(const std::string& registry) {
    sdk::CredentialQuery query;
    query.registry = registry;
    return query;
}

sdk::Credential password_credential(const std::string& username, const std::string& password) {
    sdk::Credential credential;
    credential.username = username;
    credential.password = sdk::Secret(password);
    return credential;
}

// Runs body and returns the sdk::Error it throws, and fails the test when it throws none.
template <typename Body>
sdk::Error error_from(Body&& body) {
    try {
        body();
    } catch (const sdk::Error& error) {
        return error;
    }
    ADD_FAILURE() << "expected an sdk::Error";
    return sdk::Error(FERRY_OK, "");
}

// Each test that talks to D-Bus needs a process and a keyring of its own: GLib keeps the
// session connection of the first one, and entries and the lock state would leak into the
// next. ctest runs every test in its own keyring-session.sh, so only a by-hand run of the whole
// binary meets this skip.
bool claim_process() {
    static bool claimed = false;
    const bool first = !claimed;
    claimed = true;
    return first;
}

#define REQUIRE_FRESH_PROCESS()                                                              \
    if (!claim_process()) {                                                                  \
        GTEST_SKIP() << "needs a process of its own: run it through ctest or with "         \
                        "--gtest_filter";                                                    \
    }

class KeyringSourceTest : public ::testing::Test {
protected:
    void SetUp() override {
        REQUIRE_FRESH_PROCESS();
        if (!testing::keyring_session_available()) {
            GTEST_SKIP() << "needs a keyring session: run under keyring-session.sh with "
                            "dbus-run-session and gnome-keyring-daemon installed";
        }
    }

    KeyringSource make_source() { return KeyringSource(recorder_.host(), sdk::Settings()); }

    RecordingHost recorder_;
};

TEST_F(KeyringSourceTest, FindsDockerHelperEntry) {
    ASSERT_NO_FATAL_FAILURE(
        testing::store_with_docker_helper("reg.example.com:5000", "alice", kPassword));

    auto credential = make_source().lookup(query_for("reg.example.com:5000"));

    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "alice");
    EXPECT_EQ(credential->password.reveal(), kPassword);
    EXPECT_TRUE(credential->identity_token.empty());
    EXPECT_EQ(credential->source_name, "keyring (docker-credential-secretservice entry)");
}

TEST_F(KeyringSourceTest, FindsDockerEntryStoredWithScheme) {
    ASSERT_NO_FATAL_FAILURE(
        testing::store_with_docker_helper("https://reg.example.com", "alice", kPassword));

    auto credential = make_source().lookup(query_for("reg.example.com"));

    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->password.reveal(), kPassword);
}

TEST_F(KeyringSourceTest, FindsDockerHubLegacyEntry) {
    ASSERT_NO_FATAL_FAILURE(
        testing::store_with_docker_helper("https://index.docker.io/v1/", "hubuser", kPassword));

    auto credential = make_source().lookup(query_for("docker.io"));

    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "hubuser");
}

TEST_F(KeyringSourceTest, DockerIdentityTokenEntry) {
    ASSERT_NO_FATAL_FAILURE(
        testing::store_with_docker_helper("reg.example.com", "<token>", kPassword));

    auto credential = make_source().lookup(query_for("reg.example.com"));

    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "");
    EXPECT_TRUE(credential->password.empty());
    EXPECT_EQ(credential->identity_token.reveal(), kPassword);
}

TEST_F(KeyringSourceTest, FindsOwnEntry) {
    make_source().store("reg.example.com", password_credential("bob", kPassword));

    auto credential = make_source().lookup(query_for("reg.example.com"));

    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "bob");
    EXPECT_EQ(credential->password.reveal(), kPassword);
    EXPECT_EQ(credential->source_name, "keyring");
}

TEST_F(KeyringSourceTest, OwnEntryWinsOverDockerEntry) {
    ASSERT_NO_FATAL_FAILURE(
        testing::store_with_docker_helper("reg.example.com", "alice", kOtherPassword));
    make_source().store("reg.example.com", password_credential("bob", kPassword));

    auto credential = make_source().lookup(query_for("reg.example.com"));

    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "bob");
    EXPECT_EQ(credential->password.reveal(), kPassword);
}

TEST_F(KeyringSourceTest, NothingStoredIsNotFound) {
    EXPECT_FALSE(make_source().lookup(query_for("reg.example.com")).has_value());
}

TEST_F(KeyringSourceTest, OtherRegistryIsNotFound) {
    ASSERT_NO_FATAL_FAILURE(
        testing::store_with_docker_helper("reg.example.com", "alice", kPassword));
    make_source().store("reg.example.com", password_credential("bob", kPassword));

    EXPECT_FALSE(make_source().lookup(query_for("reg.example.com:5000")).has_value());
    EXPECT_FALSE(make_source().lookup(query_for("other.example.com")).has_value());
}

TEST_F(KeyringSourceTest, StoreEraseRoundTrip) {
    KeyringSource source = make_source();
    source.store("reg.example.com:5000", password_credential("bob", kPassword));
    ASSERT_TRUE(source.lookup(query_for("reg.example.com:5000")).has_value());

    source.erase("reg.example.com:5000");

    EXPECT_FALSE(source.lookup(query_for("reg.example.com:5000")).has_value());
    const sdk::Error again = error_from([&] { source.erase("reg.example.com:5000"); });
    EXPECT_EQ(again.status(), FERRY_NOT_FOUND);
    EXPECT_NE(std::string(again.what()).find("no entry for reg.example.com:5000"),
              std::string::npos)
        << again.what();
}

TEST_F(KeyringSourceTest, StoreReplacesEntryOfOtherUser) {
    KeyringSource source = make_source();
    source.store("reg.example.com", password_credential("alice", kOtherPassword));
    source.store("reg.example.com", password_credential("bob", kPassword));

    auto credential = source.lookup(query_for("reg.example.com"));
    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "bob");

    // One erase removes every ferry entry, so a second entry would still be found here.
    source.erase("reg.example.com");
    EXPECT_FALSE(source.lookup(query_for("reg.example.com")).has_value());
}

TEST_F(KeyringSourceTest, IdentityTokenRoundTrip) {
    sdk::Credential token;
    token.identity_token = sdk::Secret(kPassword);
    make_source().store("reg.example.com", token);

    auto credential = make_source().lookup(query_for("reg.example.com"));

    ASSERT_TRUE(credential.has_value());
    EXPECT_EQ(credential->username, "");
    EXPECT_EQ(credential->identity_token.reveal(), kPassword);
}

TEST_F(KeyringSourceTest, EraseKeepsDockerEntry) {
    ASSERT_NO_FATAL_FAILURE(
        testing::store_with_docker_helper("reg.example.com", "alice", kPassword));

    const sdk::Error error = error_from([&] { make_source().erase("reg.example.com"); });

    EXPECT_EQ(error.status(), FERRY_NOT_FOUND);
    EXPECT_NE(std::string(error.what()).find("docker logout reg.example.com"), std::string::npos)
        << error.what();
    EXPECT_TRUE(make_source().lookup(query_for("reg.example.com")).has_value());
}

TEST_F(KeyringSourceTest, LockedCollectionFailsFast) {
    ASSERT_NO_FATAL_FAILURE(
        testing::store_with_docker_helper("reg.example.com", "alice", kPassword));
    ASSERT_NO_FATAL_FAILURE(testing::lock_login_collection());

    const auto started = std::chrono::steady_clock::now();
    const sdk::Error error = error_from([&] { make_source().lookup(query_for("reg.example.com")); });
    const auto elapsed = std::chrono::steady_clock::now() - started;

    EXPECT_EQ(error.status(), FERRY_ERROR);
    const std::string message = error.what();
    EXPECT_NE(message.find("keyring: looking up credentials for reg.example.com"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("locked"), std::string::npos) << message;
    EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST_F(KeyringSourceTest, LockedCollectionStillReportsNotFound) {
    ASSERT_NO_FATAL_FAILURE(
        testing::store_with_docker_helper("reg.example.com", "alice", kPassword));
    ASSERT_NO_FATAL_FAILURE(testing::lock_login_collection());

    EXPECT_FALSE(make_source().lookup(query_for("other.example.com")).has_value());
}

TEST_F(KeyringSourceTest, StoreIntoLockedCollectionFails) {
    ASSERT_NO_FATAL_FAILURE(testing::lock_login_collection());

    const auto started = std::chrono::steady_clock::now();
    const sdk::Error error = error_from(
        [&] { make_source().store("reg.example.com", password_credential("bob", kPassword)); });
    const auto elapsed = std::chrono::steady_clock::now() - started;

    EXPECT_EQ(error.status(), FERRY_ERROR);
    EXPECT_NE(std::string(error.what()).find("locked"), std::string::npos) << error.what();
    EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST_F(KeyringSourceTest, SecretsNeverLogged) {
    KeyringSource source = make_source();
    source.store("reg.example.com", password_credential("bob", kPassword));
    ASSERT_TRUE(source.lookup(query_for("reg.example.com")).has_value());
    source.erase("reg.example.com");

    const std::string log = recorder_.log_text();
    EXPECT_NE(log.find("reg.example.com"), std::string::npos) << "expected debug lines";
    EXPECT_EQ(log.find(kPassword), std::string::npos) << log;
}

TEST(KeyringSourceBus, NoSessionBusIsError) {
    REQUIRE_FRESH_PROCESS();
    char runtime_dir[] = "/tmp/ferry-no-bus.XXXXXX";
    ASSERT_NE(mkdtemp(runtime_dir), nullptr);
    EnvOverride no_address("DBUS_SESSION_BUS_ADDRESS", std::nullopt);
    EnvOverride empty_runtime("XDG_RUNTIME_DIR", std::string(runtime_dir));
    RecordingHost recorder;

    KeyringSource source(recorder.host(), sdk::Settings());
    const sdk::Error error = error_from([&] { source.lookup(query_for("reg.example.com")); });
    rmdir(runtime_dir);

    EXPECT_EQ(error.status(), FERRY_ERROR);
    const std::string message = error.what();
    EXPECT_NE(message.find("keyring: looking up credentials for reg.example.com"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("no D-Bus session bus"), std::string::npos) << message;
}

TEST(KeyringSourceBus, UnreachableBusIsError) {
    REQUIRE_FRESH_PROCESS();
    EnvOverride address("DBUS_SESSION_BUS_ADDRESS",
                        std::string("unix:path=/nonexistent/ferry-test/bus"));
    RecordingHost recorder;

    KeyringSource source(recorder.host(), sdk::Settings());
    const sdk::Error error = error_from([&] { source.lookup(query_for("reg.example.com")); });

    EXPECT_EQ(error.status(), FERRY_ERROR);
    EXPECT_NE(std::string(error.what())
                  .find("connecting to the D-Bus session bus at unix:path=/nonexistent/ferry-test/bus"),
              std::string::npos)
        << error.what();
}

TEST(KeyringSourceBus, NoSecretServiceIsError) {
    REQUIRE_FRESH_PROCESS();
    testing::PrivateBus bus;
    EnvOverride address("DBUS_SESSION_BUS_ADDRESS", bus.address());
    RecordingHost recorder;

    KeyringSource source(recorder.host(), sdk::Settings());
    const sdk::Error error = error_from([&] { source.lookup(query_for("reg.example.com")); });

    EXPECT_EQ(error.status(), FERRY_ERROR);
    const std::string message = error.what();
    EXPECT_NE(message.find("opening a Secret Service session"), std::string::npos) << message;
    EXPECT_NE(message.find("org.freedesktop.secrets"), std::string::npos) << message;
}

TEST(KeyringSourceBus, SilentServiceTimesOut) {
    REQUIRE_FRESH_PROCESS();
    testing::PrivateBus bus;
    testing::SilentSecretService service(bus.address());
    EnvOverride address("DBUS_SESSION_BUS_ADDRESS", bus.address());
    RecordingHost recorder;
    sdk::Settings settings;
    const ferry_setting timeout{"timeout", "0.5"};
    settings = sdk::Settings(&timeout, 1);

    KeyringSource source(recorder.host(), settings);
    const auto started = std::chrono::steady_clock::now();
    const sdk::Error error = error_from([&] { source.lookup(query_for("reg.example.com")); });
    const auto elapsed = std::chrono::steady_clock::now() - started;

    EXPECT_EQ(error.status(), FERRY_ERROR);
    EXPECT_NE(std::string(error.what()).find("timed out after 0.5 s"), std::string::npos)
        << error.what();
    EXPECT_GE(elapsed, std::chrono::milliseconds(500));
    EXPECT_LT(elapsed, std::chrono::seconds(5));
    EXPECT_EQ(service.unanswered_calls(), 1);
}

TEST(KeyringSourceSettings, RejectsInvalidTimeout) {
    RecordingHost recorder;
    for (const char* value : {"0", "-1", "abc", "5s", "601"}) {
        const ferry_setting timeout{"timeout", value};
        const sdk::Error error =
            error_from([&] { KeyringSource(recorder.host(), sdk::Settings(&timeout, 1)); });
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT) << value;
        EXPECT_NE(std::string(error.what()).find(value), std::string::npos) << error.what();
    }
}

TEST(KeyringSourceSettings, RejectsEmptyRegistry) {
    RecordingHost recorder;
    KeyringSource source(recorder.host(), sdk::Settings());

    const sdk::Error error = error_from([&] { source.lookup(query_for("")); });

    EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
}

} // namespace
} // namespace ferry::keyring
