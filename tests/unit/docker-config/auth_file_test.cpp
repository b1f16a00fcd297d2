#include "auth_file.hpp"

#include "auth_entry.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

namespace ferry::docker_config {
namespace {

using testing::auth_entry;
using testing::TempDir;
using testing::write_file;

AuthFile parse_text(std::string text, AuthFileFormat format = AuthFileFormat::config_json) {
    return AuthFile::parse("/cfg/config.json", format, text);
}

AuthFileLocation location_of(const std::string& path, AuthFileFormat format = AuthFileFormat::config_json) {
    return AuthFileLocation{path, format, false, "default"};
}

TEST(AuthFileParse, SyntaxErrorGivesLineColumnByte) {
    // After the trailing comma a key is expected; the '}' on line 4 is where parsing fails.
    const std::string text = "{\n  \"auths\": {\n    \"reg\": {\"auth\": \"c2VjcmV0\"},\n  }\n}\n";
    const AuthFile file = parse_text(text);
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(*file.problem(), "not valid JSON at line 4, column 3 (byte 51)");
}

TEST(AuthFileParse, SyntaxErrorNeverQuotesContent) {
    const AuthFile file = parse_text(R"({"auths": {"reg": {"auth": "c2VjcmV0OnNlY3JldA==)");
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(file.problem()->find("c2VjcmV0"), std::string::npos) << *file.problem();
    EXPECT_NE(file.problem()->find("line 1"), std::string::npos) << *file.problem();
}

TEST(AuthFileParse, TruncatedFileGivesEndPosition) {
    const AuthFile file = parse_text("{\"auths\": {");
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(*file.problem(), "not valid JSON at line 1, column 12 (byte 12)");
}

TEST(AuthFileParse, HugeNumberIsProblem) {
    const AuthFile file = parse_text(R"({"psFormat": 1e400, "auths": {}})");
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(*file.problem(), "not readable as JSON: it contains a number too large for a 64-bit double");
}

TEST(AuthFileParse, TopLevelMustBeObject) {
    const AuthFile file = parse_text("[1, 2]");
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(*file.problem(), "the top level is a JSON array, expected an object");
}

TEST(AuthFileParse, AuthsMustBeObject) {
    const AuthFile file = parse_text(R"({"auths": ["reg"]})");
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(*file.problem(), "\"auths\" is a JSON array, expected an object");
}

TEST(AuthFileParse, CredHelpersMustBeObject) {
    const AuthFile file = parse_text(R"({"credHelpers": "pass"})");
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(*file.problem(), "\"credHelpers\" is a JSON string, expected an object");
}

TEST(AuthFileParse, CredsStoreMustBeString) {
    const AuthFile file = parse_text(R"({"credsStore": {"name": "pass"}})");
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(*file.problem(), "\"credsStore\" is a JSON object, expected a string");
}

TEST(AuthFileParse, NullValuesCountAsAbsent) {
    const AuthFile file = parse_text(R"({"auths": null, "credHelpers": null, "credsStore": null})");
    EXPECT_FALSE(file.problem().has_value());
    EXPECT_FALSE(file.credentials_store().has_value());
    EXPECT_FALSE(file.find_entry("reg", "").has_value());
}

TEST(AuthFileParse, UnknownTopLevelKeysIgnored) {
    const AuthFile file = parse_text(R"({"psFormat": 3, "proxies": [], "currentContext": "x",
                                        "auths": {"reg": )" + auth_entry("u", "p") + "}}");
    ASSERT_FALSE(file.problem().has_value());
    const auto entry = file.find_entry("reg", "");
    ASSERT_TRUE(entry.has_value());
    EXPECT_EQ(entry->credential.username, "u");
}

TEST(AuthFileParse, EmptyFileHasNoEntries) {
    const AuthFile file = parse_text(" \n");
    EXPECT_TRUE(file.exists());
    EXPECT_FALSE(file.problem().has_value());
    EXPECT_FALSE(file.find_entry("reg", "").has_value());
}

TEST(AuthFileParse, DeepNestingRejected) {
    const std::string text = "{\"x\": " + std::string(100, '[') + std::string(100, ']') + "}";
    const AuthFile file = parse_text(text);
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(*file.problem(), "JSON nested deeper than 64 levels at line 1, column 70 (byte 70)");
}

TEST(AuthFileParse, BracketsInsideStringsDoNotCount) {
    const AuthFile file = parse_text("{\"x\": \"" + std::string(100, '[') + "\"}");
    EXPECT_FALSE(file.problem().has_value());
}

TEST(AuthFileParse, WipesInputText) {
    std::string text = R"({"auths": {"reg": )" + auth_entry("u", "p") + "}}";
    const AuthFile file = AuthFile::parse("/cfg/config.json", AuthFileFormat::config_json, text);
    EXPECT_TRUE(text.empty());
    EXPECT_FALSE(file.problem().has_value());
}

TEST(AuthFileParse, LegacyFormatIsAuthsMap) {
    const AuthFile file =
        parse_text(R"({"https://reg.example/v1/": )" + auth_entry("old", "pw") + "}", AuthFileFormat::legacy_dockercfg);
    ASSERT_FALSE(file.problem().has_value());
    const auto entry = file.find_entry("reg.example", "team/app");
    ASSERT_TRUE(entry.has_value());
    EXPECT_EQ(entry->key, "https://reg.example/v1/");
    EXPECT_EQ(entry->credential.username, "old");
}

TEST(AuthFileParse, LegacyFormatHasNoHelpers) {
    const AuthFile file = parse_text(R"({"credHelpers": 5, "credsStore": {"x": 1}})", AuthFileFormat::legacy_dockercfg);
    ASSERT_FALSE(file.problem().has_value());
    EXPECT_FALSE(file.credentials_store().has_value());
    EXPECT_FALSE(file.credential_helper_for("credHelpers").has_value());
    EXPECT_THROW(file.find_entry("credhelpers", ""), sdk::Error);
}

TEST(AuthFileEntries, LongestPrefixWins) {
    const AuthFile file = parse_text(R"({"auths": {
        "reg.example": )" + auth_entry("registry-user", "1") + R"(,
        "reg.example/team": )" + auth_entry("team-user", "2") + R"(,
        "reg.example/team/app": )" + auth_entry("app-user", "3") + R"(,
        "reg.example/other": )" + auth_entry("other-user", "4") + "}}");
    ASSERT_FALSE(file.problem().has_value());

    EXPECT_EQ(file.find_entry("reg.example", "team/app")->credential.username, "app-user");
    EXPECT_EQ(file.find_entry("reg.example", "team/app/sub")->credential.username, "app-user");
    EXPECT_EQ(file.find_entry("reg.example", "team/web")->credential.username, "team-user");
    EXPECT_EQ(file.find_entry("reg.example", "teams/app")->credential.username, "registry-user");
    EXPECT_EQ(file.find_entry("reg.example", "")->credential.username, "registry-user");
    EXPECT_FALSE(file.find_entry("reg.example:5000", "team/app").has_value());
}

TEST(AuthFileEntries, PrefixMatchesWholeSegmentsOnly) {
    const AuthFile file = parse_text(R"({"auths": {"reg.example/te": )" + auth_entry("u", "p") + "}}");
    EXPECT_FALSE(file.find_entry("reg.example", "team/app").has_value());
}

TEST(AuthFileEntries, SchemeAndVersionFormsMatch) {
    for (const char* key : {"https://reg.example:5000", "http://reg.example:5000/", "https://reg.example:5000/v2/",
                            "https://reg.example:5000/v1/", "reg.example:5000/v2"}) {
        const AuthFile file = parse_text(std::string(R"({"auths": {")") + key + "\": " + auth_entry("u", "p") + "}}");
        const auto entry = file.find_entry("reg.example:5000", "team/app");
        ASSERT_TRUE(entry.has_value()) << key;
        EXPECT_EQ(entry->key, key);
    }
}

TEST(AuthFileEntries, DockerHubKeysMatch) {
    for (const char* key : {"https://index.docker.io/v1/", "docker.io", "index.docker.io", "registry-1.docker.io"}) {
        const AuthFile file = parse_text(std::string(R"({"auths": {")") + key + "\": " + auth_entry("hub", "p") + "}}");
        const auto entry = file.find_entry("docker.io", "library/alpine");
        ASSERT_TRUE(entry.has_value()) << key;
        EXPECT_EQ(entry->credential.username, "hub") << key;
    }
}

TEST(AuthFileEntries, ExactKeyBeatsEquivalentForm) {
    const AuthFile file = parse_text(R"({"auths": {
        "https://index.docker.io/v1/": )" + auth_entry("url-form", "1") + R"(,
        "docker.io": )" + auth_entry("exact", "2") + "}}");
    EXPECT_EQ(file.find_entry("docker.io", "library/alpine")->credential.username, "exact");
}

TEST(AuthFileEntries, EquivalentFormsOrderedByKey) {
    const AuthFile file = parse_text(R"({"auths": {
        "index.docker.io": )" + auth_entry("index", "1") + R"(,
        "https://index.docker.io/v1/": )" + auth_entry("url-form", "2") + "}}");
    EXPECT_EQ(file.find_entry("docker.io", "")->key, "https://index.docker.io/v1/");
}

TEST(AuthFileEntries, EmptyEntryReturnedAsMarker) {
    const AuthFile file = parse_text(R"({"auths": {"reg.example": {}}})");
    const auto entry = file.find_entry("reg.example", "app");
    ASSERT_TRUE(entry.has_value());
    EXPECT_TRUE(is_empty_credential(entry->credential));
}

TEST(AuthFileEntries, OtherRegistrysBadEntryNotExamined) {
    const AuthFile file =
        parse_text(R"({"auths": {"broken.example": {"auth": 7}, "reg.example": )" + auth_entry("u", "p") + "}}");
    EXPECT_EQ(file.find_entry("reg.example", "")->credential.username, "u");
    EXPECT_THROW(file.find_entry("broken.example", ""), sdk::Error);
}

TEST(AuthFileHelpers, CredHelperMatchesRegistryForms) {
    const AuthFile file = parse_text(R"({"credHelpers": {"https://index.docker.io/v1/": "hub-helper",
                                                         "Reg.Example": "reg-helper",
                                                         "reg.example/team": "ignored"}})");
    EXPECT_EQ(file.credential_helper_for("docker.io")->name, "hub-helper");
    EXPECT_EQ(file.credential_helper_for("reg.example")->name, "reg-helper");
    EXPECT_EQ(file.credential_helper_for("reg.example")->key, "credHelpers[\"Reg.Example\"]");
    EXPECT_FALSE(file.credential_helper_for("other.example").has_value());
}

TEST(AuthFileHelpers, CredHelperWrongTypeIsError) {
    const AuthFile file = parse_text(R"({"credHelpers": {"reg.example": 5}})");
    try {
        file.credential_helper_for("reg.example");
        FAIL() << "expected an error";
    } catch (const sdk::Error& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("credHelpers[\"reg.example\"] in /cfg/config.json is a JSON number"),
                  std::string::npos)
            << message;
    }
}

TEST(AuthFileHelpers, InvalidHelperNameRejected) {
    for (const char* name : {"../../bin/sh", "a b", "", ".hidden", "x;rm"}) {
        const AuthFile file = parse_text(std::string(R"({"credHelpers": {"reg.example": ")") + name + "\"}}");
        EXPECT_THROW(file.credential_helper_for("reg.example"), sdk::Error) << name;
    }
    const AuthFile store = parse_text(R"({"credsStore": "x/y"})");
    EXPECT_THROW(store.credentials_store(), sdk::Error);
}

TEST(AuthFileHelpers, EmptyCredsStoreIsUnset) {
    EXPECT_FALSE(parse_text(R"({"credsStore": ""})").credentials_store().has_value());
    EXPECT_EQ(parse_text(R"({"credsStore": "pass"})").credentials_store()->name, "pass");
}

TEST(AuthFileLoad, MissingFileDoesNotExist) {
    TempDir dir;
    const AuthFile file = AuthFile::load(location_of(dir.str("nope.json")));
    EXPECT_FALSE(file.exists());
    EXPECT_FALSE(file.problem().has_value());
}

TEST(AuthFileLoad, MissingParentDirectoryDoesNotExist) {
    TempDir dir;
    testing::write_file(dir.path() / "plain", "x");
    const AuthFile file = AuthFile::load(location_of(dir.str("plain/auth.json")));
    EXPECT_FALSE(file.exists());
}

TEST(AuthFileLoad, ReadsFileFromDisk) {
    TempDir dir;
    write_file(dir.path() / "config.json", R"({"auths": {"reg": )" + auth_entry("disk", "pw") + "}}");
    const AuthFile file = AuthFile::load(location_of(dir.str("config.json")));
    ASSERT_TRUE(file.exists());
    ASSERT_FALSE(file.problem().has_value());
    EXPECT_EQ(file.find_entry("reg", "")->credential.password.reveal(), "pw");
}

TEST(AuthFileLoad, DirectoryIsProblem) {
    TempDir dir;
    std::filesystem::create_directories(dir.path() / "config.json");
    const AuthFile file = AuthFile::load(location_of(dir.str("config.json")));
    EXPECT_TRUE(file.exists());
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(*file.problem(), "not a regular file");
}

TEST(AuthFileLoad, FifoIsProblemWithoutBlocking) {
    TempDir dir;
    const std::string path = dir.str("config.json");
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    const AuthFile file = AuthFile::load(location_of(path));
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(*file.problem(), "not a regular file");
}

TEST(AuthFileLoad, OversizedFileIsProblem) {
    TempDir dir;
    const std::string path = dir.str("config.json");
    write_file(path, "{}");
    std::filesystem::resize_file(path, max_auth_file_size + 1);
    const AuthFile file = AuthFile::load(location_of(path));
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(*file.problem(), "larger than the limit of 16 MiB (16777217 bytes)");
}

TEST(AuthFileLoad, SymlinkLoopIsProblem) {
    TempDir dir;
    std::filesystem::create_symlink(dir.path() / "config.json", dir.path() / "config.json");
    const AuthFile file = AuthFile::load(location_of(dir.str("config.json")));
    EXPECT_TRUE(file.exists());
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(*file.problem(), "cannot be read: Too many levels of symbolic links");
}

TEST(AuthFileLoad, UnreadableFileIsProblem) {
    if (::geteuid() == 0) {
        GTEST_SKIP() << "root reads files regardless of their mode";
    }
    TempDir dir;
    write_file(dir.path() / "config.json", "{}", std::filesystem::perms::none);
    const AuthFile file = AuthFile::load(location_of(dir.str("config.json")));
    ASSERT_TRUE(file.problem().has_value());
    EXPECT_EQ(file.problem()->rfind("cannot be read: ", 0), 0u) << *file.problem();
}

} // namespace
} // namespace ferry::docker_config
