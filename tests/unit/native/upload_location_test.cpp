#include "upload_location.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ferry::native {
namespace {

constexpr const char* kDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(UploadLocation, AbsoluteLocationUsedAsIs) {
    EXPECT_EQ(resolve_upload_location("http://127.0.0.1:5000/v2/r/blobs/uploads/",
                                      "http://127.0.0.1:5000/v2/r/blobs/uploads/u1?_state=AbC%2B%3D%3D"),
              "http://127.0.0.1:5000/v2/r/blobs/uploads/u1?_state=AbC%2B%3D%3D");
}

TEST(UploadLocation, RelativeLocationResolvedAgainstRequest) {
    EXPECT_EQ(resolve_upload_location("https://reg:5000/v2/team/app/blobs/uploads/?mount=x&from=y",
                                      "/v2/team/app/blobs/uploads/u2?_state=s"),
              "https://reg:5000/v2/team/app/blobs/uploads/u2?_state=s");
}

TEST(UploadLocation, LocationRelativeToPatchUrl) {
    EXPECT_EQ(resolve_upload_location("https://reg/v2/r/blobs/uploads/u1?_state=a", "u1?_state=b"),
              "https://reg/v2/r/blobs/uploads/u1?_state=b");
}

TEST(UploadLocation, EmptyLocationThrows) {
    EXPECT_THROW(resolve_upload_location("https://reg/v2/r/blobs/uploads/", ""), std::invalid_argument);
}

TEST(UploadLocation, DigestAppendedWithQuestionMark) {
    EXPECT_EQ(with_digest_parameter("https://reg/v2/r/blobs/uploads/u1", kDigest),
              std::string("https://reg/v2/r/blobs/uploads/u1?digest=") + kDigest);
}

TEST(UploadLocation, DigestAppendedWithAmpersand) {
    EXPECT_EQ(with_digest_parameter("https://reg/v2/r/blobs/uploads/u1?_state=x%3D%3D&b=2", kDigest),
              std::string("https://reg/v2/r/blobs/uploads/u1?_state=x%3D%3D&b=2&digest=") + kDigest);
}

TEST(UploadLocation, ExistingParametersKeptByteForByte) {
    const std::string location = "https://s3.example/up?X-Amz-Signature=a%2Fb%2bc&z=%7E&empty=&flag";
    const auto result = with_digest_parameter(location, kDigest);
    EXPECT_EQ(result.substr(0, location.size()), location);
    EXPECT_EQ(result.substr(location.size()), std::string("&digest=") + kDigest);
}

TEST(UploadLocation, TrailingSeparatorNotDoubled) {
    EXPECT_EQ(with_digest_parameter("https://reg/u?", kDigest), std::string("https://reg/u?digest=") + kDigest);
    EXPECT_EQ(with_digest_parameter("https://reg/u?a=1&", kDigest),
              std::string("https://reg/u?a=1&digest=") + kDigest);
}

TEST(UploadLocation, FragmentStaysLast) {
    EXPECT_EQ(with_digest_parameter("https://reg/u?a=1#frag", kDigest),
              std::string("https://reg/u?a=1&digest=") + kDigest + "#frag");
}

TEST(ParseUploadRange, InclusiveEndGivesSize) {
    EXPECT_EQ(parse_upload_range("0-999"), 1000u);
    EXPECT_EQ(parse_upload_range("bytes=0-16777215"), 16777216u);
}

TEST(ParseUploadRange, EmptySessionReadsAsZero) {
    EXPECT_EQ(parse_upload_range("0-0"), 0u);
}

TEST(ParseUploadRange, MalformedRejected) {
    EXPECT_FALSE(parse_upload_range("").has_value());
    EXPECT_FALSE(parse_upload_range("0-").has_value());
    EXPECT_FALSE(parse_upload_range("5-10").has_value());
    EXPECT_FALSE(parse_upload_range("0-12x").has_value());
    EXPECT_FALSE(parse_upload_range("0--1").has_value());
}

} // namespace
} // namespace ferry::native
