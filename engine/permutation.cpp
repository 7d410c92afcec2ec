#include "engine/permutation.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "engine/errors.hpp"

namespace safer::hotspots::detail {

namespace {
// Below this many draws per permutation, rejection with a linear duplicate check is faster than
// a partial Fisher-Yates shuffle (which touches a pool as large as the data).
constexpr uint32_t small_draw = 16;
} // namespace

TailCounts Permuter::run(UnitRng& rng, std::span<const double> x, uint32_t exclude, std::span<const double> w,
                         uint32_t k, double obs, double tie_tolerance, uint32_t perms) {
    const auto n = static_cast<uint32_t>(x.size());
    const bool excluding = exclude < n;
    const uint32_t population = n - (excluding ? 1u : 0u);
    if (k > population) throw std::invalid_argument("permutation: more neighbours than other units");
    if (!w.empty() && w.size() != k) throw std::invalid_argument("permutation: weights and neighbour count differ");
    TailCounts counts;
    auto tally = [&](double sum) {
        const double diff = sum - obs;
        if (diff > tie_tolerance) ++counts.upper;
        else if (diff < -tie_tolerance) ++counts.lower;
        else ++counts.upper, ++counts.lower;
    };
    if (k == 0) { // nothing to permute: every draw equals the observed (empty) sum
        counts.upper = counts.lower = perms;
        return counts;
    }

    if (k <= small_draw && 4 * k <= population) {
        // The stream lives in registers for the whole unit; written back at the end.
        UnitRng g = rng;
        uint32_t chosen[small_draw];
        const bool weighted = !w.empty();
        for (uint32_t p = 0; p < perms; ++p) {
            double sum = 0;
            for (uint32_t t = 0; t < k; ++t) {
                uint32_t r;
                bool repeat;
                do {
                    r = g.below(population);
                    r += (excluding && r >= exclude) ? 1u : 0u;
                    repeat = false;
                    for (uint32_t s = 0; s < t; ++s) repeat |= chosen[s] == r;
                } while (repeat);
                chosen[t] = r;
                sum += weighted ? w[t] * x[r] : x[r];
            }
            tally(sum);
        }
        rng = g;
        return counts;
    }

    // Partial Fisher-Yates over a pool that is the identity between draws; the excluded unit is
    // parked at the end so the first `population` slots are the candidates.
    if (m_pool.size() != n) {
        m_pool.resize(n);
        std::iota(m_pool.begin(), m_pool.end(), 0u);
    }
    m_swaps.resize(k);
    if (excluding) std::swap(m_pool[exclude], m_pool[n - 1]);
    for (uint32_t p = 0; p < perms; ++p) {
        double sum = 0;
        for (uint32_t t = 0; t < k; ++t) {
            const uint32_t j = t + rng.below(population - t);
            std::swap(m_pool[t], m_pool[j]);
            m_swaps[t] = j;
            sum += (w.empty() ? 1.0 : w[t]) * x[m_pool[t]];
        }
        for (uint32_t t = k; t-- > 0;) std::swap(m_pool[t], m_pool[m_swaps[t]]);
        tally(sum);
    }
    if (excluding) std::swap(m_pool[exclude], m_pool[n - 1]);
    return counts;
}

void check_permutations(uint32_t perms) {
    if (perms != 0 && perms < 99)
        throw InputError(fmt::format("{} permutations are too few for a pseudo p-value: use at least 99 (999 is usual)", perms));
}

Moments moments(std::span<const double> x, const char* statistic, size_t min_units) {
    if (x.size() < min_units)
        throw InputError(fmt::format("{} needs at least {} units, got {}", statistic, min_units, x.size()));
    Moments m;
    double lo = x.empty() ? 0 : x[0], hi = lo, sum = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        if (!std::isfinite(x[i])) throw InputError(fmt::format("{}: the value of unit {} is not a finite number", statistic, i));
        lo = std::min(lo, x[i]), hi = std::max(hi, x[i]);
        sum += x[i];
    }
    if (lo == hi)
        throw InputError(fmt::format("{}: every unit has the same value ({}), so the variance is zero and the statistic "
                                     "is undefined{}",
                                     statistic, lo, lo == 0 ? " (are all counts zero?)" : ""));
    const auto n = static_cast<double>(x.size());
    m.mean = sum / n;
    double ss = 0;
    for (double v : x) ss += (v - m.mean) * (v - m.mean);
    m.sd = std::sqrt(ss / n);
    m.max_abs = std::max(std::fabs(lo), std::fabs(hi));
    return m;
}

} // namespace safer::hotspots::detail
