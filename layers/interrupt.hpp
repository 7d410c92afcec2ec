#pragma once
// Removing unfinished outputs when the run is interrupted. Outputs are written to a temporary
// file and renamed into place when complete; if SIGINT, SIGTERM or SIGHUP arrives first, the
// handler installed here deletes every temporary file registered (with SQLite's -journal, -wal
// and -shm companions), prints one line, and ends the process by the same signal, so the exit
// status is 128 + the signal (130 for SIGINT, 143 for SIGTERM) and the final path keeps
// whatever it held before. The handler is async-signal-safe: it only reads lock-free atomics and
// fixed buffers and calls unlink, write and raise.
#include <string>

namespace safer::layers {

/// Registers `path` for removal on interruption while the guard lives. The first guard installs
/// the handlers, for each signal whose disposition is still the default (an ignored SIGINT, as
/// under nohup, stays ignored).
class InterruptCleanup {
public:
    explicit InterruptCleanup(const std::string& path);
    ~InterruptCleanup();
    InterruptCleanup(const InterruptCleanup&) = delete;
    InterruptCleanup& operator=(const InterruptCleanup&) = delete;
    /// Stops watching the file (it has been renamed into place, or removed).
    void release();

private:
    int m_slot = -1;
};

} // namespace safer::layers
