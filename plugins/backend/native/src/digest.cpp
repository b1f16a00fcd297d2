#include "digest.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace ferry::native {
namespace {

const EVP_MD* digest_method(std::string_view algorithm) {
    if (algorithm == "sha256") {
        return EVP_sha256();
    }
    if (algorithm == "sha512") {
        return EVP_sha512();
    }
    return nullptr;
}

bool is_lower_hex(std::string_view text) {
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

} // namespace

std::optional<ParsedDigest> parse_digest(std::string_view digest) {
    const auto colon = digest.find(':');
    if (colon == std::string_view::npos) {
        return std::nullopt;
    }

    const auto algorithm = digest.substr(0, colon);
    const auto hex = digest.substr(colon + 1);
    std::size_t expected_length = 0;
    if (algorithm == "sha256") {
        expected_length = 64;
    } else if (algorithm == "sha512") {
        expected_length = 128;
    }
    if (expected_length == 0 || hex.size() != expected_length || !is_lower_hex(hex)) {
        return std::nullopt;
    }
    return ParsedDigest{std::string(algorithm), std::string(hex)};
}

DigestHasher::DigestHasher(std::string_view algorithm)
    : algorithm_(algorithm), context_(EVP_MD_CTX_new()) {
    const EVP_MD* method = digest_method(algorithm);
    if (method == nullptr) {
        EVP_MD_CTX_free(context_);
        throw std::invalid_argument("unsupported digest algorithm \"" + std::string(algorithm) +
                                    "\" (expected sha256 or sha512)");
    }
    if (context_ == nullptr || EVP_DigestInit_ex(context_, method, nullptr) != 1) {
        EVP_MD_CTX_free(context_);
        throw std::runtime_error("OpenSSL could not start a " + algorithm_ + " hash");
    }
}

DigestHasher::~DigestHasher() { EVP_MD_CTX_free(context_); }

DigestHasher::DigestHasher(const DigestHasher& other)
    : algorithm_(other.algorithm_), context_(EVP_MD_CTX_new()) {
    if (context_ == nullptr || EVP_MD_CTX_copy_ex(context_, other.context_) != 1) {
        EVP_MD_CTX_free(context_);
        throw std::runtime_error("OpenSSL could not copy a " + algorithm_ + " hash");
    }
}

DigestHasher& DigestHasher::operator=(const DigestHasher& other) {
    if (this != &other) {
        if (EVP_MD_CTX_copy_ex(context_, other.context_) != 1) {
            throw std::runtime_error("OpenSSL could not copy a " + other.algorithm_ + " hash");
        }
        algorithm_ = other.algorithm_;
    }
    return *this;
}

void DigestHasher::update(const void* data, std::size_t size) {
    if (size > 0 && EVP_DigestUpdate(context_, data, size) != 1) {
        throw std::runtime_error("OpenSSL failed to update a " + algorithm_ + " hash");
    }
}

std::string DigestHasher::finish() {
    unsigned char value[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context_, value, &length) != 1 ||
        EVP_DigestInit_ex(context_, digest_method(algorithm_), nullptr) != 1) {
        throw std::runtime_error("OpenSSL failed to finish a " + algorithm_ + " hash");
    }

    static constexpr char kHex[] = "0123456789abcdef";
    std::string digest = algorithm_ + ":";
    for (unsigned int i = 0; i < length; ++i) {
        digest += kHex[value[i] >> 4];
        digest += kHex[value[i] & 0x0f];
    }
    return digest;
}

std::string compute_digest(std::string_view bytes, std::string_view algorithm) {
    DigestHasher hasher(algorithm);
    hasher.update(bytes.data(), bytes.size());
    return hasher.finish();
}

} // namespace ferry::native
