// Fixtures shared by the docker-config unit tests: temporary directories, files, environment
// overrides and a host that records what the plugin logs.
#pragma once

#include <ferry/sdk.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ferry::docker_config::testing {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR (or /tmp), removed with its content when destroyed.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/ferry-dockercfg.XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }

    const fs::path& path() const noexcept { return path_; }
    std::string str(const std::string& relative = "") const {
        return relative.empty() ? path_.string() : (path_ / relative).string();
    }

private:
    fs::path path_;
};

// Writes content to path, creating parent directories; mode applies to the file.
inline void write_file(const fs::path& path, const std::string& content, fs::perms mode = fs::perms(0600)) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    fs::permissions(path, mode);
}

inline std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Writes an executable shell script. The plugin runs it directly, so it needs its #! line.
inline void write_script(const fs::path& path, const std::string& body) {
    write_file(path, "#!/bin/sh\n" + body, fs::perms(0700));
}

// Sets (or, with std::nullopt, unsets) an environment variable until destroyed.
class EnvironmentOverride {
public:
    EnvironmentOverride(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
        if (const char* old = std::getenv(name_.c_str())) {
            previous_ = std::string(old);
        }
        if (value) {
            ::setenv(name_.c_str(), value->c_str(), 1);
        } else {
            ::unsetenv(name_.c_str());
        }
    }
    EnvironmentOverride(const EnvironmentOverride&) = delete;
    EnvironmentOverride& operator=(const EnvironmentOverride&) = delete;
    ~EnvironmentOverride() {
        if (previous_) {
            ::setenv(name_.c_str(), previous_->c_str(), 1);
        } else {
            ::unsetenv(name_.c_str());
        }
    }

private:
    std::string name_;
    std::optional<std::string> previous_;
};

// A ferry_host_api that records log lines and the last error, with a cancellation switch.
class RecordingHost {
public:
    struct LogLine {
        int level;
        std::string message;
    };

    RecordingHost() {
        api_.struct_size = sizeof(api_);
        api_.context = this;
        api_.log = [](void* context, int32_t level, const char* message) {
            static_cast<RecordingHost*>(context)->logs.push_back({level, message});
        };
        api_.set_error = [](void* context, const char* message) {
            static_cast<RecordingHost*>(context)->last_error = message;
        };
        api_.is_cancelled = [](void* context) -> int32_t {
            return static_cast<RecordingHost*>(context)->cancelled ? 1 : 0;
        };
        api_.progress = nullptr;
    }
    RecordingHost(const RecordingHost&) = delete;
    RecordingHost& operator=(const RecordingHost&) = delete;

    sdk::Host host() const { return sdk::Host(&api_); }
    const ferry_host_api* api() const { return &api_; }

    std::vector<std::string> messages(int level) const {
        std::vector<std::string> selected;
        for (const auto& line : logs) {
            if (line.level == level) {
                selected.push_back(line.message);
            }
        }
        return selected;
    }

    // Every logged line and the last error, joined, for "the secret never appears" checks.
    std::string everything() const {
        std::string text = last_error;
        for (const auto& line : logs) {
            text += "\n" + line.message;
        }
        return text;
    }

    std::vector<LogLine> logs;
    std::string last_error;
    bool cancelled = false;

private:
    ferry_host_api api_{};
};

inline std::string encode_base64(const std::string& data) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string encoded;
    std::size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        const unsigned group = (static_cast<unsigned char>(data[i]) << 16) |
                               (static_cast<unsigned char>(data[i + 1]) << 8) | static_cast<unsigned char>(data[i + 2]);
        encoded += alphabet[(group >> 18) & 63];
        encoded += alphabet[(group >> 12) & 63];
        encoded += alphabet[(group >> 6) & 63];
        encoded += alphabet[group & 63];
    }
    if (data.size() - i == 1) {
        const unsigned group = static_cast<unsigned char>(data[i]) << 16;
        encoded += alphabet[(group >> 18) & 63];
        encoded += alphabet[(group >> 12) & 63];
        encoded += "==";
    } else if (data.size() - i == 2) {
        const unsigned group = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8);
        encoded += alphabet[(group >> 18) & 63];
        encoded += alphabet[(group >> 12) & 63];
        encoded += alphabet[(group >> 6) & 63];
        encoded += '=';
    }
    return encoded;
}

// An auths entry {"auth": base64(user:password)}.
inline std::string auth_entry(const std::string& user, const std::string& password) {
    return R"({"auth": ")" + encode_base64(user + ":" + password) + R"("})";
}

// Polls condition until it is true or the deadline passes, and returns its last value.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds deadline = std::chrono::milliseconds(5000)) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
}

// True when no process with this pid exists, or only its zombie entry waiting for a reaper.
inline bool process_is_gone(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) {
        return true;
    }
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const std::size_t paren = content.rfind(')');
    return paren != std::string::npos && paren + 2 < content.size() && content[paren + 2] == 'Z';
}

} // namespace ferry::docker_config::testing
