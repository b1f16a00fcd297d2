#include "private_directory.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

namespace ferry::skopeo {

namespace {

std::string errno_text(int error) { return std::generic_category().message(error); }

std::string temporary_base() {
    const char* tmpdir = std::getenv("TMPDIR");
    if (tmpdir != nullptr && tmpdir[0] != '\0') {
        return tmpdir;
    }
    return "/tmp";
}

} // namespace

PrivateDirectory PrivateDirectory::create(const std::string& base) {
    const std::string parent = base.empty() ? temporary_base() : base;

    std::string pattern = parent + "/ferry-skopeo-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) {
        const int error = errno;
        throw sdk::Error(FERRY_ERROR, "cannot create a private temporary directory in \"" +
                                          parent + "\": " + errno_text(error) +
                                          "; set TMPDIR to a writable directory");
    }
    return PrivateDirectory(std::string(buffer.data()));
}

PrivateDirectory::PrivateDirectory(PrivateDirectory&& other) noexcept
    : path_(std::move(other.path_)) {
    other.path_.clear();
}

PrivateDirectory& PrivateDirectory::operator=(PrivateDirectory&& other) noexcept {
    if (this != &other) {
        remove();
        path_ = std::move(other.path_);
        other.path_.clear();
    }
    return *this;
}

PrivateDirectory::~PrivateDirectory() { remove(); }

std::string PrivateDirectory::file(std::string_view name) const {
    return path_ + "/" + std::string(name);
}

std::string PrivateDirectory::write_file(std::string_view name, std::string_view content) const {
    const std::string path = file(name);

    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        const int error = errno;
        throw sdk::Error(FERRY_ERROR, "cannot create \"" + path + "\": " + errno_text(error));
    }

    // fchmod because the umask may have cleared bits of 0600; it can only have removed some.
    int error = ::fchmod(fd, 0600) == 0 ? 0 : errno;
    std::size_t written = 0;
    while (error == 0 && written < content.size()) {
        const ssize_t count = ::write(fd, content.data() + written, content.size() - written);
        if (count >= 0) {
            written += static_cast<std::size_t>(count);
        } else if (errno != EINTR) {
            error = errno;
        }
    }
    if (::close(fd) != 0 && error == 0) {
        error = errno;
    }

    if (error != 0) {
        ::unlink(path.c_str());
        throw sdk::Error(FERRY_ERROR, "cannot write \"" + path + "\": " + errno_text(error));
    }
    return path;
}

std::string PrivateDirectory::make_directory(std::string_view name) const {
    const std::string path = file(name);

    std::string partial = path_;
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t end = name.find('/', start);
        if (end == std::string_view::npos) {
            end = name.size();
        }
        partial += "/" + std::string(name.substr(start, end - start));
        start = end + 1;

        if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
            const int error = errno;
            throw sdk::Error(FERRY_ERROR, "cannot create \"" + partial + "\": " + errno_text(error));
        }
    }
    return path;
}

bool PrivateDirectory::remove() noexcept {
    if (path_.empty()) {
        return true;
    }
    std::error_code error;
    std::filesystem::remove_all(path_, error);
    if (error) {
        return false;
    }
    path_.clear();
    return true;
}

} // namespace ferry::skopeo
