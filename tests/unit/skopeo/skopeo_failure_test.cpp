#include "skopeo_failure.hpp"

#include <gtest/gtest.h>

#include <ostream>

namespace ferry::skopeo {
namespace {

TEST(FailureReason, ExtractsFatalMessage) {
    const std::string stderr_text =
        "time=\"2024-01-01T00:00:00Z\" level=debug msg=\"Loading registries configuration\"\n"
        "time=\"2024-01-01T00:00:00Z\" level=warning msg=\"Failed, retrying in 1s\"\n"
        "time=\"2024-01-01T00:00:00Z\" level=fatal msg=\"initializing source "
        "docker://127.0.0.1:5000/a:v1: reading manifest v1 in 127.0.0.1:5000/a: manifest unknown\"\n";

    EXPECT_EQ(failure_reason(stderr_text),
              "initializing source docker://127.0.0.1:5000/a:v1: reading manifest v1 in "
              "127.0.0.1:5000/a: manifest unknown");
}

TEST(FailureReason, UnquotesEscapedQuotes) {
    EXPECT_EQ(failure_reason("time=\"t\" level=fatal msg=\"Error parsing image name "
                             "\\\"docker://x\\\": invalid reference\"\n"),
              "Error parsing image name \"docker://x\": invalid reference");
}

TEST(FailureReason, TerminalFormat) {
    EXPECT_EQ(failure_reason("Getting image source signatures\n"
                             "FATA[0003] Error writing blob: unexpected EOF\n"),
              "Error writing blob: unexpected EOF");
}

TEST(FailureReason, FallsBackToLastThreeLines) {
    EXPECT_EQ(failure_reason("one\ntwo\n\nthree\nfour\n"), "two; three; four");
}

TEST(FailureReason, SkipsDebugLinesInFallback) {
    EXPECT_EQ(failure_reason("time=\"t\" level=debug msg=\"noise\"\npanic: boom\n"), "panic: boom");
}

TEST(FailureReason, KeepsEndOfLongReason) {
    const std::string reason = failure_reason(std::string(5000, 'x') + " the cause\n");
    EXPECT_LE(reason.size(), 1503u);
    EXPECT_EQ(reason.substr(0, 3), "...");
    EXPECT_EQ(reason.substr(reason.size() - 9), "the cause");
}

struct Classification {
    const char* reason;
    ferry_status status;
};

// Shows the reason, not the bytes of the struct, in test names and failure messages.
void PrintTo(const Classification& classification, std::ostream* out) {
    *out << '"' << classification.reason << '"';
}

class ClassifyFailure : public ::testing::TestWithParam<Classification> {};

TEST_P(ClassifyFailure, StatusMatches) {
    EXPECT_EQ(classify_failure(GetParam().reason), GetParam().status) << GetParam().reason;
}

INSTANTIATE_TEST_SUITE_P(
    Reasons, ClassifyFailure,
    ::testing::Values(
        Classification{"pinging container registry 127.0.0.1:5000: Get \"https://127.0.0.1:5000/v2/\": "
                       "dial tcp 127.0.0.1:5000: connect: connection refused",
                       FERRY_ERROR_TRANSIENT},
        Classification{"read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer",
                       FERRY_ERROR_TRANSIENT},
        Classification{"net/http: TLS handshake timeout", FERRY_ERROR_TRANSIENT},
        Classification{"dial tcp: i/o timeout", FERRY_ERROR_TRANSIENT},
        Classification{"writing blob: Patch \"https://r/v2/a/blobs/uploads/x\": EOF",
                       FERRY_ERROR_TRANSIENT},
        Classification{"reading blob sha256:ab: unexpected EOF", FERRY_ERROR_TRANSIENT},
        Classification{"received unexpected HTTP status: 503 Service Unavailable",
                       FERRY_ERROR_TRANSIENT},
        Classification{"fetching blob: StatusCode: 502, <html>", FERRY_ERROR_TRANSIENT},
        Classification{"toomanyrequests: rate limit exceeded", FERRY_ERROR_TRANSIENT},
        Classification{"reading manifest v1 in 127.0.0.1:5000/a: unauthorized: authentication "
                       "required",
                       FERRY_ERROR},
        Classification{"requested access to the resource is denied", FERRY_ERROR},
        Classification{"reading manifest v2 in r/a: manifest unknown: manifest unknown",
                       FERRY_ERROR},
        Classification{"x509: certificate signed by unknown authority", FERRY_ERROR},
        Classification{"http: server gave HTTP response to HTTPS client", FERRY_ERROR},
        Classification{"invalid reference format", FERRY_ERROR},
        Classification{"copying layer sha256:5030401123 failed", FERRY_ERROR},
        Classification{"manifest unknown after connection reset", FERRY_ERROR}));

TEST(IsNotFound, RecognisesMissingImages) {
    EXPECT_TRUE(is_not_found("reading manifest v1 in r/a: manifest unknown: manifest unknown"));
    EXPECT_TRUE(is_not_found("reading manifest v1 in r/a: name unknown: repository name not known "
                             "to registry"));
    EXPECT_TRUE(is_not_found("open /srv/layout/index.json: no such file or directory"));
    EXPECT_TRUE(is_not_found("choosing image instance: no descriptor found for reference \"v2\""));
    EXPECT_FALSE(is_not_found("unauthorized: authentication required"));
    EXPECT_FALSE(is_not_found("connection refused"));
}

TEST(Redact, ReplacesEverySecret) {
    const std::vector<sdk::Secret> secrets = {sdk::Secret("pw"), sdk::Secret("dXNlcjpwdw==")};

    EXPECT_EQ(redact("user pw failed with dXNlcjpwdw== and pw again", secrets),
              "user *** failed with *** and *** again");
}

TEST(Redact, LongestSecretFirst) {
    const std::vector<sdk::Secret> secrets = {sdk::Secret("ab"), sdk::Secret("xxabxx")};

    EXPECT_EQ(redact("1 xxabxx 2 ab", secrets), "1 *** 2 ***");
}

TEST(Redact, EmptySecretChangesNothing) {
    EXPECT_EQ(redact("text", {sdk::Secret()}), "text");
}

TEST(FailureError, NamesStepAndExitStatus) {
    ProcessResult result;
    result.exit_code = 1;
    result.err = "time=\"t\" level=fatal msg=\"unauthorized: bad password hunter2\"\n";

    const sdk::Error error =
        failure_error("inspecting source docker://r/a:v1", result, {sdk::Secret("hunter2")});

    EXPECT_EQ(error.status(), FERRY_ERROR);
    EXPECT_STREQ(error.what(), "inspecting source docker://r/a:v1: skopeo exited with status 1: "
                               "unauthorized: bad password ***");
}

TEST(FailureError, SignalIsNamed) {
    ProcessResult result;
    result.signal = 9;

    const sdk::Error error = failure_error("copying a to b", result, {});

    EXPECT_EQ(error.status(), FERRY_ERROR);
    EXPECT_NE(std::string(error.what()).find("killed by signal 9"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("wrote no error message"), std::string::npos);
}

} // namespace
} // namespace ferry::skopeo
