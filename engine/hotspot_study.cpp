#include "engine/hotspot_study.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "engine/area_index.hpp"
#include "engine/errors.hpp"
#include "engine/fdr.hpp"
#include "engine/kde.hpp"

namespace safer::hotspots {

namespace {

struct Units {
    CellGrid cells;
    std::vector<double> period_count; // unit-major: unit * P + period
};

/// The box of the middle 98 % of the selected incidents (1 % to 99 % of x and of y), grown by
/// its own width and height; incidents beyond it are outlying (police.uk files hold a few rows
/// located hundreds of kilometres from their force).
void outlying_points(HotspotResult& r, const Incidents& in, const std::vector<uint8_t>& selected) {
    std::vector<double> xs, ys;
    for (size_t i = 0; i < in.size(); ++i)
        if (selected[i]) xs.push_back(in.x[i]), ys.push_back(in.y[i]);
    if (xs.size() < 200) return; // too few to tell outliers from a spread
    const auto quantile = [](std::vector<double> v, double q) {
        const auto k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
        return v[k];
    };
    Extent core{quantile(xs, 0.01), quantile(ys, 0.01), quantile(xs, 0.99), quantile(ys, 0.99)};
    const double grow = std::max({core.width(), core.height(), 1000.0});
    const Extent near = core.grown(grow);
    r.core_extent = core;
    double farthest = -1;
    const double cx = (core.min_x + core.max_x) / 2, cy = (core.min_y + core.max_y) / 2;
    for (size_t k = 0; k < xs.size(); ++k)
        if (xs[k] < near.min_x || xs[k] > near.max_x || ys[k] < near.min_y || ys[k] > near.max_y) {
            ++r.outlying;
            const double d = std::hypot(xs[k] - cx, ys[k] - cy);
            if (d > farthest) farthest = d, r.outlying_x = xs[k], r.outlying_y = ys[k];
        }
}

/// ": N incident(s) lie far from the rest ..." when there are outlying points, else "".
std::string outlying_text(const HotspotResult& r) {
    if (!r.outlying) return "";
    return fmt::format(": {} incident(s) lie far from the rest (the farthest at x {:.0f}, y {:.0f}) and stretch the grid, where the rest span "
                       "{:.1f} x {:.1f} km",
                       r.outlying, r.outlying_x, r.outlying_y, r.core_extent.width() / 1000, r.core_extent.height() / 1000);
}

/// Grid units over the study area (or the selected incidents' extent) and their counts.
Units grid_units_of(HotspotResult& r, const Incidents& in, const std::vector<uint8_t>& selected, const std::vector<int32_t>& period,
                    const Areas& areas, double cell, size_t P) {
    Units u;
    Extent extent = areas.extent();
    if (extent.empty()) {
        for (size_t i = 0; i < in.size(); ++i)
            if (selected[i]) extent.add(in.x[i], in.y[i]);
        outlying_points(r, in, selected);
    }
    const double n_cells = Grid::cells_covering(extent, 0, cell);
    if (n_cells > max_grid_cells)
        throw InputError(fmt::format("--grid {} m: the grid would have {:.0f} cells over {:.1f} x {:.1f} km, more than the {:.0f} million "
                                     "a hotspot layer can hold{}; {}use --grid {:.0f} or larger",
                                     cell, n_cells, extent.width() / 1000, extent.height() / 1000, max_grid_cells / 1e6, outlying_text(r),
                                     r.outlying ? "give --areas (the LSOAs of the area studied) so the grid covers only it, or " : "",
                                     std::ceil(cell * std::sqrt(n_cells / max_grid_cells))));
    const Grid& grid = r.grid = Grid::covering(extent, 0, cell);
    u.cells.nx = static_cast<int32_t>(grid.nx);
    u.cells.ny = static_cast<int32_t>(grid.ny);
    u.cells.cell = grid.cell;
    if (!areas.geometry.empty()) {
        std::vector<const GEOSGeometry*> polygons;
        for (const auto& g : areas.geometry) polygons.push_back(g.get());
        u.cells.inside = kde::rasterize(grid, polygons);
    }
    r.unit_cell = grid_units(u.cells);
    std::vector<int32_t> unit_of_cell(grid.cells(), -1);
    for (size_t k = 0; k < r.unit_cell.size(); ++k) unit_of_cell[static_cast<size_t>(r.unit_cell[k])] = static_cast<int32_t>(k);
    r.count.assign(r.unit_cell.size(), 0);
    u.period_count.assign(r.unit_cell.size() * P, 0);
    for (size_t i = 0; i < in.size(); ++i) {
        if (!selected[i]) continue;
        const int64_t row = grid.row_of(in.y[i]), col = grid.col_of(in.x[i]);
        const int32_t k = grid.contains(row, col) ? unit_of_cell[grid.index(row, col)] : -1;
        if (k < 0) {
            ++r.off_grid; // inside a polygon but in a cell whose centre is outside it
            r.off_grid_incidents.push_back(i);
            continue;
        }
        r.count[static_cast<size_t>(k)] += in.weight_of(i);
        u.period_count[static_cast<size_t>(k) * P + static_cast<size_t>(period[i])] += in.weight_of(i);
    }
    GEOSContextHandle_t ctx = geos::context();
    for (int64_t c : r.unit_cell) {
        const int64_t row = c / grid.nx, col = c % grid.nx;
        const double x0 = grid.x0 + static_cast<double>(col) * grid.cell, y1 = grid.y0 - static_cast<double>(row) * grid.cell;
        r.cell_squares.push_back(geos::checked(GEOSGeom_createRectangle_r(ctx, x0, y1 - grid.cell, x0 + grid.cell, y1), "cell"));
        r.geometry.push_back(r.cell_squares.back().get());
    }
    return u;
}

/// Area units (those with a population, with rates) and their counts.
Units area_units_of(HotspotResult& r, const Incidents& in, const std::vector<uint8_t>& selected, const std::vector<int32_t>& period,
                    const std::vector<int32_t>& area_of, const Areas& areas, bool rates, size_t P) {
    Units u;
    std::vector<int32_t> unit_of_area(areas.size(), -1);
    for (size_t a = 0; a < areas.size(); ++a) {
        if (rates && !(areas.population[a] > 0)) {
            r.left_out.push_back(areas.code[a]);
            continue;
        }
        unit_of_area[a] = static_cast<int32_t>(r.unit_area.size());
        r.unit_area.push_back(a);
        r.geometry.push_back(areas.geometry[a].get());
    }
    r.count.assign(r.unit_area.size(), 0);
    u.period_count.assign(r.unit_area.size() * P, 0);
    for (size_t i = 0; i < in.size(); ++i) {
        if (!selected[i]) continue;
        const int32_t k = unit_of_area[static_cast<size_t>(area_of[i])];
        if (k < 0) continue;
        r.count[static_cast<size_t>(k)] += in.weight_of(i);
        u.period_count[static_cast<size_t>(k) * P + static_cast<size_t>(period[i])] += in.weight_of(i);
    }
    return u;
}

/// The spatial weights of the units, as the options ask.
SpatialWeights weights_of(HotspotResult& r, const Units& u, const HotspotOptions& o) {
    using Kind = WeightsSpec::Kind;
    const size_t n = r.units();
    WeightsUsed& used = r.weights;
    used.kind = o.weights.kind;
    used.grid = r.grid_units;
    used.tolerance = o.tolerance;
    used.k = o.weights.k;
    const auto centres = [&](std::vector<double>& cx, std::vector<double>& cy) {
        cx.resize(n), cy.resize(n);
        if (r.grid_units) {
            for (size_t k = 0; k < n; ++k) cx[k] = r.grid.col_x(r.unit_cell[k] % r.grid.nx), cy[k] = r.grid.row_y(r.unit_cell[k] / r.grid.nx);
            return;
        }
        GEOSContextHandle_t ctx = geos::context();
        for (size_t k = 0; k < n; ++k) {
            geos::Geometry c = geos::checked(GEOSPointOnSurface_r(ctx, r.geometry[k]), "point on surface");
            GEOSGeomGetX_r(ctx, c.get(), &cx[k]);
            GEOSGeomGetY_r(ctx, c.get(), &cy[k]);
        }
    };
    std::vector<double> cx, cy;
    if (r.grid_units) {
        used.cell = r.grid.cell;
        switch (o.weights.kind) {
        case Kind::none: used.band = default_grid_band_cells * r.grid.cell; break;
        case Kind::distance: used.band = o.weights.distance; break;
        case Kind::queen: used.band = std::sqrt(2.0) * r.grid.cell; break;
        case Kind::rook: used.band = r.grid.cell; break;
        case Kind::knn: centres(cx, cy); return knn(cx, cy, o.weights.k);
        }
        if (used.band < r.grid.cell)
            throw InputError(fmt::format("--weights distance:{:g}: the band is shorter than a cell ({:g} m), so no cell has a neighbour", used.band, r.grid.cell));
        return grid_distance_band(u.cells, used.band);
    }
    switch (o.weights.kind) {
    case Kind::none:
    case Kind::queen: return contiguity(r.geometry, Contiguity::queen, o.tolerance);
    case Kind::rook: return contiguity(r.geometry, Contiguity::rook, o.tolerance);
    case Kind::distance: centres(cx, cy); used.band = o.weights.distance; return distance_band(cx, cy, o.weights.distance);
    case Kind::knn: centres(cx, cy); return knn(cx, cy, o.weights.k);
    }
    return {};
}

/// Gi* per period on the same weights (analytic p; FDR across units per period with --fdr), then
/// each unit's Esri pattern and sfhotspot class.
void space_time(HotspotResult& r, const Units& u, const SpatialWeights& w, const Areas& areas, const HotspotOptions& o, Progress* progress) {
    const size_t n = r.units(), P = r.periods.size();
    std::vector<double> z(n * P), p(n * P);
    GiStarOptions popt;
    popt.fdr = o.fdr;
    const bool band_fast_path = r.grid_units && r.weights.band > 0;
    if (progress) progress->begin(fmt::format("Gi* for each of {} {}s", P, period_name(o.by)), P);
    for (size_t t = 0; t < P; ++t) {
        std::vector<double> x(n);
        for (size_t k = 0; k < n; ++k) {
            x[k] = u.period_count[k * P + t];
            if (!r.rate.empty()) x[k] = 1000.0 * x[k] / areas.population[r.unit_area[k]];
        }
        if (std::all_of(x.begin(), x.end(), [&](double v) { return v == x[0]; })) {
            r.constant_periods.push_back(t);
            for (size_t k = 0; k < n; ++k) z[k * P + t] = 0, p[k * P + t] = 1;
        } else {
            const GiStarResult g = band_fast_path ? gi_star_grid(u.cells, x, r.weights.band, popt) : gi_star(x, w, popt);
            for (size_t k = 0; k < n; ++k) z[k * P + t] = g.z[k], p[k * P + t] = o.fdr ? g.p_fdr[k] : g.p[k];
        }
        if (progress) progress->advance(1);
    }
    if (progress) progress->end();
    r.emerging = emerging_hotspots(P, z, p);
    // sfhotspot Holm-adjusts each unit's p-values over its periods before classifying.
    std::vector<double> p_holm(p.size());
    for (size_t k = 0; k < n; ++k) {
        const std::vector<double> adjusted = holm(std::span<const double>(p).subspan(k * P, P));
        std::copy(adjusted.begin(), adjusted.end(), p_holm.begin() + static_cast<std::ptrdiff_t>(k * P));
    }
    r.classes = hotspot_classify_all(P, z, p_holm);
}

} // namespace

HotspotResult analyse_hotspots(const Incidents& in, const std::vector<uint8_t>& selected, const std::vector<int32_t>& area_of,
                               const Areas& areas, const HotspotOptions& o, Progress* progress) {
    HotspotResult r;
    r.grid_units = o.grid_cell > 0;
    r.incidents = static_cast<size_t>(std::count(selected.begin(), selected.end(), 1));
    const Periods periods = periods_of(in.month, selected, o.by);
    if (o.by != PeriodKind::none) {
        r.periods = periods.labels;
        if (r.periods.size() < 2)
            throw InputError(fmt::format("--by {}: the incidents selected cover only {} {}; a trend needs at least 2", period_name(o.by), r.periods.size(),
                                         period_name(o.by)));
    }
    const size_t P = periods.labels.size();
    const Units u = r.grid_units ? grid_units_of(r, in, selected, periods.of, areas, o.grid_cell, P)
                                 : area_units_of(r, in, selected, periods.of, area_of, areas, o.rates, P);
    const size_t n = r.units();
    if (n < 2) throw InputError(fmt::format("only {} unit(s): hotspot statistics need many units (30 or more)", n));
    const double work = static_cast<double>(n) * (o.permutations + 1.0) * (o.permutations > 0 ? 2 : 1);
    if (work > max_permutation_work)
        throw InputError(fmt::format("{} units with {} permutations is {:.2g} unit-permutations of Gi* and local Moran's I, more than the {:.2g} "
                                     "that run in a few minutes{}; {}give fewer --permutations (0 for analytic p-values only){}",
                                     n, o.permutations, work, max_permutation_work, outlying_text(r),
                                     r.grid_units && areas.geometry.empty() ? "give --areas (the LSOAs of the area studied) so the grid covers only it, " : "",
                                     r.grid_units ? ", or a larger --grid" : ""));
    r.empty_units = static_cast<size_t>(std::count(r.count.begin(), r.count.end(), 0.0));
    // The analysed value: counts, or rates per 1,000 residents.
    std::vector<double> value = r.count;
    if (o.rates) {
        r.rate.resize(n);
        for (size_t k = 0; k < n; ++k) r.rate[k] = 1000.0 * r.count[k] / areas.population[r.unit_area[k]];
        value = r.rate;
    }

    if (progress) progress->begin("building spatial weights", 1);
    const SpatialWeights w = weights_of(r, u, o);
    if (progress) progress->end();
    r.islands = w.islands();

    GiStarOptions gopt;
    gopt.permutations = o.permutations;
    gopt.seed = o.seed;
    gopt.fdr = o.fdr;
    if (progress) progress->begin(fmt::format("Gi*{}", o.permutations ? fmt::format(" with {} permutations", o.permutations) : ""), 1);
    r.gi = r.grid_units && r.weights.band > 0 ? gi_star_grid(u.cells, value, r.weights.band, gopt) : gi_star(value, w, gopt);
    if (progress) progress->end();
    if (o.permutations > 0) {
        LocalMoranOptions lopt;
        lopt.permutations = o.permutations;
        lopt.seed = o.seed;
        lopt.fdr = o.fdr;
        if (progress) progress->begin(fmt::format("local Moran's I with {} permutations", o.permutations), 1);
        r.lisa = local_moran(value, w, lopt);
        r.with_lisa = true;
        if (progress) progress->end();
    }
    if (n >= 4) {
        r.global = global_moran(value, row_standardised(without_self(w)));
        r.with_global = true;
    }
    r.concentration = concentration(r.count);
    for (size_t k = 0; k < n; ++k) {
        if (r.gi.p[k] < 0.05) (r.gi.z[k] > 0 ? r.hot95 : r.cold95)++;
        if (r.gi.p_fdr[k] < 0.05) (r.gi.z[k] > 0 ? r.hot95_fdr : r.cold95_fdr)++;
    }
    if (o.by != PeriodKind::none) space_time(r, u, w, areas, o, progress);
    return r;
}

} // namespace safer::hotspots
