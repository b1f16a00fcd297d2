// SkopeoBackend end to end against a fake skopeo script: the calls it makes, the files and
// environment skopeo receives, how failures surface and that nothing is left behind.
#include "fake_skopeo.hpp"
#include "manifest.hpp"
#include "skopeo_backend.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

namespace ferry::skopeo {
namespace {

using testing::FakeCall;
using testing::FakeSkopeo;
using testing::ScratchDirectory;
using testing::TestHost;

const std::string kPassword = R"(p:a$s w'"\)";
const std::string kBasicAuth = "YWxpY2U6cDphJHMgdyciXA=="; // base64 of alice:<kPassword>
const std::string kRegistry = "127.0.0.1:5000";
const std::string kSource = "docker://127.0.0.1:5000/team/app:v1";
const std::string kDestination = "docker://127.0.0.1:5001/mirror/app:v1";
const std::string kAmd64Digest =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const std::string kArm64Digest =
    "sha256:2222222222222222222222222222222222222222222222222222222222222222";

const std::string kIndex = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)"
                           R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                           kAmd64Digest +
                           R"(","size":500,"platform":{"os":"linux","architecture":"amd64"}},)"
                           R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                           kArm64Digest +
                           R"(","size":500,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]})";

const std::string kSingle =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:3333333333333333333333333333333333333333333333333333333333333333","size":2},"layers":[]})";

sdk::Side docker_side(ferry_side_role role, const std::string& registry,
                      const std::string& repository) {
    sdk::Side side;
    side.role = role;
    side.image.transport = FERRY_TRANSPORT_DOCKER;
    side.image.registry = registry;
    side.image.repository = repository;
    side.image.tag = "v1";
    side.image.text = "docker://" + registry + "/" + repository + ":v1";
    return side;
}

sdk::Credential password_credential() {
    sdk::Credential credential;
    credential.username = "alice";
    credential.password = sdk::Secret(kPassword);
    credential.source_name = "input";
    return credential;
}

std::string value_after(const FakeCall& call, const std::string& flag) {
    for (std::size_t i = 0; i + 1 < call.argv.size(); ++i) {
        if (call.argv[i] == flag) {
            return call.argv[i + 1];
        }
    }
    return std::string();
}

std::optional<std::string> environment_value(const FakeCall& call, const std::string& name) {
    for (const std::string& entry : call.environment) {
        if (entry.rfind(name + "=", 0) == 0) {
            return entry.substr(name.size() + 1);
        }
    }
    return std::nullopt;
}

std::vector<FakeCall> calls_of(const std::vector<FakeCall>& calls, const std::string& subcommand) {
    std::vector<FakeCall> matching;
    for (const FakeCall& call : calls) {
        if (call.subcommand() == subcommand) {
            matching.push_back(call);
        }
    }
    return matching;
}

// Sets an environment variable for the lifetime of the object.
class ScopedEnvironment {
public:
    ScopedEnvironment(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            old_ = old;
        }
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnvironment() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

class SkopeoBackendTest : public ::testing::Test {
protected:
    SkopeoBackendTest()
        : tmpdir_env_("TMPDIR", tmpdir_.path().string()),
          auth_env_("REGISTRY_AUTH_FILE", "/nonexistent/auth.json"),
          proxy_env_("https_proxy", "http://127.0.0.1:3128"),
          unrelated_env_("FERRY_TEST_UNRELATED", "1") {
        request_.source = docker_side(FERRY_SIDE_SOURCE, kRegistry, "team/app");
        request_.source.credential = password_credential();
        request_.destination = docker_side(FERRY_SIDE_DESTINATION, "127.0.0.1:5001", "mirror/app");
        request_.destination.tls_verify = false;
        request_.settings = settings_with_fake();

        fake_.set_manifest(kSource, kIndex);
        fake_.set_copy_digest(sha256_digest(kIndex));
    }

    sdk::Settings settings_with_fake() const {
        const std::string path = fake_.path();
        const ferry_setting entries[] = {{"skopeo-path", path.c_str()}};
        return sdk::Settings(entries, 1);
    }

    SkopeoBackend make_backend() { return SkopeoBackend(sdk::Host(&host_.api), sdk::Settings()); }

    sdk::Error copy_error() {
        SkopeoBackend backend = make_backend();
        try {
            backend.copy(request_);
        } catch (const sdk::Error& error) {
            return error;
        }
        ADD_FAILURE() << "copy succeeded although it should have failed";
        return sdk::Error(FERRY_OK, "");
    }

    // Created before TMPDIR changes, so that only the backend's files land in tmpdir_.
    ScratchDirectory tmpdir_{"ferry-backend-tmpdir"};
    FakeSkopeo fake_;
    ScopedEnvironment tmpdir_env_;
    ScopedEnvironment auth_env_;
    ScopedEnvironment proxy_env_;
    ScopedEnvironment unrelated_env_;
    TestHost host_;
    sdk::CopyRequest request_;
};

TEST_F(SkopeoBackendTest, CopiesEveryPlatformWithSkopeo193) {
    const sdk::CopyOutcome outcome = make_backend().copy(request_);

    EXPECT_EQ(outcome.digest, sha256_digest(kIndex));
    EXPECT_EQ(outcome.source_digest, sha256_digest(kIndex));
    EXPECT_EQ(outcome.platforms, "linux/amd64,linux/arm64/v8");
    EXPECT_FALSE(outcome.up_to_date);
    EXPECT_EQ(outcome.bytes, 0u);

    const auto calls = fake_.calls();
    ASSERT_EQ(calls.size(), 4u);
    EXPECT_EQ(calls[0].subcommand(), "--version");
    EXPECT_EQ(calls[1].subcommand(), "inspect");
    EXPECT_EQ(calls[1].argv.back(), kSource);
    EXPECT_EQ(calls[2].subcommand(), "inspect");
    EXPECT_EQ(calls[2].argv.back(), kDestination);
    ASSERT_EQ(calls[3].subcommand(), "copy");

    const FakeCall& copy = calls[3];
    EXPECT_EQ(value_after(copy, "--multi-arch"), "all");
    EXPECT_TRUE(copy.has("--preserve-digests"));
    EXPECT_FALSE(copy.has("--all"));
    EXPECT_EQ(value_after(copy, "--retry-times"), "3");
    EXPECT_FALSE(value_after(copy, "--src-authfile").empty());
    EXPECT_TRUE(copy.has("--dest-no-creds"));
    EXPECT_TRUE(copy.has("--dest-tls-verify=false"));
    EXPECT_FALSE(copy.has("--src-tls-verify=false"));
    EXPECT_EQ(copy.argv[copy.argv.size() - 2], kSource);
    EXPECT_EQ(copy.argv.back(), kDestination);
    EXPECT_EQ(copy.argv[0], "--policy");
}

TEST_F(SkopeoBackendTest, AuthFileInMemoryWithBasicAuth) {
    make_backend().copy(request_);

    const auto copies = calls_of(fake_.calls(), "copy");
    ASSERT_EQ(copies.size(), 1u);
    ASSERT_EQ(copies[0].auth_modes.size(), 1u);
    EXPECT_EQ(copies[0].auth_modes[0], "600");

    const auto auth = nlohmann::json::parse(copies[0].auth_contents[0]);
    EXPECT_EQ(auth["auths"][kRegistry]["auth"], kBasicAuth);
    EXPECT_EQ(auth["auths"].size(), 1u);

    EXPECT_EQ(value_after(copies[0], "--src-authfile").rfind("/dev/fd/", 0), 0u);
    const auto inspects = calls_of(fake_.calls(), "inspect");
    ASSERT_FALSE(inspects.empty());
    EXPECT_EQ(value_after(inspects[0], "--authfile").rfind("/dev/fd/", 0), 0u);
    ASSERT_EQ(inspects[0].auth_contents.size(), 1u);
    EXPECT_EQ(inspects[0].auth_contents[0], copies[0].auth_contents[0]);
}

TEST_F(SkopeoBackendTest, AuthFileNeverInTemporaryDirectory) {
    // The fake skopeo lists TMPDIR while it copies, when a private auth file would be there.
    const std::string listing = (fake_.directory() / "tmpdir-listing").string();
    const std::string wrapper = (fake_.directory() / "listing-skopeo").string();
    testing::write_text(wrapper, "#!/bin/sh\nfor a; do [ \"$a\" = copy ] && find '" + tmpdir_.path().string() +
                                     "' -type f > '" + listing + "'; done\nexec '" + fake_.path() + "' \"$@\"\n");
    std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
    const ferry_setting entries[] = {{"skopeo-path", wrapper.c_str()}};
    request_.settings = sdk::Settings(entries, 1);

    make_backend().copy(request_);

    const std::string files = testing::read_text(listing);
    EXPECT_NE(files.find("policy.json"), std::string::npos) << files;
    EXPECT_EQ(files.find("auth"), std::string::npos) << files;
}

TEST_F(SkopeoBackendTest, SecretsNeverReachArgvOrEnvironment) {
    make_backend().copy(request_);

    for (const FakeCall& call : fake_.calls()) {
        for (const std::string& argument : call.argv) {
            EXPECT_EQ(argument.find(kPassword), std::string::npos) << argument;
            EXPECT_EQ(argument.find(kBasicAuth), std::string::npos) << argument;
        }
        for (const std::string& entry : call.environment) {
            EXPECT_EQ(entry.find(kPassword), std::string::npos) << entry;
            EXPECT_EQ(entry.find(kBasicAuth), std::string::npos) << entry;
        }
    }
}

TEST_F(SkopeoBackendTest, ChildEnvironmentIsIsolated) {
    make_backend().copy(request_);

    const auto copies = calls_of(fake_.calls(), "copy");
    ASSERT_EQ(copies.size(), 1u);
    const FakeCall& copy = copies[0];
    const std::string private_prefix = tmpdir_.path().string() + "/ferry-skopeo-";

    for (const char* name : {"HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG"}) {
        const auto value = environment_value(copy, name);
        ASSERT_TRUE(value.has_value()) << name;
        EXPECT_EQ(value->rfind(private_prefix, 0), 0u) << name << "=" << *value;
    }
    EXPECT_FALSE(environment_value(copy, "REGISTRY_AUTH_FILE").has_value());
    EXPECT_FALSE(environment_value(copy, "FERRY_TEST_UNRELATED").has_value());
    EXPECT_EQ(environment_value(copy, "https_proxy"), "http://127.0.0.1:3128");
    EXPECT_EQ(environment_value(copy, "TMPDIR"), tmpdir_.path().string());
    EXPECT_EQ(environment_value(copy, "PATH"), std::string(std::getenv("PATH")));
}

TEST_F(SkopeoBackendTest, RemovesPrivateDirectoryAfterSuccess) {
    make_backend().copy(request_);

    EXPECT_FALSE(calls_of(fake_.calls(), "copy").empty());
    EXPECT_EQ(tmpdir_.entries(), std::vector<std::string>{});
}

TEST_F(SkopeoBackendTest, FailureKeepsReasonAndRedactsSecrets) {
    fake_.fail_copy("time=\"2024-01-01T00:00:00Z\" level=debug msg=\"starting\"\n"
                    "time=\"2024-01-01T00:00:00Z\" level=fatal msg=\"writing blob: "
                    "unauthorized: authentication required for alice:" +
                        std::string(R"(p:a$s w'\"\\)") + " (auth " + kBasicAuth + ")\"\n",
                    1);

    const sdk::Error error = copy_error();

    const std::string message = error.what();
    EXPECT_EQ(error.status(), FERRY_ERROR);
    EXPECT_NE(message.find("copying " + kSource + " to " + kDestination), std::string::npos)
        << message;
    EXPECT_NE(message.find("authentication required"), std::string::npos) << message;
    EXPECT_NE(message.find("exited with status 1"), std::string::npos) << message;
    EXPECT_NE(message.find("***"), std::string::npos) << message;
    EXPECT_EQ(message.find(kPassword), std::string::npos) << message;
    EXPECT_EQ(message.find(kBasicAuth), std::string::npos) << message;
    EXPECT_EQ(message.find("starting"), std::string::npos) << message;
    EXPECT_EQ(tmpdir_.entries(), std::vector<std::string>{});
}

TEST_F(SkopeoBackendTest, NetworkFailureIsTransient) {
    fake_.fail_copy("time=\"2024-01-01T00:00:00Z\" level=fatal msg=\"writing blob: Patch "
                    "\\\"https://127.0.0.1:5001/v2/mirror/app/blobs/uploads/x\\\": read tcp "
                    "127.0.0.1:40000->127.0.0.1:5001: read: connection reset by peer\"\n",
                    1);

    const sdk::Error error = copy_error();

    EXPECT_EQ(error.status(), FERRY_ERROR_TRANSIENT) << error.what();
    EXPECT_NE(std::string(error.what()).find("connection reset by peer"), std::string::npos);
    EXPECT_EQ(tmpdir_.entries(), std::vector<std::string>{});
}

TEST_F(SkopeoBackendTest, CancelStopsSkopeoGroupAndCleansUp) {
    fake_.block_copy();
    host_.cancel_when_exists = fake_.directory() / "copy-started";

    const sdk::Error error = copy_error();

    EXPECT_EQ(error.status(), FERRY_ERROR_CANCELLED) << error.what();
    EXPECT_TRUE(fake_.copy_started());
    const std::vector<int> pids = fake_.copy_pids();
    ASSERT_EQ(pids.size(), 2u);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while ((!testing::process_gone(pids[0]) || !testing::process_gone(pids[1])) &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(testing::process_gone(pids[0])) << "fake skopeo " << pids[0];
    EXPECT_TRUE(testing::process_gone(pids[1])) << "its child " << pids[1];
    EXPECT_EQ(tmpdir_.entries(), std::vector<std::string>{});
}

TEST_F(SkopeoBackendTest, CancelBeforeStartRunsNothing) {
    host_.cancelled = true;

    const sdk::Error error = copy_error();

    EXPECT_EQ(error.status(), FERRY_ERROR_CANCELLED);
    EXPECT_TRUE(fake_.calls().empty());
    EXPECT_EQ(tmpdir_.entries(), std::vector<std::string>{});
}

TEST_F(SkopeoBackendTest, UpToDateDestinationSkipsCopy) {
    fake_.set_manifest(kDestination, kIndex);

    const sdk::CopyOutcome outcome = make_backend().copy(request_);

    EXPECT_TRUE(outcome.up_to_date);
    EXPECT_EQ(outcome.digest, sha256_digest(kIndex));
    EXPECT_EQ(outcome.platforms, "linux/amd64,linux/arm64/v8");
    EXPECT_TRUE(calls_of(fake_.calls(), "copy").empty());
}

TEST_F(SkopeoBackendTest, DifferentDestinationIsCopied) {
    fake_.set_manifest(kDestination, kSingle);

    const sdk::CopyOutcome outcome = make_backend().copy(request_);

    EXPECT_FALSE(outcome.up_to_date);
    EXPECT_EQ(calls_of(fake_.calls(), "copy").size(), 1u);
}

TEST_F(SkopeoBackendTest, Skopeo141UsesAllWithoutNewerFlags) {
    fake_.set_version("1.4.1");

    const sdk::CopyOutcome outcome = make_backend().copy(request_);

    const auto copies = calls_of(fake_.calls(), "copy");
    ASSERT_EQ(copies.size(), 1u);
    EXPECT_TRUE(copies[0].has("--all"));
    EXPECT_FALSE(copies[0].has("--multi-arch"));
    EXPECT_FALSE(copies[0].has("--preserve-digests"));
    EXPECT_FALSE(value_after(copies[0], "--digestfile").empty());
    EXPECT_EQ(outcome.digest, sha256_digest(kIndex));
}

TEST_F(SkopeoBackendTest, Skopeo1133UsesMultiArch) {
    fake_.set_version("1.13.3 commit: 0000000000000000000000000000000000000000");

    make_backend().copy(request_);

    const auto copies = calls_of(fake_.calls(), "copy");
    ASSERT_EQ(copies.size(), 1u);
    EXPECT_EQ(value_after(copies[0], "--multi-arch"), "all");
    EXPECT_TRUE(copies[0].has("--preserve-digests"));
}

TEST_F(SkopeoBackendTest, PlatformCopiesOneImage) {
    request_.platform = "linux/arm64";
    fake_.set_copy_digest(kArm64Digest);

    const sdk::CopyOutcome outcome = make_backend().copy(request_);

    EXPECT_EQ(outcome.digest, kArm64Digest);
    EXPECT_EQ(outcome.source_digest, sha256_digest(kIndex));
    EXPECT_EQ(outcome.platforms, "linux/arm64/v8");
    const auto copies = calls_of(fake_.calls(), "copy");
    ASSERT_EQ(copies.size(), 1u);
    EXPECT_EQ(value_after(copies[0], "--override-os"), "linux");
    EXPECT_EQ(value_after(copies[0], "--override-arch"), "arm64");
    EXPECT_FALSE(copies[0].has("--override-variant"));
    EXPECT_FALSE(copies[0].has("--all"));
    EXPECT_FALSE(copies[0].has("--multi-arch"));
}

TEST_F(SkopeoBackendTest, PlatformMissingFromIndexFails) {
    request_.platform = "linux/s390x";

    const sdk::Error error = copy_error();

    EXPECT_EQ(error.status(), FERRY_ERROR);
    EXPECT_NE(std::string(error.what()).find("no linux/s390x image"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("linux/amd64,linux/arm64/v8"), std::string::npos);
    EXPECT_TRUE(calls_of(fake_.calls(), "copy").empty());
}

TEST_F(SkopeoBackendTest, SingleImageReportsConfigPlatform) {
    fake_.set_manifest(kSource, kSingle);
    fake_.set_config(kSource, R"({"os":"linux","architecture":"amd64","rootfs":{}})");
    fake_.set_copy_digest(sha256_digest(kSingle));

    const sdk::CopyOutcome outcome = make_backend().copy(request_);

    EXPECT_EQ(outcome.platforms, "linux/amd64");
    EXPECT_EQ(outcome.digest, sha256_digest(kSingle));
    bool read_config = false;
    for (const FakeCall& call : calls_of(fake_.calls(), "inspect")) {
        read_config = read_config || call.has("--config");
    }
    EXPECT_TRUE(read_config);
}

TEST_F(SkopeoBackendTest, MissingSkopeoIsUnsupported) {
    const std::string missing = (tmpdir_.path() / "no-skopeo").string();
    const ferry_setting entries[] = {{"skopeo-path", missing.c_str()}};
    request_.settings = sdk::Settings(entries, 1);

    const sdk::Error error = copy_error();

    EXPECT_EQ(error.status(), FERRY_ERROR_UNSUPPORTED);
    EXPECT_NE(std::string(error.what()).find("apt-get install skopeo"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("--backend native"), std::string::npos);
    EXPECT_EQ(tmpdir_.entries(), std::vector<std::string>{});
}

TEST_F(SkopeoBackendTest, OldSkopeoIsUnsupported) {
    fake_.set_version("1.2.0");

    const sdk::Error error = copy_error();

    EXPECT_EQ(error.status(), FERRY_ERROR_UNSUPPORTED);
    EXPECT_NE(std::string(error.what()).find("1.2.0"), std::string::npos) << error.what();
    EXPECT_TRUE(calls_of(fake_.calls(), "copy").empty());
}

TEST_F(SkopeoBackendTest, RegistryTokenIsUnsupported) {
    sdk::Credential credential;
    credential.registry_token = sdk::Secret("bearer-token-value");
    request_.source.credential = credential;

    const sdk::Error error = copy_error();

    EXPECT_EQ(error.status(), FERRY_ERROR_UNSUPPORTED);
    EXPECT_EQ(std::string(error.what()).find("bearer-token-value"), std::string::npos);
    EXPECT_TRUE(calls_of(fake_.calls(), "inspect").empty());
    EXPECT_TRUE(calls_of(fake_.calls(), "copy").empty());
    EXPECT_EQ(tmpdir_.entries(), std::vector<std::string>{});
}

TEST_F(SkopeoBackendTest, IdentityTokenGoesIntoAuthFile) {
    sdk::Credential credential;
    credential.identity_token = sdk::Secret("refresh-token-value");
    request_.source.credential = credential;

    make_backend().copy(request_);

    const auto copies = calls_of(fake_.calls(), "copy");
    ASSERT_EQ(copies.size(), 1u);
    ASSERT_EQ(copies[0].auth_contents.size(), 1u);
    const auto auth = nlohmann::json::parse(copies[0].auth_contents[0]);
    EXPECT_EQ(auth["auths"][kRegistry]["identitytoken"], "refresh-token-value");
    EXPECT_EQ(auth["auths"][kRegistry]["auth"], "PHRva2VuPjo="); // base64 of "<token>:"
}

sdk::Side layout_side(const std::string& path) {
    sdk::Side side;
    side.role = FERRY_SIDE_DESTINATION;
    side.image.transport = FERRY_TRANSPORT_OCI_LAYOUT;
    side.image.path = path;
    side.image.layout_ref = "v1";
    side.image.text = "oci:" + path + ":v1";
    side.tls_verify = false;
    return side;
}

TEST_F(SkopeoBackendTest, OciLayoutSideGetsNoRegistryFlags) {
    ScratchDirectory layouts("ferry-layouts");
    const std::string layout = (layouts.path() / "app").string();
    request_.destination = layout_side(layout);

    make_backend().copy(request_);

    const auto copies = calls_of(fake_.calls(), "copy");
    ASSERT_EQ(copies.size(), 1u);
    EXPECT_EQ(copies[0].argv.back(), "oci:" + layout + ":v1");
    for (const std::string& argument : copies[0].argv) {
        EXPECT_NE(argument.rfind("--dest-", 0), 0u) << argument;
    }
}

TEST_F(SkopeoBackendTest, OciDestinationLockedDuringCopy) {
    ScratchDirectory layouts("ferry-layouts");
    const std::string layout = (layouts.path() / "new-layout").string();
    request_.destination = layout_side(layout);
    // flock(1) on the layout directory fails at once while the backend holds the lock.
    const std::string result = (fake_.directory() / "lock-state").string();
    const std::string wrapper = (fake_.directory() / "locking-skopeo").string();
    testing::write_text(wrapper, "#!/bin/sh\nfor a; do [ \"$a\" = copy ] && { flock -n '" + layout +
                                     "' true && echo free || echo locked; } > '" + result + "'; done\nexec '" +
                                     fake_.path() + "' \"$@\"\n");
    std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
    const ferry_setting entries[] = {{"skopeo-path", wrapper.c_str()}};
    request_.settings = sdk::Settings(entries, 1);

    make_backend().copy(request_);

    EXPECT_TRUE(std::filesystem::is_directory(layout));
    EXPECT_EQ(testing::read_text(result), "locked\n");
    const int fd = ::open(layout.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0) << "the lock outlived the copy";
    ::close(fd);
}

TEST_F(SkopeoBackendTest, CertDirReachesSkopeo) {
    request_.source.cert_dir = "/etc/ferry/certs.d/127.0.0.1:5000";

    make_backend().copy(request_);

    for (const FakeCall& call : fake_.calls()) {
        if (call.subcommand() == "copy") {
            EXPECT_EQ(value_after(call, "--src-cert-dir"), "/etc/ferry/certs.d/127.0.0.1:5000");
        } else if (call.subcommand() == "inspect" && call.argv.back() == kSource) {
            EXPECT_EQ(value_after(call, "--cert-dir"), "/etc/ferry/certs.d/127.0.0.1:5000");
        }
    }
}

TEST_F(SkopeoBackendTest, RetryTimesSettingIsPassed) {
    const std::string path = fake_.path();
    const ferry_setting entries[] = {{"skopeo-path", path.c_str()}, {"retry-times", "7"}};
    request_.settings = sdk::Settings(entries, 2);

    make_backend().copy(request_);

    for (const FakeCall& call : fake_.calls()) {
        if (call.subcommand() != "--version") {
            EXPECT_EQ(value_after(call, "--retry-times"), "7");
        }
    }
}

TEST_F(SkopeoBackendTest, InvalidRetryTimesIsRejected) {
    const std::string path = fake_.path();
    const ferry_setting entries[] = {{"skopeo-path", path.c_str()}, {"retry-times", "-1"}};
    request_.settings = sdk::Settings(entries, 2);

    const sdk::Error error = copy_error();

    EXPECT_EQ(error.status(), FERRY_ERROR_INVALID_INPUT);
    EXPECT_NE(std::string(error.what()).find("\"-1\""), std::string::npos);
}

TEST_F(SkopeoBackendTest, DebugLogNamesAuthFormOnly) {
    make_backend().copy(request_);

    bool named_form = false;
    for (const std::string& line : host_.logs) {
        EXPECT_EQ(line.find(kPassword), std::string::npos) << line;
        EXPECT_EQ(line.find(kBasicAuth), std::string::npos) << line;
        named_form = named_form || line.find("username and password from input") != std::string::npos;
    }
    EXPECT_TRUE(named_form);
}

TEST_F(SkopeoBackendTest, ResolveDigestHashesRawManifest) {
    SkopeoBackend backend = make_backend();

    const std::string digest = backend.resolve_digest(request_.source, settings_with_fake());

    EXPECT_EQ(digest, sha256_digest(kIndex));
    EXPECT_EQ(tmpdir_.entries(), std::vector<std::string>{});
}

TEST_F(SkopeoBackendTest, ResolveDigestOfMissingImageFails) {
    SkopeoBackend backend = make_backend();

    try {
        backend.resolve_digest(request_.destination, settings_with_fake());
        ADD_FAILURE() << "resolve_digest succeeded for a missing image";
    } catch (const sdk::Error& error) {
        EXPECT_EQ(error.status(), FERRY_ERROR);
        EXPECT_NE(std::string(error.what()).find("manifest unknown"), std::string::npos);
    }
}

} // namespace
} // namespace ferry::skopeo
