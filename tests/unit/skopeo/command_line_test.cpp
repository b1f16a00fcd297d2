#include "command_line.hpp"

#include <gtest/gtest.h>

namespace ferry::skopeo {
namespace {

using Argv = std::vector<std::string>;

SkopeoTool tool_of(SkopeoVersion version) {
    return SkopeoTool{"/usr/bin/skopeo", version, capabilities_of(version)};
}

SideAccess registry_side(const std::string& name, const std::string& auth_file) {
    SideAccess side;
    side.transport = FERRY_TRANSPORT_DOCKER;
    side.image_name = name;
    side.auth_file = auth_file;
    return side;
}

CopyOptions default_options() {
    CopyOptions options;
    options.policy_file = "/tmp/p/policy.json";
    options.digest_file = "/tmp/p/digest";
    options.retry_times = 3;
    return options;
}

const SideAccess kSource = registry_side("docker://a:5000/team/app:v1", "/tmp/p/source-auth.json");
const SideAccess kDestination = registry_side("docker://b:5001/mirror/app:v1", "");

TEST(CopyArguments, Skopeo141UsesAll) {
    const Argv argv = copy_arguments(tool_of({1, 4, 1}), kSource, kDestination, default_options());

    const Argv expected = {"/usr/bin/skopeo", "--policy", "/tmp/p/policy.json", "copy",
                           "--retry-times", "3", "--all", "--digestfile", "/tmp/p/digest",
                           "--src-authfile", "/tmp/p/source-auth.json", "--dest-no-creds",
                           "docker://a:5000/team/app:v1", "docker://b:5001/mirror/app:v1"};
    EXPECT_EQ(argv, expected);
}

TEST(CopyArguments, Skopeo193UsesMultiArchAndPreserveDigests) {
    const Argv argv = copy_arguments(tool_of({1, 9, 3}), kSource, kDestination, default_options());

    const Argv expected = {"/usr/bin/skopeo", "--policy", "/tmp/p/policy.json", "copy",
                           "--retry-times", "3", "--multi-arch", "all", "--preserve-digests",
                           "--digestfile", "/tmp/p/digest", "--src-authfile",
                           "/tmp/p/source-auth.json", "--dest-no-creds",
                           "docker://a:5000/team/app:v1", "docker://b:5001/mirror/app:v1"};
    EXPECT_EQ(argv, expected);
}

TEST(CopyArguments, Skopeo1133MatchesSkopeo193) {
    const Argv newer = copy_arguments(tool_of({1, 13, 3}), kSource, kDestination, default_options());
    const Argv older = copy_arguments(tool_of({1, 9, 3}), kSource, kDestination, default_options());
    EXPECT_EQ(newer, older);
}

TEST(CopyArguments, PlatformOverridesComeBeforeCopy) {
    CopyOptions options = default_options();
    options.platform = Platform{"linux", "arm64", "v8"};

    const Argv argv = copy_arguments(tool_of({1, 9, 3}), kSource, kDestination, options);

    const Argv expected = {"/usr/bin/skopeo", "--policy", "/tmp/p/policy.json", "--override-os",
                           "linux", "--override-arch", "arm64", "--override-variant", "v8",
                           "copy", "--retry-times", "3", "--preserve-digests", "--digestfile",
                           "/tmp/p/digest", "--src-authfile", "/tmp/p/source-auth.json",
                           "--dest-no-creds", "docker://a:5000/team/app:v1",
                           "docker://b:5001/mirror/app:v1"};
    EXPECT_EQ(argv, expected);
}

TEST(CopyArguments, TlsAndCertDirFlagsPerSide) {
    SideAccess source = kSource;
    source.tls_verify = false;
    SideAccess destination = kDestination;
    destination.cert_dir = "/certs/b";

    const Argv argv = copy_arguments(tool_of({1, 9, 3}), source, destination, default_options());

    const Argv tail(argv.end() - 8, argv.end());
    const Argv expected = {"--src-authfile", "/tmp/p/source-auth.json", "--src-tls-verify=false",
                           "--dest-no-creds", "--dest-cert-dir", "/certs/b",
                           "docker://a:5000/team/app:v1", "docker://b:5001/mirror/app:v1"};
    EXPECT_EQ(tail, expected);
}

TEST(CopyArguments, LayoutSidesGetNoRegistryFlags) {
    SideAccess layout;
    layout.transport = FERRY_TRANSPORT_OCI_LAYOUT;
    layout.image_name = "oci:/srv/app:v1";
    layout.tls_verify = false;
    layout.cert_dir = "/ignored";

    const Argv argv = copy_arguments(tool_of({1, 9, 3}), layout, kDestination, default_options());

    const Argv tail(argv.end() - 3, argv.end());
    const Argv expected = {"--dest-no-creds", "oci:/srv/app:v1", "docker://b:5001/mirror/app:v1"};
    EXPECT_EQ(tail, expected);
}

TEST(InspectArguments, RawWithAuthFile) {
    const Argv argv = inspect_arguments(tool_of({1, 9, 3}), kSource, 5);

    const Argv expected = {"/usr/bin/skopeo", "inspect", "--raw", "--retry-times", "5",
                           "--authfile", "/tmp/p/source-auth.json", "docker://a:5000/team/app:v1"};
    EXPECT_EQ(argv, expected);
}

TEST(InspectArguments, ConfigAnonymousWithoutTls) {
    SideAccess destination = kDestination;
    destination.tls_verify = false;

    const Argv argv = inspect_arguments(tool_of({1, 4, 1}), destination, 0, true);

    const Argv expected = {"/usr/bin/skopeo", "inspect", "--raw", "--config", "--retry-times", "0",
                           "--no-creds", "--tls-verify=false", "docker://b:5001/mirror/app:v1"};
    EXPECT_EQ(argv, expected);
}

sdk::ImageReference docker_reference(const std::string& tag, const std::string& digest) {
    sdk::ImageReference image;
    image.transport = FERRY_TRANSPORT_DOCKER;
    image.registry = "127.0.0.1:5000";
    image.repository = "team/app";
    image.tag = tag;
    image.digest = digest;
    return image;
}

const std::string kDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(SkopeoImageName, DockerTag) {
    EXPECT_EQ(skopeo_image_name(docker_reference("v1", ""), FERRY_SIDE_SOURCE),
              "docker://127.0.0.1:5000/team/app:v1");
}

TEST(SkopeoImageName, SourceWithTagAndDigestKeepsDigest) {
    EXPECT_EQ(skopeo_image_name(docker_reference("v1", kDigest), FERRY_SIDE_SOURCE),
              "docker://127.0.0.1:5000/team/app@" + kDigest);
}

TEST(SkopeoImageName, DestinationWithTagAndDigestKeepsTag) {
    EXPECT_EQ(skopeo_image_name(docker_reference("v1", kDigest), FERRY_SIDE_DESTINATION),
              "docker://127.0.0.1:5000/team/app:v1");
}

TEST(SkopeoImageName, DestinationWithDigestOnly) {
    EXPECT_EQ(skopeo_image_name(docker_reference("", kDigest), FERRY_SIDE_DESTINATION),
              "docker://127.0.0.1:5000/team/app@" + kDigest);
}

TEST(SkopeoImageName, LayoutWithAndWithoutReference) {
    sdk::ImageReference image;
    image.transport = FERRY_TRANSPORT_OCI_LAYOUT;
    image.path = "/srv/layouts/app";
    image.layout_ref = "v1";
    EXPECT_EQ(skopeo_image_name(image, FERRY_SIDE_SOURCE), "oci:/srv/layouts/app:v1");

    image.layout_ref.clear();
    EXPECT_EQ(skopeo_image_name(image, FERRY_SIDE_SOURCE), "oci:/srv/layouts/app");
}

TEST(SkopeoImageName, LayoutPathWithColonIsInvalid) {
    sdk::ImageReference image;
    image.transport = FERRY_TRANSPORT_OCI_LAYOUT;
    image.path = "/srv/a:b";
    try {
        skopeo_image_name(image, FERRY_SIDE_SOURCE);
        FAIL() << "a layout path with ':' was accepted";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
        EXPECT_NE(std::string(error.what()).find("/srv/a:b"), std::string::npos);
    }
}

TEST(FormatCommand, QuotesSpecialArguments) {
    EXPECT_EQ(format_command({"/usr/bin/skopeo", "copy", "a b", "it's", ""}),
              R"(/usr/bin/skopeo copy 'a b' 'it'\''s' '')");
}

} // namespace
} // namespace ferry::skopeo
