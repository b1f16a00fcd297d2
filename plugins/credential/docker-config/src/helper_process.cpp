#include "helper_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

extern char** environ;

namespace ferry::docker_config {
namespace {

using Clock = std::chrono::steady_clock;

// Maximum wait between checks of the cancellation flag.
constexpr std::chrono::milliseconds poll_slice{50};

// Cap on what is read after the program exited, from processes it left behind.
constexpr std::size_t max_read_after_exit = 1024 * 1024;

[[noreturn]] void fail(const std::string& program, const std::string& step, int error_number) {
    throw sdk::Error(FERRY_ERROR, "cannot run " + program + ": " + step + " failed: " + std::strerror(error_number));
}

class FileDescriptor {
public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    FileDescriptor& operator=(FileDescriptor&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = other.fd_;
            other.fd_ = -1;
        }
        return *this;
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() { reset(); }

    int get() const noexcept { return fd_; }
    bool is_open() const noexcept { return fd_ >= 0; }
    void reset() noexcept {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_ = -1;
};

struct Pipe {
    FileDescriptor read_end;
    FileDescriptor write_end;
};

// Moves fd to a number of at least 3, so that dup2 onto 0, 1 or 2 in the child always
// creates a new descriptor without FD_CLOEXEC.
FileDescriptor above_standard_streams(int fd, const std::string& program) {
    if (fd > 2) {
        return FileDescriptor(fd);
    }
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    const int error_number = errno;
    ::close(fd);
    if (moved < 0) {
        fail(program, "fcntl", error_number);
    }
    return FileDescriptor(moved);
}

Pipe make_pipe(const std::string& program) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        fail(program, "pipe2", errno);
    }
    Pipe pipe;
    pipe.read_end = above_standard_streams(fds[0], program);
    pipe.write_end = above_standard_streams(fds[1], program);
    return pipe;
}

void set_nonblocking(int fd, const std::string& program) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        fail(program, "fcntl", errno);
    }
}

// Fills the stdin pipe before the program starts, so that a program that exits without
// reading can never raise SIGPIPE in ferry.
Pipe make_input_pipe(std::string_view input, const std::string& program) {
    Pipe pipe = make_pipe(program);
    set_nonblocking(pipe.write_end.get(), program);
    std::size_t written = 0;
    while (written < input.size()) {
        const ssize_t count = ::write(pipe.write_end.get(), input.data() + written, input.size() - written);
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count < 0) {
            fail(program, "writing its input", errno);
        }
        written += static_cast<std::size_t>(count);
    }
    pipe.write_end.reset();
    return pipe;
}

// Returns a descriptor that becomes readable when the process exits, or -1 on kernels before
// Linux 5.3. Called through syscall() because glibc 2.36 declares pidfd_open without C linkage
// for C++.
int open_pidfd(pid_t pid) noexcept {
#ifdef SYS_pidfd_open
    const long fd = ::syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -1 : static_cast<int>(fd);
#else
    (void)pid;
    return -1;
#endif
}

// The started program until it is reaped. Destroying it early kills the whole group.
class Child {
public:
    explicit Child(pid_t pid) : pid_(pid), pidfd_(open_pidfd(pid)) {}
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (!reaped_) {
            kill_group();
            reap();
        }
    }

    pid_t pid() const noexcept { return pid_; }
    // Becomes readable when the program exits; -1 on kernels without pidfd_open.
    int exit_fd() const noexcept { return pidfd_.get(); }
    int status() const noexcept { return status_; }

    // The group id is the pid (POSIX_SPAWN_SETPGROUP with 0), and stays valid until the leader
    // is reaped, so this cannot hit an unrelated group.
    void kill_group() noexcept { ::kill(-pid_, SIGKILL); }

    bool try_reap() noexcept { return wait(WNOHANG); }
    void reap() noexcept {
        if (!reaped_) {
            wait(0);
        }
    }

private:
    // True once reaped, or when waiting is impossible (ECHILD when SIGCHLD is ignored).
    bool wait(int options) noexcept {
        while (true) {
            const pid_t result = ::waitpid(pid_, &status_, options);
            if (result == pid_) {
                reaped_ = true;
                return true;
            }
            if (result < 0 && errno == EINTR) {
                continue;
            }
            if (result < 0) {
                reaped_ = true;
                status_ = 0;
                return true;
            }
            return false;
        }
    }

    pid_t pid_;
    FileDescriptor pidfd_;
    bool reaped_ = false;
    int status_ = 0;
};

class SpawnSetup {
public:
    explicit SpawnSetup(const std::string& program) : program_(program) {
        if (int error = ::posix_spawn_file_actions_init(&actions_); error != 0) {
            fail(program_, "posix_spawn_file_actions_init", error);
        }
        if (int error = ::posix_spawnattr_init(&attributes_); error != 0) {
            ::posix_spawn_file_actions_destroy(&actions_);
            fail(program_, "posix_spawnattr_init", error);
        }
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
    ~SpawnSetup() {
        ::posix_spawnattr_destroy(&attributes_);
        ::posix_spawn_file_actions_destroy(&actions_);
    }

    void connect(int stdin_fd, int stdout_fd, int stderr_fd) {
        check(::posix_spawn_file_actions_adddup2(&actions_, stdin_fd, 0), "posix_spawn_file_actions_adddup2");
        check(::posix_spawn_file_actions_adddup2(&actions_, stdout_fd, 1), "posix_spawn_file_actions_adddup2");
        check(::posix_spawn_file_actions_adddup2(&actions_, stderr_fd, 2), "posix_spawn_file_actions_adddup2");
        // Descriptors the host opened without O_CLOEXEC must not leak into the helper.
        check(::posix_spawn_file_actions_addclosefrom_np(&actions_, 3), "posix_spawn_file_actions_addclosefrom_np");
    }

    void isolate() {
        sigset_t empty;
        sigset_t all;
        sigemptyset(&empty);
        sigfillset(&all);
        check(::posix_spawnattr_setpgroup(&attributes_, 0), "posix_spawnattr_setpgroup");
        check(::posix_spawnattr_setsigmask(&attributes_, &empty), "posix_spawnattr_setsigmask");
        check(::posix_spawnattr_setsigdefault(&attributes_, &all), "posix_spawnattr_setsigdefault");
        check(::posix_spawnattr_setflags(&attributes_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                           POSIX_SPAWN_SETSIGDEF),
              "posix_spawnattr_setflags");
    }

    pid_t spawn(const std::vector<std::string>& arguments) {
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(program_.c_str()));
        for (const auto& argument : arguments) {
            argv.push_back(const_cast<char*>(argument.c_str()));
        }
        argv.push_back(nullptr);

        pid_t pid = 0;
        check(::posix_spawn(&pid, program_.c_str(), &actions_, &attributes_, argv.data(), environ), "posix_spawn");
        return pid;
    }

private:
    void check(int error, const char* step) const {
        if (error != 0) {
            fail(program_, step, error);
        }
    }

    const std::string& program_;
    posix_spawn_file_actions_t actions_{};
    posix_spawnattr_t attributes_{};
};

// Collects one output stream. stdout goes straight into a buffer sized once, because it may
// hold a secret that a reallocation would leave behind in freed memory.
class OutputReader {
public:
    // overflow_is_fatal: more than limit bytes make overflowed() true. Otherwise the excess is
    // read and dropped.
    OutputReader(FileDescriptor fd, std::size_t limit, bool overflow_is_fatal)
        : fd_(std::move(fd)), limit_(limit), overflow_is_fatal_(overflow_is_fatal) {
        buffer_.resize(limit_ + 1);
    }
    ~OutputReader() { sdk::wipe(buffer_); }
    OutputReader(const OutputReader&) = delete;
    OutputReader& operator=(const OutputReader&) = delete;

    bool is_open() const noexcept { return fd_.is_open(); }
    int fd() const noexcept { return fd_.get(); }
    bool overflowed() const noexcept { return overflow_is_fatal_ && length_ > limit_; }

    // Reads what is available without blocking, at most max_bytes. Closes the descriptor at
    // end of file or on a read error.
    void read_available(std::size_t max_bytes = SIZE_MAX) {
        std::size_t read_now = 0;
        while (fd_.is_open() && read_now < max_bytes && !overflowed()) {
            std::array<char, 4096> scratch;
            char* target = length_ < buffer_.size() ? buffer_.data() + length_ : scratch.data();
            const std::size_t room = length_ < buffer_.size() ? buffer_.size() - length_ : scratch.size();
            const ssize_t count = ::read(fd_.get(), target, room);
            if (count < 0 && errno == EINTR) {
                continue;
            }
            if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return;
            }
            if (count <= 0) {
                fd_.reset();
                return;
            }
            read_now += static_cast<std::size_t>(count);
            if (target != scratch.data()) {
                length_ += static_cast<std::size_t>(count);
            }
            ::explicit_bzero(scratch.data(), scratch.size());
        }
    }

    // Moves the text out (at most limit bytes), leaving the reader empty.
    std::string take() {
        buffer_.resize(std::min(length_, limit_));
        std::string text = std::move(buffer_);
        buffer_.clear();
        length_ = 0;
        return text;
    }

private:
    FileDescriptor fd_;
    std::size_t limit_;
    bool overflow_is_fatal_;
    std::string buffer_;
    std::size_t length_ = 0;
};

void record_exit_status(const Child& child, ProcessOutcome& outcome) {
    const int status = child.status();
    if (WIFSIGNALED(status)) {
        outcome.ending = ProcessOutcome::Ending::signalled;
        outcome.signal_number = WTERMSIG(status);
    } else {
        outcome.ending = ProcessOutcome::Ending::exited;
        outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    }
}

// Waits for the program to exit while collecting its output. Returns the ending.
ProcessOutcome::Ending supervise(Child& child, OutputReader& out, OutputReader& err, const ProcessRequest& request) {
    const Clock::time_point deadline = Clock::now() + request.timeout;

    while (true) {
        if (request.cancelled && request.cancelled()) {
            return ProcessOutcome::Ending::cancelled;
        }
        const Clock::time_point now = Clock::now();
        if (now >= deadline) {
            return ProcessOutcome::Ending::timed_out;
        }

        std::array<pollfd, 3> watched{};
        nfds_t count = 0;
        for (int fd : {out.is_open() ? out.fd() : -1, err.is_open() ? err.fd() : -1, child.exit_fd()}) {
            if (fd >= 0) {
                watched[count++] = pollfd{fd, POLLIN, 0};
            }
        }
        const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        const int wait_ms = static_cast<int>(std::min(remaining, poll_slice).count()) + 1;
        if (::poll(watched.data(), count, wait_ms) < 0 && errno != EINTR) {
            fail(request.program, "poll", errno);
        }

        out.read_available();
        err.read_available();
        if (out.overflowed()) {
            return ProcessOutcome::Ending::output_too_large;
        }
        if (child.try_reap()) {
            // Everything the program wrote before it exited is in the pipes now.
            out.read_available(max_read_after_exit);
            err.read_available(max_read_after_exit);
            return out.overflowed() ? ProcessOutcome::Ending::output_too_large : ProcessOutcome::Ending::exited;
        }
    }
}

} // namespace

ProcessOutcome run_process(const ProcessRequest& request) {
    if (request.program.empty() || request.program.front() != '/') {
        throw sdk::Error(FERRY_ERROR, "cannot run \"" + request.program + "\": expected an absolute path");
    }
    if (request.input.size() > 64 * 1024) {
        throw sdk::Error(FERRY_ERROR, "cannot run " + request.program + ": its input exceeds 64 KiB");
    }

    Pipe input = make_input_pipe(request.input, request.program);
    Pipe output = make_pipe(request.program);
    Pipe errors = make_pipe(request.program);
    set_nonblocking(output.read_end.get(), request.program);
    set_nonblocking(errors.read_end.get(), request.program);

    SpawnSetup setup(request.program);
    setup.connect(input.read_end.get(), output.write_end.get(), errors.write_end.get());
    setup.isolate();
    Child child(setup.spawn(request.arguments));

    input.read_end.reset();
    output.write_end.reset();
    errors.write_end.reset();

    OutputReader out(std::move(output.read_end), request.max_stdout, true);
    OutputReader err(std::move(errors.read_end), request.max_stderr, false);

    ProcessOutcome outcome;
    outcome.pid = child.pid();
    outcome.ending = supervise(child, out, err, request);
    if (outcome.ending == ProcessOutcome::Ending::exited) {
        record_exit_status(child, outcome);
    } else {
        child.kill_group();
        child.reap();
    }

    outcome.stdout_text = sdk::Secret(out.take());
    outcome.stderr_text = err.take();
    return outcome;
}

} // namespace ferry::docker_config
