#include "engine/accuracy.hpp"

#include <fmt/core.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "engine/area_index.hpp"
#include "engine/errors.hpp"
#include "engine/hotspot_study.hpp"

namespace safer::accuracy {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// The share `k` (a number of cells, maybe fractional) of a ranking taken from the top: the sum of
/// `value` over the cells taken, cells in a group of equal scores all taken in the same part.
struct Ranked {
    std::vector<size_t> order;      // cells, highest score first
    std::vector<size_t> group_end;  // for each position, the end of its group of equal scores
    std::vector<double> prefix;     // per value array: prefix sums along the order
};

std::vector<size_t> order_by(std::span<const double> score) {
    std::vector<size_t> order(score.size());
    std::iota(order.begin(), order.end(), size_t{0});
    tbb::parallel_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b] || (score[a] == score[b] && a < b); });
    return order;
}

std::vector<double> prefix_along(const std::vector<size_t>& order, std::span<const double> value) {
    std::vector<double> prefix(order.size() + 1, 0);
    for (size_t k = 0; k < order.size(); ++k) prefix[k + 1] = prefix[k] + value[order[k]];
    return prefix;
}

/// Sum of the top `k` cells (0 <= k <= n), the group straddling k taken in part.
double take(const std::vector<double>& prefix, const std::vector<size_t>& group_start, const std::vector<size_t>& group_end, double k,
            size_t& start, size_t& end) {
    const size_t n = prefix.size() - 1;
    if (k >= static_cast<double>(n)) {
        start = end = n;
        return prefix[n];
    }
    const auto at = static_cast<size_t>(std::floor(k));
    start = group_start[at], end = group_end[at];
    const double part = (k - static_cast<double>(start)) / static_cast<double>(end - start);
    return prefix[start] + part * (prefix[end] - prefix[start]);
}

void groups(std::span<const double> score, const std::vector<size_t>& order, std::vector<size_t>& start, std::vector<size_t>& end) {
    const size_t n = order.size();
    start.resize(n), end.resize(n);
    for (size_t k = 0; k < n;) {
        size_t e = k + 1;
        while (e < n && score[order[e]] == score[order[k]]) ++e;
        for (size_t j = k; j < e; ++j) start[j] = k, end[j] = e;
        k = e;
    }
}

double sum(std::span<const double> v) { return std::accumulate(v.begin(), v.end(), 0.0); }

} // namespace

std::vector<CoverageScore> score_ranking(std::span<const double> score, std::span<const double> test, std::span<const double> train,
                                         std::span<const double> coverages) {
    const size_t n = score.size();
    if (n == 0) throw InputError("no cell to rank: the study area has no cell");
    if (test.size() != n || train.size() != n) throw std::logic_error("score_ranking: lengths differ");
    const double N = sum(test), N1 = sum(train);
    if (!(N > 0)) throw InputError("no test incident in the study area: nothing to predict");
    const std::vector<size_t> order = order_by(score);
    std::vector<size_t> start, end;
    groups(score, order, start, end);
    const std::vector<double> test_prefix = prefix_along(order, test), train_prefix = prefix_along(order, train);
    // The best possible: the test counts as their own ranking.
    const std::vector<size_t> best_order = order_by(test);
    std::vector<size_t> best_start, best_end;
    groups(test, best_order, best_start, best_end);
    const std::vector<double> best_prefix = prefix_along(best_order, test);

    std::vector<CoverageScore> out;
    for (double c : coverages) {
        if (!(c > 0 && c <= 1)) throw InputError(fmt::format("coverage {} %: expected more than 0 and at most 100", 100 * c));
        CoverageScore s;
        s.coverage = c;
        s.flagged_cells = c * static_cast<double>(n);
        size_t g0 = 0, g1 = 0, b0 = 0, b1 = 0;
        s.hits = take(test_prefix, start, end, s.flagged_cells, g0, g1);
        size_t t0 = 0, t1 = 0;
        s.train_hits = take(train_prefix, start, end, s.flagged_cells, t0, t1);
        s.best_hits = take(best_prefix, best_start, best_end, s.flagged_cells, b0, b1);
        s.hit_rate = s.hits / N;
        s.pai = s.hit_rate / c;
        s.pei = s.best_hits > 0 ? s.hits / s.best_hits : nan;
        s.rri = N1 > 0 && s.train_hits > 0 ? s.hit_rate / (s.train_hits / N1) : nan;
        const size_t last = std::min(n - 1, static_cast<size_t>(std::max(0.0, std::ceil(s.flagged_cells) - 1)));
        s.threshold = score[order[last]];
        s.tied_cells = static_cast<double>(end[last] - start[last]);
        out.push_back(s);
    }
    return out;
}

CoverageScore score_at(std::span<const double> score, std::span<const double> test, std::span<const double> train, double coverage) {
    const double c[] = {coverage};
    return score_ranking(score, test, train, c).front();
}

EvaluationGrid evaluation_grid(const Extent& extent, double cell, const Areas& areas) {
    if (!(std::isfinite(cell) && cell > 0)) throw InputError(fmt::format("evaluation cell {} m: expected more than 0", cell));
    const Extent e = areas.size() ? areas.extent() : extent;
    if (e.empty()) throw InputError("no study area: no incident and no area");
    const double n = Grid::cells_covering(e, 0, cell);
    if (n > max_evaluation_cells)
        throw InputError(fmt::format("--cell {:g} m: the evaluation grid would have {:.0f} cells over {:.1f} x {:.1f} km, more than {:.0f} million; use "
                                     "--cell {:.0f} or larger",
                                     cell, n, e.width() / 1000, e.height() / 1000, max_evaluation_cells / 1e6, std::ceil(cell * std::sqrt(n / max_evaluation_cells))));
    EvaluationGrid g;
    g.grid = Grid::covering(e, 0, cell);
    if (areas.size()) {
        std::vector<const GEOSGeometry*> polygons;
        for (const auto& p : areas.geometry) polygons.push_back(p.get());
        g.inside = kde::rasterize(g.grid, polygons);
    }
    for (size_t c = 0; c < g.grid.cells(); ++c)
        if (g.inside.empty() || g.inside[c]) g.cells.push_back(static_cast<int64_t>(c));
    if (g.cells.empty()) throw InputError(fmt::format("the evaluation grid of {:g} m cells has no cell whose centre lies in the areas; use a smaller --cell", cell));
    return g;
}

namespace {

/// Per study-area cell (in EvaluationGrid::cells order): the cell's unit number, or -1 outside.
std::vector<int64_t> unit_of_cells(const EvaluationGrid& g) {
    std::vector<int64_t> unit(g.grid.cells(), -1);
    for (size_t k = 0; k < g.cells.size(); ++k) unit[static_cast<size_t>(g.cells[k])] = static_cast<int64_t>(k);
    return unit;
}

kde::Points points_of(const Incidents& in, const std::vector<size_t>& rows) {
    kde::Points p;
    for (size_t i : rows) p.x.push_back(in.x[i]), p.y.push_back(in.y[i]);
    return p;
}

/// The density of `fit` at the centre of every study-area cell.
std::vector<double> kde_scores(const EvaluationGrid& g, const kde::Points& fit, double bandwidth, kde::Kernel kernel) {
    const std::vector<float> surface = kde::density(fit, g.grid, kernel, bandwidth, kde::Units::raw);
    std::vector<double> score(g.cells.size());
    for (size_t k = 0; k < g.cells.size(); ++k) score[k] = surface[static_cast<size_t>(g.cells[k])];
    return score;
}

std::vector<double> default_curve() {
    std::vector<double> c;
    for (int p = 1; p <= 20; ++p) c.push_back(p / 100.0);
    return c;
}

} // namespace

AccuracyResult evaluate(const Incidents& in, const std::vector<uint8_t>& selected, const std::vector<int32_t>& area_of, const Areas& areas,
                        const AccuracyOptions& o, Progress* progress) {
    if (o.methods.empty()) throw InputError("no method to evaluate");
    AccuracyResult r;
    std::vector<size_t> train_rows, test_rows;
    Extent extent;
    for (size_t i = 0; i < in.size(); ++i) {
        if (!selected[i]) continue;
        const bool train = o.train.contains(in.month[i]), test = o.test.contains(in.month[i]);
        if (train) train_rows.push_back(i);
        if (test) test_rows.push_back(i);
        if (train || test) extent.add(in.x[i], in.y[i]);
    }
    if (train_rows.empty()) throw InputError("no incident selected in the training months: nothing to learn from");
    if (test_rows.empty()) throw InputError("no incident selected in the test months: nothing to predict");
    if (progress) progress->begin("laying out the evaluation grid", 1);
    r.grid = evaluation_grid(extent, o.cell, areas);
    if (progress) progress->end();
    r.masked = !r.grid.inside.empty();
    const Grid& grid = r.grid.grid;
    const std::vector<int64_t> unit = unit_of_cells(r.grid);
    const size_t M = r.grid.cells.size();
    std::vector<double> test(M, 0), train(M, 0);
    const auto count_into = [&](const std::vector<size_t>& rows, std::vector<double>& counts, size_t& outside) {
        size_t inside = 0;
        for (size_t i : rows) {
            const int64_t row = grid.row_of(in.y[i]), col = grid.col_of(in.x[i]);
            const int64_t u = grid.contains(row, col) ? unit[grid.index(row, col)] : -1;
            if (u < 0) ++outside;
            else counts[static_cast<size_t>(u)] += 1, ++inside;
        }
        return inside;
    };
    r.train_incidents = count_into(train_rows, train, r.train_outside);
    r.test_incidents = count_into(test_rows, test, r.test_outside);
    if (r.train_incidents == 0) throw InputError("no training incident lies in a cell of the study area");
    if (r.test_incidents == 0) throw InputError("no test incident lies in a cell of the study area");
    for (size_t k = 0; k < M; ++k) r.empty_cells += train[k] == 0 && test[k] == 0;
    {
        std::vector<double> xs, ys;
        for (const auto* rows : {&train_rows, &test_rows})
            for (size_t i : *rows) xs.push_back(in.x[i]), ys.push_back(in.y[i]);
        r.locations = unique_locations(xs, ys).x.size();
    }

    const kde::Points fit = points_of(in, train_rows);
    const std::vector<double> curve = default_curve();
    if (progress) progress->begin(fmt::format("training and scoring {} method{}", o.methods.size(), o.methods.size() == 1 ? "" : "s"), o.methods.size());
    for (const Method& m : o.methods) {
        MethodScores ms;
        ms.method = m;
        std::vector<double> score;
        switch (m.kind) {
        case Method::Kind::kde:
        case Method::Kind::kde_auto:
            ms.bandwidth = m.kind == Method::Kind::kde ? m.value : kde::auto_bandwidth(fit);
            score = kde_scores(r.grid, fit, ms.bandwidth, kde::Kernel::quartic);
            ms.scale = kde::bandwidth_scale(fit, ms.bandwidth, grid.extent());
            break;
        case Method::Kind::counts: score = train; break;
        case Method::Kind::areas: {
            if (!areas.size()) throw InputError("method areas: give the areas (--areas) to rank");
            std::vector<double> count(areas.size(), 0), km2(areas.size(), 0);
            for (size_t i : train_rows)
                if (!area_of.empty() && area_of[i] >= 0) count[static_cast<size_t>(area_of[i])] += 1;
            GEOSContextHandle_t ctx = geos::context();
            for (size_t a = 0; a < areas.size(); ++a) {
                double m2 = 0;
                GEOSArea_r(ctx, areas.geometry[a].get(), &m2);
                km2[a] = m2 / 1e6;
            }
            std::vector<double> cx(M), cy(M);
            for (size_t k = 0; k < M; ++k) cx[k] = grid.col_x(r.grid.cells[k] % grid.nx), cy[k] = grid.row_y(r.grid.cells[k] / grid.nx);
            const std::vector<int32_t> area_of_cell = AreaIndex(areas).locate(cx, cy);
            score.assign(M, -1); // a centre in no area (on an edge) ranks last
            for (size_t k = 0; k < M; ++k)
                if (const int32_t a = area_of_cell[k]; a >= 0 && km2[static_cast<size_t>(a)] > 0) score[k] = count[static_cast<size_t>(a)] / km2[static_cast<size_t>(a)];
            break;
        }
        case Method::Kind::gistar: {
            std::vector<uint8_t> in_train(in.size(), 0);
            for (size_t i : train_rows) in_train[i] = 1;
            hotspots::HotspotOptions h;
            h.grid_cell = m.value;
            h.permutations = 0;
            const hotspots::HotspotResult gi = hotspots::analyse_hotspots(in, in_train, area_of, areas, h, nullptr);
            ms.units = gi.units();
            for (size_t u = 0; u < gi.units(); ++u) {
                ms.empty_units += gi.count[u] == 0;
                ms.hot_units += gi.gi.z[u] > 0 && gi.gi.p[u] < 0.05;
            }
            std::vector<int64_t> unit_of_gi_cell(gi.grid.cells(), -1);
            for (size_t u = 0; u < gi.unit_cell.size(); ++u) unit_of_gi_cell[static_cast<size_t>(gi.unit_cell[u])] = static_cast<int64_t>(u);
            score.assign(M, -std::numeric_limits<double>::infinity()); // a centre in no Gi* cell ranks last
            for (size_t k = 0; k < M; ++k) {
                const double x = grid.col_x(r.grid.cells[k] % grid.nx), y = grid.row_y(r.grid.cells[k] / grid.nx);
                const int64_t row = gi.grid.row_of(y), col = gi.grid.col_of(x);
                if (!gi.grid.contains(row, col)) continue;
                if (const int64_t u = unit_of_gi_cell[gi.grid.index(row, col)]; u >= 0) score[k] = gi.gi.z[static_cast<size_t>(u)];
            }
            break;
        }
        }
        ms.at = score_ranking(score, test, train, o.coverages);
        ms.curve = score_ranking(score, test, train, curve);
        r.methods.push_back(std::move(ms));
        if (progress) progress->advance(1);
    }
    if (progress) progress->end();
    return r;
}

BandwidthChoice choose_bandwidth(const EvaluationGrid& grid, const kde::Points& fit, const kde::Points& holdout, std::vector<double> candidates,
                                 double coverage, kde::Kernel kernel) {
    if (candidates.empty()) throw InputError("no candidate bandwidth");
    for (double h : candidates)
        if (!(std::isfinite(h) && h > 0)) throw InputError(fmt::format("candidate bandwidth {} m: expected more than 0", h));
    if (fit.size() == 0) throw InputError("no incident to fit the candidate bandwidths to");
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    const std::vector<int64_t> unit = unit_of_cells(grid);
    const size_t M = grid.cells.size();
    std::vector<double> test(M, 0), train(M, 0);
    const auto count_into = [&](const kde::Points& p, std::vector<double>& counts) {
        size_t inside = 0;
        for (size_t i = 0; i < p.size(); ++i) {
            const int64_t row = grid.grid.row_of(p.y[i]), col = grid.grid.col_of(p.x[i]);
            const int64_t u = grid.grid.contains(row, col) ? unit[grid.grid.index(row, col)] : -1;
            if (u >= 0) counts[static_cast<size_t>(u)] += p.weight(i), ++inside;
        }
        return inside;
    };
    BandwidthChoice c;
    c.candidates = candidates;
    c.coverage = coverage;
    c.fit_incidents = count_into(fit, train);
    c.holdout_incidents = count_into(holdout, test);
    if (c.holdout_incidents == 0) throw InputError("no held-out incident lies in the study area: nothing to score the candidate bandwidths on");
    for (size_t k = 0; k < candidates.size(); ++k) {
        c.scores.push_back(score_at(kde_scores(grid, fit, candidates[k], kernel), test, train, coverage));
        if (c.scores[k].pai >= c.scores[c.chosen].pai) c.chosen = k; // ascending: a tie goes to the larger
    }
    return c;
}

} // namespace safer::accuracy
