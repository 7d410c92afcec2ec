#include "engine/progress.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace safer {

namespace {
constexpr int bar_width = 30;
/// A terminal is redrawn at most this often; a log gets its dots as the steps are passed.
constexpr int64_t draw_interval_ms = 100;
} // namespace

Progress::Progress(bool quiet) : Progress(quiet, isatty(STDERR_FILENO) != 0) {}

Progress::Progress(bool quiet, bool terminal) : m_quiet(quiet), m_tty(terminal) {}

void Progress::begin(std::string_view what, uint64_t total) {
    std::lock_guard lock(m_mutex);
    if (m_active) end();
    m_what = what;
    m_total = total;
    m_done = 0;
    m_start = Clock::now();
    m_next_draw_ms = 0;
    m_shown_step = -1;
    m_shown_percent = -1;
    m_active = true;
    if (m_quiet) return;
    if (m_tty) {
        show(0, true);
    } else {
        fmt::print(stderr, "safer: {}: ", m_what);
        m_line_open = true;
        if (m_total > 0) show(0, true);
    }
    std::fflush(stderr);
}

void Progress::advance(uint64_t units) {
    const uint64_t done = m_done += units;
    if (m_quiet || m_total == 0) return;
    const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_start).count();
    int64_t next = m_next_draw_ms.load();
    if (elapsed_ms < next || !m_next_draw_ms.compare_exchange_strong(next, elapsed_ms + draw_interval_ms)) return;
    std::lock_guard lock(m_mutex);
    if (m_active) show(done, false);
}

void Progress::fraction(double done) {
    if (m_total == 0 || !std::isfinite(done)) return;
    const auto units = static_cast<uint64_t>(std::clamp(done, 0.0, 1.0) * static_cast<double>(m_total));
    uint64_t before = m_done.load();
    while (units > before && !m_done.compare_exchange_weak(before, units)) {
    }
    advance(0);
}

void Progress::show(uint64_t done, bool force) {
    const double share = m_total == 0 ? 0.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(m_total));
    if (m_tty) {
        const int percent = static_cast<int>(std::floor(100 * share));
        if (!force && percent == m_shown_percent) return;
        m_shown_percent = percent;
        if (m_total == 0) {
            fmt::print(stderr, "\rsafer: {}...\x1b[K", m_what);
        } else {
            const int filled = static_cast<int>(std::floor(bar_width * share));
            fmt::print(stderr, "\rsafer: {} [{}{}] {:3d}%\x1b[K", m_what, std::string(static_cast<size_t>(filled), '#'),
                       std::string(static_cast<size_t>(bar_width - filled), '-'), percent);
        }
    } else {
        // GDAL's term progress: a number at every 10 %, dots at each 2.5 % between.
        const int step = static_cast<int>(std::floor(40 * share));
        if (!m_line_open) {
            fmt::print(stderr, "safer: {} (continued): ", m_what);
            m_line_open = true;
        }
        for (int s = m_shown_step + 1; s <= step; ++s) fmt::print(stderr, "{}", s % 4 == 0 ? std::to_string(s / 4 * 10) : ".");
        m_shown_step = std::max(m_shown_step, step);
    }
    std::fflush(stderr);
}

void Progress::close_line() {
    if (m_line_open) {
        fmt::print(stderr, " ...\n"); // a log's reader sees the stage goes on below
        m_line_open = false;
    } else if (m_tty && m_active && !m_quiet) {
        fmt::print(stderr, "\r\x1b[K");
    }
}

void Progress::end() {
    std::lock_guard lock(m_mutex);
    if (!m_active) return;
    m_active = false;
    if (m_quiet) return;
    const double seconds = std::chrono::duration<double>(Clock::now() - m_start).count();
    if (m_tty) {
        fmt::print(stderr, "\rsafer: {}: done in {:.2f} s\x1b[K\n", m_what, seconds);
    } else {
        if (m_total > 0) {
            show(m_total, true); // the rest of the dots, to 100
            fmt::print(stderr, " - ");
        } else if (!m_line_open) {
            fmt::print(stderr, "safer: {}: ", m_what);
        }
        fmt::print(stderr, "done in {:.2f} s\n", seconds);
        m_line_open = false;
    }
    std::fflush(stderr);
}

void Progress::info(std::string_view message) {
    if (m_quiet) return;
    std::lock_guard lock(m_mutex);
    close_line();
    fmt::print(stderr, "safer: {}\n", message);
    if (m_active && m_tty) show(m_done, true);
}

void Progress::warn(std::string_view message) {
    std::lock_guard lock(m_mutex);
    if (!m_quiet) close_line();
    fmt::print(stderr, "safer: warning: {}\n", message);
    if (!m_quiet && m_active && m_tty) show(m_done, true);
}

} // namespace safer
