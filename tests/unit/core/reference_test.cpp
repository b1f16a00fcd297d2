// parse_reference against the reference grammar of the distribution project
// (github.com/distribution/reference: reference.go, regexp.go and its test tables), plus ferry's
// own transports: docker:// and oci:PATH[:REF].
#include "test_support.hpp"

#include <ferry/core/reference.hpp>

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace ferry::core {
namespace {

std::string repeat(char c, std::size_t count) { return std::string(count, c); }

const std::string kSha256 = "sha256:" + repeat('f', 64);
const std::string kSha384 = "sha384:" + repeat('e', 96);
const std::string kSha512 = "sha512:" + repeat('c', 128);
const std::string kHexIdentifier = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";

struct ValidCase {
    std::string name; // test name: letters, digits and '_'
    std::string input;
    std::string text; // expected ImageReference::text()
};

struct InvalidCase {
    std::string name;
    std::string input;
    std::string message; // expected part of ReferenceError::what()
};

const std::vector<ValidCase> kValidCases = {
    // Docker Hub normalisation.
    {"HubOfficialImage", "alpine", "docker://docker.io/library/alpine:latest"},
    {"HubOfficialImageWithTag", "alpine:3.19", "docker://docker.io/library/alpine:3.19"},
    {"HubDomainWithoutLibrary", "docker.io/alpine", "docker://docker.io/library/alpine:latest"},
    {"HubFullName", "docker.io/library/alpine", "docker://docker.io/library/alpine:latest"},
    {"HubIndexDomain", "index.docker.io/x", "docker://docker.io/library/x:latest"},
    {"HubIndexDomainWithUser", "index.docker.io/user/app:v1", "docker://docker.io/user/app:v1"},
    {"HubUserRepository", "user/app", "docker://docker.io/user/app:latest"},
    {"HubNestedLibraryPath", "library/foo/bar", "docker://docker.io/library/foo/bar:latest"},
    {"HubUnderscoreNamespace", "test_com/foo", "docker://docker.io/test_com/foo:latest"},
    {"HubNameThatLooksLikeHostAndPort", "test.com:5000", "docker://docker.io/library/test.com:5000"},
    {"HubHexNameUnderDomain", "docker.io/" + kHexIdentifier,
     "docker://docker.io/library/" + kHexIdentifier + ":latest"},
    {"HubHexNameOf63Characters", kHexIdentifier.substr(0, 63),
     "docker://docker.io/library/" + kHexIdentifier.substr(0, 63) + ":latest"},

    // Registries, ports and nested paths.
    {"Localhost", "localhost/app", "docker://localhost/app:latest"},
    {"LocalhostWithPort", "localhost:5000/app:v1", "docker://localhost:5000/app:v1"},
    {"IPv4WithPort", "127.0.0.1:5000/team/app:v1", "docker://127.0.0.1:5000/team/app:v1"},
    {"IPv4WithoutPort", "192.168.1.1/repo", "docker://192.168.1.1/repo:latest"},
    {"IPv4WithNumericTag", "192.168.1.1:5000/repo:5050", "docker://192.168.1.1:5000/repo:5050"},
    {"IPv6LoopbackWithPort", "[::1]:5000/app", "docker://[::1]:5000/app:latest"},
    {"IPv6WithoutPort", "[2001:db8::1]/repo:tag", "docker://[2001:db8::1]/repo:tag"},
    {"IPv6Uncompressed", "[2001:db8:1:2:3:4:5:6]/repo:tag", "docker://[2001:db8:1:2:3:4:5:6]/repo:tag"},
    {"IPv6WithPortAndDigest", "[2001:db8::1]:5000/repo@" + kSha256, "docker://[2001:db8::1]:5000/repo@" + kSha256},
    {"NestedPath", "registry.example.com/a/b/c/d:v2", "docker://registry.example.com/a/b/c/d:v2"},
    {"DashedSubdomain", "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
     "docker://sub-dom1.foo.com/bar/baz/quux:some-long-tag"},
    {"PunycodeDomain", "xn--n3h.com/myimage:xn--n3h.com", "docker://xn--n3h.com/myimage:xn--n3h.com"},
    {"DomainWithoutDotButPort", "test-com:8080/foo", "docker://test-com:8080/foo:latest"},
    // The distribution grammar reads an uppercase first component as a registry host.
    {"UppercaseFirstComponentIsDomain", "Docker/docker", "docker://Docker/docker:latest"},

    // Separators inside repository name components.
    {"SeparatorDot", "example.com/a.b", "docker://example.com/a.b:latest"},
    {"SeparatorUnderscore", "example.com/a_b", "docker://example.com/a_b:latest"},
    {"SeparatorDoubleUnderscore", "example.com/a__b", "docker://example.com/a__b:latest"},
    {"SeparatorDash", "example.com/a-b", "docker://example.com/a-b:latest"},
    {"SeparatorRepeatedDashes", "example.com/a---b", "docker://example.com/a---b:latest"},
    {"SingleCharacterComponents", "d/t", "docker://docker.io/d/t:latest"},

    // Tags.
    {"UppercaseTagKept", "lowercase:Uppercase", "docker://docker.io/library/lowercase:Uppercase"},
    {"TagOf128Characters", "example.com/app:" + repeat('t', 128),
     "docker://example.com/app:" + repeat('t', 128)},
    {"TagStartingWithUnderscore", "example.com/app:_build", "docker://example.com/app:_build"},
    {"TagWithDotsDashesUnderscores", "example.com/app:v1.2-rc_3", "docker://example.com/app:v1.2-rc_3"},

    // Digests, alone and with a tag.
    {"DigestWithoutTag", "repo@" + kSha256, "docker://docker.io/library/repo@" + kSha256},
    {"DigestSha384", "example.com/app@" + kSha384, "docker://example.com/app@" + kSha384},
    {"DigestSha512WithTag", "xn--7o8h.com/myimage:xn--7o8h.com@" + kSha512,
     "docker://xn--7o8h.com/myimage:xn--7o8h.com@" + kSha512},
    {"TagAndDigestBothKept", "busybox:latest@" + kSha256, "docker://docker.io/library/busybox:latest@" + kSha256},

    // Name length: 255 characters is the maximum.
    {"NameOf255Characters", "example.com/" + repeat('a', 243), "docker://example.com/" + repeat('a', 243) + ":latest"},
    {"HubNameOf255Normalised", repeat('a', 237), "docker://docker.io/library/" + repeat('a', 237) + ":latest"},

    // The docker:// transport prefix.
    {"DockerPrefixHub", "docker://alpine", "docker://docker.io/library/alpine:latest"},
    {"DockerPrefixRegistry", "docker://localhost:5000/team/app@" + kSha256,
     "docker://localhost:5000/team/app@" + kSha256},

    // Absolute OCI layout paths, normalised.
    {"LayoutAbsoluteWithoutRef", "oci:/srv/images/app", "oci:/srv/images/app"},
    {"LayoutAbsoluteWithRef", "oci:/srv/images/app:v1", "oci:/srv/images/app:v1"},
    {"LayoutPathNormalised", "oci:/srv/images/../cache/./app:v1", "oci:/srv/cache/app:v1"},
};

const std::vector<InvalidCase> kInvalidCases = {
    {"Empty", "", "empty image reference"},
    {"DockerPrefixOnly", "docker://", "empty image reference"},
    {"OnlyTag", ":justtag", "missing repository name"},
    {"OnlyDigest", "@" + kSha256, "missing repository name"},

    // Separators.
    {"DoubleDot", "a..b", "invalid repository name component \"a..b\""},
    {"TrailingDash", "a-", "invalid repository name component \"a-\""},
    {"LeadingDash", "-a", "invalid repository name component \"-a\""},
    {"TripleUnderscore", "a___b", "invalid repository name component \"a___b\""},
    {"UnderscoreThenDot", "example.com/dock_.er", "invalid repository name component \"dock_.er\""},
    {"DashThenDot", "example.com/dock-.er", "invalid repository name component \"dock-.er\""},
    {"LeadingUnderscore", "_docker/_docker", "invalid repository name component \"_docker\""},
    {"EmptyComponent", "docker///docker", "invalid repository name component \"\""},
    {"TrailingSlash", "docker/", "invalid repository name component \"\""},
    {"SymbolsInComponent", "aa/asdf$$^/aa", "invalid repository name component \"asdf$$^\""},

    // Uppercase repository components are rejected by name.
    {"UppercaseHubName", "Uppercase:tag", "repository name component \"Uppercase\""},
    {"UppercaseSecondComponent", "docker/Docker", "repository name component \"Docker\""},
    {"UppercaseAfterPort", "test:5000/Uppercase/lowercase:tag", "repository name component \"Uppercase\""},
    {"UppercaseLastComponent", "registry.example.com/team/MyApp:v1", "repository name component \"MyApp\""},

    // Tags.
    {"TagOf129Characters", "example.com/app:" + repeat('t', 129), "invalid tag"},
    {"TagStartingWithDot", "example.com/app:.v1", "invalid tag \".v1\""},
    {"TagStartingWithDash", "example.com/app:-v1", "invalid tag \"-v1\""},
    {"EmptyTag", "example.com/app:", "invalid tag \"\""},
    {"TagWithPlus", "example.com/app:v1+build", "invalid tag \"v1+build\""},

    // Digests.
    {"DigestUppercaseHex", "repo@sha256:" + repeat('F', 64), "sha256 needs 64 lowercase hex digits"},
    {"DigestTooShort", "repo@sha256:" + repeat('f', 34), "sha256 needs 64 lowercase hex digits"},
    {"DigestTooLong", "repo@sha256:" + repeat('f', 65), "sha256 needs 64 lowercase hex digits"},
    {"DigestNonHex", "repo@sha256:" + repeat('g', 64), "sha256 needs 64 lowercase hex digits"},
    {"DigestUnknownAlgorithm", "validname@invaliddigest:" + repeat('f', 64),
     "unsupported digest algorithm \"invaliddigest\""},
    {"DigestMd5", "repo@md5:" + repeat('f', 32), "unsupported digest algorithm \"md5\""},
    {"DigestSha512WithSha256Length", "repo@sha512:" + repeat('f', 64), "sha512 needs 128 lowercase hex digits"},
    {"DigestWithoutAlgorithm", "repo@" + repeat('f', 64), "invalid digest"},

    // Names.
    {"HexIdentifierAsName", kHexIdentifier, "looks like an image ID"},
    {"NameOf256Characters", "example.com/" + repeat('a', 244), "is 256 characters long"},
    // docker.io/library/ is counted: 18 + 240 characters.
    {"HubNameOver255Normalised", repeat('a', 240), "is 258 characters long"},

    // Registry hosts.
    {"IPv6ZoneIdentifier", "[fe80::1%eth0]:5000/repo", "invalid registry host"},
    {"IPv6WithEmbeddedIPv4", "[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid registry host"},
    {"IPv6WithoutBrackets", "fc00::1:5000/debian", "invalid registry host"},
    {"DomainStartingWithDash", "-docker.io/docker/docker", "invalid registry host"},
    {"PortNotNumeric", "example.com:http/app", "invalid port \"http\""},
    {"PortEmpty", "example.com:/app", "invalid port \"\""},

    // Transports other than docker:// and oci:.
    {"DockerArchiveTransport", "docker-archive:x", "transport \"docker-archive\""},
    {"OciArchiveTransport", "oci-archive:/tmp/image.tar", "transport \"oci-archive\""},
    {"ContainersStorageTransport", "containers-storage:alpine", "transport \"containers-storage\""},
    {"DirTransport", "dir:/tmp/image", "transport \"dir\""},
    {"HttpUrl", "http://x/y", "unknown transport"},
    {"HttpsUrl", "https://github.com/docker/docker", "unknown transport"},

    // OCI layouts.
    {"LayoutWithoutPath", "oci:", "missing directory"},
    {"LayoutRefWithoutPath", "oci::v1", "missing directory"},
    {"LayoutRefStartingWithDash", "oci:/srv/app:-v1", "invalid OCI layout ref \"-v1\""},
};

// Short descriptions for gtest's failure output, which otherwise prints the struct's bytes.
void PrintTo(const ValidCase& valid, std::ostream* out) { *out << valid.input; }
void PrintTo(const InvalidCase& invalid, std::ostream* out) { *out << invalid.input; }

class ValidReference : public ::testing::TestWithParam<ValidCase> {};
class InvalidReference : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(ValidReference, CanonicalText) {
    const ValidCase& expected = GetParam();
    ImageReference reference;
    ASSERT_NO_THROW(reference = parse_reference(expected.input)) << expected.input;
    EXPECT_EQ(reference.text(), expected.text);
}

// The canonical text is itself a valid reference that parses to the same text.
TEST_P(ValidReference, CanonicalTextParsesToItself) {
    const ValidCase& expected = GetParam();
    EXPECT_EQ(parse_reference(expected.text).text(), expected.text);
}

TEST_P(InvalidReference, ErrorNamesProblem) {
    const InvalidCase& expected = GetParam();
    try {
        ImageReference reference = parse_reference(expected.input);
        FAIL() << "accepted " << expected.input << " as " << reference.text();
    } catch (const ReferenceError& error) {
        EXPECT_NE(std::string(error.what()).find(expected.message), std::string::npos)
            << "message: " << error.what();
    }
}

template <typename Case>
std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Grammar, ValidReference, ::testing::ValuesIn(kValidCases), case_name<ValidCase>);
INSTANTIATE_TEST_SUITE_P(Grammar, InvalidReference, ::testing::ValuesIn(kInvalidCases), case_name<InvalidCase>);

TEST(ParseReference, FieldsOfFullReference) {
    ImageReference reference = parse_reference("docker://[::1]:5000/team/app:v1@" + kSha256);

    EXPECT_EQ(reference.transport, FERRY_TRANSPORT_DOCKER);
    EXPECT_EQ(reference.registry, "[::1]:5000");
    EXPECT_EQ(reference.repository, "team/app");
    EXPECT_EQ(reference.tag, "v1");
    EXPECT_EQ(reference.digest, kSha256);
    EXPECT_EQ(reference.path, "");
    EXPECT_EQ(reference.layout_ref, "");
}

TEST(ParseReference, DigestOnlyGetsNoLatestTag) {
    ImageReference reference = parse_reference("example.com/app@" + kSha256);

    EXPECT_EQ(reference.tag, "");
    EXPECT_EQ(reference.digest, kSha256);
}

TEST(ParseReference, WithoutTagKeepsDigest) {
    ImageReference reference = parse_reference("example.com/app:v1@" + kSha256).without_tag();

    EXPECT_EQ(reference.tag, "");
    EXPECT_EQ(reference.digest, kSha256);
    EXPECT_EQ(reference.text(), "docker://example.com/app@" + kSha256);
}

TEST(ParseReference, UppercaseErrorNamesOnlyOffendingComponent) {
    try {
        parse_reference("registry.example.com/Team/app:v1");
        FAIL() << "accepted an uppercase repository component";
    } catch (const ReferenceError& error) {
        std::string message = error.what();
        EXPECT_NE(message.find("\"Team\""), std::string::npos) << message;
        EXPECT_NE(message.find("lowercase"), std::string::npos) << message;
        EXPECT_EQ(message.find("\"app\""), std::string::npos) << message;
    }
}

TEST(ParseReference, CredentialsInReferenceRejectedUnquoted) {
    for (const char* text : {"docker://alice:s3cret@registry.example.com/team/app:1",
                             "alice:pa/ss@registry.example.com/team/app", "alice:p@ss@127.0.0.1:5000/app@sha256:"
                             "0000000000000000000000000000000000000000000000000000000000000000",
                             "alice:s3cret@registry.example.com"}) {
        try {
            parse_reference(text);
            FAIL() << "accepted a reference with credentials";
        } catch (const ReferenceError& error) {
            const std::string message = error.what();
            EXPECT_NE(message.find("cannot carry credentials"), std::string::npos) << message;
            EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
            EXPECT_EQ(message.find("pa/ss"), std::string::npos) << message;
            EXPECT_EQ(message.find("p@ss"), std::string::npos) << message;
        }
    }
}

TEST(ParseReference, CredentialsBehindUnknownTransportUnquoted) {
    try {
        parse_reference("https://alice:hunter2@registry.example.com/team/app:1");
        FAIL() << "accepted a reference with credentials";
    } catch (const ReferenceError& error) {
        EXPECT_EQ(std::string(error.what()).find("hunter2"), std::string::npos) << error.what();
    }
}

TEST(WithoutCredentials, PasswordReplaced) {
    EXPECT_EQ(without_credentials("docker://bob:Hunter2x@127.0.0.1:1/r:t"), "docker://***@127.0.0.1:1/r:t");
    EXPECT_EQ(without_credentials("bob:pw@registry.example.com/r"), "***@registry.example.com/r");
}

TEST(WithoutCredentials, OrdinaryReferencesUnchanged) {
    const std::string digest = "sha256:" + std::string(64, '0');
    EXPECT_EQ(without_credentials("registry.example.com/r:v1@" + digest), "registry.example.com/r:v1@" + digest);
    EXPECT_EQ(without_credentials("oci:/tmp/a@b/c:v1"), "oci:/tmp/a@b/c:v1");
    EXPECT_EQ(without_credentials("alpine"), "alpine");
}

TEST(ParseReference, DigestReferenceIsNotTakenForCredentials) {
    const auto reference = parse_reference("registry.example.com/team/app@sha256:"
                                           "0000000000000000000000000000000000000000000000000000000000000000");
    EXPECT_EQ(reference.repository, "team/app");
}

TEST(ParseReference, UnsupportedTransportErrorNamesSupportedOnes) {
    try {
        parse_reference("docker-archive:/tmp/image.tar");
        FAIL() << "accepted the docker-archive transport";
    } catch (const ReferenceError& error) {
        std::string message = error.what();
        EXPECT_NE(message.find("not supported"), std::string::npos) << message;
        EXPECT_NE(message.find("docker://"), std::string::npos) << message;
        EXPECT_NE(message.find("oci:PATH"), std::string::npos) << message;
    }
}

TEST(ParseReference, LayoutRelativePathMadeAbsolute) {
    test::ScratchDirectory scratch;
    test::ScopedWorkingDirectory working_directory(scratch.path());
    std::filesystem::path expected = std::filesystem::current_path() / "relative" / "dir";

    ImageReference reference = parse_reference("oci:relative/dir:ref");

    EXPECT_EQ(reference.transport, FERRY_TRANSPORT_OCI_LAYOUT);
    EXPECT_EQ(reference.path, expected.string());
    EXPECT_EQ(reference.layout_ref, "ref");
    EXPECT_EQ(reference.text(), "oci:" + expected.string() + ":ref");
    EXPECT_EQ(reference.registry, "");
    EXPECT_EQ(reference.repository, "");
}

TEST(ParseReference, LayoutAbsolutePathWithoutRef) {
    ImageReference reference = parse_reference("oci:/srv/images/app");

    EXPECT_EQ(reference.transport, FERRY_TRANSPORT_OCI_LAYOUT);
    EXPECT_EQ(reference.path, "/srv/images/app");
    EXPECT_EQ(reference.layout_ref, "");
    EXPECT_EQ(reference.tag, "");
}

TEST(ParseReference, LayoutRefMayContainColonsAndSlashes) {
    ImageReference reference = parse_reference("oci:/srv/images/app:example.com/team/app:v1");

    EXPECT_EQ(reference.path, "/srv/images/app");
    EXPECT_EQ(reference.layout_ref, "example.com/team/app:v1");
}

TEST(ValidateDigest, RegisteredAlgorithms) {
    EXPECT_NO_THROW(validate_digest(kSha256));
    EXPECT_NO_THROW(validate_digest(kSha384));
    EXPECT_NO_THROW(validate_digest(kSha512));
}

TEST(ValidateDigest, ErrorNamesDigest) {
    std::string digest = "sha256:" + repeat('A', 64);
    try {
        validate_digest(digest);
        FAIL() << "accepted uppercase hex";
    } catch (const ReferenceError& error) {
        EXPECT_NE(std::string(error.what()).find(digest), std::string::npos) << error.what();
    }
}

} // namespace
} // namespace ferry::core
