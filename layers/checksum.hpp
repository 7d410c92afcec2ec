#pragma once
#include <string>

namespace safer::layers {

/// SHA-256 of a file's bytes, as `sha256sum` prints it. Recorded in outputs' metadata so a
/// result can be traced to the exact inputs.
std::string sha256_file(const std::string& path);

} // namespace safer::layers
