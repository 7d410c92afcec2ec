#include "engine/fdr.hpp"

#include <tbb/parallel_sort.h>

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/errors.hpp"

namespace safer::hotspots {

namespace {
// Indexes sorted by p ascending, equal p in input order (sorting (p, index) pairs directly is
// several times faster than an indirect stable sort on a million p-values).
std::vector<size_t> ascending(std::span<const double> p) {
    std::vector<std::pair<double, size_t>> keyed(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
        if (!(p[i] >= 0 && p[i] <= 1)) throw InputError(fmt::format("p-value {} of unit {} is not in [0, 1]", p[i], i));
        keyed[i] = {p[i], i};
    }
    tbb::parallel_sort(keyed.begin(), keyed.end()); // (p, index) pairs are distinct: any sort gives one order
    std::vector<size_t> order(p.size());
    for (size_t r = 0; r < p.size(); ++r) order[r] = keyed[r].second;
    return order;
}
} // namespace

double two_sided_normal_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

std::vector<double> benjamini_hochberg(std::span<const double> p) {
    const std::vector<size_t> order = ascending(p);
    const size_t m = p.size();
    std::vector<double> q(m);
    double running = 1.0;
    for (size_t r = m; r-- > 0;) { // from the largest p down: the running minimum makes q monotone
        const size_t i = order[r];
        running = std::min(running, p[i] * static_cast<double>(m) / static_cast<double>(r + 1));
        q[i] = running;
    }
    return q;
}

std::vector<double> holm(std::span<const double> p) {
    const std::vector<size_t> order = ascending(p);
    const size_t m = p.size();
    std::vector<double> q(m);
    double running = 0.0;
    for (size_t r = 0; r < m; ++r) { // running maximum: monotone step-down
        const size_t i = order[r];
        running = std::max(running, std::min(1.0, p[i] * static_cast<double>(m - r)));
        q[i] = running;
    }
    return q;
}

} // namespace safer::hotspots
