// Signal handling. The first SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 or SIGALRM sets
// a flag that plugins poll through ferry_host_api.is_cancelled, so they can stop their work and
// remove their temporary files. A second signal ends the process at once with the default
// action. SIGPIPE is ignored.
#pragma once

namespace ferry::core {

void install_signal_handlers();
bool cancellation_requested();
// The signal that requested cancellation, 0 when none did.
int cancellation_signal();

} // namespace ferry::core
