// CredentialChain with the test credential sources from plugins/credential_source.cpp, loaded
// through the real host: source-first and source-second find credentials, source-empty has none,
// source-failing fails, source-invalid rejects its input. Each source appends its name to the
// file in FERRY_TEST_CREATION_LOG when an instance is created.
#include "test_support.hpp"

#include <ferry/core/credential_chain.hpp>
#include <ferry/core/errors.hpp>
#include <ferry/core/log.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ferry::core {
namespace {

const std::string kRegistry = "registry.example.com:5000";
const std::string kRepository = "team/app";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class CredentialChainTest : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* name : {"source-first", "source-second", "source-empty", "source-failing",
                                 "source-invalid"}) {
            test::install_test_plugin(name, scratch_.path() / "plugins");
        }
        host_.add_directory(scratch_.path() / "plugins", "--plugin-dir");
        for (const PluginInfo& info : host_.list()) {
            ASSERT_EQ(info.error, "") << info.file;
        }
    }

    // Names of the sources created so far, in creation order.
    std::vector<std::string> created_sources() const {
        std::vector<std::string> names;
        std::string text = test::read_text_file(creation_log_path_);
        std::size_t start = 0;
        while (start < text.size()) {
            std::size_t end = text.find('\n', start);
            names.push_back(text.substr(start, end - start));
            start = end == std::string::npos ? text.size() : end + 1;
        }
        return names;
    }

    std::optional<FoundCredential> resolve(CredentialChain& chain, const std::vector<std::string>& sources,
                                           ferry_side_role role = FERRY_SIDE_SOURCE) {
        return chain.resolve(role, kRegistry, kRepository, sources);
    }

    test::ScratchDirectory scratch_;
    std::filesystem::path creation_log_path_ = scratch_.path() / "created.log";
    test::ScopedEnvironment creation_log_{"FERRY_TEST_CREATION_LOG", creation_log_path_.string()};
    PluginHost host_;
};

TEST_F(CredentialChainTest, FirstFoundWins) {
    CredentialChain chain(host_, {});

    auto found = resolve(chain, {"source-first", "source-second"});

    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->username, "source-first-user");
    EXPECT_EQ(found->source_name, "source-first");
    EXPECT_EQ(found->password.reveal(), "pw:" + kRegistry + "/" + kRepository + ":source");
}

TEST_F(CredentialChainTest, OrderDecidesWhichSourceWins) {
    CredentialChain chain(host_, {});

    auto found = resolve(chain, {"source-second", "source-first"});

    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->username, "source-second-user");
}

TEST_F(CredentialChainTest, NotFoundMovesOn) {
    CredentialChain chain(host_, {});

    auto found = resolve(chain, {"source-empty", "source-second"});

    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->username, "source-second-user");
    EXPECT_EQ(created_sources(), (std::vector<std::string>{"source-empty", "source-second"}));
}

TEST_F(CredentialChainTest, NothingFoundMeansAnonymous) {
    CredentialChain chain(host_, {});

    EXPECT_FALSE(resolve(chain, {"source-empty"}).has_value());
    EXPECT_FALSE(resolve(chain, {}).has_value());
}

TEST_F(CredentialChainTest, QueryCarriesSideRole) {
    CredentialChain chain(host_, {});

    auto found = resolve(chain, {"source-first"}, FERRY_SIDE_DESTINATION);

    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->password.reveal(), "pw:" + kRegistry + "/" + kRepository + ":destination");
}

TEST_F(CredentialChainTest, FailureStopsChain) {
    CredentialChain chain(host_, {});

    try {
        resolve(chain, {"source-failing", "source-second"});
        FAIL() << "the chain went past a failing source";
    } catch (const CopyError& error) {
        std::string message = error.what();
        EXPECT_TRUE(contains(message, "credential source \"source-failing\"")) << message;
        EXPECT_TRUE(contains(message, "source registry " + kRegistry)) << message;
        EXPECT_TRUE(contains(message, "the vault denied access to secret/registry")) << message;
    }

    // The chain never fell through: the next source was not even created.
    EXPECT_EQ(created_sources(), std::vector<std::string>{"source-failing"});
}

TEST_F(CredentialChainTest, FailureOnDestinationNamesSide) {
    CredentialChain chain(host_, {});

    try {
        resolve(chain, {"source-empty", "source-failing"}, FERRY_SIDE_DESTINATION);
        FAIL() << "the chain went past a failing source";
    } catch (const CopyError& error) {
        EXPECT_TRUE(contains(error.what(), "destination registry " + kRegistry)) << error.what();
    }
}

TEST_F(CredentialChainTest, InvalidInputBecomesUsageError) {
    CredentialChain chain(host_, {});

    try {
        resolve(chain, {"source-invalid", "source-first"});
        FAIL() << "the chain went past a source that rejected its input";
    } catch (const UsageError& error) {
        EXPECT_TRUE(contains(error.what(), "the option path is not an absolute path")) << error.what();
    }
    EXPECT_EQ(created_sources(), std::vector<std::string>{"source-invalid"});
}

TEST_F(CredentialChainTest, UnknownSourceListsAvailable) {
    CredentialChain chain(host_, {});

    try {
        chain.validate({"source-first", "keyring"});
        FAIL() << "accepted an unknown source";
    } catch (const UsageError& error) {
        std::string message = error.what();
        EXPECT_TRUE(contains(message, "unknown credential source \"keyring\"")) << message;
        for (const char* name : {"source-first", "source-second", "source-empty", "source-failing",
                                 "source-invalid"}) {
            EXPECT_TRUE(contains(message, name)) << message;
        }
    }
    EXPECT_TRUE(created_sources().empty());
}

TEST_F(CredentialChainTest, UnknownSourceInResolveIsUsageError) {
    CredentialChain chain(host_, {});

    EXPECT_THROW(resolve(chain, {"source-empty", "keyring"}), UsageError);
}

TEST_F(CredentialChainTest, BackendIsNotCredentialSource) {
    test::install_test_plugin("good-backend", scratch_.path() / "plugins");
    host_.load_file(scratch_.path() / "plugins" / "ferry-test-good-backend.so");
    CredentialChain chain(host_, {});

    EXPECT_THROW(chain.validate({"test-backend"}), UsageError);
}

TEST_F(CredentialChainTest, SourcesCreatedLazily) {
    CredentialChain chain(host_, {});
    chain.validate({"source-first", "source-second", "source-failing"});
    EXPECT_TRUE(created_sources().empty());

    auto found = resolve(chain, {"source-first", "source-second", "source-failing"});

    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(created_sources(), std::vector<std::string>{"source-first"});
}

TEST_F(CredentialChainTest, SourceCreatedOncePerChain) {
    CredentialChain chain(host_, {});

    resolve(chain, {"source-empty", "source-first"}, FERRY_SIDE_SOURCE);
    resolve(chain, {"source-empty", "source-first"}, FERRY_SIDE_DESTINATION);

    EXPECT_EQ(created_sources(), (std::vector<std::string>{"source-empty", "source-first"}));
}

TEST_F(CredentialChainTest, PluginSettingsReachTheirSource) {
    CredentialChain chain(host_, {{"source-first", {{"username", "configured"}}},
                                  {"source-second", {{"username", "not-this-one"}}}});

    auto found = resolve(chain, {"source-first"});

    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->username, "configured");
}

TEST_F(CredentialChainTest, FoundPasswordRegisteredForRedaction) {
    CredentialChain chain(host_, {{"source-first", {{"username", "redaction-user"}}}});
    std::string repository = "redaction/check";

    auto found = chain.resolve(FERRY_SIDE_SOURCE, kRegistry, repository, {"source-first"});

    ASSERT_TRUE(found.has_value());
    std::string password = found->password.reveal();
    EXPECT_EQ(Logger::instance().redact("password " + password), "password ***");
}

TEST(ParseNameList, SplitsAtCommas) {
    EXPECT_EQ(parse_name_list("input,docker-config", "--creds-from"),
              (std::vector<std::string>{"input", "docker-config"}));
    EXPECT_EQ(parse_name_list("keyring", "--creds-from"), std::vector<std::string>{"keyring"});
}

TEST(ParseNameList, EmptyEntriesRejected) {
    for (const char* text : {"", ",", "input,", ",input", "input,,keyring"}) {
        try {
            parse_name_list(text, "--creds-from");
            FAIL() << "accepted \"" << text << "\"";
        } catch (const UsageError& error) {
            std::string message = error.what();
            EXPECT_TRUE(contains(message, "invalid --creds-from value \"" + std::string(text) + "\"")) << message;
        }
    }
}

} // namespace
} // namespace ferry::core
