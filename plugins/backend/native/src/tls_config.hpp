// TLS settings of one side of a copy, read from a containers-style certificate directory.
#pragma once

#include <string>

namespace ferry::native {

struct TlsConfig {
    bool verify = true;
    std::string extra_ca_pem;     // concatenated *.crt files, trusted next to the system CAs
    std::string client_cert_file; // *.cert
    std::string client_key_file;  // the *.key with the same stem

    // Reads cert_dir as containers/image does: every *.crt is a CA, every *.cert needs a *.key
    // of the same stem. An empty cert_dir gives the defaults. Throws ferry::sdk::Error
    // FERRY_ERROR_INVALID_INPUT naming the file when the directory or a pair is unusable.
    static TlsConfig load(bool verify, const std::string& cert_dir);
};

} // namespace ferry::native
