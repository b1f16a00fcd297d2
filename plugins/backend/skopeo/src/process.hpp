// Running a child process from an argv array (posix_spawn, no shell), with its output captured and
// a way to stop it early.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace ferry::skopeo {

struct ProcessSpec {
    std::vector<std::string> argv;        // argv[0] is the absolute path of the executable
    std::vector<std::string> environment; // "NAME=value" entries; the complete environment
    // Time a stopped child gets between SIGTERM and SIGKILL.
    std::chrono::milliseconds termination_grace{3000};
    // Interval at which should_stop is polled while the child runs.
    std::chrono::milliseconds poll_interval{100};
};

struct ProcessResult {
    int spawn_error = 0;     // errno of a failed posix_spawn; the other fields are then unset
    int exit_code = -1;      // exit status, or -1 after a signal or when the status was lost
    int signal = 0;          // the signal that ended the child, or 0
    bool stopped = false;    // true when should_stop returned true and the child was killed
    std::string out;         // everything the child wrote to stdout
    std::string err;         // everything the child wrote to stderr

    bool succeeded() const noexcept { return spawn_error == 0 && !stopped && exit_code == 0; }
};

// Runs the child in a new process group with stdin from /dev/null, default signal dispositions
// and an empty signal mask, and (with glibc 2.34 and later) with no file descriptor of this process
// except the two output pipes. Blocks until the child exits. When should_stop returns true, the whole process group
// gets SIGTERM, then SIGKILL after termination_grace; the function returns once the child is
// reaped, with stopped set.
ProcessResult run_process(const ProcessSpec& spec, const std::function<bool()>& should_stop);

} // namespace ferry::skopeo
