#include "engine/progress.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

namespace safer {

Progress::Progress(bool quiet) : m_quiet(quiet), m_tty(isatty(STDERR_FILENO) != 0) {}

void Progress::begin(std::string_view what, uint64_t total) {
    m_what = what;
    m_total = total;
    m_done = 0;
    m_start = Clock::now();
    m_next_print_ms = 1000;
    if (!m_quiet) fmt::print(stderr, "safer: {}...{}", m_what, m_tty ? "" : "\n");
}

void Progress::advance(uint64_t units) {
    const uint64_t done = m_done += units;
    if (m_quiet || m_total == 0) return;
    const auto elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_start).count();
    int64_t next = m_next_print_ms.load();
    if (elapsed_ms < next || !m_next_print_ms.compare_exchange_strong(next, elapsed_ms + 1000)) return;
    std::lock_guard lock(m_mutex);
    const double percent = 100.0 * static_cast<double>(done) / static_cast<double>(m_total);
    if (m_tty)
        fmt::print(stderr, "\rsafer: {}... {:.0f}%", m_what, percent);
    else
        fmt::print(stderr, "safer: {}... {:.0f}%\n", m_what, percent);
}

void Progress::end() {
    if (m_quiet) return;
    const double seconds = std::chrono::duration<double>(Clock::now() - m_start).count();
    if (m_tty)
        fmt::print(stderr, "\rsafer: {}... done in {:.2f} s\n", m_what, seconds);
    else
        fmt::print(stderr, "safer: {}: done in {:.2f} s\n", m_what, seconds);
}

void Progress::info(std::string_view message) {
    if (!m_quiet) fmt::print(stderr, "safer: {}\n", message);
}

void Progress::warn(std::string_view message) { fmt::print(stderr, "safer: warning: {}\n", message); }

} // namespace safer
