// Helpers shared by the core tests: scratch directories, copies of the test plugins with a chosen
// mode, a check whether the dynamic loader has a file mapped, captured standard error, and scoped
// changes of the environment and the working directory.
#pragma once

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

namespace ferry::core::test {

// A fresh directory under the system temporary directory, removed with its contents on
// destruction.
class ScratchDirectory {
public:
    ScratchDirectory();
    ~ScratchDirectory();
    ScratchDirectory(const ScratchDirectory&) = delete;
    ScratchDirectory& operator=(const ScratchDirectory&) = delete;

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// The test plugin library as built, such as ferry-test-good-backend.so for "good-backend".
std::filesystem::path built_test_plugin(const std::string& name);

// Copies a built test plugin into directory, as file_name (default: the built file's name), sets
// its mode and returns the copy's absolute path. Each copy is a new file, so the loader treats it
// as a library of its own.
std::filesystem::path install_test_plugin(const std::string& name, const std::filesystem::path& directory,
                                          std::filesystem::perms mode = std::filesystem::perms(0755),
                                          const std::string& file_name = "");

// True while the dynamic loader has file mapped in this process (dlopen with RTLD_NOLOAD).
bool is_loaded(const std::filesystem::path& file);

std::string read_text_file(const std::filesystem::path& file);

// Sends everything written to file descriptor 2 into a temporary file until finish().
class StderrCapture {
public:
    StderrCapture();
    ~StderrCapture();
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;

    // Restores standard error and returns what was written while the capture ran.
    std::string finish();

private:
    int saved_descriptor_ = -1;
    std::FILE* file_ = nullptr;
};

// Sets (or, with std::nullopt, unsets) an environment variable and restores the previous state.
class ScopedEnvironment {
public:
    ScopedEnvironment(std::string name, const std::optional<std::string>& value);
    ~ScopedEnvironment();
    ScopedEnvironment(const ScopedEnvironment&) = delete;
    ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

private:
    std::string name_;
    std::optional<std::string> previous_;
};

// Changes the working directory and changes it back on destruction.
class ScopedWorkingDirectory {
public:
    explicit ScopedWorkingDirectory(const std::filesystem::path& directory);
    ~ScopedWorkingDirectory();
    ScopedWorkingDirectory(const ScopedWorkingDirectory&) = delete;
    ScopedWorkingDirectory& operator=(const ScopedWorkingDirectory&) = delete;

private:
    std::filesystem::path previous_;
};

} // namespace ferry::core::test
