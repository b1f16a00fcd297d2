// Runs a short-lived program without a shell: input on stdin, stdout and stderr captured with
// size limits, and a deadline after which the program's whole process group is killed.
#pragma once

#include <ferry/sdk.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::docker_config {

struct ProcessRequest {
    std::string program;                 // absolute path; run directly, never through a shell
    std::vector<std::string> arguments;  // argv[1...]
    std::string_view input;              // written to stdin, which is then closed; max 64 KiB
    std::chrono::milliseconds timeout{30000};
    std::size_t max_stdout = 64 * 1024;  // more stdout than this kills the program
    std::size_t max_stderr = 16 * 1024;  // stderr past this is read and dropped
    std::function<bool()> cancelled;     // polled while waiting; may be empty
};

struct ProcessOutcome {
    enum class Ending {
        exited,           // exit_code is valid
        signalled,        // signal_number is valid
        timed_out,        // killed with its process group after the timeout
        output_too_large, // killed with its process group after max_stdout bytes
        cancelled,        // killed with its process group because cancelled() returned true
    };

    Ending ending = Ending::exited;
    int exit_code = 0;
    int signal_number = 0;
    pid_t pid = 0;
    sdk::Secret stdout_text; // may hold credentials
    std::string stderr_text; // at most max_stderr bytes
};

// Starts the program in a new process group with the process environment, an empty signal
// mask and default signal dispositions, and no file descriptors other than 0, 1 and 2.
// Returns once it has exited, or once it and the rest of its process group were killed.
// Output written after the program exited, by processes it left behind, is not waited for.
//
// Throws sdk::Error (FERRY_ERROR) when the program cannot be started; the message names the
// program and the system error.
ProcessOutcome run_process(const ProcessRequest& request);

} // namespace ferry::docker_config
