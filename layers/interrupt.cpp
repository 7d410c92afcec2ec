#include "layers/interrupt.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>

namespace safer::layers {

namespace {

constexpr int slot_count = 64;
constexpr size_t path_capacity = 4096;
constexpr const char* companions[] = {"", "-journal", "-wal", "-shm"};

struct Slot {
    std::atomic<bool> taken{false}; // owned by a guard
    std::atomic<bool> armed{false}; // `path` is complete and must be removed on a signal
    char path[path_capacity];
};
Slot g_slots[slot_count];
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs lock-free atomics");

void write_stderr(const char* text) noexcept {
    size_t left = std::strlen(text);
    while (left > 0) {
        const ssize_t n = ::write(STDERR_FILENO, text, left);
        if (n <= 0) return;
        text += n;
        left -= static_cast<size_t>(n);
    }
}

extern "C" void remove_unfinished_outputs(int signal_number) {
    bool removed = false;
    char name[path_capacity + 16];
    for (Slot& slot : g_slots) {
        if (!slot.armed.load(std::memory_order_acquire)) continue;
        const size_t length = std::strlen(slot.path);
        for (const char* suffix : companions) {
            const size_t extra = std::strlen(suffix);
            std::memcpy(name, slot.path, length);
            std::memcpy(name + length, suffix, extra + 1);
            if (::unlink(name) == 0) removed = true;
        }
    }
    write_stderr(removed ? "\nsafer: interrupted; the unfinished output was removed\n" : "\nsafer: interrupted\n");
    // End the process by the same signal: the parent sees how it ended (status 128 + signal).
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
}

void install_handlers() {
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
        struct sigaction current {};
        if (::sigaction(signal_number, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) continue;
        struct sigaction action {};
        action.sa_handler = remove_unfinished_outputs;
        sigemptyset(&action.sa_mask);
        sigaddset(&action.sa_mask, SIGINT); // one cleanup at a time
        sigaddset(&action.sa_mask, SIGTERM);
        sigaddset(&action.sa_mask, SIGHUP);
        action.sa_flags = 0;
        ::sigaction(signal_number, &action, nullptr);
    }
}

} // namespace

InterruptCleanup::InterruptCleanup(const std::string& path) {
    static std::once_flag once;
    std::call_once(once, install_handlers);
    if (path.size() >= path_capacity) return; // cannot be watched; the destructor-based cleanup still runs
    for (int i = 0; i < slot_count; ++i) {
        bool expected = false;
        if (!g_slots[i].taken.compare_exchange_strong(expected, true)) continue;
        std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
        g_slots[i].armed.store(true, std::memory_order_release);
        m_slot = i;
        return;
    }
}

InterruptCleanup::~InterruptCleanup() { release(); }

void InterruptCleanup::release() {
    if (m_slot < 0) return;
    g_slots[m_slot].armed.store(false, std::memory_order_release);
    g_slots[m_slot].taken.store(false, std::memory_order_release);
    m_slot = -1;
}

} // namespace safer::layers
