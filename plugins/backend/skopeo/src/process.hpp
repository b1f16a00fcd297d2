// Running a child process from an argv array (fork and execve, no shell), with its output captured
// and a way to stop it early.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace ferry::skopeo {

struct ProcessSpec {
    std::vector<std::string> argv;        // argv[0] is the absolute path of the executable
    std::vector<std::string> environment; // "NAME=value" entries; the complete environment
    // Descriptors the child keeps under the same numbers, such as the memfds behind /dev/fd/N
    // paths on argv. Each must be 3 or higher.
    std::vector<int> inherited_fds;
    // Time a stopped child gets between SIGTERM and SIGKILL.
    std::chrono::milliseconds termination_grace{3000};
    // Interval at which should_stop is polled while the child runs.
    std::chrono::milliseconds poll_interval{100};
};

struct ProcessResult {
    int spawn_error = 0;     // errno of a failed start (see spawn_child); the other fields are then unset
    int exit_code = -1;      // exit status, or -1 after a signal or when the status was lost
    int signal = 0;          // the signal that ended the child, or 0
    bool stopped = false;    // true when should_stop returned true and the child was killed
    std::string out;         // everything the child wrote to stdout
    std::string err;         // everything the child wrote to stderr

    bool succeeded() const noexcept { return spawn_error == 0 && !stopped && exit_code == 0; }
};

// Runs the child as spawn_child describes. It gets a new process group, stdin from /dev/null,
// default signal dispositions, an empty signal mask, and no descriptor of this process except the
// two output pipes and inherited_fds. It is killed when the calling thread ends. This function
// blocks until the child is reaped, so the calling thread outlives the child.
// When should_stop returns true, the whole process group gets SIGTERM, then SIGKILL after
// termination_grace; the function returns once the child is reaped, with stopped set.
ProcessResult run_process(const ProcessSpec& spec, const std::function<bool()>& should_stop);

} // namespace ferry::skopeo
