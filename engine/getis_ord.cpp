#include "engine/getis_ord.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/errors.hpp"
#include "engine/fdr.hpp"
#include "engine/permutation.hpp"

namespace safer::hotspots {

namespace {

constexpr const char* statistic = "Getis-Ord Gi*";

// Neighbour sums of one unit, self included.
struct UnitSums {
    double lag = 0; // sum_j w_ij x_j
    double w = 0;   // W_i
    double s1 = 0;  // S1_i
};

// What a unit's permutations need: the non-self weights (empty: all 1), their count, the self
// weight and the observed non-self sum.
struct UnitNeighbours {
    std::vector<double> weights;
    uint32_t k = 0;
    double self_weight = 1;
    double obs = 0;
};

double z_score(const UnitSums& u, const detail::Moments& m, double n) {
    const double spread = n * u.s1 - u.w * u.w;
    // A neighbourhood that is every unit with equal weights has no variance (and a zero numerator).
    if (!(spread > 1e-12 * n * u.s1)) return 0.0;
    return (u.lag - m.mean * u.w) / (m.sd * std::sqrt(spread / (n - 1)));
}

// Everything after the neighbour sums, shared by the CSR and grid paths. `neighbours_of(i, out)`
// fills a unit's UnitNeighbours for permutation.
template <class NeighboursOf>
GiStarResult finish(std::span<const double> x, const detail::Moments& m, const std::vector<UnitSums>& sums,
                    std::vector<int32_t> islands, const GiStarOptions& options, NeighboursOf neighbours_of) {
    const size_t n = x.size();
    if (islands.size() == n)
        throw InputError(fmt::format("{}: no unit has a neighbour; use a larger distance band or other weights", statistic));
    GiStarResult r;
    r.z.resize(n);
    r.p.resize(n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 8192), [&](const tbb::blocked_range<size_t>& range) {
        for (size_t i = range.begin(); i != range.end(); ++i) {
            r.z[i] = z_score(sums[i], m, static_cast<double>(n));
            r.p[i] = two_sided_normal_p(r.z[i]);
        }
    });

    if (options.permutations > 0) {
        r.p_sim.resize(n);
        const uint32_t perms = options.permutations;
        struct Local {
            detail::Permuter permuter;
            UnitNeighbours unit;
        };
        tbb::enumerable_thread_specific<Local> locals;
        tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 64), [&](const tbb::blocked_range<size_t>& range) {
            Local& local = locals.local();
            UnitNeighbours& u = local.unit;
            for (size_t i = range.begin(); i != range.end(); ++i) {
                neighbours_of(i, u);
                detail::UnitRng rng(options.seed, i);
                double obs = u.obs;
                uint32_t k = u.k;
                auto exclude = static_cast<uint32_t>(i);
                if (!options.conditional) { // x_i's own slot is drawn too
                    if (!u.weights.empty() || u.self_weight != 1.0) {
                        if (u.weights.empty()) u.weights.assign(u.k, 1.0);
                        u.weights.insert(u.weights.begin(), u.self_weight);
                    }
                    obs += u.self_weight * x[i];
                    ++k;
                    exclude = static_cast<uint32_t>(n);
                }
                double scale = 0;
                if (u.weights.empty()) scale = k;
                else
                    for (double wv : u.weights) scale += std::fabs(wv);
                const double tie = 1e-10 * (scale * m.max_abs + std::fabs(obs)) + 1e-300;
                const detail::TailCounts counts = local.permuter.run(rng, x, exclude, u.weights, k, obs, tie, perms);
                r.p_sim[i] = std::min(1.0, 2.0 * detail::pseudo_p(counts, perms));
            }
            if (options.progress) options.progress->advance(range.size());
        });
    }

    if (options.bin_p == PSource::permutation && r.p_sim.empty())
        throw std::invalid_argument("Gi*: bins from permutation p-values need permutations");
    const std::vector<double>& source = options.bin_p == PSource::permutation ? r.p_sim : r.p;
    r.p_fdr = benjamini_hochberg(source);
    const std::vector<double>& binned = options.fdr ? r.p_fdr : source;
    r.bin.resize(n);
    for (size_t i = 0; i < n; ++i) r.bin[i] = gi_bin(r.z[i], binned[i]);

    r.no_neighbours = std::move(islands);
    if (!r.no_neighbours.empty())
        r.warnings.push_back(fmt::format("{} of {} units have no neighbours; their Gi* reflects their own value only",
                                         r.no_neighbours.size(), n));
    r.few_units = n < 30;
    if (r.few_units)
        r.warnings.push_back(fmt::format("only {} units: Gi* needs about 30 or more to be reliable", n));
    return r;
}

} // namespace

int8_t gi_bin(double z, double p) {
    const int8_t sign = z > 0 ? 1 : (z < 0 ? -1 : 0);
    if (p < 0.01) return static_cast<int8_t>(3 * sign);
    if (p < 0.05) return static_cast<int8_t>(2 * sign);
    if (p < 0.10) return sign;
    return 0;
}

GiStarResult gi_star(std::span<const double> x, const SpatialWeights& weights, const GiStarOptions& options) {
    detail::check_permutations(options.permutations);
    if (weights.size() != x.size())
        throw std::invalid_argument(fmt::format("Gi*: {} values for {} units of weights", x.size(), weights.size()));
    const detail::Moments m = detail::moments(x, statistic, 2);
    const size_t n = x.size();

    // Binary weights get self implicitly (weight 1) rather than by copying a possibly huge CSR.
    SpatialWeights copy;
    const bool implicit_self = !weights.self_included && weights.weights.empty();
    if (!weights.self_included && !implicit_self) copy = with_self(weights);
    const SpatialWeights& w = (weights.self_included || implicit_self) ? weights : copy;

    std::vector<UnitSums> sums(n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 4096), [&](const tbb::blocked_range<size_t>& range) {
        for (size_t i = range.begin(); i != range.end(); ++i) {
            UnitSums u;
            for (int64_t e = w.offsets[i]; e < w.offsets[i + 1]; ++e) {
                const double wv = w.weight(e);
                u.lag += wv * x[static_cast<size_t>(w.neighbours[static_cast<size_t>(e)])];
                u.w += wv;
                u.s1 += wv * wv;
            }
            if (implicit_self) u.lag += x[i], u.w += 1, u.s1 += 1;
            sums[i] = u;
        }
    });
    std::vector<int32_t> islands = w.islands();

    auto neighbours_of = [&](size_t i, UnitNeighbours& u) {
        u.weights.clear();
        u.k = 0;
        u.obs = 0;
        u.self_weight = implicit_self ? 1.0 : 0.0;
        bool uniform = true;
        for (int64_t e = w.offsets[i]; e < w.offsets[i + 1]; ++e) {
            const auto j = static_cast<size_t>(w.neighbours[static_cast<size_t>(e)]);
            const double wv = w.weight(e);
            if (j == i) {
                u.self_weight = wv;
                continue;
            }
            u.weights.push_back(wv);
            u.obs += wv * x[j];
            uniform = uniform && wv == 1.0;
            ++u.k;
        }
        if (uniform) u.weights.clear(); // binary: the cheaper unweighted draw
    };
    return finish(x, m, sums, std::move(islands), options, neighbours_of);
}

GiStarResult gi_star_grid(const CellGrid& grid, std::span<const double> x, double band, const GiStarOptions& options) {
    detail::check_permutations(options.permutations);
    const std::vector<int64_t> units = grid_units(grid);
    if (units.size() != x.size())
        throw std::invalid_argument(fmt::format("Gi* grid: {} values for {} cells inside the study area", x.size(), units.size()));
    const detail::Moments m = detail::moments(x, statistic, 2);
    const auto stencil = grid_stencil(grid.cell, band);

    // Half-width of the band's stencil on each row offset: the band is a disc of cells, so each
    // row of it is one contiguous run, summed from row prefix sums in O(1).
    int32_t reach = 0;
    for (const auto& [dr, dc] : stencil) reach = std::max(reach, dr);
    std::vector<int32_t> half(static_cast<size_t>(2 * reach + 1), -1);
    for (const auto& [dr, dc] : stencil) {
        auto& h = half[static_cast<size_t>(dr + reach)];
        h = std::max(h, dc);
    }

    const auto nx = static_cast<size_t>(grid.nx), ny = static_cast<size_t>(grid.ny);
    const size_t stride = nx + 1;
    std::vector<double> value_prefix(ny * stride, 0.0);
    std::vector<int32_t> count_prefix(ny * stride, 0);
    {
        std::vector<double> value(nx * ny, 0.0);
        for (size_t u = 0; u < units.size(); ++u) value[static_cast<size_t>(units[u])] = x[u];
        tbb::parallel_for(tbb::blocked_range<size_t>(0, ny, 16), [&](const tbb::blocked_range<size_t>& rows) {
            for (size_t row = rows.begin(); row != rows.end(); ++row)
                for (size_t col = 0; col < nx; ++col) {
                    const size_t cell = row * nx + col;
                    value_prefix[row * stride + col + 1] = value_prefix[row * stride + col] + value[cell];
                    count_prefix[row * stride + col + 1] =
                        count_prefix[row * stride + col] + (grid.is_inside(static_cast<int64_t>(cell)) ? 1 : 0);
                }
        });
    }

    std::vector<UnitSums> sums(units.size());
    tbb::parallel_for(tbb::blocked_range<size_t>(0, units.size(), 4096), [&](const tbb::blocked_range<size_t>& range) {
        for (size_t u = range.begin(); u != range.end(); ++u) {
            const auto row = static_cast<int64_t>(static_cast<size_t>(units[u]) / nx);
            const auto col = static_cast<int64_t>(static_cast<size_t>(units[u]) % nx);
            double lag = 0;
            int64_t count = 0;
            for (int32_t dr = -reach; dr <= reach; ++dr) {
                const int64_t rr = row + dr;
                if (rr < 0 || rr >= static_cast<int64_t>(ny)) continue;
                const int32_t h = half[static_cast<size_t>(dr + reach)];
                if (h < 0) continue;
                const auto lo = static_cast<size_t>(std::max<int64_t>(col - h, 0));
                const auto hi = static_cast<size_t>(std::min<int64_t>(col + h, static_cast<int64_t>(nx) - 1)) + 1;
                const size_t base = static_cast<size_t>(rr) * stride;
                lag += value_prefix[base + hi] - value_prefix[base + lo];
                count += count_prefix[base + hi] - count_prefix[base + lo];
            }
            sums[u] = UnitSums{lag, static_cast<double>(count), static_cast<double>(count)};
        }
    });
    std::vector<int32_t> islands;
    for (size_t u = 0; u < units.size(); ++u)
        if (sums[u].w <= 1.0) islands.push_back(static_cast<int32_t>(u));

    auto neighbours_of = [&](size_t i, UnitNeighbours& nb) {
        nb.weights.clear();
        nb.self_weight = 1.0;
        nb.k = static_cast<uint32_t>(sums[i].w) - 1;
        nb.obs = sums[i].lag - x[i];
    };
    return finish(x, m, sums, std::move(islands), options, neighbours_of);
}

} // namespace safer::hotspots
