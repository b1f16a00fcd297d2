#include "process.hpp"

#include "child_spawn.hpp"
#include "file_descriptor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <thread>

namespace ferry::skopeo {

namespace {

struct Pipe {
    FileDescriptor read_end;
    FileDescriptor write_end;
};

// Returns 0 or an errno value. Both ends are 3 or higher, as spawn_child requires, even when
// the host closed one of its standard streams.
int open_pipe(Pipe& pipe) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return errno;
    }
    pipe.read_end.reset(fds[0]);
    pipe.write_end.reset(fds[1]);

    for (FileDescriptor* end : {&pipe.read_end, &pipe.write_end}) {
        if (end->get() > STDERR_FILENO) {
            continue;
        }
        const int moved = ::fcntl(end->get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        if (moved < 0) {
            return errno;
        }
        end->reset(moved);
    }
    return 0;
}

// Reads what is available from fd into out; returns false at end of file or on a hard error.
bool drain(int fd, std::string& out) {
    std::array<char, 65536> buffer;
    while (true) {
        const ssize_t count = ::read(fd, buffer.data(), buffer.size());
        if (count > 0) {
            out.append(buffer.data(), static_cast<std::size_t>(count));
            continue;
        }
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count < 0 && errno == EAGAIN) {
            return true;
        }
        return false;
    }
}

// Sends SIGTERM to the child's process group, then SIGKILL when it outlives grace.
void stop_group(pid_t pid, std::chrono::milliseconds grace, int& status) {
    ::kill(-pid, SIGTERM);

    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            // The leader is gone; anything it left in the group gets no second chance.
            ::kill(-pid, SIGKILL);
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

} // namespace

ProcessResult run_process(const ProcessSpec& spec, const std::function<bool()>& should_stop) {
    ProcessResult result;

    Pipe out_pipe;
    Pipe err_pipe;
    result.spawn_error = open_pipe(out_pipe);
    if (result.spawn_error == 0) {
        result.spawn_error = open_pipe(err_pipe);
    }
    if (result.spawn_error != 0) {
        return result;
    }

    SpawnOptions options;
    options.argv = spec.argv;
    options.environment = spec.environment;
    options.stdout_fd = out_pipe.write_end.get();
    options.stderr_fd = err_pipe.write_end.get();
    options.inherited_fds = spec.inherited_fds;
    pid_t pid = -1;
    result.spawn_error = spawn_child(options, pid);
    out_pipe.write_end.reset();
    err_pipe.write_end.reset();
    if (result.spawn_error != 0) {
        return result;
    }

    ::fcntl(out_pipe.read_end.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(err_pipe.read_end.get(), F_SETFL, O_NONBLOCK);

    std::array<pollfd, 2> fds = {{{out_pipe.read_end.get(), POLLIN, 0},
                                  {err_pipe.read_end.get(), POLLIN, 0}}};
    std::array<std::string*, 2> sinks = {&result.out, &result.err};
    const int poll_ms = static_cast<int>(spec.poll_interval.count());
    // Stays -1 (neither exited nor signalled) when the status is lost.
    int status = -1;
    bool reaped = false;

    while (!reaped) {
        if (should_stop && should_stop()) {
            stop_group(pid, spec.termination_grace, status);
            result.stopped = true;
            break;
        }

        // Both pipes closed: the child is exiting, or runs on without output.
        if (fds[0].fd < 0 && fds[1].fd < 0) {
            const pid_t done = ::waitpid(pid, &status, WNOHANG);
            // ECHILD: something else in this process reaped the child; its status is lost.
            reaped = done == pid || (done < 0 && errno == ECHILD);
            if (!reaped) {
                std::this_thread::sleep_for(spec.poll_interval);
            }
            continue;
        }

        const int ready = ::poll(fds.data(), fds.size(), poll_ms);
        if (ready < 0 && errno != EINTR) {
            std::this_thread::sleep_for(spec.poll_interval);
        }
        for (std::size_t i = 0; i < fds.size() && ready > 0; ++i) {
            if (fds[i].fd >= 0 && fds[i].revents != 0 && !drain(fds[i].fd, *sinks[i])) {
                fds[i].fd = -1;
            }
        }
    }

    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
    }
    return result;
}

} // namespace ferry::skopeo
