#pragma once
// Internals shared by Gi* and local Moran's I: permutation inference and input moments.
//
// Conditional permutation (Anselin 1995, section 4): for unit i the neighbours' values are
// replaced by values drawn without replacement from the other n - 1 units (x_i held fixed),
// `permutations` times, and each draw's weighted sum is compared with the observed one (Gi*'s
// unconditional variant draws i's own slot too, from all n). Every unit has its own random
// stream, seeded from (seed, unit index) through splitmix64 into xoshiro256**, so results do
// not depend on thread count or scheduling.
#include <cstdint>
#include <span>
#include <vector>

namespace safer::hotspots::detail {

/// The splitmix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mixer.
constexpr uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/// xoshiro256** (Blackman & Vigna 2018): fast, and good enough for resampling.
class UnitRng {
public:
    UnitRng(uint64_t seed, uint64_t unit) {
        // Hash (seed, unit) first, so neighbouring units do not get overlapping splitmix streams.
        uint64_t sm = mix64(mix64(seed + 0x9E3779B97F4A7C15ULL) ^ mix64(unit + 0xD1B54A32D192ED03ULL));
        for (uint64_t& word : m_s) {
            sm += 0x9E3779B97F4A7C15ULL;
            word = mix64(sm);
        }
    }
    uint64_t next() {
        const uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }
    /// Uniform in [0, range), range >= 1, without modulo bias (Lemire 2019).
    uint32_t below(uint32_t range) {
        uint64_t m = (next() >> 32) * range;
        auto low = static_cast<uint32_t>(m);
        if (low < range) {
            const uint32_t floor = static_cast<uint32_t>(-range) % range;
            while (low < floor) {
                m = (next() >> 32) * range;
                low = static_cast<uint32_t>(m);
            }
        }
        return static_cast<uint32_t>(m >> 32);
    }

private:
    static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t m_s[4];
};

/// How many simulated sums were >= and <= the observed one. A simulated sum within a relative
/// 1e-10 of the observed one counts as a tie, in both tails: with integer counts many draws
/// repeat the observed value exactly, and ties must not make a unit look extreme.
struct TailCounts {
    uint32_t upper = 0;
    uint32_t lower = 0;
    uint32_t extreme() const { return upper < lower ? upper : lower; }
};

/// Per-thread scratch for drawing without replacement.
class Permuter {
public:
    /// Draws `perms` times k distinct indexes of [0, x.size()) other than `exclude` (pass
    /// x.size() to exclude none) and compares sum_s w[s] * x[draw_s] (w empty: all 1) with `obs`.
    TailCounts run(UnitRng& rng, std::span<const double> x, uint32_t exclude, std::span<const double> w, uint32_t k,
                   double obs, double tie_tolerance, uint32_t perms);

private:
    std::vector<uint32_t> m_pool;   // identity permutation, restored after each draw
    std::vector<uint32_t> m_swaps;
};

/// The folded pseudo p of esda and GeoDa: (min(upper, lower) + 1) / (N + 1), one tail.
inline double pseudo_p(TailCounts c, uint32_t perms) {
    return (static_cast<double>(c.extreme()) + 1.0) / (static_cast<double>(perms) + 1.0);
}

/// Refuses fewer than 99 permutations (0 means none); throws InputError.
void check_permutations(uint32_t perms);

/// Mean and population standard deviation (divisor n) of a statistic's input. Throws InputError
/// when there are fewer than `min_units` values, a value is not finite, or all values are equal.
struct Moments {
    double mean = 0;
    double sd = 0;
    double max_abs = 0;
};
Moments moments(std::span<const double> x, const char* statistic, size_t min_units);

} // namespace safer::hotspots::detail
