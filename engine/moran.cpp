#include "engine/moran.hpp"

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

LocalMoranResult local_moran(std::span<const double> x, const SpatialWeights& weights, const LocalMoranOptions& options) {
    constexpr const char* statistic = "local Moran's I";
    if (options.permutations == 0)
        throw InputError("local Moran's I needs permutations for its p-values: use at least 99 (999 is usual)");
    detail::check_permutations(options.permutations);
    if (weights.size() != x.size())
        throw std::invalid_argument(fmt::format("local Moran: {} values for {} units of weights", x.size(), weights.size()));
    const detail::Moments m = detail::moments(x, statistic, 2);
    const size_t n = x.size();

    SpatialWeights copy;
    const SpatialWeights* wp = &weights;
    if (weights.self_included) {
        copy = without_self(weights);
        wp = &copy;
    }
    if (wp->style != WeightStyle::row_standardised) {
        copy = row_standardised(*wp);
        wp = &copy;
    }
    const SpatialWeights& w = *wp;
    const double m2 = m.sd * m.sd;

    LocalMoranResult r;
    r.I.assign(n, 0.0);
    r.p_sim.assign(n, 1.0);
    r.quadrant.assign(n, 0);
    r.no_neighbours = w.islands();
    if (r.no_neighbours.size() == n)
        throw InputError(fmt::format("{}: no unit has a neighbour; use a larger distance band or other weights", statistic));

    struct Local {
        detail::Permuter permuter;
        std::vector<double> weights;
    };
    tbb::enumerable_thread_specific<Local> locals;
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 64), [&](const tbb::blocked_range<size_t>& range) {
        Local& local = locals.local();
        for (size_t i = range.begin(); i != range.end(); ++i) {
            local.weights.clear();
            double lag = 0, plain = 0;
            bool uniform = true;
            for (int64_t e = w.offsets[i]; e < w.offsets[i + 1]; ++e) {
                const double wv = w.weight(e);
                const double xj = x[static_cast<size_t>(w.neighbours[static_cast<size_t>(e)])];
                lag += wv * (xj - m.mean);
                plain += xj;
                uniform = uniform && wv == w.weight(w.offsets[i]);
                local.weights.push_back(wv);
            }
            const auto k = static_cast<uint32_t>(local.weights.size());
            if (k == 0) continue; // island: I = 0, p = 1, no quadrant
            const double zi = x[i] - m.mean;
            r.I[i] = zi * lag / m2;
            r.quadrant[i] = zi > 0 ? (lag > 0 ? high_high : high_low) : (lag > 0 ? low_high : low_low);
            if (zi == 0) continue; // I is 0 in every permutation: p = 1

            // I_sim / I_obs differ only through the neighbours' (weighted) sum of x, and only its
            // order matters for the folded p; equal row weights (the usual 1/k) compare plain sums,
            // exactly, for counts.
            detail::UnitRng rng(options.seed, i);
            double obs = 0, scale = 0;
            std::span<const double> draw_weights;
            if (uniform) {
                obs = plain;
                scale = k;
            } else {
                for (size_t s = 0; s < k; ++s) {
                    obs += local.weights[s] * x[static_cast<size_t>(w.neighbours[static_cast<size_t>(w.offsets[i]) + s])];
                    scale += std::fabs(local.weights[s]);
                }
                draw_weights = local.weights;
            }
            const double tie = 1e-10 * (scale * m.max_abs + std::fabs(obs)) + 1e-300;
            const detail::TailCounts counts = local.permuter.run(rng, x, static_cast<uint32_t>(i), draw_weights, k, obs, tie,
                                                                 options.permutations);
            r.p_sim[i] = detail::pseudo_p(counts, options.permutations);
        }
        if (options.progress) options.progress->advance(range.size());
    });

    r.p_fdr = benjamini_hochberg(r.p_sim);
    const std::vector<double>& p = options.fdr ? r.p_fdr : r.p_sim;
    r.cluster.resize(n);
    for (size_t i = 0; i < n; ++i) r.cluster[i] = p[i] <= options.alpha ? r.quadrant[i] : static_cast<int8_t>(not_significant);
    if (!r.no_neighbours.empty())
        r.warnings.push_back(fmt::format("{} of {} units have no neighbours and are never significant", r.no_neighbours.size(), n));
    r.few_units = n < 30;
    if (r.few_units) r.warnings.push_back(fmt::format("only {} units: local Moran's I needs about 30 or more to be reliable", n));
    return r;
}

GlobalMoran global_moran(std::span<const double> x, const SpatialWeights& w) {
    if (w.size() != x.size())
        throw std::invalid_argument(fmt::format("global Moran: {} values for {} units of weights", x.size(), w.size()));
    const detail::Moments m = detail::moments(x, "global Moran's I", 4);
    const size_t n = x.size();
    const auto nd = static_cast<double>(n);

    // Row and column sums, S0, the cross product and, for S1, sum_ij w_ij w_ji (rows are sorted,
    // so w_ji is found by binary search in row j).
    std::vector<double> row(n, 0.0), col(n, 0.0);
    double s0 = 0, cross = 0, sq = 0, mirrored = 0;
    for (size_t i = 0; i < n; ++i) {
        const double zi = x[i] - m.mean;
        for (int64_t e = w.offsets[i]; e < w.offsets[i + 1]; ++e) {
            const auto j = static_cast<size_t>(w.neighbours[static_cast<size_t>(e)]);
            const double wv = w.weight(e);
            row[i] += wv;
            col[j] += wv;
            s0 += wv;
            sq += wv * wv;
            cross += wv * zi * (x[j] - m.mean);
            const auto first = w.neighbours.begin() + w.offsets[j], last = w.neighbours.begin() + w.offsets[j + 1];
            const auto it = std::lower_bound(first, last, static_cast<int32_t>(i));
            if (it != last && *it == static_cast<int32_t>(i)) mirrored += wv * w.weight(it - w.neighbours.begin());
        }
    }
    if (!(s0 > 0)) throw InputError("global Moran's I: the weights sum to zero (no unit has a neighbour)");
    double m2sum = 0, m4sum = 0;
    for (double v : x) {
        const double z = v - m.mean;
        m2sum += z * z;
        m4sum += z * z * z * z;
    }
    const double s1 = sq + mirrored;
    double s2 = 0;
    for (size_t i = 0; i < n; ++i) s2 += (row[i] + col[i]) * (row[i] + col[i]);

    GlobalMoran g;
    g.I = nd / s0 * cross / m2sum;
    g.expected = -1.0 / (nd - 1);
    const double e2 = g.expected * g.expected;
    g.var_normal = (nd * nd * s1 - nd * s2 + 3 * s0 * s0) / ((nd * nd - 1) * s0 * s0) - e2;
    const double b2 = nd * m4sum / (m2sum * m2sum);
    g.var_random = (nd * ((nd * nd - 3 * nd + 3) * s1 - nd * s2 + 3 * s0 * s0) -
                    b2 * ((nd * nd - nd) * s1 - 2 * nd * s2 + 6 * s0 * s0)) /
                       ((nd - 1) * (nd - 2) * (nd - 3) * s0 * s0) -
                   e2;
    auto standardise = [&](double var, double& z, double& p) {
        if (var > 0) {
            z = (g.I - g.expected) / std::sqrt(var);
            p = two_sided_normal_p(z);
        } else { // degenerate weights (e.g. every unit linked to every other): no spread to test
            z = 0;
            p = 1;
        }
    };
    standardise(g.var_normal, g.z_normal, g.p_normal);
    standardise(g.var_random, g.z_random, g.p_random);
    return g;
}

} // namespace safer::hotspots
