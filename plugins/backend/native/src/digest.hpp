// Content digests ("sha256:<hex>") and streaming hashing through OpenSSL EVP.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace ferry::native {

struct ParsedDigest {
    std::string algorithm; // "sha256" or "sha512"
    std::string hex;       // lowercase
};

// Accepts "sha256:" + 64 or "sha512:" + 128 lowercase hex digits, the algorithms the OCI image
// spec registers; std::nullopt otherwise.
std::optional<ParsedDigest> parse_digest(std::string_view digest);

// Incremental hash of one blob. Not thread-safe. A copy carries the state so far, so a stream
// can return to the point where the copy was taken.
class DigestHasher {
public:
    // algorithm: "sha256" or "sha512". Throws std::invalid_argument for anything else.
    explicit DigestHasher(std::string_view algorithm = "sha256");
    ~DigestHasher();
    DigestHasher(const DigestHasher& other);
    DigestHasher& operator=(const DigestHasher& other);

    void update(const void* data, std::size_t size);

    // Returns "<algorithm>:<hex>" and resets the hasher for a new input.
    std::string finish();

private:
    std::string algorithm_;
    EVP_MD_CTX* context_;
};

// Returns "<algorithm>:<hex>" of bytes.
std::string compute_digest(std::string_view bytes, std::string_view algorithm = "sha256");

} // namespace ferry::native
