#include "test_support.hpp"

#include <cstdlib>
#include <dlfcn.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace ferry::core::test {

ScratchDirectory::ScratchDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ferry-core-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("cannot create a scratch directory from " + pattern);
    }
    path_ = pattern;
}

ScratchDirectory::~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path built_test_plugin(const std::string& name) {
    return std::filesystem::path(FERRY_TEST_PLUGIN_DIR) / ("ferry-test-" + name + ".so");
}

std::filesystem::path install_test_plugin(const std::string& name, const std::filesystem::path& directory,
                                          std::filesystem::perms mode, const std::string& file_name) {
    std::filesystem::path source = built_test_plugin(name);
    std::filesystem::path target =
        std::filesystem::absolute(directory / (file_name.empty() ? source.filename().string() : file_name));
    std::filesystem::create_directories(target.parent_path());
    std::filesystem::copy_file(source, target, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::permissions(target, mode, std::filesystem::perm_options::replace);
    return target;
}

bool is_loaded(const std::filesystem::path& file) {
    void* handle = ::dlopen(file.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (handle == nullptr) {
        return false;
    }
    // A successful RTLD_NOLOAD call still adds a reference, so release it.
    ::dlclose(handle);
    return true;
}

std::string read_text_file(const std::filesystem::path& file) {
    std::ifstream stream(file, std::ios::binary);
    std::ostringstream text;
    text << stream.rdbuf();
    return text.str();
}

StderrCapture::StderrCapture() {
    std::fflush(stderr);
    file_ = std::tmpfile();
    if (file_ == nullptr) {
        throw std::runtime_error("cannot create a temporary file to capture standard error");
    }
    saved_descriptor_ = ::dup(STDERR_FILENO);
    ::dup2(::fileno(file_), STDERR_FILENO);
}

StderrCapture::~StderrCapture() { finish(); }

std::string StderrCapture::finish() {
    if (file_ == nullptr) {
        return std::string();
    }
    std::fflush(stderr);
    ::dup2(saved_descriptor_, STDERR_FILENO);
    ::close(saved_descriptor_);

    std::string text;
    std::rewind(file_);
    char buffer[4096];
    std::size_t count = 0;
    while ((count = std::fread(buffer, 1, sizeof buffer, file_)) > 0) {
        text.append(buffer, count);
    }
    std::fclose(file_);
    file_ = nullptr;
    return text;
}

ScopedEnvironment::ScopedEnvironment(std::string name, const std::optional<std::string>& value)
    : name_(std::move(name)) {
    if (const char* previous = std::getenv(name_.c_str()); previous != nullptr) {
        previous_ = previous;
    }
    if (value) {
        ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
        ::unsetenv(name_.c_str());
    }
}

ScopedEnvironment::~ScopedEnvironment() {
    if (previous_) {
        ::setenv(name_.c_str(), previous_->c_str(), 1);
    } else {
        ::unsetenv(name_.c_str());
    }
}

ScopedWorkingDirectory::ScopedWorkingDirectory(const std::filesystem::path& directory)
    : previous_(std::filesystem::current_path()) {
    std::filesystem::current_path(directory);
}

ScopedWorkingDirectory::~ScopedWorkingDirectory() {
    std::error_code ignored;
    std::filesystem::current_path(previous_, ignored);
}

} // namespace ferry::core::test
