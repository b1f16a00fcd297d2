#include "tls_config.hpp"

#include <ferry/sdk.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace ferry::native {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void invalid(const std::string& message) {
    throw ferry::sdk::Error(FERRY_ERROR_INVALID_INPUT, message);
}

std::string read_file(const fs::path& path) {
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
        invalid("cannot read certificate file " + path.string());
    }
    std::ostringstream content;
    content << stream.rdbuf();
    return content.str();
}

} // namespace

TlsConfig TlsConfig::load(bool verify, const std::string& cert_dir) {
    TlsConfig config;
    config.verify = verify;
    if (cert_dir.empty()) {
        return config;
    }

    std::error_code error;
    std::vector<fs::path> entries;
    for (const auto& entry : fs::directory_iterator(cert_dir, error)) {
        entries.push_back(entry.path());
    }
    if (error) {
        invalid("cannot read the certificate directory " + cert_dir + ": " + error.message());
    }
    std::sort(entries.begin(), entries.end());

    for (const auto& path : entries) {
        const auto extension = path.extension().string();
        if (extension == ".crt") {
            config.extra_ca_pem += read_file(path);
            config.extra_ca_pem += '\n';
        } else if (extension == ".cert") {
            auto key = path;
            key.replace_extension(".key");
            if (!fs::exists(key)) {
                invalid("client certificate " + path.string() + " has no matching key " + key.string());
            }
            if (!config.client_cert_file.empty()) {
                invalid("the certificate directory " + cert_dir +
                        " holds more than one client certificate (*.cert); keep one");
            }
            config.client_cert_file = path.string();
            config.client_key_file = key.string();
        } else if (extension == ".key") {
            auto cert = path;
            cert.replace_extension(".cert");
            if (!fs::exists(cert)) {
                invalid("client key " + path.string() + " has no matching certificate " + cert.string());
            }
        }
    }
    return config;
}

} // namespace ferry::native
