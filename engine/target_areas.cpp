#include "engine/target_areas.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <stdexcept>

#include "engine/errors.hpp"

namespace safer {

namespace {

bool has_population(double p) { return p > 0 && std::isfinite(p); }

template <typename F>
void for_each_neighbour(const hotspots::SpatialWeights& w, size_t unit, F&& f) {
    for (int64_t e = w.offsets[unit]; e < w.offsets[unit + 1]; ++e) {
        const auto j = static_cast<size_t>(w.neighbours[static_cast<size_t>(e)]);
        if (j != unit) f(j);
    }
}

} // namespace

std::vector<TargetCandidate> target_candidates(const std::vector<double>& count, const std::vector<double>& population,
                                               const hotspots::SpatialWeights& contiguity, const TargetOptions& options) {
    const size_t n = count.size();
    if (population.size() != n || contiguity.size() != n) throw std::invalid_argument("target_candidates: sizes differ");
    if (options.max_areas < 1) throw InputError("--max-areas must be at least 1");
    if (!(options.min_population <= options.max_population))
        throw InputError(fmt::format("--min-population {} is above --max-population {}", options.min_population, options.max_population));

    std::vector<size_t> seeds;
    for (size_t a = 0; a < n; ++a)
        if (has_population(population[a]) && population[a] <= options.max_population) seeds.push_back(a);
    std::stable_sort(seeds.begin(), seeds.end(), [&](size_t a, size_t b) { return count[a] / population[a] > count[b] / population[b]; });

    std::vector<TargetCandidate> all;
    std::set<std::vector<size_t>> seen;
    for (size_t seed : seeds) {
        std::vector<size_t> members{seed};
        double pop = population[seed], cnt = count[seed];
        std::vector<double> rates{1000.0 * cnt / pop};
        while (true) {
            if (pop >= options.min_population) {
                std::vector<size_t> key = members;
                std::sort(key.begin(), key.end());
                if (seen.insert(key).second) all.push_back(TargetCandidate{key, members, rates, pop, cnt, 1000.0 * cnt / pop, 0, 0});
            }
            if (static_cast<int>(members.size()) >= options.max_areas) break;
            // The neighbour that leaves the cluster with the highest rate; ties to the higher
            // count, then the lower index.
            size_t best = n;
            double best_rate = -1, best_count = -1;
            std::set<size_t> in(members.begin(), members.end());
            for (size_t m : members)
                for_each_neighbour(contiguity, m, [&](size_t j) {
                    if (in.count(j) || !has_population(population[j]) || pop + population[j] > options.max_population) return;
                    const double r = (cnt + count[j]) / (pop + population[j]);
                    if (r > best_rate || (r == best_rate && (count[j] > best_count || (count[j] == best_count && j < best)))) {
                        best = j, best_rate = r, best_count = count[j];
                    }
                });
            if (best == n) break;
            members.push_back(best);
            pop += population[best];
            cnt += count[best];
            rates.push_back(1000.0 * cnt / pop);
        }
    }
    std::sort(all.begin(), all.end(), [](const TargetCandidate& a, const TargetCandidate& b) {
        if (a.rate != b.rate) return a.rate > b.rate;
        if (a.count != b.count) return a.count > b.count;
        return a.areas < b.areas;
    });
    std::vector<TargetCandidate> kept;
    std::vector<uint8_t> used(n, 0);
    for (TargetCandidate& c : all) {
        if (kept.size() >= options.keep) break;
        if (std::any_of(c.areas.begin(), c.areas.end(), [&](size_t a) { return used[a] != 0; })) continue;
        for (size_t a : c.areas) used[a] = 1;
        kept.push_back(std::move(c));
    }
    for (size_t i = 0; i < kept.size(); ++i) kept[i].rank_by_rate = i + 1;
    std::vector<size_t> order(kept.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return kept[a].count > kept[b].count; });
    for (size_t k = 0; k < order.size(); ++k) kept[order[k]].rank_by_count = k + 1;
    return kept;
}

bool is_contiguous(const std::vector<size_t>& areas, const hotspots::SpatialWeights& contiguity) {
    if (areas.empty()) return false;
    std::set<size_t> members(areas.begin(), areas.end()), reached{areas.front()};
    std::vector<size_t> stack{areas.front()};
    while (!stack.empty()) {
        const size_t a = stack.back();
        stack.pop_back();
        for_each_neighbour(contiguity, a, [&](size_t j) {
            if (members.count(j) && reached.insert(j).second) stack.push_back(j);
        });
    }
    return reached.size() == members.size();
}

} // namespace safer
