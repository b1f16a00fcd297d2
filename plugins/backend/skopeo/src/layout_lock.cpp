#include "layout_lock.hpp"

#include <ferry/sdk.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <thread>

namespace ferry::skopeo {

namespace {

std::string errno_text(int error) { return std::generic_category().message(error); }

} // namespace

LayoutLock LayoutLock::acquire(const std::string& directory, const std::function<bool()>& should_stop,
                               std::chrono::milliseconds poll_interval) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error) {
        throw sdk::Error(FERRY_ERROR, "cannot create the layout directory \"" + directory + "\": " +
                                          error.message() + "; check the path and its permissions");
    }

    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        throw sdk::Error(FERRY_ERROR, "cannot open the layout directory \"" + directory +
                                          "\" to lock index.json: " + errno_text(errno));
    }
    LayoutLock lock(fd);

    // Non-blocking attempts, so that a cancellation or deadline ends the wait for a long copy.
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            throw sdk::Error(FERRY_ERROR, "cannot lock the layout directory \"" + directory +
                                              "\": " + errno_text(errno));
        }
        if (should_stop && should_stop()) {
            throw sdk::Error(FERRY_ERROR_CANCELLED,
                             "stopped while waiting for another copy into \"" + directory + "\" to finish");
        }
        std::this_thread::sleep_for(poll_interval);
    }
    return lock;
}


} // namespace ferry::skopeo
