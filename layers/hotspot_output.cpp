#include "layers/hotspot_output.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <map>
#include <optional>

#include "engine/text.hpp"

namespace safer::layers {

using namespace safer::hotspots;

namespace {
const char* quadrant_text(int8_t q) {
    switch (q) {
    case high_high: return "HH";
    case low_high: return "LH";
    case low_low: return "LL";
    case high_low: return "HL";
    default: return "not significant";
    }
}
} // namespace

std::string weights_text(const WeightsUsed& w) {
    using Kind = WeightsSpec::Kind;
    if (w.grid) {
        switch (w.kind) {
        case Kind::none: return fmt::format("distance band {:g} m (default: 3 cells, the 29 cells whose centres are within 3 cells)", w.band);
        case Kind::distance: return fmt::format("distance band {:g} m between cell centres", w.band);
        case Kind::queen: return "queen contiguity of cells (the 8 around each)";
        case Kind::rook: return "rook contiguity of cells (the 4 sharing an edge)";
        case Kind::knn: return fmt::format("{} nearest cells", w.k);
        }
    }
    switch (w.kind) {
    case Kind::none:
    case Kind::queen:
        return fmt::format("queen contiguity{} (polygons within {:g} m of each other: slivers and gaps narrower than that are closed)",
                           w.kind == Kind::none ? " (default for areas)" : "", w.tolerance);
    case Kind::rook: return fmt::format("rook contiguity (a shared boundary longer than {:g} m; tolerance {:g} m)", rook_min_shared * w.tolerance, w.tolerance);
    case Kind::distance: return fmt::format("distance band {:g} m between points on surface of the areas", w.band);
    case Kind::knn: return fmt::format("{} nearest areas (by points on surface)", w.k);
    }
    return {};
}

Table hotspot_units_table(const HotspotResult& r, const Areas& areas, const HotspotOptions& o, const std::string& selection) {
    const size_t n = r.units();
    Table t;
    t.name = r.grid_units ? "hotspot_grid" : "hotspot_areas";
    t.description = fmt::format("Getis-Ord Gi* and local Moran's I of {} by {}; weights: {}", selection,
                                r.grid_units ? fmt::format("{:g} m cells", r.grid.cell) : "area", weights_text(r.weights));
    t.geometry_kind = GeometryKind::polygon;
    t.geometry = r.geometry;
    if (r.grid_units) {
        std::vector<int64_t> id(n), row(n), col(n);
        for (size_t u = 0; u < n; ++u) id[u] = r.unit_cell[u], row[u] = r.unit_cell[u] / r.grid.nx, col[u] = r.unit_cell[u] % r.grid.nx;
        t.columns.push_back(Column::integer("cell_id", "Cell index, row * columns + column, row 0 north", id));
        t.columns.push_back(Column::integer("row", "Grid row (0 = north)", row));
        t.columns.push_back(Column::integer("col", "Grid column (0 = west)", col));
    } else {
        std::vector<std::string> code, name;
        for (size_t a : r.unit_area) code.push_back(areas.code[a]), name.push_back(areas.name[a]);
        t.columns.push_back(Column::text("code", "Area code", code));
        t.columns.push_back(Column::text("name", "Area name", name));
    }
    t.columns.push_back(Column::real("count", "Incidents of the selection in the unit (sum of weights)", r.count));
    if (!r.rate.empty()) t.columns.push_back(Column::real("rate", "Incidents per 1,000 residents: the value analysed", r.rate));
    t.columns.push_back(Column::real("gi_z", "Getis-Ord Gi* z-score (Ord & Getis 1995), self included", r.gi.z));
    t.columns.push_back(Column::real("gi_p", "Two-sided p of gi_z from the normal", r.gi.p));
    if (!r.gi.p_sim.empty()) t.columns.push_back(Column::real("gi_p_sim", "Two-sided conditional-permutation pseudo p", r.gi.p_sim));
    t.columns.push_back(Column::real("gi_p_fdr", "Benjamini-Hochberg adjusted gi_p", r.gi.p_fdr));
    const std::vector<int64_t> bin(r.gi.bin.begin(), r.gi.bin.end());
    t.columns.push_back(Column::integer(
        "gi_bin", o.fdr ? "Esri Gi_Bin from gi_p_fdr: +-3, 2, 1 = hot/cold at 99, 95, 90 %" : "Esri Gi_Bin from gi_p: +-3, 2, 1 = hot/cold at 99, 95, 90 %", bin));
    if (r.with_lisa) {
        t.columns.push_back(Column::real("lisa_i", "Local Moran's I (Anselin 1995), row-standardised weights", r.lisa.I));
        t.columns.push_back(Column::real("lisa_p", "Folded permutation pseudo p of lisa_i", r.lisa.p_sim));
        std::vector<std::string> quadrant;
        for (int8_t c : r.lisa.cluster) quadrant.emplace_back(quadrant_text(c));
        t.columns.push_back(Column::text("lisa_quadrant",
                                         fmt::format("HH, LL, HL, LH where {} <= 0.05, else not significant", o.fdr ? "the FDR-adjusted lisa_p" : "lisa_p"), quadrant));
    }
    if (!r.periods.empty()) {
        std::vector<std::string> pattern, klass;
        std::vector<int64_t> code;
        std::vector<double> tz, tp;
        for (size_t u = 0; u < n; ++u) {
            pattern.emplace_back(emerging_name(r.emerging[u].pattern));
            code.push_back(static_cast<int64_t>(r.emerging[u].pattern));
            tz.push_back(r.emerging[u].trend.z);
            tp.push_back(r.emerging[u].trend.p);
            klass.emplace_back(hotspot_class_name(r.classes[u]));
        }
        t.columns.push_back(Column::text("emerging", "Esri Emerging Hot Spot pattern from the per-period Gi* and its Mann-Kendall trend", pattern));
        t.columns.push_back(Column::integer("emerging_code", "Esri CATEGORY: 1..8 hot, -1..-8 cold, 0 no pattern", code));
        t.columns.push_back(Column::real("trend_z", "Mann-Kendall z of the unit's Gi* z series", tz));
        t.columns.push_back(Column::real("trend_p", "Two-sided p of trend_z", tp));
        t.columns.push_back(Column::text("hotspot_class", "sfhotspot hotspot_classify(): persistent, emerging, former, intermittent, no pattern", klass));
    }
    return t;
}

Table hotspot_periods_table(const HotspotResult& r, const Areas& areas, const HotspotOptions& o) {
    const size_t n = r.units(), P = r.periods.size();
    Table t;
    t.name = std::string(r.grid_units ? "hotspot_grid" : "hotspot_areas") + "_periods";
    t.description = fmt::format("Getis-Ord Gi* of each unit in each {} (analytic p{}), for stepping through the {}s in QGIS's temporal controller",
                                period_name(o.by), o.fdr ? ", FDR-adjusted per period" : "", period_name(o.by));
    t.geometry_kind = GeometryKind::polygon;
    std::vector<int64_t> cell;
    std::vector<std::string> code, name, period, start, end;
    std::vector<double> count, z, p;
    std::vector<int64_t> bin;
    for (size_t k = 0; k < n; ++k)
        for (size_t s = 0; s < P; ++s) {
            t.geometry.push_back(r.geometry[k]);
            if (r.grid_units) cell.push_back(r.unit_cell[k]);
            else code.push_back(areas.code[r.unit_area[k]]), name.push_back(areas.name[r.unit_area[k]]);
            const std::optional<PeriodSpan> span = period_span(r.periods[s]);
            period.push_back(r.periods[s]);
            start.push_back(span ? first_day(span->first) : "");
            end.push_back(span ? first_day(span->after) : "");
            count.push_back(r.period_count[k * P + s]);
            z.push_back(r.period_z[k * P + s]);
            p.push_back(r.period_p[k * P + s]);
            bin.push_back(gi_bin(z.back(), p.back()));
        }
    if (r.grid_units) {
        t.columns.push_back(Column::integer("cell_id", "Cell index, row * columns + column, row 0 north", cell));
    } else {
        t.columns.push_back(Column::text("code", "Area code", code));
        t.columns.push_back(Column::text("name", "Area name", name));
    }
    t.columns.push_back(Column::text("period", fmt::format("The {}: YYYY-MM by month, YYYY-Qn by quarter", period_name(o.by)), period));
    t.columns.push_back(Column::text("period_start", "First day of the period, YYYY-MM-DD (QGIS's temporal controller shows the unit from then)", start));
    t.columns.push_back(Column::text("period_end", "First day after the period, YYYY-MM-DD (shown until then)", end));
    t.columns.push_back(Column::real("count", "Incidents of the selection in the unit in the period", count));
    t.columns.push_back(Column::real("gi_z", "Getis-Ord Gi* z-score of the period, self included", z));
    t.columns.push_back(Column::real("gi_p", o.fdr ? "Benjamini-Hochberg adjusted two-sided p of gi_z, within the period" : "Two-sided p of gi_z from the normal", p));
    t.columns.push_back(Column::integer("gi_bin", "Esri Gi_Bin of the period: +-3, 2, 1 = hot/cold at 99, 95, 90 %", bin));
    return t;
}

Table concentration_table(const HotspotResult& r, const std::string& selection) {
    const Concentration& c = r.concentration;
    Table t;
    t.name = "concentration";
    t.description = fmt::format("Concentration of {} across the units, and global Moran's I", selection);
    std::vector<std::string> measure;
    std::vector<double> figure;
    const auto add = [&](std::string m, double v) { measure.push_back(std::move(m)), figure.push_back(v); };
    add("units", static_cast<double>(c.units));
    add("incidents", c.incidents);
    add("gini", c.gini);
    add("gini_generalised (Bernasco & Steenbeek 2017)", c.gini_generalised);
    add("share_in_top_1pct_of_units", c.top1);
    add("share_in_top_5pct_of_units", c.top5);
    add("share_in_top_10pct_of_units", c.top10);
    add("global_moran_i", r.global.I);
    add("global_moran_expected", r.global.expected);
    add("global_moran_z_randomisation", r.global.z_random);
    add("global_moran_p_randomisation", r.global.p_random);
    add("hot_units_95", static_cast<double>(r.hot95));
    add("cold_units_95", static_cast<double>(r.cold95));
    add("hot_units_95_fdr", static_cast<double>(r.hot95_fdr));
    add("cold_units_95_fdr", static_cast<double>(r.cold95_fdr));
    t.columns.push_back(Column::text("measure", "What the figure is", measure));
    t.columns.push_back(Column::real("value", "The figure (shares are 0..1)", figure));
    return t;
}

Table lorenz_table(const HotspotResult& r) { return lorenz_table(r.concentration, "units"); }

Table lorenz_table(const Concentration& c, const std::string& units) {
    Table t;
    t.name = "lorenz";
    t.description = fmt::format("Lorenz curve of incidents over {}, highest counts first", units);
    std::vector<int64_t> lu;
    std::vector<double> lus, lis, lc;
    for (const LorenzPoint& p : c.lorenz) lu.push_back(p.units), lus.push_back(p.unit_share), lis.push_back(p.incident_share), lc.push_back(p.count);
    t.columns.push_back(Column::integer("units", "Cumulative number of units", lu));
    t.columns.push_back(Column::real("unit_share", "Cumulative share of units", lus));
    t.columns.push_back(Column::real("incident_share", "Cumulative share of incidents", lis));
    t.columns.push_back(Column::real("count", "Count of the units in this step", lc));
    return t;
}

std::vector<std::string> hotspot_warnings(const HotspotResult& r, const Areas& areas, const HotspotOptions& o) {
    std::vector<std::string> w;
    if (!r.left_out.empty())
        w.push_back(fmt::format("{} area(s) have no population, so no rate, and are left out of the statistics: {}{}", r.left_out.size(),
                                fmt::join(r.left_out.begin(), r.left_out.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(r.left_out.size(), 10)), ", "),
                                r.left_out.size() > 10 ? ", ..." : ""));
    if (!r.islands.empty()) {
        std::vector<std::string> names;
        for (size_t k = 0; k < std::min<size_t>(r.islands.size(), 10); ++k) {
            const auto u = static_cast<size_t>(r.islands[k]);
            names.push_back(r.grid_units ? fmt::format("cell {}", r.unit_cell[u]) : areas.code[r.unit_area[u]]);
        }
        w.push_back(fmt::format("{} unit(s) have no neighbour under these weights: {}{}; their Gi* uses their own value only "
                                "and their local Moran's I is 0",
                                r.islands.size(), fmt::join(names, ", "), r.islands.size() > 10 ? ", ..." : ""));
    }
    if (r.outlying > 0)
        w.push_back(fmt::format("{} incident(s) lie far from the rest (the farthest at x {:.0f}, y {:.0f}) and stretch the grid over {:.0f} km2 where the "
                                "rest span {:.0f} km2, so most cells are empty; give --areas (the LSOAs of the area studied) to grid only the study area",
                                r.outlying, r.outlying_x, r.outlying_y, r.grid.extent().width() * r.grid.extent().height() / 1e6,
                                r.core_extent.width() * r.core_extent.height() / 1e6));
    for (const std::string& m : r.gi.warnings) w.push_back(m);
    if (r.grid_units)
        if (const std::string e = empty_grid_warning(r.units(), r.empty_units, r.grid.cell, areas.size() > 0,
                                                     "give --areas or --study-area (cells whose centre is outside them are left out), or analyse the areas "
                                                     "themselves (--areas without --grid)");
            !e.empty())
            w.push_back(fmt::format("{} ({} of the {} cells are hot at 95 %)", e, grouped(static_cast<double>(r.hot95)), grouped(static_cast<double>(r.units()))));
    for (size_t t : r.constant_periods) w.push_back(fmt::format("{} {}: every unit has the same count, so Gi* is 0 there", period_name(o.by), r.periods[t]));
    return w;
}

std::vector<std::string> hotspot_summary(const HotspotResult& r, const HotspotOptions& o, const std::string& selection) {
    const Concentration& c = r.concentration;
    std::vector<std::string> lines;
    if (r.off_grid > 0)
        lines.push_back(fmt::format("{} incidents lie in the study area but in edge cells whose centre is outside it, which are "
                                    "not units; they are in the rejects layer (edge_cell)",
                                    r.off_grid));
    lines.push_back(fmt::format("{} incidents of {} in {} units", grouped(static_cast<double>(r.incidents)), selection, grouped(static_cast<double>(r.units()))));
    lines.push_back(fmt::format("Gi*: {} hot and {} cold units at 95 % (p < 0.05); with the Benjamini-Hochberg FDR: {} hot, {} cold", r.hot95, r.cold95,
                                r.hot95_fdr, r.cold95_fdr));
    if (r.with_global)
        lines.push_back(fmt::format("global Moran's I {:.4f} (expected {:.4f}), z {:.2f}, p {:.3g} (randomisation)", r.global.I, r.global.expected,
                                    r.global.z_random, r.global.p_random));
    lines.push_back(fmt::format("concentration: Gini {:.3f}, generalised Gini {:.3f}; the top 1 %, 5 %, 10 % of units hold {:.1f} %, "
                                "{:.1f} %, {:.1f} % of incidents",
                                c.gini, c.gini_generalised, 100 * c.top1, 100 * c.top5, 100 * c.top10));
    if (!r.periods.empty()) {
        std::map<std::string, size_t> tally;
        for (const EmergingResult& e : r.emerging)
            if (e.pattern != EmergingPattern::no_pattern) ++tally[std::string(emerging_name(e.pattern))];
        std::string line;
        for (const auto& [k, v] : tally) line += fmt::format("{}{} {}", line.empty() ? "" : ", ", v, k);
        lines.push_back(fmt::format("emerging hot spots over {} {}s: {}", r.periods.size(), period_name(o.by), line.empty() ? "no pattern anywhere" : line));
    }
    return lines;
}

std::string empty_grid_warning(size_t units, size_t empty_units, double cell, bool masked, const std::string& how_to_mask) {
    if (units == 0 || empty_units * 2 <= units) return "";
    return fmt::format("{} of the {} cells of {} m ({:.0f} %) hold no incident: Gi* compares each cell's neighbourhood with the mean of all cells, "
                       "which the empty cells pull towards 0, so any place with crime can come out hot (zero inflation). {}",
                       grouped(static_cast<double>(empty_units)), grouped(static_cast<double>(units)), grouped(cell),
                       100.0 * static_cast<double>(empty_units) / static_cast<double>(units),
                       masked ? "The grid is already limited to the areas; limit it to where people live and crime can happen (a study area of "
                                "built-up or populated places), use larger cells, or analyse the areas themselves"
                              : "Mask the grid to where crime can happen: " + how_to_mask);
}

} // namespace safer::layers
