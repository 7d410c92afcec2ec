#include "layers/design_out_output.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "engine/area_stats.hpp"
#include "engine/text.hpp"
#include "layers/wording.hpp"

namespace safer::layers {

using design::DesignOutModel;
using design::DesignOutPlan;

std::string type_list(const DesignOutPlan& d, size_t k) {
    std::vector<std::string> t;
    for (const auto& name : d.table[k].crime_types) t.push_back(lower_trim(name));
    return fmt::format("{}", fmt::join(t, ", "));
}

std::string candidate_place(const DesignOutPlan& d, size_t i) {
    const design::CandidateInfo& ci = d.info[i];
    if (ci.segment >= 0) {
        const paths::Segment& seg = d.network.segments[static_cast<size_t>(ci.segment)];
        return fmt::format("alley segment {}{} ({:.0f} m)", ci.segment + 1, seg.name.empty() ? "" : ", " + seg.name, seg.length);
    }
    const Grid& g = d.grid;
    return fmt::format("{}{:g} m cell {} (centre {:.0f}, {:.0f})", ci.street.empty() ? "" : "around " + ci.street + ": ", g.cell, ci.cell,
                       g.col_x(ci.cell % g.nx), g.row_y(ci.cell / g.nx));
}

/// "12 violence and sexual offences, 5 anti-social behaviour and 2 robbery": a candidate's own crimes.
std::string crimes_by_type(const design::CandidateInfo& ci, const CrimeTypes& types) {
    std::string s;
    for (size_t k = 0; k < ci.types.size(); ++k) {
        if (k) s += k + 1 == ci.types.size() ? " and " : ", ";
        std::string name(types.name(ci.types[k].first));
        for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        s += fmt::format("{} {}", ci.types[k].second, name);
    }
    return s;
}

std::string candidate_reason(const DesignOutPlan& d, const DesignOutModel& m, const CrimeTypes& types, size_t i, const std::string& period) {
    const plan::Candidate& c = d.candidates[i];
    const design::CandidateInfo& ci = d.info[i];
    const size_t k = c.intervention;
    const plan::InterventionSpec& spec = d.table[k];
    const auto units = [&](double n) { return plural(static_cast<size_t>(n), spec.unit.c_str(), (spec.unit + "s").c_str()); };
    if (k == d.GATE) {
        const paths::Segment& seg = d.network.segments[static_cast<size_t>(ci.segment)];
        return fmt::format("{} within {:g} m of this {:.0f} m alley{} over {}; it is open at {}. {} ({}) would prevent about {:.1f} of "
                           "them: {:.0f} % fewer burglaries after gating ({}).",
                           plural(c.crimes.size(), "burglary", "burglaries"), m.path_reach, seg.length, seg.name.empty() ? "" : " (" + seg.name + ")", period,
                           ci.units == 2 ? "both ends" : "one end", units(ci.units), money(c.cost), plan::prevented_alone(c), 100 * spec.effect,
                           short_source(spec.effect_source));
    }
    if (k == d.HARDEN)
        return fmt::format("{} in this {:g} m cell{} over {}. Hardening the {} (about {}) would prevent about {:.1f}: {:.0f} % fewer ({}).",
                           plural(c.crimes.size(), "burglary", "burglaries"), d.grid.cell,
                           ci.street.empty() ? "" : fmt::format(", most on or near {}", ci.street), period, units(ci.units), money(c.cost), plan::prevented_alone(c),
                           100 * spec.effect, short_source(spec.effect_source));
    return fmt::format("{} ({}) in this {:g} m cell{} over {}; {} of the cell is {} now. {} of the rest (about {} {}, {}) would prevent about {:.1f} of "
                       "them: {:.0f} % fewer where it was done ({}).",
                       plural(c.crimes.size(), "crime", "crimes"), crimes_by_type(ci, types), d.grid.cell,
                       ci.street.empty() ? "" : fmt::format(", most on or near {}", ci.street), period, percent(ci.coverage),
                       k == d.LIGHT ? "lit" : "in view of CCTV", k == d.LIGHT ? "Improving the lighting" : "CCTV over", static_cast<long long>(ci.units),
                       spec.unit + (ci.units == 1 ? "" : "s"), money(c.cost), plan::prevented_alone(c), 100 * spec.effect, short_source(spec.effect_source));
}

Table recommendations_table(const DesignOutPlan& d, const DesignOutModel& m, const CrimeTypes& types, const std::vector<size_t>& shown, const std::string& name,
                            const std::string& period) {
    Table rec;
    rec.name = name;
    rec.description = fmt::format("Candidate interventions ranked by crimes prevented per pound{}; costs from the intervention table, with their sources", d.with_budget ? ", with the budget plan" : "");
    rec.geometry_kind = GeometryKind::point;
    std::vector<int64_t> rank, in_plan, order_in_plan, addressed, cell_id, segment_id;
    std::vector<uint8_t> no_cell, no_segment;
    std::vector<std::string> intervention, label, place, reason, source, unit;
    std::vector<double> coverage, prevented, cost, units, per_10k, effect;
    for (size_t j = 0; j < shown.size(); ++j) {
        const size_t i = shown[j];
        const plan::Candidate& c = d.candidates[i];
        const plan::InterventionSpec& spec = d.table[c.intervention];
        const design::CandidateInfo& ci = d.info[i];
        rec.geometry.push_back(ci.point.get());
        rank.push_back(static_cast<int64_t>(j + 1));
        intervention.push_back(spec.key);
        label.push_back(spec.label);
        place.push_back(candidate_place(d, i));
        addressed.push_back(static_cast<int64_t>(c.crimes.size()));
        coverage.push_back(ci.coverage);
        effect.push_back(spec.effect);
        prevented.push_back(plan::prevented_alone(c));
        cost.push_back(c.cost);
        units.push_back(ci.units);
        unit.push_back(spec.unit);
        per_10k.push_back(c.cost > 0 ? 1e4 * plan::prevented_alone(c) / c.cost : std::nan(""));
        in_plan.push_back(d.plan_order[i] > 0);
        order_in_plan.push_back(d.plan_order[i]);
        cell_id.push_back(ci.cell), no_cell.push_back(ci.cell < 0);
        segment_id.push_back(ci.segment + 1), no_segment.push_back(ci.segment < 0);
        reason.push_back(candidate_reason(d, m, types, i, period));
        source.push_back(spec.effect_source);
    }
    rec.columns.push_back(Column::integer("rank", "Rank by estimated crimes prevented per pound (1 = best)", rank));
    rec.columns.push_back(Column::text("intervention", "lighting, cctv, gating or target_hardening", intervention));
    rec.columns.push_back(Column::text("label", "What it is", label));
    rec.columns.push_back(Column::text("place", "Where: a grid cell or an alley segment", place));
    rec.columns.push_back(Column::integer("cell_id", "score_grid cell, if a cell", cell_id, no_cell));
    rec.columns.push_back(Column::integer("segment_id", "path_segments segment, if an alley", segment_id, no_segment));
    rec.columns.push_back(Column::integer("crimes", fmt::format("Crimes it addresses over {} (the count in the period)", period), addressed));
    rec.columns.push_back(Column::real("coverage_now", "Share already lit (lighting) or in view (cctv) now, 0..1; 0 for an ungated alley", coverage));
    rec.columns.push_back(Column::real("effect", "Share of the addressed crimes prevented where nothing guards them (effect size)", effect));
    rec.columns.push_back(Column::real("prevented", "Estimated crimes prevented in a period as long: effect x crimes x (1 - coverage_now)", prevented));
    rec.columns.push_back(Column::real("units", "Units needed: new lights (unlit area / one light's disc), cameras (uncovered area / one view), gates (open ends)", units));
    rec.columns.push_back(Column::text("unit", "What a unit is", unit));
    rec.columns.push_back(Column::real("cost_gbp", "Cost, GBP: units x unit cost (the table's, or --costs)", cost));
    rec.columns.push_back(Column::real("prevented_per_10k", "Crimes prevented per GBP 10,000", per_10k));
    rec.columns.push_back(Column::integer("in_plan", "1 if in the --budget plan", in_plan));
    rec.columns.push_back(Column::integer("plan_order", "Order within the plan (by prevented per pound; 0 if not in it)", order_in_plan));
    rec.columns.push_back(Column::text("reason", "Why, in plain English", reason));
    rec.columns.push_back(Column::text("effect_source", "Where the effect size comes from", source));
    return rec;
}

Table coverage_table(const guard::Coverage& cov, const char* name, const std::string& description) {
    Table t;
    t.name = name;
    t.description = description;
    t.geometry_kind = GeometryKind::polygon;
    std::vector<int64_t> tile_id;
    std::vector<double> area;
    for (size_t i = 0; i < cov.piece.size(); ++i)
        if (cov.piece[i]) {
            t.geometry.push_back(cov.piece[i].get());
            tile_id.push_back(static_cast<int64_t>(i));
            area.push_back(geos::area(cov.piece[i].get()));
        }
    t.columns.push_back(Column::integer("tile_id", fmt::format("Tile of {:g} m (row * columns + column, row 0 north) holding this part of the union", cov.tiling.size), tile_id));
    t.columns.push_back(Column::real("area_m2", "Area covered in the tile, m2", area));
    return t;
}

Table score_grid_table(const DesignOutPlan& d, const DesignOutModel& m, const std::string& period, std::vector<geos::Geometry>& squares) {
    const Grid& grid = d.grid;
    std::vector<size_t> written;
    for (size_t u = 0; u < d.unit_cells.size(); ++u) {
        bool any = d.cell_lit[u] > 0 || d.cell_seen[u] > 0;
        for (size_t k = 0; k < d.table.size() && !any; ++k) any = !d.crimes_in[k][u].empty();
        if (any) written.push_back(u);
    }
    Table t;
    t.name = "score_grid";
    t.description = fmt::format("Guardianship and crime pressure by {:g} m cell over {} (cells with any crime addressed or any coverage)", grid.cell, period);
    t.geometry_kind = GeometryKind::polygon;
    std::vector<int64_t> id, row, col;
    std::vector<double> lit_share, cctv_share;
    squares.clear();
    squares.reserve(written.size());
    for (size_t u : written) {
        const int64_t cell = d.unit_cells[u];
        const int64_t r = cell / grid.nx, c = cell % grid.nx;
        const double x0 = grid.x0 + static_cast<double>(c) * grid.cell, y1 = grid.y0 - static_cast<double>(r) * grid.cell;
        squares.push_back(geos::checked(GEOSGeom_createRectangle_r(geos::context(), x0, y1 - grid.cell, x0 + grid.cell, y1), "cell"));
        t.geometry.push_back(squares.back().get());
        id.push_back(cell), row.push_back(r), col.push_back(c);
        lit_share.push_back(d.cell_lit[u]), cctv_share.push_back(d.cell_seen[u]);
    }
    t.columns.push_back(Column::integer("cell_id", "Cell index, row * columns + column, row 0 north", id));
    t.columns.push_back(Column::integer("row", "Grid row (0 = north)", row));
    t.columns.push_back(Column::integer("col", "Grid column (0 = west)", col));
    t.columns.push_back(Column::real("lit_share", "Share of the cell's area within reach of a working street light (0..1)", lit_share));
    t.columns.push_back(Column::real("cctv_share", "Share of the cell's area in view of a CCTV camera (0..1)", cctv_share));
    for (size_t k = 0; k < d.table.size(); ++k) {
        if (d.table[k].crime_types.empty()) continue;
        std::vector<int64_t> n;
        for (size_t u : written) n.push_back(static_cast<int64_t>(d.crimes_in[k][u].size()));
        t.columns.push_back(Column::integer(d.table[k].key + "_crimes",
                                            fmt::format("Crimes {} addresses ({}) in the cell over {}", d.table[k].label, type_list(d, k), period), n));
    }
    const bool kde = m.pressure == design::Pressure::kde;
    for (size_t k : {d.LIGHT, d.CCTV}) {
        std::vector<double> pr, ung;
        for (size_t u : written) {
            pr.push_back(d.cell_pressure(k, u));
            ung.push_back(d.cell_pressure(k, u) * (1 - (k == d.LIGHT ? d.cell_lit[u] : d.cell_seen[u])));
        }
        const std::string key = d.table[k].key;
        if (kde)
            t.columns.push_back(Column::real(key + "_pressure",
                                             fmt::format("Kernel-smoothed {}_crimes (quartic, bandwidth {:g} m): expected crimes in the cell", key, m.bandwidth), pr));
        t.columns.push_back(Column::real(key + "_unguarded",
                                         fmt::format("Unguarded pressure: {} x (1 - {})", kde ? key + "_pressure" : key + "_crimes", k == d.LIGHT ? "lit_share" : "cctv_share"),
                                         ung));
        t.columns.push_back(Column::integer(key + "_rank", fmt::format("Rank of {}_unguarded among the cells written (1 = highest; ties share)", key), competition_ranks(ung)));
    }
    return t;
}

Table score_areas_table(const DesignOutPlan& d, const Areas& areas, const std::string& period) {
    Table t;
    t.name = "score_areas";
    t.description = fmt::format("Guardianship and crime pressure by area over {}", period);
    t.geometry_kind = GeometryKind::polygon;
    std::vector<double> km2;
    for (const auto& g : areas.geometry) {
        t.geometry.push_back(g.get());
        km2.push_back(geos::area(g.get()) / 1e6);
    }
    t.columns.push_back(Column::text("code", "Area code", areas.code));
    t.columns.push_back(Column::text("name", "Area name", areas.name));
    t.columns.push_back(Column::real("area_km2", "Area, km2", km2));
    t.columns.push_back(Column::real("lit_share", "Share of the area within reach of a working street light (0..1)", d.area_lit));
    t.columns.push_back(Column::real("cctv_share", "Share of the area in view of a CCTV camera (0..1)", d.area_seen));
    for (size_t k = 0; k < d.table.size(); ++k) {
        if (d.table[k].crime_types.empty()) continue;
        t.columns.push_back(Column::real(d.table[k].key + "_crimes",
                                         fmt::format("Crimes {} addresses ({}) in the area over {}", d.table[k].label, type_list(d, k), period), d.area_count[k]));
    }
    for (size_t k : {d.LIGHT, d.CCTV}) {
        std::vector<double> ung(areas.size());
        for (size_t a = 0; a < areas.size(); ++a) ung[a] = d.area_count[k][a] * (1 - (k == d.LIGHT ? d.area_lit[a] : d.area_seen[a]));
        const std::string key = d.table[k].key;
        t.columns.push_back(Column::real(key + "_unguarded", fmt::format("Unguarded pressure: {}_crimes x (1 - {})", key, k == d.LIGHT ? "lit_share" : "cctv_share"), ung));
        t.columns.push_back(Column::integer(key + "_rank", fmt::format("Rank of {}_unguarded (1 = highest; ties share)", key), competition_ranks(ung)));
    }
    return t;
}

Table path_segments_table(const DesignOutPlan& d, const DesignOutModel& m, const std::string& period) {
    Table t;
    t.name = "path_segments";
    t.description = "Path and alley segments between junctions, with their lighting, CCTV and gating";
    t.geometry_kind = GeometryKind::line;
    std::vector<int64_t> id, is_gated, n_gates, needed, burglaries;
    std::vector<std::string> kind, name;
    std::vector<double> length, unguarded;
    for (size_t s = 0; s < d.network.segments.size(); ++s) {
        const auto& seg = d.network.segments[s];
        t.geometry.push_back(seg.geometry.get());
        id.push_back(static_cast<int64_t>(s + 1));
        kind.push_back(seg.kind);
        name.push_back(seg.name);
        length.push_back(seg.length);
        is_gated.push_back(d.gated[s]);
        n_gates.push_back(d.gates.gates_on_segment.empty() ? 0 : d.gates.gates_on_segment[s]);
        needed.push_back(seg.gates_needed());
        burglaries.push_back(static_cast<int64_t>(d.burglaries_on[s].size()));
        unguarded.push_back(static_cast<double>(d.burglaries_on[s].size()) * (d.gated[s] ? 0.0 : 1.0));
    }
    t.columns.push_back(Column::integer("segment_id", "Segment number", id));
    t.columns.push_back(Column::text("kind", "alley, footway, path, ... (the kind covering most of its length)", kind));
    t.columns.push_back(Column::text("name", "Name (of most of its length)", name));
    t.columns.push_back(Column::real("length_m", "Length, m", length));
    t.columns.push_back(Column::real("lit_share", "Share of its length within reach of a working street light (0..1)", d.seg_lit));
    t.columns.push_back(Column::real("cctv_share", "Share of its length in view of a CCTV camera (0..1)", d.seg_seen));
    t.columns.push_back(Column::integer("gated", "1 if a gate closes it", is_gated));
    t.columns.push_back(Column::integer("gates", "Gates on it", n_gates));
    t.columns.push_back(Column::integer("gates_needed", "Gates needed to close it: one at each end that meets other lines", needed));
    t.columns.push_back(Column::integer("burglaries", fmt::format("Burglaries over {} whose nearest alley within {:g} m is this (alleys only)", period, m.path_reach), burglaries));
    t.columns.push_back(Column::real("unguarded", "Unguarded pressure: burglaries x (1 - gated)", unguarded));
    t.columns.push_back(Column::integer("rank", "Rank of unguarded (1 = highest; ties share)", competition_ranks(unguarded)));
    return t;
}

std::vector<std::string> gate_warnings(const paths::GateAssignment& gates, const std::vector<FeatureRecord>& records, double tolerance) {
    std::vector<std::string> w;
    size_t off = 0;
    std::vector<std::string> off_ids;
    for (size_t i = 0; i < gates.segment_of_gate.size(); ++i)
        if (gates.segment_of_gate[i] < 0) {
            ++off;
            if (off_ids.size() < 5)
                off_ids.push_back(fmt::format("{} ({:.0f} m away)", records[i].id.empty() ? fmt::format("feature {}", records[i].feature) : records[i].id, gates.distance[i]));
        }
    if (off > 0)
        w.push_back(fmt::format("{} gate(s) lie more than {:g} m (--gate-tolerance) from every path and close nothing: {}{}", off, tolerance,
                                fmt::join(off_ids, ", "), off > off_ids.size() ? ", ..." : ""));
    if (!gates.ambiguous.empty())
        w.push_back(fmt::format("{} gate(s) stand at a junction of paths, equally near several segments; each closes the first of them. "
                                "Move a gate onto the branch it closes to be sure",
                                gates.ambiguous.size()));
    return w;
}

void report_design_out(Progress& progress, const DesignOutPlan& d, const DesignOutModel& m, const AssetSet& assets, double cctv_pixels, double cctv_fov) {
    const char* study_name = d.areas_given ? "the areas" : "the crimes' extent";
    const design::AssetFacts& f = d.facts;
    if (assets.has_lighting) {
        progress.info(fmt::format("  light radius: {} from their own radius, {} from mounting height x {:g}, {} the default {:g} m", f.radius_from_attribute,
                                  f.radius_from_height, m.light_rule.height_factor, f.radius_default, m.light_rule.default_radius));
        const size_t beyond = d.lit.shapes - d.lit.shapes_used;
        if (f.lights_outside > 0)
            progress.info(fmt::format("  {} of {} lights lie outside {}; {} of them {} no part of its extent and {} left out", f.lights_outside, d.light_count,
                                      study_name, beyond, beyond == 1 ? "reaches" : "reach", beyond == 1 ? "is" : "are"));
        if (d.lit.fallbacks > 0) progress.info(fmt::format("  {} tile(s) needed a cascaded union", d.lit.fallbacks));
    }
    if (assets.has_cctv) {
        const guard::CameraRule& rule = m.camera_rule;
        progress.info(fmt::format("  {} with a bearing and field of view (a sector), {} full circle; {} with their own range, the rest {:.1f} m ({}{})",
                                  f.cameras_with_bearing, d.camera_count - f.cameras_with_bearing, f.cameras_with_range, d.default_range,
                                  rule.range ? "--cctv-range"
                                             : fmt::format("EN 62676-4 '{}' at {:g} px/m for a {:g}-pixel-wide image", guard::name(rule.purpose),
                                                           guard::pixels_per_metre(rule.purpose), cctv_pixels),
                                  rule.range ? "" : fmt::format(" and a {:g} degree field of view, or the camera's own", cctv_fov)));
        const size_t beyond = d.seen.shapes - d.seen.shapes_used;
        if (f.cameras_outside > 0)
            progress.info(fmt::format("  {} of {} cameras lie outside {}; {} of them {} no part of its extent and {} left out", f.cameras_outside, d.camera_count,
                                      study_name, beyond, beyond == 1 ? "sees" : "see", beyond == 1 ? "is" : "are"));
    }
    if (assets.has_paths) {
        progress.info(fmt::format("  {} path segments ({} of them alleys) between {} junctions; {} path dead ends", d.network.segments.size(), f.alleys,
                                  d.network.junctions, d.network.dead_ends));
        if (assets.has_gates) {
            const auto closed = std::count_if(d.gates.gates_on_segment.begin(), d.gates.gates_on_segment.end(), [](uint32_t n) { return n > 0; });
            const auto off = std::count(d.gates.segment_of_gate.begin(), d.gates.segment_of_gate.end(), -1);
            progress.info(fmt::format("  {} gates close {} segments", assets.gates.size() - static_cast<size_t>(off), closed));
            for (const std::string& w : gate_warnings(d.gates, assets.gates, m.gate_tolerance)) progress.warn(w);
        }
    }
}

nlohmann::ordered_json asset_record(const DesignOutPlan& d, const Study& study) {
    nlohmann::ordered_json a = nlohmann::ordered_json::object();
    const design::AssetFacts& f = d.facts;
    if (study.assets.has_lighting)
        a["lighting"] = {{"file", study.lighting_report.path}, {"features", study.lighting_report.features}, {"used", study.lighting_report.used},
                         {"outside_study_area", f.lights_outside}, {"beyond_reach", d.lit.shapes - d.lit.shapes_used}, {"lit_area_m2", d.lit.area()}};
    if (study.assets.has_cctv)
        a["cctv"] = {{"file", study.cctv_report.path}, {"features", study.cctv_report.features}, {"used", study.cctv_report.used},
                     {"outside_study_area", f.cameras_outside}, {"beyond_reach", d.seen.shapes - d.seen.shapes_used}, {"covered_area_m2", d.seen.area()},
                     {"default_range_m", d.default_range}};
    return a;
}

nlohmann::ordered_json interventions_record(const std::vector<plan::InterventionSpec>& table) {
    nlohmann::ordered_json t = nlohmann::ordered_json::array();
    for (const auto& s : table)
        t.push_back({{"key", s.key}, {"label", s.label}, {"crime_types", s.crime_types}, {"effect", s.effect}, {"effect_source", s.effect_source},
                     {"unit_cost_gbp", s.unit_cost}, {"unit", s.unit}, {"cost_source", s.cost_source}});
    return t;
}

} // namespace safer::layers
