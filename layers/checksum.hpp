#pragma once
#include <memory>
#include <string>

namespace safer::layers {

/// SHA-256, fed incrementally, so a reader can checksum a file from the bytes it reads anyway.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* data, size_t size);
    /// The digest as lower-case hex, as `sha256sum` prints it. Call once, at the end.
    std::string hex();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// SHA-256 of a file's bytes. Recorded in outputs' metadata so a result can be traced to the
/// exact inputs.
std::string sha256_file(const std::string& path);

} // namespace safer::layers
