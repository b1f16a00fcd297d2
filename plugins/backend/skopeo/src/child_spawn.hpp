// Starting a child process with fork and execve, set up so that it cannot outlive ferry.
//
// posix_spawn cannot set PR_SET_PDEATHSIG, so the child is set up by hand between fork and
// execve. Only async-signal-safe calls run there, because ferry's other threads may hold locks
// (malloc's among them) at the moment of the fork, and the child's copies of them never unlock.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ferry::skopeo {

struct SpawnOptions {
    std::vector<std::string> argv;        // argv[0] is the absolute path of the executable
    std::vector<std::string> environment; // "NAME=value" entries; the complete environment
    int stdout_fd = -1;                   // becomes the child's stdout; must be 3 or higher
    int stderr_fd = -1;                   // becomes the child's stderr; must be 3 or higher
    // Descriptors the child keeps under the same numbers (for example a memfd that it opens as
    // /dev/fd/N), with FD_CLOEXEC cleared in the child only. Each must be 3 or higher.
    std::vector<int> inherited_fds;
};

// Starts the child and returns once it has called execve, or failed to. Returns 0 and sets pid,
// or returns the errno of the failed step: EINVAL for an empty argv, EBADF for a descriptor
// below 3, or the errno of pipe2, fork, setpgid, prctl, dup2 or execve. A child that failed after
// the fork has already been reaped.
//
// The child runs in a new process group, with stdin from /dev/null, default signal dispositions,
// an empty signal mask and no other descriptor of this process. It gets SIGKILL when the thread
// that called spawn_child ends, because it is started with PR_SET_PDEATHSIG. That thread must
// therefore stay alive until the child has been reaped; run_process does so by blocking.
// NOTE: processes that the child starts itself get no such signal.
int spawn_child(const SpawnOptions& options, pid_t& pid);

} // namespace ferry::skopeo
