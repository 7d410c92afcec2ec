#pragma once
// Progress and messages for long work, on stderr. -q silences progress and information;
// warnings always print.
//
// A stage (begin ... end) shows its percentage as it runs: on a terminal as a bar redrawn in
// place ("safer: writing layer incidents [#########-----------]  45%"), elsewhere (a log, a pipe)
// GDAL-style on one line ("safer: writing layer incidents: 0...10...20...30 ... 100 - done in
// 3.2 s"), so a log gains a line per stage, not per tick. GDAL operations report through
// gdal_progress (layers/gdal_session.hpp), which calls fraction().
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
    /// As above, but drawn as on a terminal or not whatever stderr is (for tests).
    Progress(bool quiet, bool terminal);

    /// Starts a stage of `total` units (0: no percentage, only the elapsed time). A stage begun
    /// while another runs ends that one first.
    void begin(std::string_view what, uint64_t total);
    /// Adds `units` done. Thread-safe; cheap enough to call per chunk of a parallel loop.
    void advance(uint64_t units);
    /// Sets the share done, 0..1 (GDAL's progress callbacks). Thread-safe.
    void fraction(double done);
    /// Ends the stage, printing its elapsed time.
    void end();

    void info(std::string_view message);
    void warn(std::string_view message);
    bool quiet() const { return m_quiet; }
    bool terminal() const { return m_tty; }

private:
    using Clock = std::chrono::steady_clock;
    /// Shows `done` of the stage; under m_mutex.
    void show(uint64_t done, bool force);
    /// Ends a GDAL-style line left open, before another message.
    void close_line();

    bool m_quiet;
    bool m_tty;
    bool m_active = false;
    bool m_line_open = false; // a stage's line is on the screen without its newline
    std::string m_what;
    uint64_t m_total = 0;
    std::atomic<uint64_t> m_done{0};
    Clock::time_point m_start;
    std::atomic<int64_t> m_next_draw_ms{0};
    int m_shown_step = -1;  // not a terminal: the last 2.5 % step printed (0..40)
    int m_shown_percent = -1; // a terminal: the last percentage drawn
    std::recursive_mutex m_mutex;
};

} // namespace safer
