// Helpers for the keyring tests: a host that records what the plugin logs, child processes,
// environment overrides, and a private D-Bus bus without a Secret Service.
#pragma once

#include <ferry/plugin.h>
#include <ferry/sdk.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ferry::keyring::testing {

// A ferry_host_api whose log and set_error calls are recorded.
class RecordingHost {
public:
    RecordingHost();
    RecordingHost(const RecordingHost&) = delete;
    RecordingHost& operator=(const RecordingHost&) = delete;

    sdk::Host host() const { return sdk::Host(&api_); }
    // Every message logged so far, one per line.
    std::string log_text() const;

private:
    static void log(void* context, int32_t level, const char* message);
    static void set_error(void* context, const char* message);
    static int32_t is_cancelled(void* context);

    ferry_host_api api_{};
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

// True when the test runs inside keyring-session.sh with a working keyring.
bool keyring_session_available();

// Runs argv with input on stdin and returns its exit status.
int run_with_input(const std::vector<std::string>& argv, const std::string& input);

// Sets or unsets one environment variable and restores it when destroyed.
class EnvOverride {
public:
    EnvOverride(std::string name, std::optional<std::string> value);
    ~EnvOverride();
    EnvOverride(const EnvOverride&) = delete;
    EnvOverride& operator=(const EnvOverride&) = delete;

private:
    std::string name_;
    std::optional<std::string> saved_;
};

// A dbus-daemon on a private socket with no activatable services, so no Secret Service.
class PrivateBus {
public:
    PrivateBus();
    ~PrivateBus();
    PrivateBus(const PrivateBus&) = delete;
    PrivateBus& operator=(const PrivateBus&) = delete;

    const std::string& address() const { return address_; }

private:
    std::string directory_;
    std::string address_;
    pid_t pid_ = -1;
};

// Locks the login collection of the Secret Service on the session bus, as a screen lock does.
void lock_login_collection();

// Stores an entry through the real docker-credential-secretservice helper.
void store_with_docker_helper(const std::string& server, const std::string& username,
                              const std::string& secret);

} // namespace ferry::keyring::testing
