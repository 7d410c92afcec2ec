#pragma once
// Rows split into parts by hash, so that a lookup table per part stays in the cache and the parts
// can be worked on any core: equal keys have equal hashes and so meet in one part, in row order.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace safer {

struct HashParts {
    static constexpr size_t count = 256; // by the top byte of the hash
    std::vector<uint32_t> rows;          // the rows wanted, part by part, each part in row order
    std::vector<size_t> begin;           // part p holds rows[begin[p], begin[p + 1])
};

/// Rows 0..n-1 for which `wanted(i)`, split by the top byte of `hash_of(i)`, counted and placed
/// block by block on every core (the result does not depend on the threads).
template <typename HashOf, typename Wanted>
HashParts split_by_hash(size_t n, HashOf&& hash_of, Wanted&& wanted) {
    constexpr size_t parts = HashParts::count, block = size_t{1} << 16;
    const size_t blocks = (n + block - 1) / block;
    std::vector<uint32_t> counts(blocks * parts, 0);
    tbb::parallel_for(size_t{0}, blocks, [&](size_t b) {
        for (size_t i = b * block; i < std::min(n, (b + 1) * block); ++i)
            if (wanted(i)) ++counts[b * parts + (hash_of(i) >> 56)];
    });
    HashParts out;
    out.begin.resize(parts + 1);
    std::vector<size_t> at(blocks * parts);
    size_t total = 0;
    for (size_t p = 0; p < parts; ++p) {
        out.begin[p] = total;
        for (size_t b = 0; b < blocks; ++b) at[b * parts + p] = total, total += counts[b * parts + p];
    }
    out.begin[parts] = total;
    out.rows.resize(total);
    tbb::parallel_for(size_t{0}, blocks, [&](size_t b) {
        size_t* next = at.data() + b * parts;
        for (size_t i = b * block; i < std::min(n, (b + 1) * block); ++i)
            if (wanted(i)) out.rows[next[hash_of(i) >> 56]++] = static_cast<uint32_t>(i);
    });
    return out;
}

} // namespace safer
