// One `ferry copy`: from validated options to a copied image, through the credential chain
// and the selected backends.
//
// Order of work, so that bad input fails before any network traffic: parse both references,
// check the backend and credential source names, resolve credentials per side, then (only
// when the source has a tag and a digest) check that the tag resolves to the digest, then try
// the backends in order. The next backend runs only when the previous one returned
// FERRY_ERROR_UNSUPPORTED, an error that another backend could avoid.
#pragma once

#include <ferry/core/plugin_host.hpp>
#include <ferry/core/plugin_instance.hpp>
#include <ferry/core/reference.hpp>

#include <map>
#include <string>
#include <vector>

namespace ferry::core {

struct SideOptions {
    std::string reference;
    bool tls_verify = true;
    std::string cert_dir;
    std::vector<std::string> creds_from;
};

struct CopyOptions {
    SideOptions source;
    SideOptions destination;
    std::vector<std::string> backends;
    std::string platform;                            // empty: all platforms
    SettingMap copy_settings;                        // retry-times, jobs, ... for the backend
    std::map<std::string, SettingMap> plugin_settings; // per plugin name, from --plugin-option
};

struct CopyReport {
    std::string source;
    std::string destination;
    std::string digest;
    std::string source_digest;
    std::string backend;
    std::vector<std::string> platforms;
    uint64_t bytes = 0;
    double seconds = 0;
    bool up_to_date = false;
    std::string source_credentials;      // name of the credential source, "" for anonymous
    std::string destination_credentials;
};

// Throws UsageError (exit 2) for invalid input and CopyError or PluginError (exit 1) when the
// copy fails.
CopyReport run_copy(const PluginHost& host, const CopyOptions& options);

// Returns "os/arch" or "os/arch/variant" in lowercase, with the architecture names of `uname -m`
// (x86_64, aarch64, i686) replaced by the OCI ones (amd64, arm64, 386). Throws UsageError for
// anything else.
std::string normalize_platform(const std::string& text);

} // namespace ferry::core
