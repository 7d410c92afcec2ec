#pragma once
// A fast 64-bit hash of text: XXH3 (Debian's libxxhash, used header-only), for the row
// fingerprints of the duplicate check and the interned text columns. std::hash (MurmurHash2 in
// libstdc++) took an eighth of the reading time of a million police.uk rows.
#include <cstdint>
#include <string_view>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace safer {

inline uint64_t text_hash(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

} // namespace safer
