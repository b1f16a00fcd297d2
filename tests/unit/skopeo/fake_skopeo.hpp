// A fake skopeo for backend tests: a bash script that records every call and responds as the test
// configures it through files in its directory.
#pragma once

#include <ferry/plugin.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

namespace ferry::skopeo::testing {

// Creates a fresh directory under the system temporary directory; removed by the destructor.
class ScratchDirectory {
public:
    explicit ScratchDirectory(const std::string& prefix);
    ScratchDirectory(const ScratchDirectory&) = delete;
    ScratchDirectory& operator=(const ScratchDirectory&) = delete;
    ~ScratchDirectory();

    const std::filesystem::path& path() const noexcept { return path_; }
    std::vector<std::string> entries() const; // names directly inside, sorted

private:
    std::filesystem::path path_;
};

std::string read_text(const std::filesystem::path& path);
void write_text(const std::filesystem::path& path, const std::string& content);

// One recorded call of the fake skopeo.
struct FakeCall {
    std::vector<std::string> argv;        // without argv[0]
    std::vector<std::string> environment; // "NAME=value"
    // For each --authfile/--src-authfile/--dest-authfile: the file's mode ("600") and content,
    // captured while skopeo ran.
    std::vector<std::string> auth_modes;
    std::vector<std::string> auth_contents;

    bool has(const std::string& argument) const;
    std::string subcommand() const; // "copy", "inspect" or "--version"
};

class FakeSkopeo {
public:
    FakeSkopeo();

    std::string path() const { return (directory_.path() / "skopeo").string(); }

    // `--version` prints "skopeo version <version>".
    void set_version(const std::string& version);
    // `inspect --raw IMAGE` prints manifest; images without one fail with "manifest unknown".
    void set_manifest(const std::string& image, const std::string& manifest);
    // `inspect --raw --config IMAGE` prints config.
    void set_config(const std::string& image, const std::string& config);
    // `copy` writes digest to its --digestfile.
    void set_copy_digest(const std::string& digest);
    // `copy` writes stderr and exits with status.
    void fail_copy(const std::string& stderr_text, int status);
    // `copy` starts a grandchild `sleep`, records both pids, then waits forever.
    void block_copy();

    bool copy_started() const;
    std::vector<int> copy_pids() const; // the fake skopeo and its sleeping child
    std::vector<FakeCall> calls() const;
    const std::filesystem::path& directory() const noexcept { return directory_.path(); }

private:
    ScratchDirectory directory_;
};

// A ferry_host_api whose cancellation flag the test controls and whose logs it keeps.
struct TestHost {
    TestHost();

    ferry_host_api api{};
    std::vector<std::string> logs;
    std::atomic<bool> cancelled{false};
    // When set, is_cancelled also returns true once this file exists.
    std::filesystem::path cancel_when_exists;
};

// Returns true when no process with pid exists any more (zombies count as gone).
bool process_gone(int pid);

} // namespace ferry::skopeo::testing
