// safer hotspots: Getis-Ord Gi*, local and global Moran's I, concentration and (with --by)
// emerging hot spots, on grid cells or areas.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/area_index.hpp"
#include "engine/concentration.hpp"
#include "engine/errors.hpp"
#include "engine/fdr.hpp"
#include "engine/getis_ord.hpp"
#include "engine/grid.hpp"
#include "engine/kde.hpp"
#include "engine/moran.hpp"
#include "engine/space_time.hpp"
#include "engine/spatial_weights.hpp"
#include "layers/area_reader.hpp"
#include "layers/checksum.hpp"
#include "layers/geopackage.hpp"
#include "tools/commands.hpp"
#include "tools/legacy.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

using namespace safer::hotspots;

/// Cells in a hotspot grid beyond which the per-cell layer would be unwieldy to write and open.
constexpr double max_grid_cells = 20e6;
/// Default distance band on a grid, in cells: the 29 cells within 3 cells of a centre.
constexpr double default_grid_band_cells = 3;

struct WeightsSpec {
    enum class Kind { none, distance, knn, queen, rook } kind = Kind::none;
    double distance = 0;
    int k = 0;
    std::string text;
};

WeightsSpec parse_weights(const std::string& text) {
    WeightsSpec w;
    w.text = text;
    if (text.empty()) return w;
    if (text == "queen") w.kind = WeightsSpec::Kind::queen;
    else if (text == "rook") w.kind = WeightsSpec::Kind::rook;
    else if (text.rfind("distance:", 0) == 0 || text.rfind("knn:", 0) == 0) {
        const bool distance = text[0] == 'd';
        const std::string number = text.substr(distance ? 9 : 4);
        size_t used = 0;
        double v = 0;
        try {
            v = std::stod(number, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != number.size() || !std::isfinite(v) || v <= 0)
            throw UsageError(fmt::format("--weights {}: expected distance:METRES or knn:K with a number above 0", text));
        if (distance) {
            w.kind = WeightsSpec::Kind::distance;
            w.distance = v;
        } else {
            if (v != std::floor(v) || v > 1000) throw UsageError(fmt::format("--weights {}: K must be a whole number up to 1000", text));
            w.kind = WeightsSpec::Kind::knn;
            w.k = static_cast<int>(v);
        }
    } else {
        throw UsageError(fmt::format("--weights {}: expected distance:METRES, knn:K, queen or rook", text));
    }
    return w;
}

std::string period_of(Month m, const std::string& by) {
    if (by == "quarter") return fmt::format("{}-Q{}", m.year(), (m.month() - 1) / 3 + 1);
    return m.str();
}

const char* quadrant_text(int8_t q) {
    switch (q) {
    case high_high: return "HH";
    case low_high: return "LH";
    case low_low: return "LL";
    case high_low: return "HL";
    default: return "not significant";
    }
}

struct HotspotsCommand {
    CrimeOptions crimes;
    CrimeSelection selection;
    OutputOptions out;
    double grid_cell = 0;
    std::string areas_path;
    std::string study_area_path;
    std::string population_path;
    layers::AreaOptions area_options;
    layers::PopulationOptions population_options;
    std::string weights_text;
    double tolerance = default_snap_tolerance;
    uint32_t permutations = 999;
    uint64_t seed = 1;
    bool fdr = false;
    std::string by;

    void run() const {
        Progress progress(out.quiet);
        // Values a grid or a snapping distance cannot be made from (NaN, infinite, negative).
        if (grid_cell != 0 && !(std::isfinite(grid_cell) && grid_cell > 0))
            throw UsageError(fmt::format("--grid {}: expected a cell size in metres, more than 0", grid_cell));
        if (!(std::isfinite(tolerance) && tolerance >= 0))
            throw UsageError(fmt::format("--tolerance {}: expected a distance in metres, 0 or more", tolerance));
        const bool grid_mode = grid_cell > 0;
        if (!grid_mode && areas_path.empty()) throw UsageError("give the units: --grid METRES (cells) or --areas SRC (polygons)");
        if (grid_mode && !population_path.empty()) throw UsageError("--population gives rates for areas; it cannot be used with --grid");
        if (permutations > 0 && permutations < 99)
            throw InputError(fmt::format("--permutations {}: at least 99 are needed for a pseudo p-value of 0.01 (999 is usual); 0 "
                                         "turns permutation off", permutations));
        WeightsSpec weights = parse_weights(weights_text);
        layers::check_output_path(out.output, out.overwrite);

        const layers::IngestOptions options = resolve(crimes);
        layers::IngestResult result = layers::read_incidents(crimes.crimes, options, progress);

        // Polygons: the units (--areas without --grid) or the study area of a grid.
        Areas areas;
        layers::AreaReport area_report;
        const std::string polygons_path = grid_mode ? (!study_area_path.empty() ? study_area_path : areas_path) : areas_path;
        if (!polygons_path.empty()) {
            layers::AreaOptions ao = area_options;
            ao.working_crs = options.working_crs;
            ao.input_crs = options.input_crs;
            ao.codes_optional = grid_mode;
            areas = layers::read_areas(polygons_path, ao, area_report, progress);
        }
        if (!population_path.empty()) {
            layers::PopulationReport pr;
            layers::join_population(areas, population_path, population_options, pr);
            progress.info(fmt::format("population from {}: {} of {} areas matched", population_path, pr.matched, areas.size()));
            if (!pr.areas_without.empty())
                progress.warn(fmt::format("{} area(s) have no population, so no rate, and are left out of the statistics: {}{}",
                                          pr.areas_without.size(),
                                          fmt::join(pr.areas_without.begin(), pr.areas_without.begin() + std::min<size_t>(pr.areas_without.size(), 10), ", "),
                                          pr.areas_without.size() > 10 ? ", ..." : ""));
        }
        std::vector<int32_t> area_of;
        if (!polygons_path.empty()) {
            area_of = keep_located(result, AreaIndex(areas).locate(result.incidents.x, result.incidents.y, &progress));
        }
        print_ingest_summary(result, result.incidents.size(), progress);

        std::string label, description;
        const std::vector<uint8_t> selected = select(selection, result, label, description);
        const Incidents& in = result.incidents;
        size_t n_selected = 0;
        for (uint8_t s : selected) n_selected += s;
        if (n_selected == 0)
            throw InputError(fmt::format("no incidents left after filtering: none of the {} incidents used are of {}", in.size(), description));

        // Periods (with --by), oldest first.
        std::vector<std::string> periods;
        std::vector<int32_t> period_of_incident(in.size(), 0);
        if (!by.empty()) {
            std::map<std::string, int32_t> index;
            for (size_t i = 0; i < in.size(); ++i)
                if (selected[i]) index.emplace(period_of(in.month[i], by), 0);
            int32_t k = 0;
            for (auto& [p, v] : index) {
                v = k++;
                periods.push_back(p);
            }
            for (size_t i = 0; i < in.size(); ++i)
                if (selected[i]) period_of_incident[i] = index[period_of(in.month[i], by)];
            if (periods.size() < 2) throw InputError(fmt::format("--by {}: the incidents selected cover only {} {}; a trend needs at least 2", by, periods.size(), by));
        }

        // ---- Units and their counts ----------------------------------------------------------
        Grid grid;
        CellGrid cells;
        std::vector<int64_t> unit_cell;      // grid: the cell of each unit
        std::vector<size_t> unit_area;       // areas: the area of each unit
        std::vector<double> count;           // per unit
        std::vector<double> period_count;    // unit-major, with --by
        std::vector<geos::Geometry> owned;   // cell squares
        std::vector<const GEOSGeometry*> unit_geometry;
        std::vector<std::string> left_out;   // areas without population
        const size_t P = std::max<size_t>(1, periods.size());
        if (grid_mode) {
            Extent extent = areas.extent();
            if (extent.empty()) {
                for (size_t i = 0; i < in.size(); ++i)
                    if (selected[i]) extent.add(in.x[i], in.y[i]);
            }
            const double n_cells = Grid::cells_covering(extent, 0, grid_cell);
            if (n_cells > max_grid_cells)
                throw InputError(fmt::format("--grid {} m: the grid would have {:.0f} cells over {:.1f} x {:.1f} km, more than the {:.0f} million "
                                             "a hotspot layer can hold; use --grid {:.0f} or larger",
                                             grid_cell, n_cells, extent.width() / 1000, extent.height() / 1000, max_grid_cells / 1e6,
                                             std::ceil(grid_cell * std::sqrt(n_cells / max_grid_cells))));
            grid = Grid::covering(extent, 0, grid_cell);
            cells.nx = static_cast<int32_t>(grid.nx);
            cells.ny = static_cast<int32_t>(grid.ny);
            cells.cell = grid.cell;
            if (!areas.geometry.empty()) {
                std::vector<const GEOSGeometry*> polygons;
                for (const auto& g : areas.geometry) polygons.push_back(g.get());
                cells.inside = kde::rasterize(grid, polygons);
            }
            unit_cell = grid_units(cells);
            std::vector<int32_t> unit_of_cell(grid.cells(), -1);
            for (size_t u = 0; u < unit_cell.size(); ++u) unit_of_cell[static_cast<size_t>(unit_cell[u])] = static_cast<int32_t>(u);
            count.assign(unit_cell.size(), 0);
            period_count.assign(unit_cell.size() * P, 0);
            size_t off_grid = 0;
            for (size_t i = 0; i < in.size(); ++i) {
                if (!selected[i]) continue;
                const int64_t r = grid.row_of(in.y[i]), c = grid.col_of(in.x[i]);
                const int32_t u = grid.contains(r, c) ? unit_of_cell[grid.index(r, c)] : -1;
                if (u < 0) {
                    ++off_grid; // inside a polygon but in a cell whose centre is outside it
                    continue;
                }
                count[static_cast<size_t>(u)] += in.weight_of(i);
                period_count[static_cast<size_t>(u) * P + static_cast<size_t>(period_of_incident[i])] += in.weight_of(i);
            }
            if (off_grid > 0)
                progress.info(fmt::format("{} incidents lie in the study area but in edge cells whose centre is outside it, which are "
                                          "not units; they are not counted", off_grid));
            GEOSContextHandle_t ctx = geos::context();
            for (int64_t cell : unit_cell) {
                const int64_t r = cell / grid.nx, c = cell % grid.nx;
                const double x0 = grid.x0 + static_cast<double>(c) * grid.cell, y1 = grid.y0 - static_cast<double>(r) * grid.cell;
                owned.push_back(geos::checked(GEOSGeom_createRectangle_r(ctx, x0, y1 - grid.cell, x0 + grid.cell, y1), "cell"));
                unit_geometry.push_back(owned.back().get());
            }
        } else {
            std::vector<int32_t> unit_of_area(areas.size(), -1);
            for (size_t a = 0; a < areas.size(); ++a) {
                if (!population_path.empty() && !(areas.population[a] > 0)) {
                    left_out.push_back(areas.code[a]);
                    continue;
                }
                unit_of_area[a] = static_cast<int32_t>(unit_area.size());
                unit_area.push_back(a);
                unit_geometry.push_back(areas.geometry[a].get());
            }
            count.assign(unit_area.size(), 0);
            period_count.assign(unit_area.size() * P, 0);
            for (size_t i = 0; i < in.size(); ++i) {
                if (!selected[i]) continue;
                const int32_t u = unit_of_area[static_cast<size_t>(area_of[i])];
                if (u < 0) continue;
                count[static_cast<size_t>(u)] += in.weight_of(i);
                period_count[static_cast<size_t>(u) * P + static_cast<size_t>(period_of_incident[i])] += in.weight_of(i);
            }
        }
        const size_t n = count.size();
        if (n < 2) throw InputError(fmt::format("only {} unit(s): hotspot statistics need many units (30 or more)", n));
        // The analysed value: counts, or with --population rates per 1,000 residents.
        std::vector<double> value = count;
        std::vector<double> rate;
        if (!population_path.empty()) {
            rate.resize(n);
            for (size_t u = 0; u < n; ++u) rate[u] = 1000.0 * count[u] / areas.population[unit_area[u]];
            value = rate;
        }

        // ---- Weights -------------------------------------------------------------------------
        std::string weights_rule;
        SpatialWeights w;
        double grid_band = 0;
        progress.begin("building spatial weights", 1);
        if (grid_mode) {
            switch (weights.kind) {
            case WeightsSpec::Kind::none:
                grid_band = default_grid_band_cells * grid.cell;
                weights_rule = fmt::format("distance band {:g} m (default: 3 cells, the 29 cells whose centres are within 3 cells)", grid_band);
                break;
            case WeightsSpec::Kind::distance:
                grid_band = weights.distance;
                weights_rule = fmt::format("distance band {:g} m between cell centres", grid_band);
                break;
            case WeightsSpec::Kind::queen:
                grid_band = std::sqrt(2.0) * grid.cell;
                weights_rule = "queen contiguity of cells (the 8 around each)";
                break;
            case WeightsSpec::Kind::rook:
                grid_band = grid.cell;
                weights_rule = "rook contiguity of cells (the 4 sharing an edge)";
                break;
            case WeightsSpec::Kind::knn: {
                std::vector<double> cx(n), cy(n);
                for (size_t u = 0; u < n; ++u) cx[u] = grid.col_x(unit_cell[u] % grid.nx), cy[u] = grid.row_y(unit_cell[u] / grid.nx);
                w = knn(cx, cy, weights.k);
                weights_rule = fmt::format("{} nearest cells", weights.k);
                break;
            }
            }
            if (grid_band > 0) {
                if (grid_band < grid.cell)
                    throw InputError(fmt::format("--weights distance:{:g}: the band is shorter than a cell ({:g} m), so no cell has a neighbour", grid_band, grid.cell));
                w = grid_distance_band(cells, grid_band);
            }
        } else {
            std::vector<double> cx(n), cy(n);
            GEOSContextHandle_t ctx = geos::context();
            for (size_t u = 0; u < n; ++u) {
                geos::Geometry c = geos::checked(GEOSPointOnSurface_r(ctx, unit_geometry[u]), "point on surface");
                GEOSGeomGetX_r(ctx, c.get(), &cx[u]);
                GEOSGeomGetY_r(ctx, c.get(), &cy[u]);
            }
            switch (weights.kind) {
            case WeightsSpec::Kind::none:
            case WeightsSpec::Kind::queen:
                w = contiguity(unit_geometry, Contiguity::queen, tolerance);
                weights_rule = fmt::format("queen contiguity{} (polygons within {:g} m of each other: slivers and gaps narrower than that are closed)",
                                           weights.kind == WeightsSpec::Kind::none ? " (default for areas)" : "", tolerance);
                break;
            case WeightsSpec::Kind::rook:
                w = contiguity(unit_geometry, Contiguity::rook, tolerance);
                weights_rule = fmt::format("rook contiguity (a shared boundary longer than {:g} m; tolerance {:g} m)", rook_min_shared * tolerance, tolerance);
                break;
            case WeightsSpec::Kind::distance:
                w = distance_band(cx, cy, weights.distance);
                weights_rule = fmt::format("distance band {:g} m between points on surface of the areas", weights.distance);
                break;
            case WeightsSpec::Kind::knn:
                w = knn(cx, cy, weights.k);
                weights_rule = fmt::format("{} nearest areas (by points on surface)", weights.k);
                break;
            }
        }
        progress.end();
        const std::vector<int32_t> islands = w.islands();
        progress.info(fmt::format("{} {} units; weights: {}", n, grid_mode ? "cell" : "area", weights_rule));
        if (!islands.empty()) {
            std::vector<std::string> names;
            for (size_t k = 0; k < std::min<size_t>(islands.size(), 10); ++k)
                names.push_back(grid_mode ? fmt::format("cell {}", unit_cell[static_cast<size_t>(islands[k])])
                                          : areas.code[unit_area[static_cast<size_t>(islands[k])]]);
            progress.warn(fmt::format("{} unit(s) have no neighbour under these weights: {}{}; their Gi* uses their own value only "
                                      "and their local Moran's I is 0", islands.size(), fmt::join(names, ", "), islands.size() > 10 ? ", ..." : ""));
        }

        // ---- Statistics -----------------------------------------------------------------------
        GiStarOptions gopt;
        gopt.permutations = permutations;
        gopt.seed = seed;
        gopt.fdr = fdr;
        progress.begin(fmt::format("Gi*{}", permutations ? fmt::format(" with {} permutations", permutations) : ""), 1);
        GiStarResult gi = grid_mode && grid_band > 0 ? gi_star_grid(cells, value, grid_band, gopt) : gi_star(value, w, gopt);
        progress.end();
        for (const std::string& m : gi.warnings) progress.warn(m);
        LocalMoranResult lisa;
        if (permutations > 0) {
            LocalMoranOptions lopt;
            lopt.permutations = permutations;
            lopt.seed = seed;
            lopt.fdr = fdr;
            progress.begin(fmt::format("local Moran's I with {} permutations", permutations), 1);
            lisa = local_moran(value, w, lopt);
            progress.end();
        }
        const GlobalMoran global = n >= 4 ? global_moran(value, row_standardised(without_self(w))) : GlobalMoran{};
        const Concentration conc = concentration(count);

        // Space-time: Gi* per period on the same weights (analytic p; FDR across units per period
        // with --fdr), then each unit's pattern.
        std::vector<EmergingResult> emerging;
        std::vector<HotspotClass> classes;
        if (!by.empty()) {
            std::vector<double> z(n * P), p(n * P);
            GiStarOptions popt;
            popt.fdr = fdr;
            progress.begin(fmt::format("Gi* for each of {} {}s", P, by), P);
            for (size_t t = 0; t < P; ++t) {
                std::vector<double> x(n);
                for (size_t u = 0; u < n; ++u) {
                    x[u] = period_count[u * P + t];
                    if (!rate.empty()) x[u] = 1000.0 * x[u] / areas.population[unit_area[u]];
                }
                const bool constant = std::all_of(x.begin(), x.end(), [&](double v) { return v == x[0]; });
                if (constant) {
                    progress.warn(fmt::format("{} {}: every unit has the same count, so Gi* is 0 there", by, periods[t]));
                    for (size_t u = 0; u < n; ++u) z[u * P + t] = 0, p[u * P + t] = 1;
                } else {
                    GiStarResult g = grid_mode && grid_band > 0 ? gi_star_grid(cells, x, grid_band, popt) : gi_star(x, w, popt);
                    for (size_t u = 0; u < n; ++u) z[u * P + t] = g.z[u], p[u * P + t] = fdr ? g.p_fdr[u] : g.p[u];
                }
                progress.advance(1);
            }
            progress.end();
            emerging = emerging_hotspots(P, z, p);
            // sfhotspot Holm-adjusts each unit's p-values over its periods before classifying.
            std::vector<double> p_holm(p.size());
            for (size_t u = 0; u < n; ++u) {
                const std::vector<double> adjusted = holm(std::span<const double>(p).subspan(u * P, P));
                std::copy(adjusted.begin(), adjusted.end(), p_holm.begin() + static_cast<std::ptrdiff_t>(u * P));
            }
            classes = hotspot_classify_all(P, z, p_holm);
        }

        // ---- Output ----------------------------------------------------------------------------
        size_t hot95 = 0, cold95 = 0, hot95_fdr = 0, cold95_fdr = 0;
        for (size_t u = 0; u < n; ++u) {
            if (gi.p[u] < 0.05) (gi.z[u] > 0 ? hot95 : cold95)++;
            if (gi.p_fdr[u] < 0.05) (gi.z[u] > 0 ? hot95_fdr : cold95_fdr)++;
        }
        layers::Table t;
        t.name = grid_mode ? "hotspot_grid" : "hotspot_areas";
        t.description = fmt::format("Getis-Ord Gi* and local Moran's I of {} by {}; weights: {}", description,
                                    grid_mode ? fmt::format("{:g} m cells", grid.cell) : "area", weights_rule);
        t.geometry_kind = layers::GeometryKind::polygon;
        t.geometry = unit_geometry;
        if (grid_mode) {
            std::vector<int64_t> id(n), row(n), col(n);
            for (size_t u = 0; u < n; ++u) id[u] = unit_cell[u], row[u] = unit_cell[u] / grid.nx, col[u] = unit_cell[u] % grid.nx;
            t.columns.push_back(layers::Column::integer("cell_id", "Cell index, row * columns + column, row 0 north", id));
            t.columns.push_back(layers::Column::integer("row", "Grid row (0 = north)", row));
            t.columns.push_back(layers::Column::integer("col", "Grid column (0 = west)", col));
        } else {
            std::vector<std::string> code, name;
            for (size_t a : unit_area) code.push_back(areas.code[a]), name.push_back(areas.name[a]);
            t.columns.push_back(layers::Column::text("code", "Area code", code));
            t.columns.push_back(layers::Column::text("name", "Area name", name));
        }
        t.columns.push_back(layers::Column::real("count", "Incidents of the selection in the unit (sum of weights)", count));
        if (!rate.empty()) t.columns.push_back(layers::Column::real("rate", "Incidents per 1,000 residents: the value analysed", rate));
        t.columns.push_back(layers::Column::real("gi_z", "Getis-Ord Gi* z-score (Ord & Getis 1995), self included", gi.z));
        t.columns.push_back(layers::Column::real("gi_p", "Two-sided p of gi_z from the normal", gi.p));
        if (!gi.p_sim.empty()) t.columns.push_back(layers::Column::real("gi_p_sim", "Two-sided conditional-permutation pseudo p", gi.p_sim));
        t.columns.push_back(layers::Column::real("gi_p_fdr", "Benjamini-Hochberg adjusted gi_p", gi.p_fdr));
        std::vector<int64_t> bin(gi.bin.begin(), gi.bin.end());
        t.columns.push_back(layers::Column::integer("gi_bin", fdr ? "Esri Gi_Bin from gi_p_fdr: +-3, 2, 1 = hot/cold at 99, 95, 90 %" : "Esri Gi_Bin from gi_p: +-3, 2, 1 = hot/cold at 99, 95, 90 %", bin));
        if (permutations > 0) {
            t.columns.push_back(layers::Column::real("lisa_i", "Local Moran's I (Anselin 1995), row-standardised weights", lisa.I));
            t.columns.push_back(layers::Column::real("lisa_p", "Folded permutation pseudo p of lisa_i", lisa.p_sim));
            std::vector<std::string> quadrant;
            for (int8_t c : lisa.cluster) quadrant.emplace_back(quadrant_text(c));
            t.columns.push_back(layers::Column::text("lisa_quadrant", fmt::format("HH, LL, HL, LH where {} <= 0.05, else not significant", fdr ? "the FDR-adjusted lisa_p" : "lisa_p"), quadrant));
        }
        if (!by.empty()) {
            std::vector<std::string> pattern, klass;
            std::vector<int64_t> code;
            std::vector<double> tz, tp;
            for (size_t u = 0; u < n; ++u) {
                pattern.emplace_back(emerging_name(emerging[u].pattern));
                code.push_back(static_cast<int64_t>(emerging[u].pattern));
                tz.push_back(emerging[u].trend.z);
                tp.push_back(emerging[u].trend.p);
                klass.emplace_back(hotspot_class_name(classes[u]));
            }
            t.columns.push_back(layers::Column::text("emerging", "Esri Emerging Hot Spot pattern from the per-period Gi* and its Mann-Kendall trend", pattern));
            t.columns.push_back(layers::Column::integer("emerging_code", "Esri CATEGORY: 1..8 hot, -1..-8 cold, 0 no pattern", code));
            t.columns.push_back(layers::Column::real("trend_z", "Mann-Kendall z of the unit's Gi* z series", tz));
            t.columns.push_back(layers::Column::real("trend_p", "Two-sided p of trend_z", tp));
            t.columns.push_back(layers::Column::text("hotspot_class", "sfhotspot hotspot_classify(): persistent, emerging, former, intermittent, no pattern", klass));
        }

        layers::Table ct;
        ct.name = "concentration";
        ct.description = fmt::format("Concentration of {} across the units, and global Moran's I", description);
        std::vector<std::string> measure;
        std::vector<double> figure;
        const auto add = [&](std::string m, double v) { measure.push_back(std::move(m)), figure.push_back(v); };
        add("units", static_cast<double>(conc.units));
        add("incidents", conc.incidents);
        add("gini", conc.gini);
        add("gini_generalised (Bernasco & Steenbeek 2017)", conc.gini_generalised);
        add("share_in_top_1pct_of_units", conc.top1);
        add("share_in_top_5pct_of_units", conc.top5);
        add("share_in_top_10pct_of_units", conc.top10);
        add("global_moran_i", global.I);
        add("global_moran_expected", global.expected);
        add("global_moran_z_randomisation", global.z_random);
        add("global_moran_p_randomisation", global.p_random);
        add("hot_units_95", static_cast<double>(hot95));
        add("cold_units_95", static_cast<double>(cold95));
        add("hot_units_95_fdr", static_cast<double>(hot95_fdr));
        add("cold_units_95_fdr", static_cast<double>(cold95_fdr));
        ct.columns.push_back(layers::Column::text("measure", "What the figure is", measure));
        ct.columns.push_back(layers::Column::real("value", "The figure (shares are 0..1)", figure));
        layers::Table lt;
        lt.name = "lorenz";
        lt.description = "Lorenz curve of incidents over units, highest counts first";
        std::vector<int64_t> lu;
        std::vector<double> lus, lis, lc;
        for (const LorenzPoint& p : conc.lorenz) lu.push_back(p.units), lus.push_back(p.unit_share), lis.push_back(p.incident_share), lc.push_back(p.count);
        lt.columns.push_back(layers::Column::integer("units", "Cumulative number of units", lu));
        lt.columns.push_back(layers::Column::real("unit_share", "Cumulative share of units", lus));
        lt.columns.push_back(layers::Column::real("incident_share", "Cumulative share of incidents", lis));
        lt.columns.push_back(layers::Column::real("count", "Count of the units in this step", lc));

        nlohmann::ordered_json parameters{
            {"command", "hotspots"}, {"from", crimes.from}, {"to", crimes.to}, {"working_crs", options.working_crs},
            {"selection", description}, {"units", grid_mode ? fmt::format("grid {:g} m", grid_cell) : "areas"},
            {"areas", polygons_path}, {"population", population_path}, {"weights", weights_rule},
            {"permutations", permutations}, {"seed", seed}, {"fdr", fdr}, {"by", by}, {"unit_count", n}};
        progress.begin(fmt::format("writing {}", out.shown()), 1);
        layers::GeoPackageWriter writer(out.output, out.overwrite, options.working_crs);
        writer.write_table(t);
        writer.write_table(ct);
        writer.write_table(lt);
        std::vector<std::string> sources;
        for (const auto& s : result.sources) sources.push_back(s.path);
        writer.write_rejects(result.rejects, sources);
        auto inputs = result.file_checksums();
        if (!polygons_path.empty()) inputs.emplace_back(polygons_path, layers::sha256_file(polygons_path));
        if (!population_path.empty()) inputs.emplace_back(population_path, layers::sha256_file(population_path));
        record_run(writer, inputs, parameters.dump());
        writer.commit();
        progress.end();

        progress.info(fmt::format("{} incidents of {} in {} units", n_selected, description, n));
        progress.info(fmt::format("Gi*: {} hot and {} cold units at 95 % (p < 0.05); with the Benjamini-Hochberg FDR: {} hot, {} cold", hot95,
                                  cold95, hot95_fdr, cold95_fdr));
        if (n >= 4)
            progress.info(fmt::format("global Moran's I {:.4f} (expected {:.4f}), z {:.2f}, p {:.3g} (randomisation)", global.I, global.expected,
                                      global.z_random, global.p_random));
        progress.info(fmt::format("concentration: Gini {:.3f}, generalised Gini {:.3f}; the top 1 %, 5 %, 10 % of units hold {:.1f} %, "
                                  "{:.1f} %, {:.1f} % of incidents",
                                  conc.gini, conc.gini_generalised, 100 * conc.top1, 100 * conc.top5, 100 * conc.top10));
        if (!by.empty()) {
            std::map<std::string, size_t> tally;
            for (const EmergingResult& e : emerging)
                if (e.pattern != EmergingPattern::no_pattern) ++tally[std::string(emerging_name(e.pattern))];
            std::string line;
            for (const auto& [k, v] : tally) line += fmt::format("{}{} {}", line.empty() ? "" : ", ", v, k);
            progress.info(fmt::format("emerging hot spots over {} {}s: {}", P, by, line.empty() ? "no pattern anywhere" : line));
        }
        progress.info(fmt::format("wrote {}: {} ({}), concentration, lorenz, rejects", out.shown(), t.name, n));
    }
};

} // namespace

Run setup_hotspots(CLI::App& app) {
    auto command = std::make_shared<HotspotsCommand>();
    command->crimes.add_to(app);
    command->selection.add_to(app, "all");
    app.add_option("--grid", command->grid_cell, "Units are square cells of this size (metres)");
    app.add_option("--areas", command->areas_path, "Units are these polygons (or, with --grid, the study area)");
    app.add_option("--study-area", command->study_area_path, "With --grid: the study area (default: the union of --areas, else the incidents' extent)");
    app.add_option("--area-id", command->area_options.code_field, "Area code field (default: detect)");
    app.add_option("--area-name", command->area_options.name_field, "Area name field (default: detect)");
    app.add_option("--population", command->population_path, "Population CSV: analyse rates per 1,000 residents instead of counts");
    app.add_option("--population-code", command->population_options.code_field, "Code column of the population CSV");
    app.add_option("--population-field", command->population_options.population_field, "Population column of the population CSV");
    app.add_option("--weights", command->weights_text, "distance:METRES, knn:K, queen or rook (default: a 3-cell band for grids, queen for areas)");
    app.add_option("--tolerance", command->tolerance, "Contiguity snapping tolerance in metres")->capture_default_str();
    app.add_option("--permutations", command->permutations, "Permutations for pseudo p-values (0: analytic Gi* only, no local Moran)")->capture_default_str();
    app.add_option("--seed", command->seed, "Random seed of the permutations")->capture_default_str();
    app.add_flag("--fdr", command->fdr, "Classify by Benjamini-Hochberg adjusted p-values");
    app.add_option("--by", command->by, "Gi* per month or quarter, and emerging hot spot patterns")->check(CLI::IsMember({"month", "quarter"}));
    command->out.add_to(app, "Output GeoPackage");
    app.footer(
        "Gi* (Ord & Getis 1995), binary weights with self: z_i = (sum_j w_ij x_j - xbar W_i) / (s sqrt((n S1_i - W_i^2)/(n - 1))),\n"
        "  s^2 = sum x^2/n - xbar^2, W_i = sum_j w_ij, S1_i = sum_j w_ij^2 (spdep localG with include.self). gi_bin as Esri's\n"
        "  Gi_Bin: +-3, 2, 1 at p < 0.01, 0.05, 0.10.\n"
        "Local Moran (Anselin 1995): I_i = z_i sum_j w_ij z_j / m2, row-standardised weights; conditional permutation p.\n"
        "Permutation p-values are seeded per unit from --seed: identical on every run and thread count.\n"
        "Emerging hot spots (--by): Gi* per period, Esri's pattern rules with the Mann-Kendall trend of each unit's z series\n"
        "  (90 %), and sfhotspot's hotspot_classify() on each unit's Holm-adjusted p over its periods (p < 0.05; hot in\n"
        "  >= 80 % of periods: persistent; < 10 % of older and >= 20 % of the last fifth: emerging; ...).");
    return [command] { command->run(); };
}

} // namespace safer::tools
