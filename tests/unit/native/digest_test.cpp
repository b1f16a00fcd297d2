#include "digest.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ferry::native {
namespace {

TEST(Digest, Sha256OfKnownInput) {
    EXPECT_EQ(compute_digest(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(compute_digest("{}"), "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

TEST(Digest, IncrementalEqualsWhole) {
    DigestHasher hasher;
    hasher.update("hello ", 6);
    hasher.update("world", 5);
    EXPECT_EQ(hasher.finish(), compute_digest("hello world"));
    // finish() resets the hasher.
    hasher.update("{}", 2);
    EXPECT_EQ(hasher.finish(), compute_digest("{}"));
}

TEST(Digest, Sha512) {
    EXPECT_EQ(compute_digest("", "sha512").substr(0, 20), "sha512:cf83e1357eefb");
    EXPECT_EQ(compute_digest("", "sha512").size(), 7u + 128u);
}

TEST(Digest, CopyContinuesFromSnapshot) {
    DigestHasher hasher;
    hasher.update("hello ", 6);
    DigestHasher snapshot = hasher;
    hasher.update("there", 5);

    snapshot.update("world", 5);
    EXPECT_EQ(snapshot.finish(), compute_digest("hello world"));
    EXPECT_EQ(hasher.finish(), compute_digest("hello there"));
}

TEST(Digest, UnknownAlgorithmThrows) { EXPECT_THROW(DigestHasher("md5"), std::invalid_argument); }

TEST(ParseDigest, AcceptsValid) {
    const auto parsed = parse_digest("sha256:" + std::string(64, 'f'));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->algorithm, "sha256");
    EXPECT_EQ(parsed->hex, std::string(64, 'f'));
    EXPECT_TRUE(parse_digest("sha512:" + std::string(128, '0')).has_value());
}

TEST(ParseDigest, RejectsInvalid) {
    for (const std::string& text : std::vector<std::string>{"", "sha256", "sha256:", "sha256:" + std::string(63, 'a'),
                                   "sha256:" + std::string(65, 'a'), "sha256:" + std::string(64, 'G'),
                                   "SHA256:" + std::string(64, 'a'), "sha512:" + std::string(64, 'a'),
                                   "sha256:" + std::string(63, 'a') + "/"}) {
        EXPECT_FALSE(parse_digest(text).has_value()) << text;
    }
}

} // namespace
} // namespace ferry::native
