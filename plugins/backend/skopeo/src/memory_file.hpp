// An anonymous in-memory file (memfd) through which a child process reads a secret.
//
// The content never reaches a file system, so nothing is left behind when ferry is killed: the
// kernel frees the memory once the last descriptor closes. A child that inherits the descriptor
// opens it as /dev/fd/N. Each such open on Linux creates a new open file description that starts
// at offset 0, so the child may read the file several times, which a pipe would not allow.
#pragma once

#include "file_descriptor.hpp"

#include <string>
#include <string_view>

namespace ferry::skopeo {

class MemoryFile {
public:
    // Creates a memfd with MFD_CLOEXEC, numbered 3 or higher, mode 0600, holding content. The
    // content is sealed against writes, shrinking and growing. name appears only in
    // /proc/PID/fd links, never as a path. Throws ferry::sdk::Error when the kernel refuses.
    static MemoryFile create(std::string_view name, std::string_view content);

    int fd() const noexcept { return file_.get(); }

    // Returns "/dev/fd/N": the path under which a child that keeps descriptor N opens the file.
    std::string child_path() const;

private:
    explicit MemoryFile(int fd) noexcept : file_(fd) {}

    FileDescriptor file_;
};

} // namespace ferry::skopeo
