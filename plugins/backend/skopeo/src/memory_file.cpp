#include "memory_file.hpp"

#include <ferry/sdk.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace ferry::skopeo {

namespace {

[[noreturn]] void fail(const std::string& action, int error) {
    throw sdk::Error(FERRY_ERROR, "cannot " + action + ": " + std::generic_category().message(error));
}

// Writes all of content at the current offset; returns 0 or an errno value.
int write_all(int fd, std::string_view content) {
    std::size_t written = 0;
    while (written < content.size()) {
        const ssize_t count = ::write(fd, content.data() + written, content.size() - written);
        if (count >= 0) {
            written += static_cast<std::size_t>(count);
        } else if (errno != EINTR) {
            return errno;
        }
    }
    return 0;
}

} // namespace

MemoryFile MemoryFile::create(std::string_view name, std::string_view content) {
    const std::string label(name);
    const int created = ::memfd_create(label.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (created < 0) {
        const int error = errno;
        const std::string hint = error == ENOSYS ? " (memfd_create needs Linux 3.17 or later)" : "";
        fail("create the in-memory file " + label + hint, error);
    }

    // Descriptors 0 to 2 become the child's stdin, stdout and stderr, so a memfd that took one of
    // those numbers (because the host closed it) moves up to 3 or above.
    int fd = created;
    if (fd <= STDERR_FILENO) {
        fd = ::fcntl(created, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        const int error = errno;
        ::close(created);
        if (fd < 0) {
            fail("move the in-memory file " + label + " above descriptor 2", error);
        }
    }
    MemoryFile file(fd);

    // A memfd starts with mode 0777 (seen on Linux 6.x), and 0600 keeps other users out even where
    // /proc would let them open it.
    if (::fchmod(fd, 0600) != 0) {
        fail("restrict the in-memory file " + label + " to mode 0600", errno);
    }
    if (const int error = write_all(fd, content); error != 0) {
        fail("write the in-memory file " + label, error);
    }
    if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        fail("seal the in-memory file " + label, errno);
    }
    return file;
}


std::string MemoryFile::child_path() const { return "/dev/fd/" + std::to_string(file_.get()); }

} // namespace ferry::skopeo
