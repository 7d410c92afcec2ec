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

/// |log(after / synthetic after)|: infinite when exactly one of them is 0, NaN when both are.
double gap_statistic(double after, double synthetic_after) {
    if (!(after > 0) && !(synthetic_after > 0)) return std::nan("");
    if (!(after > 0) || !(synthetic_after > 0)) return infinity;
    return std::fabs(std::log(after / synthetic_after));
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

SyntheticResult synthetic_control(const SyntheticInput& in, double confidence, Progress* progress) {
    SyntheticResult res;
    const size_t months = in.target.size(), T0 = in.pre_months, J = in.donors.size();
    res.donor_used.assign(J, 0);
    res.weight.assign(J, 0.0);
    const auto pre_sum = [&](const std::vector<double>& s) { return std::accumulate(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(T0), 0.0); };
    const auto post_sum = [&](const std::vector<double>& s) { return std::accumulate(s.begin() + static_cast<std::ptrdiff_t>(T0), s.end(), 0.0); };
    // Donors with crime before the start, as index series (1 = their monthly mean before).
    std::vector<size_t> column_donor;
    std::vector<double> pre, post_index;
    std::vector<std::vector<double>> index_series;
    std::vector<size_t> column_of(J, J);
    for (size_t j = 0; j < J; ++j) {
        const double mean = pre_sum(in.donors[j]) / static_cast<double>(T0);
        if (!(mean > 0)) continue;
        res.donor_used[j] = 1;
        column_of[j] = column_donor.size();
        column_donor.push_back(j);
        std::vector<double> s(months);
        for (size_t t = 0; t < months; ++t) s[t] = in.donors[j][t] / mean;
        pre.insert(pre.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(T0));
        post_index.push_back(post_sum(s));
        index_series.push_back(std::move(s));
    }
    const double target_pre = pre_sum(in.target);
    if (column_donor.size() < min_synthetic_donors || !(target_pre > 0)) return res;
    const double target_mean = target_pre / static_cast<double>(T0);

    // One fit: the series (counts) of an area against the donor columns not excluded.
    struct Fit {
        std::vector<double> weight; // per column
        double statistic = std::nan(""), ratio = std::nan("");
    };
    const auto fit_area = [&](const std::vector<double>& counts, double mean, std::span<const uint8_t> excluded) {
        Fit f;
        std::vector<double> y(T0);
        for (size_t t = 0; t < T0; ++t) y[t] = counts[t] / mean;
        f.weight = simplex_least_squares(pre, T0, y, excluded).weight;
        double synthetic_after = 0;
        for (size_t c = 0; c < f.weight.size(); ++c) synthetic_after += f.weight[c] * post_index[c];
        const double after = post_sum(counts) / mean;
        f.statistic = gap_statistic(after, synthetic_after);
        if (synthetic_after > 0) f.ratio = after / synthetic_after;
        return f;
    };
    const Fit target = fit_area(in.target, target_mean, {});
    res.synthetic.assign(months, 0.0);
    double gap2 = 0;
    for (size_t c = 0; c < target.weight.size(); ++c) {
        if (target.weight[c] <= 0) continue;
        res.weight[column_donor[c]] = target.weight[c];
        for (size_t t = 0; t < months; ++t) res.synthetic[t] += target.weight[c] * index_series[c][t] * target_mean;
    }
    for (size_t t = 0; t < T0; ++t) gap2 += (in.target[t] - res.synthetic[t]) * (in.target[t] - res.synthetic[t]);
    res.pre_rmspe = std::sqrt(gap2 / static_cast<double>(T0)) / target_mean;
    if (std::isnan(target.ratio)) {
        res.status = SyntheticStatus::no_synthetic_after;
        return res;
    }
    res.status = SyntheticStatus::estimated;
    res.estimate = target.ratio - 1;

    // Placebo areas: a donor and its nearest donors, holding as many crimes before as the target.
    std::vector<size_t> seeds(J);
    std::iota(seeds.begin(), seeds.end(), size_t{0});
    if (J > in.placebos) { // a seeded sample, without replacement (partial Fisher-Yates)
        hotspots::detail::UnitRng rng(in.seed, 0);
        for (size_t i = 0; i < in.placebos; ++i) std::swap(seeds[i], seeds[i + rng.below(static_cast<uint32_t>(J - i))]);
        seeds.resize(in.placebos);
    }
    double all_pre = 0;
    for (const auto& d : in.donors) all_pre += pre_sum(d);
    // No placebo area may hold more than half the donors' crimes before the start.
    if (2 * target_pre > all_pre) seeds.clear();
    std::vector<double> statistic(seeds.size(), std::nan(""));
    std::vector<double> members(seeds.size(), 0.0);
    res.placebo_estimates.assign(seeds.size(), std::nan(""));
    if (progress) progress->begin(fmt::format("synthetic control: {} placebo areas", seeds.size()), seeds.size());
    tbb::parallel_for(tbb::blocked_range<size_t>(0, seeds.size()), [&](const tbb::blocked_range<size_t>& range) {
        std::vector<size_t> order(J);
        std::vector<uint8_t> excluded(column_donor.size());
        std::vector<double> counts(months);
        for (size_t k = range.begin(); k != range.end(); ++k) {
            const size_t s = seeds[k];
            std::iota(order.begin(), order.end(), size_t{0});
            const auto nearer = [&](size_t a, size_t b) {
                const double da = std::hypot(in.donor_x[a] - in.donor_x[s], in.donor_y[a] - in.donor_y[s]);
                const double db = std::hypot(in.donor_x[b] - in.donor_x[s], in.donor_y[b] - in.donor_y[s]);
                return da != db ? da < db : a < b;
            };
            std::fill(counts.begin(), counts.end(), 0.0);
            std::fill(excluded.begin(), excluded.end(), 0);
            double area_pre = 0;
            size_t sorted = 0, used = 0;
            while (area_pre < target_pre && used < J) {
                if (used == sorted) { // sort the next batch of nearest donors
                    const size_t next = std::min(J, std::max<size_t>(64, 2 * sorted));
                    std::partial_sort(order.begin() + static_cast<std::ptrdiff_t>(sorted), order.begin() + static_cast<std::ptrdiff_t>(next), order.end(), nearer);
                    sorted = next;
                }
                const size_t d = order[used++];
                for (size_t t = 0; t < months; ++t) counts[t] += in.donors[d][t];
                area_pre += pre_sum(in.donors[d]);
                if (column_of[d] < J) excluded[column_of[d]] = 1;
            }
            members[k] = static_cast<double>(used);
            const Fit f = fit_area(counts, area_pre / static_cast<double>(T0), excluded);
            statistic[k] = f.statistic;
            if (!std::isnan(f.ratio)) res.placebo_estimates[k] = f.ratio - 1;
            if (progress) progress->advance(1);
        }
    });
    if (progress) progress->end();
    std::vector<double> valid, sizes;
    for (size_t k = 0; k < seeds.size(); ++k) {
        if (std::isnan(statistic[k])) {
            ++res.placebos_undefined;
            continue;
        }
        valid.push_back(statistic[k]);
        sizes.push_back(members[k]);
    }
    res.placebos = valid.size();
    if (valid.empty()) {
        res.placebos_undefined = seeds.size();
        return res;
    }
    std::sort(sizes.begin(), sizes.end());
    res.placebo_areas_median = sizes.size() % 2 ? sizes[sizes.size() / 2] : 0.5 * (sizes[sizes.size() / 2 - 1] + sizes[sizes.size() / 2]);
    // p: the target counts among the areas compared (ADH's rank / (placebos + 1)).
    const double observed = target.statistic;
    const auto at_least = [&](double s) {
        return static_cast<size_t>(std::count_if(valid.begin(), valid.end(), [&](double v) { return v >= s * (1 - 1e-10); }));
    };
    const double n = static_cast<double>(valid.size());
    res.p = (1 + static_cast<double>(at_least(observed))) / (n + 1);
    // Interval: effect e is kept while |log(ratio) - log(1 + e)| is at most the m-th largest
    // placebo statistic, m the fewest placebos at or above it that keep p above 1 - confidence.
    const double alpha = 1 - confidence;
    const auto m = static_cast<size_t>(std::floor(alpha * (n + 1)));
    if (m == 0) {
        res.low = -1, res.high = infinity;
        return res;
    }
    std::sort(valid.begin(), valid.end(), std::greater<>());
    const double q = valid[m - 1];
    if (!(target.ratio > 0)) return res; // no crime after in the target: no effect size keeps it
    const double centre = std::log(target.ratio);
    res.low = q == infinity ? -1 : std::exp(centre - q) - 1;
    res.high = q == infinity ? infinity : std::exp(centre + q) - 1;
    return res;
}

} // namespace safer::evaluation
