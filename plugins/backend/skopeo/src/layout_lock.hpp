// An exclusive lock on an OCI image layout directory, held while skopeo writes into it.
//
// skopeo 1.9.3 reads index.json when it opens an oci: destination and writes it back, with its
// own tag added, when the copy ends. Two copies into one layout at the same time therefore each
// write back the index they read, and all tags but the last writer's are lost. The native
// backend takes flock(LOCK_EX) on the layout directory itself while it rewrites index.json. This
// is the same lock, so skopeo copies wait for each other and for native copies.
#pragma once

#include "file_descriptor.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace ferry::skopeo {

class LayoutLock {
public:
    // Creates the directory (and missing parents) when it does not exist yet, then waits for the
    // lock, polling should_stop every poll_interval. Throws ferry::sdk::Error:
    // FERRY_ERROR_CANCELLED when should_stop returns true before the lock is free, FERRY_ERROR
    // when the directory cannot be created, opened or locked.
    static LayoutLock acquire(const std::string& directory, const std::function<bool()>& should_stop,
                              std::chrono::milliseconds poll_interval = std::chrono::milliseconds(100));

private:
    explicit LayoutLock(int fd) noexcept : directory_(fd) {}

    // Closing the descriptor releases the lock.
    FileDescriptor directory_;
};

} // namespace ferry::skopeo
