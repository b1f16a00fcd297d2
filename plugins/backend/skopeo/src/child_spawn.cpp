#include "child_spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace ferry::skopeo {

namespace {

// Everything the child needs, prepared before the fork because the child must not allocate.
struct ChildPlan {
    const char* path = nullptr;
    char* const* argv = nullptr;
    char* const* envp = nullptr;
    int stdout_fd = -1;
    int stderr_fd = -1;
    const int* inherited = nullptr; // sorted ascending
    std::size_t inherited_count = 0;
    const int* kept_open = nullptr; // inherited plus the status pipe, sorted ascending
    std::size_t kept_open_count = 0;
    int status_fd = -1; // write end of the pipe that carries a failed step's errno
    pid_t parent = 0;
    int max_fd = 0; // highest descriptor to close when close_range is missing
};

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (const std::string& text : strings) {
        pointers.push_back(const_cast<char*>(text.c_str()));
    }
    pointers.push_back(nullptr);
    return pointers;
}

// Sends errno to the parent and ends the child. Async-signal-safe.
[[noreturn]] void report_and_exit(int status_fd, int error) {
    while (::write(status_fd, &error, sizeof error) < 0 && errno == EINTR) {
    }
    ::_exit(127);
}

// Closes the descriptors from first to last (inclusive). Async-signal-safe.
void close_descriptors(int first, int last, int max_fd) {
    if (first > last) {
        return;
    }
    if (::syscall(SYS_close_range, static_cast<unsigned>(first), static_cast<unsigned>(last), 0u) == 0) {
        return;
    }
    // Linux before 5.9 has no close_range.
    for (int fd = first; fd <= std::min(last, max_fd); ++fd) {
        ::close(fd);
    }
}

// Closes every descriptor from 3 up except plan.kept_open. Async-signal-safe.
void close_other_descriptors(const ChildPlan& plan) {
    int next = STDERR_FILENO + 1;
    for (std::size_t i = 0; i < plan.kept_open_count; ++i) {
        close_descriptors(next, plan.kept_open[i] - 1, plan.max_fd);
        next = plan.kept_open[i] + 1;
    }
    close_descriptors(next, INT_MAX, plan.max_fd);
}

// Connects stdin to /dev/null and stdout/stderr to the pipes. Returns 0 or errno.
// Async-signal-safe.
int connect_standard_streams(const ChildPlan& plan) {
    // Without O_CLOEXEC: if descriptor 0 was free, /dev/null lands there and must survive execve.
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0) {
        return errno;
    }
    if (null_fd != STDIN_FILENO) {
        if (::dup2(null_fd, STDIN_FILENO) < 0) {
            return errno;
        }
        if (null_fd > STDERR_FILENO) {
            ::close(null_fd);
        }
    }
    // The pipe descriptors are 3 or higher, so neither dup2 overwrites the other's source.
    if (::dup2(plan.stdout_fd, STDOUT_FILENO) < 0 || ::dup2(plan.stderr_fd, STDERR_FILENO) < 0) {
        return errno;
    }
    return 0;
}

// Runs in the forked child: only async-signal-safe calls from here to execve.
[[noreturn]] void run_child(const ChildPlan& plan) {
    // Handlers the host installed must not run here, and an ignored signal would stay ignored
    // after execve. All signals are still blocked from before the fork.
    struct sigaction default_action = {};
    default_action.sa_handler = SIG_DFL;
    ::sigemptyset(&default_action.sa_mask);
    for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
        // Fails harmlessly for SIGKILL, SIGSTOP and the signals glibc reserves.
        ::sigaction(signal_number, &default_action, nullptr);
    }

    // A process group of its own lets a cancellation reach the child and anything it started, and
    // keeps a terminal's Ctrl-C for ferry, which then stops the group itself.
    if (::setpgid(0, 0) != 0) {
        report_and_exit(plan.status_fd, errno);
    }

    // SIGKILL when the forking thread ends, even by SIGKILL. A parent that died before prctl took
    // effect is detected by the changed parent pid: the child then ends itself.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
        report_and_exit(plan.status_fd, errno);
    }
    if (::getppid() != plan.parent) {
        ::_exit(127);
    }

    if (const int error = connect_standard_streams(plan); error != 0) {
        report_and_exit(plan.status_fd, error);
    }
    for (std::size_t i = 0; i < plan.inherited_count; ++i) {
        if (::fcntl(plan.inherited[i], F_SETFD, 0) != 0) {
            report_and_exit(plan.status_fd, errno);
        }
    }
    close_other_descriptors(plan);

    sigset_t empty;
    ::sigemptyset(&empty);
    ::sigprocmask(SIG_SETMASK, &empty, nullptr);

    ::execve(plan.path, plan.argv, plan.envp);
    report_and_exit(plan.status_fd, errno);
}

// Returns the errno the child sent before exiting, or 0 once execve closed the pipe.
int read_child_status(int status_fd) {
    int error = 0;
    ssize_t count;
    while ((count = ::read(status_fd, &error, sizeof error)) < 0 && errno == EINTR) {
    }
    return count == static_cast<ssize_t>(sizeof error) ? error : 0;
}

int highest_descriptor() {
    rlimit limit = {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY ||
        limit.rlim_cur > static_cast<rlim_t>(INT_MAX)) {
        return 65535;
    }
    return static_cast<int>(limit.rlim_cur) - 1;
}

bool valid_descriptors(const SpawnOptions& options) {
    const auto above_stderr = [](int fd) { return fd > STDERR_FILENO; };
    return above_stderr(options.stdout_fd) && above_stderr(options.stderr_fd) &&
           std::all_of(options.inherited_fds.begin(), options.inherited_fds.end(), above_stderr);
}

} // namespace

int spawn_child(const SpawnOptions& options, pid_t& pid) {
    if (options.argv.empty()) {
        return EINVAL;
    }
    if (!valid_descriptors(options)) {
        return EBADF;
    }

    // The status pipe must stay clear of 0 to 2 as well, which the child overwrites.
    int status_pipe[2];
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
        return errno;
    }
    for (int& fd : status_pipe) {
        if (fd <= STDERR_FILENO) {
            const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
            ::close(fd);
            fd = moved;
        }
    }
    if (status_pipe[0] < 0 || status_pipe[1] < 0) {
        const int error = errno;
        ::close(status_pipe[0]);
        ::close(status_pipe[1]);
        return error;
    }

    std::vector<char*> argv = c_strings(options.argv);
    std::vector<char*> envp = c_strings(options.environment);
    std::vector<int> inherited = options.inherited_fds;
    std::sort(inherited.begin(), inherited.end());
    inherited.erase(std::unique(inherited.begin(), inherited.end()), inherited.end());
    std::vector<int> kept_open = inherited;
    kept_open.insert(std::upper_bound(kept_open.begin(), kept_open.end(), status_pipe[1]), status_pipe[1]);

    ChildPlan plan;
    plan.path = argv[0];
    plan.argv = argv.data();
    plan.envp = envp.data();
    plan.stdout_fd = options.stdout_fd;
    plan.stderr_fd = options.stderr_fd;
    plan.inherited = inherited.data();
    plan.inherited_count = inherited.size();
    plan.kept_open = kept_open.data();
    plan.kept_open_count = kept_open.size();
    plan.status_fd = status_pipe[1];
    plan.parent = ::getpid();
    plan.max_fd = highest_descriptor();

    // Signals stay blocked across the fork, so no host signal handler runs in the child before it
    // resets the dispositions. The child unblocks them just before execve.
    sigset_t all;
    sigset_t previous;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid = ::fork();
    if (pid == 0) {
        run_child(plan);
    }
    const int fork_error = errno;
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);

    ::close(status_pipe[1]);
    if (pid < 0) {
        ::close(status_pipe[0]);
        return fork_error;
    }

    const int error = read_child_status(status_pipe[0]);
    ::close(status_pipe[0]);
    if (error != 0) {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        pid = -1;
    }
    return error;
}

} // namespace ferry::skopeo
