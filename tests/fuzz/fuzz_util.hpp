#pragma once
// Shared by the libFuzzer targets: fuzz bytes as a file (the readers take paths) or as a
// ByteReader served in pieces (so records cross buffer refills).
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "layers/sources.hpp"

namespace safer::fuzz {

/// Stops the process with a message: libFuzzer reports it as a crash and saves the input.
[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
    std::abort();
}

/// A file holding the bytes, in /dev/shm when there is one, removed when done. One per target
/// process, rewritten for each input.
class TempFile {
public:
    explicit TempFile(const std::string& suffix) {
        const char* dir = std::getenv("SAFER_FUZZ_TMP");
        std::string base = dir ? dir : (::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        std::string pattern = base + "/safer-fuzz-XXXXXX";
        std::string buffer = pattern + suffix;
        const int fd = ::mkstemps(buffer.data(), static_cast<int>(suffix.size()));
        if (fd < 0) fail("cannot create a temporary file in " + base);
        ::close(fd);
        m_path = buffer;
    }
    ~TempFile() { ::unlink(m_path.c_str()); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    const std::string& write(const uint8_t* data, size_t size) {
        FILE* f = std::fopen(m_path.c_str(), "wb");
        if (!f) fail("cannot write " + m_path);
        if (size && std::fwrite(data, 1, size, f) != size) fail("short write to " + m_path);
        std::fclose(f);
        return m_path;
    }
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

/// Bytes served at most `piece` at a time.
class MemoryReader final : public layers::ByteReader {
public:
    MemoryReader(const uint8_t* data, size_t size, size_t piece) : m_data(data), m_size(size), m_piece(std::max<size_t>(piece, 1)) {}
    size_t read(char* buffer, size_t size) override {
        const size_t n = std::min({size, m_piece, m_size - m_pos});
        if (n) std::memcpy(buffer, m_data + m_pos, n);
        m_pos += n;
        return n;
    }

private:
    const uint8_t* m_data;
    size_t m_size;
    size_t m_piece;
    size_t m_pos = 0;
};

} // namespace safer::fuzz
