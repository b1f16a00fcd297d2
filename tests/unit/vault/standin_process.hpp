// Runs tests/e2e/vault_standin.py as a child process for the vault unit tests.
#pragma once

#include <ferry/plugin.h>
#include <ferry/sdk.hpp>
#include <nlohmann/json.hpp>

#include <mutex>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ferry::vault::testing {

// The stand-in Vault server, configured with config (see vault_standin.py), on a free
// 127.0.0.1 port. Stopped by SIGTERM when destroyed.
class StandinProcess {
public:
    explicit StandinProcess(const nlohmann::json& config);
    ~StandinProcess();
    StandinProcess(const StandinProcess&) = delete;
    StandinProcess& operator=(const StandinProcess&) = delete;

    int port() const { return port_; }
    std::string url() const;

private:
    std::string directory_;
    pid_t pid_ = -1;
    int port_ = 0;
    bool tls_ = false;
};

// A ferry_host_api whose log and set_error calls are recorded.
class RecordingHost {
public:
    RecordingHost();
    RecordingHost(const RecordingHost&) = delete;
    RecordingHost& operator=(const RecordingHost&) = delete;

    sdk::Host host() const { return sdk::Host(&api_); }
    std::string log_text() const;

private:
    static void log(void* context, int32_t level, const char* message);
    static void set_error(void* context, const char* message);

    ferry_host_api api_{};
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

// A temporary directory removed with its contents when destroyed.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    // Writes a file inside the directory and returns its path.
    std::string write(const std::string& name, const std::string& content) const;

private:
    std::string path_;
};

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int unused_port();

} // namespace ferry::vault::testing
