#include "engine/synthetic_control.hpp"

#include <fmt/core.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <limits>
#include <numeric>

#include "engine/permutation.hpp"

namespace safer::evaluation {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

/// min ||X_P z - y||^2 subject to sum z = 1, through the normal equations with a tiny ridge (so
/// columns that repeat each other, as sparse counts often do, share the weight instead of
/// breaking the factorisation).
std::vector<double> face_solution(std::span<const double> x, size_t rows, std::span<const double> y, const std::vector<size_t>& face) {
    const size_t n = face.size();
    std::vector<double> g(n * n), b(n);
    double trace = 0;
    for (size_t i = 0; i < n; ++i) {
        const double* xi = x.data() + face[i] * rows;
        for (size_t j = 0; j <= i; ++j) {
            const double* xj = x.data() + face[j] * rows;
            double s = 0;
            for (size_t t = 0; t < rows; ++t) s += xi[t] * xj[t];
            g[i * n + j] = g[j * n + i] = s;
        }
        double s = 0;
        for (size_t t = 0; t < rows; ++t) s += xi[t] * y[t];
        b[i] = s;
        trace += g[i * n + i];
    }
    const double ridge = 1e-12 * (trace / static_cast<double>(n)) + 1e-300;
    for (size_t i = 0; i < n; ++i) g[i * n + i] += ridge;
    // Cholesky in place (lower), then G^-1 b and G^-1 1.
    for (size_t j = 0; j < n; ++j) {
        double d = g[j * n + j];
        for (size_t k = 0; k < j; ++k) d -= g[j * n + k] * g[j * n + k];
        d = std::sqrt(std::max(d, ridge));
        g[j * n + j] = d;
        for (size_t i = j + 1; i < n; ++i) {
            double s = g[i * n + j];
            for (size_t k = 0; k < j; ++k) s -= g[i * n + k] * g[j * n + k];
            g[i * n + j] = s / d;
        }
    }
    const auto solve = [&](std::vector<double> v) {
        for (size_t i = 0; i < n; ++i) {
            for (size_t k = 0; k < i; ++k) v[i] -= g[i * n + k] * v[k];
            v[i] /= g[i * n + i];
        }
        for (size_t i = n; i-- > 0;) {
            for (size_t k = i + 1; k < n; ++k) v[i] -= g[k * n + i] * v[k];
            v[i] /= g[i * n + i];
        }
        return v;
    };
    const std::vector<double> u = solve(b), v = solve(std::vector<double>(n, 1.0));
    const double su = std::accumulate(u.begin(), u.end(), 0.0), sv = std::accumulate(v.begin(), v.end(), 0.0);
    const double mu = (su - 1) / sv;
    std::vector<double> z(n);
    for (size_t i = 0; i < n; ++i) z[i] = u[i] - mu * v[i];
    return z;
}

} // namespace

SimplexFit simplex_least_squares(std::span<const double> x, size_t rows, std::span<const double> y, std::span<const uint8_t> excluded) {
    SimplexFit fit;
    const size_t cols = rows ? x.size() / rows : 0;
    fit.weight.assign(cols, 0.0);
    const auto allowed = [&](size_t j) { return excluded.empty() || !excluded[j]; };
    const auto column = [&](size_t j) { return x.data() + j * rows; };
    double yy = 0;
    for (double v : y) yy += v * v;
    // Start from the single best column.
    size_t best = cols;
    double best_loss = infinity;
    for (size_t j = 0; j < cols; ++j) {
        if (!allowed(j)) continue;
        double s = 0;
        for (size_t t = 0; t < rows; ++t) s += (column(j)[t] - y[t]) * (column(j)[t] - y[t]);
        if (s < best_loss) best_loss = s, best = j;
    }
    if (best == cols) return fit;
    std::vector<size_t> face{best};
    std::vector<double> w{1.0};
    std::vector<double> r(rows), g(cols);
    std::vector<uint8_t> in_face(cols, 0), blocked(cols, 0);
    in_face[best] = 1;
    const auto residual = [&] {
        std::fill(r.begin(), r.end(), 0.0);
        for (size_t i = 0; i < face.size(); ++i)
            for (size_t t = 0; t < rows; ++t) r[t] += w[i] * column(face[i])[t];
        for (size_t t = 0; t < rows; ++t) r[t] -= y[t];
    };
    residual();
    const int max_iterations = static_cast<int>(10 * rows + 100);
    double scale = yy;
    for (size_t j = 0; j < cols; ++j)
        if (allowed(j))
            for (size_t t = 0; t < rows; ++t) scale = std::max(scale, column(j)[t] * column(j)[t] * static_cast<double>(rows));
    const double tolerance = 1e-11 * (1 + scale);
    for (fit.iterations = 1; fit.iterations <= max_iterations; ++fit.iterations) {
        // The gradient X'r; on the best point of the face every column of it has the same value.
        double lambda = 0;
        for (size_t j = 0; j < cols; ++j) {
            if (!allowed(j)) continue;
            double s = 0;
            const double* xj = column(j);
            for (size_t t = 0; t < rows; ++t) s += xj[t] * r[t];
            g[j] = s;
        }
        for (size_t i = 0; i < face.size(); ++i) lambda += w[i] * g[face[i]];
        size_t enter = cols;
        double lowest = lambda - tolerance;
        for (size_t j = 0; j < cols; ++j)
            if (allowed(j) && !in_face[j] && !blocked[j] && g[j] < lowest) lowest = g[j], enter = j;
        if (enter == cols) {
            fit.converged = true;
            break;
        }
        face.push_back(enter), w.push_back(0.0), in_face[enter] = 1;
        bool moved = false;
        for (size_t inner = 0; inner <= face.size() + 2; ++inner) {
            const std::vector<double> z = face_solution(x, rows, y, face);
            if (std::all_of(z.begin(), z.end(), [](double v) { return v > 0; })) {
                w = z;
                moved = true;
                break;
            }
            // Step toward z until the first weight reaches 0; that column leaves the face.
            double step = 1;
            size_t leaving = face.size();
            for (size_t i = 0; i < face.size(); ++i)
                if (z[i] <= 0) {
                    const double s = w[i] / (w[i] - z[i]);
                    if (s < step) step = s, leaving = i;
                }
            for (size_t i = 0; i < face.size(); ++i) w[i] += step * (z[i] - w[i]);
            if (leaving < face.size()) w[leaving] = 0;
            if (step > 0) moved = true;
            std::vector<size_t> kept_face;
            std::vector<double> kept_w;
            for (size_t i = 0; i < face.size(); ++i) {
                if (w[i] > 0) kept_face.push_back(face[i]), kept_w.push_back(w[i]);
                else in_face[face[i]] = 0;
            }
            face = std::move(kept_face), w = std::move(kept_w);
            if (!in_face[enter]) break; // the new column could not enter: try the next best
        }
        if (!moved) blocked[enter] = 1;
        else std::fill(blocked.begin(), blocked.end(), 0);
        const double sum = std::accumulate(w.begin(), w.end(), 0.0);
        for (double& v : w) v /= sum;
        residual();
    }
    for (size_t i = 0; i < face.size(); ++i) fit.weight[face[i]] = w[i];
    double loss = 0;
    for (double v : r) loss += v * v;
    fit.loss = loss;
    return fit;
}

namespace {

/// Donor LSOAs by distance from each, grown into areas of a size in crimes.
class AreaGrower {
public:
    AreaGrower(const SyntheticInput& in, const std::vector<double>& total, double largest) : m_in(in), m_total(total), m_order(in.donors.size()) {
        const size_t J = in.donors.size();
        tbb::parallel_for(tbb::blocked_range<size_t>(0, J), [&](const tbb::blocked_range<size_t>& range) {
            for (size_t s = range.begin(); s != range.end(); ++s) {
                std::vector<uint32_t> order = sorted_from(s, 0);
                // Keep the nearest holding three times the largest area asked for (exclusions may skip some).
                double held = 0;
                size_t keep = 0;
                while (keep < order.size() && held < 3 * largest) held += total[order[keep++]];
                order.resize(keep);
                m_order[s] = std::move(order);
            }
        });
    }
    /// The LSOAs of the area grown from `seed` to at least `size` crimes, skipping `skip` (may be empty).
    std::vector<uint32_t> grow(size_t seed, double size, const std::vector<uint8_t>& skip) const {
        std::vector<uint32_t> members;
        double held = 0;
        const auto walk = [&](const std::vector<uint32_t>& order, size_t from) {
            for (size_t k = from; k < order.size() && held < size; ++k) {
                const uint32_t j = order[k];
                if (!skip.empty() && skip[j]) continue;
                members.push_back(j);
                held += m_total[j];
            }
        };
        walk(m_order[seed], 0);
        if (held < size && m_order[seed].size() < m_in.donors.size()) walk(sorted_from(seed, m_order[seed].size()), m_order[seed].size());
        return members;
    }

private:
    std::vector<uint32_t> sorted_from(size_t s, size_t) const {
        const size_t J = m_in.donors.size();
        std::vector<uint32_t> order(J);
        std::iota(order.begin(), order.end(), uint32_t{0});
        std::vector<double> d(J);
        for (size_t j = 0; j < J; ++j) d[j] = std::hypot(m_in.donor_x[j] - m_in.donor_x[s], m_in.donor_y[j] - m_in.donor_y[s]);
        std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return d[a] != d[b] ? d[a] < d[b] : a < b; });
        return order;
    }
    const SyntheticInput& m_in;
    const std::vector<double>& m_total;
    std::vector<std::vector<uint32_t>> m_order;
};

double median(std::vector<double> v) {
    if (v.empty()) return std::nan("");
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

} // namespace

SyntheticResult synthetic_control(const SyntheticInput& in, double confidence, Progress* progress) {
    SyntheticResult res;
    const size_t months = in.target.size(), T0 = in.pre_months, J = in.donors.size();
    const auto T0d = static_cast<std::ptrdiff_t>(T0);
    res.weight.assign(J, 0.0);
    std::vector<double> total(J);
    double all_total = 0;
    for (size_t j = 0; j < J; ++j) all_total += total[j] = std::accumulate(in.donors[j].begin(), in.donors[j].end(), 0.0);
    const double target_pre = std::accumulate(in.target.begin(), in.target.begin() + T0d, 0.0);
    const double target_mean = target_pre / static_cast<double>(T0);
    const double size = target_mean * static_cast<double>(months); // the target's crimes over every month, at its rate before
    const double donor_size = std::max(size, std::min(donor_area_size * size, all_total / 4));
    if (J < min_synthetic_donors || !(target_pre > 0) || 2 * size > all_total) return res;
    res.target_crimes = size, res.donor_area_crimes = donor_size;
    const AreaGrower grower(in, total, donor_size);

    // An area's series: its crimes a month, and as an index of its mean before the start.
    struct Series {
        std::vector<double> counts, index;
        double mean = 0, after_index = 0;
        bool usable = false; // crime before the start
    };
    const auto series_of = [&](const std::vector<uint32_t>& members) {
        Series a;
        a.counts.assign(months, 0.0);
        for (uint32_t j : members)
            for (size_t t = 0; t < months; ++t) a.counts[t] += in.donors[j][t];
        a.mean = std::accumulate(a.counts.begin(), a.counts.begin() + T0d, 0.0) / static_cast<double>(T0);
        a.usable = a.mean > 0;
        if (a.usable) {
            a.index.resize(months);
            for (size_t t = 0; t < months; ++t) a.index[t] = a.counts[t] / a.mean;
            a.after_index = std::accumulate(a.index.begin() + T0d, a.index.end(), 0.0);
        }
        return a;
    };
    // The base donor areas, one from each donor LSOA.
    const size_t A = J;
    std::vector<std::vector<uint32_t>> members(A);
    std::vector<Series> areas(A);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, A), [&](const tbb::blocked_range<size_t>& range) {
        for (size_t g = range.begin(); g != range.end(); ++g) {
            members[g] = grower.grow(g, donor_size, {});
            areas[g] = series_of(members[g]);
        }
    });
    res.donor_areas = A;
    std::vector<std::vector<uint32_t>> areas_of(J); // the base donor areas each LSOA is in
    std::vector<double> sizes;
    for (size_t g = 0; g < A; ++g) {
        for (uint32_t j : members[g]) areas_of[j].push_back(static_cast<uint32_t>(g));
        sizes.push_back(static_cast<double>(members[g].size()));
    }
    res.donor_area_lsoas = median(sizes);

    // One fit: an area's series against donor areas (the months before, column by column).
    struct Fit {
        std::vector<double> weight; // per donor area
        double statistic = std::nan(""), ratio = std::nan(""); // statistic: log(ratio), NaN when the ratio is 0 or undefined
    };
    const auto fit_area = [&](const Series& unit, const std::vector<double>& pre, const std::vector<double>& after_index, std::span<const uint8_t> excluded) {
        Fit f;
        std::vector<double> y(unit.index.begin(), unit.index.begin() + T0d);
        f.weight = simplex_least_squares(pre, T0, y, excluded).weight;
        double synthetic_after = 0;
        for (size_t g = 0; g < f.weight.size(); ++g) synthetic_after += f.weight[g] * after_index[g];
        if (synthetic_after > 0) f.ratio = unit.after_index / synthetic_after;
        if (f.ratio > 0) f.statistic = std::log(f.ratio);
        return f;
    };
    std::vector<double> base_pre(A * T0, 0.0), base_after(A, 0.0);
    std::vector<uint8_t> unusable(A, 0);
    for (size_t g = 0; g < A; ++g) {
        unusable[g] = !areas[g].usable;
        if (!areas[g].usable) continue;
        std::copy(areas[g].index.begin(), areas[g].index.begin() + T0d, base_pre.begin() + static_cast<std::ptrdiff_t>(g * T0));
        base_after[g] = areas[g].after_index;
    }
    Series target;
    target.counts = in.target;
    target.mean = target_mean;
    target.usable = true;
    target.index.resize(months);
    for (size_t t = 0; t < months; ++t) target.index[t] = in.target[t] / target_mean;
    target.after_index = std::accumulate(target.index.begin() + T0d, target.index.end(), 0.0);
    const Fit fit = fit_area(target, base_pre, base_after, unusable);
    res.area_weight = fit.weight;
    res.synthetic.assign(months, 0.0);
    std::vector<double> per_count(J, 0.0); // index per crime of each LSOA: the sum over its weighted areas of w_g / mean_g
    for (size_t g = 0; g < A; ++g) {
        if (fit.weight[g] <= 0) continue;
        for (size_t t = 0; t < months; ++t) res.synthetic[t] += fit.weight[g] * areas[g].index[t] * target_mean;
        for (uint32_t j : members[g]) per_count[j] += fit.weight[g] / areas[g].mean;
    }
    double synthetic_total = 0;
    for (size_t j = 0; j < J; ++j) synthetic_total += res.weight[j] = per_count[j] * total[j];
    if (synthetic_total > 0)
        for (double& w : res.weight) w /= synthetic_total;
    double gap2 = 0;
    for (size_t t = 0; t < T0; ++t) gap2 += (in.target[t] - res.synthetic[t]) * (in.target[t] - res.synthetic[t]);
    res.pre_rmspe = std::sqrt(gap2 / static_cast<double>(T0)) / target_mean;
    if (std::isnan(fit.ratio)) {
        res.status = SyntheticStatus::no_synthetic_after;
        return res;
    }
    res.status = SyntheticStatus::estimated;
    res.ratio = fit.ratio;
    res.estimate = fit.ratio - 1;

    // Placebo areas: built and fitted as the target is.
    std::vector<size_t> chosen(J);
    std::iota(chosen.begin(), chosen.end(), size_t{0});
    if (J > in.placebos) { // a seeded sample, without replacement (partial Fisher-Yates)
        hotspots::detail::UnitRng rng(in.seed, 0);
        for (size_t i = 0; i < in.placebos; ++i) std::swap(chosen[i], chosen[i + rng.below(static_cast<uint32_t>(J - i))]);
        chosen.resize(in.placebos);
    }
    std::vector<double> statistic(chosen.size(), std::nan("")), placebo_sizes(chosen.size(), 0.0);
    res.placebo_estimates.assign(chosen.size(), std::nan(""));
    if (progress) progress->begin(fmt::format("synthetic control: {} placebo areas", chosen.size()), chosen.size());
    tbb::parallel_for(tbb::blocked_range<size_t>(0, chosen.size()), [&](const tbb::blocked_range<size_t>& range) {
        std::vector<uint8_t> zone(J), excluded(A), touched(A);
        std::vector<double> pre, after;
        for (size_t k = range.begin(); k != range.end(); ++k) {
            const std::vector<uint32_t> placebo = grower.grow(chosen[k], size, {});
            placebo_sizes[k] = static_cast<double>(placebo.size());
            const Series unit = series_of(placebo);
            if (progress) progress->advance(1);
            if (!unit.usable) continue;
            // Its zone: its LSOAs and those within the buffer's distance of them.
            std::fill(zone.begin(), zone.end(), 0);
            for (uint32_t m : placebo) {
                zone[m] = 1;
                if (m < in.donor_near.size())
                    for (uint32_t n : in.donor_near[m]) zone[n] = 1;
            }
            // Donor areas touching the zone are grown again around it (or dropped when their seed is in it).
            pre = base_pre, after = base_after;
            std::copy(unusable.begin(), unusable.end(), excluded.begin());
            std::fill(touched.begin(), touched.end(), 0);
            for (size_t j = 0; j < J; ++j)
                if (zone[j])
                    for (uint32_t g : areas_of[j]) touched[g] = 1;
            for (size_t g = 0; g < A; ++g) {
                if (!touched[g]) continue;
                if (zone[g]) {
                    excluded[g] = 1;
                    continue;
                }
                const Series rebuilt = series_of(grower.grow(g, donor_size, zone));
                excluded[g] = !rebuilt.usable;
                if (!rebuilt.usable) continue;
                std::copy(rebuilt.index.begin(), rebuilt.index.begin() + T0d, pre.begin() + static_cast<std::ptrdiff_t>(g * T0));
                after[g] = rebuilt.after_index;
            }
            const Fit f = fit_area(unit, pre, after, excluded);
            statistic[k] = f.statistic;
            if (!std::isnan(f.ratio)) res.placebo_estimates[k] = f.ratio - 1;
        }
    });
    if (progress) progress->end();
    res.placebo_area_lsoas = median(placebo_sizes);
    std::vector<double> valid;
    for (double v : statistic) {
        if (std::isnan(v)) ++res.placebos_undefined;
        else valid.push_back(v);
    }
    res.placebos = valid.size();
    if (valid.empty() || !(fit.ratio > 0)) return res;
    // The placebo areas' median change against their synthetic controls: what fitting these data
    // does to an area with no intervention, taken off the target's.
    std::sort(valid.begin(), valid.end());
    res.placebo_median = valid.size() % 2 ? valid[valid.size() / 2] : 0.5 * (valid[valid.size() / 2 - 1] + valid[valid.size() / 2]);
    const double centre = std::log(fit.ratio) - res.placebo_median;
    res.estimate = std::exp(centre) - 1;
    // p: the target counts among the areas compared (ADH's rank / (placebos + 1)), each by its
    // distance from the placebos' median.
    std::vector<double> distance;
    for (double v : valid) distance.push_back(std::fabs(v - res.placebo_median));
    const double observed = std::fabs(centre);
    const double n = static_cast<double>(distance.size());
    const auto at_least = static_cast<double>(std::count_if(distance.begin(), distance.end(), [&](double v) { return v >= observed * (1 - 1e-10); }));
    res.p = (1 + at_least) / (n + 1);
    // Interval: effect e is kept while |centre - log(1 + e)| is at most the m-th largest placebo
    // distance, m the fewest placebos at or above it that keep p above 1 - confidence.
    const auto m = static_cast<size_t>(std::floor((1 - confidence) * (n + 1)));
    if (m == 0) {
        res.low = -1, res.high = infinity;
        return res;
    }
    std::sort(distance.begin(), distance.end(), std::greater<>());
    const double q = distance[m - 1];
    res.low = q == infinity ? -1 : std::exp(centre - q) - 1;
    res.high = q == infinity ? infinity : std::exp(centre + q) - 1;
    return res;
}

} // namespace safer::evaluation
