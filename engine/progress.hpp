#pragma once
// Progress and messages for long work, on stderr. -q silences progress and information;
// warnings always print.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace safer {

class Progress {
public:
    explicit Progress(bool quiet = false);

    /// Starts a stage of `total` units; prints its name now and a percentage every second.
    void begin(std::string_view what, uint64_t total);
    /// Thread-safe.
    void advance(uint64_t units);
    /// Ends the stage, printing its elapsed time.
    void end();

    void info(std::string_view message);
    void warn(std::string_view message);
    bool quiet() const { return m_quiet; }

private:
    using Clock = std::chrono::steady_clock;
    bool m_quiet;
    bool m_tty;
    std::string m_what;
    uint64_t m_total = 0;
    std::atomic<uint64_t> m_done{0};
    Clock::time_point m_start;
    std::atomic<int64_t> m_next_print_ms{0};
    std::mutex m_mutex;
};

} // namespace safer
