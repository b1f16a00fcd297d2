// The built ferry-input.so loaded through PluginHost: credentials cross the plugin ABI unchanged,
// each side returns only its own credentials, malformed input fails at creation, and the
// plugin's log line names the options but never the password.
#include <ferry/core/log.hpp>
#include <ferry/core/plugin_host.hpp>
#include <ferry/core/plugin_instance.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <unistd.h>

namespace ferry::core {
namespace {

const std::string kPassword = "p:a$s w'\"\\  \n";

ferry_credential_query query_for(ferry_side_role role) {
    return ferry_credential_query{sizeof(ferry_credential_query), role, "registry.example.com", "team/app"};
}

class InputPluginTest : public ::testing::Test {
protected:
    void SetUp() override {
        host_.load_file(FERRY_INPUT_PLUGIN_FILE);
        ASSERT_EQ(host_.list().size(), 1u);
        ASSERT_EQ(host_.list()[0].error, "");
        plugin_ = host_.find("input", FERRY_PLUGIN_CREDENTIAL_SOURCE);
        ASSERT_NE(plugin_, nullptr);
    }

    PluginHost host_;
    std::shared_ptr<LoadedPlugin> plugin_;
};

TEST_F(InputPluginTest, PasswordCrossesAbiUnchanged) {
    CredentialInstance input(plugin_, {{"src-creds", "alice:" + kPassword}, {"src-creds-origin", "FERRY_SRC_CREDS"}});

    auto found = input.lookup(query_for(FERRY_SIDE_SOURCE));

    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->username, "alice");
    EXPECT_EQ(found->password.reveal(), kPassword);
    EXPECT_EQ(found->source_name, "input (FERRY_SRC_CREDS)");
}

TEST_F(InputPluginTest, EachSideReturnsOwnCredentials) {
    CredentialInstance input(plugin_, {{"dest-username", "bob"}, {"dest-password", "Dest-pw-20"}});

    EXPECT_FALSE(input.lookup(query_for(FERRY_SIDE_SOURCE)).has_value());
    auto destination = input.lookup(query_for(FERRY_SIDE_DESTINATION));
    ASSERT_TRUE(destination.has_value());
    EXPECT_EQ(destination->username, "bob");
    EXPECT_EQ(destination->password.reveal(), "Dest-pw-20");
}

TEST_F(InputPluginTest, MalformedValueFailsAtCreation) {
    try {
        CredentialInstance input(plugin_, {{"src-creds", "a:b"}, {"dest-creds", "Dest-no-colon-21"}});
        FAIL() << "created an instance from a malformed --dest-creds";
    } catch (const PluginError& error) {
        std::string message = error.what();
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
        EXPECT_NE(message.find("--dest-creds has no ':'"), std::string::npos) << message;
        EXPECT_EQ(message.find("Dest-no-colon-21"), std::string::npos) << message;
    }
}

TEST_F(InputPluginTest, LogLineOmitsPassword) {
    CredentialInstance input(plugin_, {{"src-creds", "alice:Log-pw-22"}});
    LogLevel previous_level = Logger::instance().level();
    Logger::instance().set_level(LogLevel::debug);
    std::fflush(stderr);
    std::FILE* capture = std::tmpfile();
    ASSERT_NE(capture, nullptr);
    int saved = ::dup(STDERR_FILENO);
    ::dup2(::fileno(capture), STDERR_FILENO);

    auto found = input.lookup(query_for(FERRY_SIDE_SOURCE));

    std::fflush(stderr);
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    Logger::instance().set_level(previous_level);
    std::string log;
    std::rewind(capture);
    for (int c = std::fgetc(capture); c != EOF; c = std::fgetc(capture)) {
        log.push_back(static_cast<char>(c));
    }
    std::fclose(capture);

    ASSERT_TRUE(found.has_value());
    EXPECT_NE(log.find("source credentials for registry.example.com: --src-creds"), std::string::npos) << log;
    EXPECT_EQ(log.find("Log-pw-22"), std::string::npos) << log;
}

} // namespace
} // namespace ferry::core
