// safer score: guardianship coverage (street lighting, CCTV, alley gates) and design-out-crime
// scores: where crime is under-guarded, and which interventions would prevent the most crime
// per pound, with a budget plan.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numbers>
#include <set>

#include "engine/area_index.hpp"
#include "engine/area_stats.hpp"
#include "engine/errors.hpp"
#include "engine/grid.hpp"
#include "engine/guardianship.hpp"
#include "engine/interventions.hpp"
#include "engine/kde.hpp"
#include "engine/path_network.hpp"
#include "engine/text.hpp"
#include "layers/area_reader.hpp"
#include "layers/asset_reader.hpp"
#include "layers/checksum.hpp"
#include "layers/geopackage.hpp"
#include "layers/intervention_table.hpp"
#include "tools/commands.hpp"
#include "tools/design_out.hpp"
#include "tools/legacy.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

namespace fs = std::filesystem;
using guard::Coverage;

struct ScoreCommand {
    CrimeOptions crimes;
    OutputOptions out;
    DesignOutOptions design;
    std::string areas_path;
    layers::AreaOptions area_options;
    size_t top = 25;

    void run() const;
};

void ScoreCommand::run() const {
    Progress progress(out.quiet);
    // ---- Parameters, checked before any reading ----------------------------------------------
    if (top < 1) throw UsageError("--top: must be 1 or more");
    const DesignOutModel model = prepare_design_out(design);
    layers::check_output_path(out.output, out.overwrite);
    if (design.lighting_path.empty() && design.cctv_path.empty() && design.paths_path.empty())
        progress.warn("no --lighting, --cctv or --paths: nothing is guarded, so every crime counts as unguarded");

    // ---- Crimes and the study area -------------------------------------------------------------
    const layers::IngestOptions options = resolve(crimes);
    layers::IngestResult result = layers::read_incidents(crimes.crimes, options, progress);
    Areas areas;
    std::vector<int32_t> area_of;
    if (!areas_path.empty()) {
        layers::AreaOptions ao = area_options;
        ao.working_crs = options.working_crs;
        ao.input_crs = options.input_crs;
        layers::AreaReport report;
        areas = layers::read_areas(areas_path, ao, report, progress);
        progress.info(fmt::format("{} areas from {} (code field {})", areas.size(), areas_path, report.code_field));
        if (!report.repaired.empty())
            progress.warn(fmt::format("{} invalid polygon(s) repaired with GEOS MakeValid: {}", report.repaired.size(), fmt::join(report.repaired, ", ")));
        area_of = keep_located(result, AreaIndex(areas).locate(result.incidents.x, result.incidents.y, &progress));
    }
    print_ingest_summary(result, result.incidents.size(), progress);
    const Incidents& in = result.incidents;
    if (in.size() == 0) throw InputError("no incidents left to score: every row was rejected (see above)");
    Month first_month = in.month[0], last_month = in.month[0];
    for (Month m : in.month) first_month = std::min(first_month, m), last_month = std::max(last_month, m);
    const int months = last_month.index - first_month.index + 1;
    const std::string period = fmt::format("{} month{} ({} to {})", months, months == 1 ? "" : "s", first_month.str(), last_month.str());

    std::vector<std::pair<std::string, std::string>> inputs = result.file_checksums();
    if (!areas_path.empty()) inputs.emplace_back(areas_path, layers::sha256_file(areas_path));
    if (!design.costs_path.empty()) inputs.emplace_back(design.costs_path, layers::sha256_file(design.costs_path));
    const DesignOut d = design_out(design, model, options.working_crs, in, result.types, areas, area_of, period, inputs, progress);
    // The names the tables below use.
    const std::vector<plan::InterventionSpec>& table = d.table;
    const size_t K = d.K, LIGHT = d.LIGHT, CCTV = d.CCTV, GATE = d.GATE;
    const auto& addresses = d.addresses;
    const guard::CameraRule& camera_rule = d.camera_rule;
    const double default_range = d.default_range;
    const Grid& grid = d.grid;
    const guard::Tiling& tiling = d.tiling;
    const auto& unit_cells = d.unit_cells;
    const auto &cell_lit = d.cell_lit, &cell_seen = d.cell_seen, &area_lit = d.area_lit, &area_seen = d.area_seen;
    const Coverage &lit = d.lit, &seen = d.seen;
    const size_t light_count = d.light_count, camera_count = d.camera_count;
    const paths::Network& network = d.network;
    const paths::GateAssignment& gates = d.gates;
    const auto &gated = d.gated;
    const auto &seg_lit = d.seg_lit, &seg_seen = d.seg_seen;
    const auto& crimes_in = d.crimes_in;
    const auto& area_count = d.area_count;
    const auto& addressed_total = d.addressed_total;
    const auto& burglaries_on = d.burglaries_on;
    const size_t burglaries_near_alleys = d.burglaries_near_alleys;
    const std::vector<plan::Candidate>& candidates = d.candidates;
    const std::vector<CandidateInfo>& info = d.info;
    const bool with_budget = d.with_budget;
    const plan::Plan& chosen_plan = d.chosen_plan;
    const auto& asset_summary = d.asset_summary;
    const auto type_list = [&](size_t k) { return d.type_list(k); };
    const auto cell_pressure = [&](size_t k, size_t u) { return d.cell_pressure(k, u); };
    const std::string &lighting_path = design.lighting_path, &cctv_path = design.cctv_path, &occluders_path = design.occluders_path,
                      &pressure = design.pressure;
    const guard::LightRule& light_rule = design.light_rule;
    const double cctv_pixels = design.cctv_pixels, cctv_fov = design.cctv_fov, gate_tolerance = design.gate_tolerance, path_reach = design.path_reach,
                 bandwidth = design.bandwidth, budget = design.budget;
    const int quadrant_segments = design.quadrant_segments;
    const char* study_name = areas.geometry.empty() ? "the crimes' extent" : "the areas";

    // The recommendations: the best --top of each intervention by crimes prevented per pound, and
    // everything in the plan.
    const std::vector<size_t> shown = recommended(d, top);

    // ---- Layers -------------------------------------------------------------------------------------
    const auto coverage_table = [&](const Coverage& cov, const char* name, const std::string& description) {
        layers::Table t;
        t.name = name;
        t.description = description;
        t.geometry_kind = layers::GeometryKind::polygon;
        std::vector<int64_t> tile_id;
        std::vector<double> area;
        for (size_t i = 0; i < cov.piece.size(); ++i)
            if (cov.piece[i]) {
                t.geometry.push_back(cov.piece[i].get());
                tile_id.push_back(static_cast<int64_t>(i));
                area.push_back(geos::area(cov.piece[i].get()));
            }
        t.columns.push_back(layers::Column::integer("tile_id", fmt::format("Tile of {:g} m (row * columns + column, row 0 north) holding this part of the union", cov.tiling.size), tile_id));
        t.columns.push_back(layers::Column::real("area_m2", "Area covered in the tile, m2", area));
        return t;
    };
    // score_grid: unit cells with any crime an intervention addresses, or any coverage.
    std::vector<size_t> written_cells;
    for (size_t u = 0; u < unit_cells.size(); ++u) {
        bool any = cell_lit[u] > 0 || cell_seen[u] > 0;
        for (size_t k = 0; k < K && !any; ++k) any = !crimes_in[k][u].empty();
        if (any) written_cells.push_back(u);
    }
    std::vector<geos::Geometry> cell_squares;
    layers::Table grid_table;
    {
        grid_table.name = "score_grid";
        grid_table.description = fmt::format("Guardianship and crime pressure by {:g} m cell over {} (cells with any crime addressed or any coverage)", grid.cell, period);
        grid_table.geometry_kind = layers::GeometryKind::polygon;
        std::vector<int64_t> id, row, col;
        std::vector<double> lit_share, cctv_share;
        for (size_t u : written_cells) {
            const int64_t cell = unit_cells[u];
            const int64_t r = cell / grid.nx, c = cell % grid.nx;
            const double x0 = grid.x0 + static_cast<double>(c) * grid.cell, y1 = grid.y0 - static_cast<double>(r) * grid.cell;
            cell_squares.push_back(geos::checked(GEOSGeom_createRectangle_r(geos::context(), x0, y1 - grid.cell, x0 + grid.cell, y1), "cell"));
            grid_table.geometry.push_back(cell_squares.back().get());
            id.push_back(cell), row.push_back(r), col.push_back(c);
            lit_share.push_back(cell_lit[u]), cctv_share.push_back(cell_seen[u]);
        }
        grid_table.columns.push_back(layers::Column::integer("cell_id", "Cell index, row * columns + column, row 0 north", id));
        grid_table.columns.push_back(layers::Column::integer("row", "Grid row (0 = north)", row));
        grid_table.columns.push_back(layers::Column::integer("col", "Grid column (0 = west)", col));
        grid_table.columns.push_back(layers::Column::real("lit_share", "Share of the cell's area within reach of a working street light (0..1)", lit_share));
        grid_table.columns.push_back(layers::Column::real("cctv_share", "Share of the cell's area in view of a CCTV camera (0..1)", cctv_share));
        for (size_t k = 0; k < K; ++k) {
            if (table[k].crime_types.empty()) continue;
            std::vector<int64_t> n;
            for (size_t u : written_cells) n.push_back(static_cast<int64_t>(crimes_in[k][u].size()));
            grid_table.columns.push_back(layers::Column::integer(table[k].key + "_crimes", fmt::format("Crimes {} addresses ({}) in the cell over {}", table[k].label, type_list(k), period), n));
        }
        for (size_t k : {LIGHT, CCTV}) {
            std::vector<double> pr, ung;
            for (size_t u : written_cells) {
                pr.push_back(cell_pressure(k, u));
                ung.push_back(cell_pressure(k, u) * (1 - (k == LIGHT ? cell_lit[u] : cell_seen[u])));
            }
            const std::string key = table[k].key;
            if (pressure == "kde")
                grid_table.columns.push_back(layers::Column::real(key + "_pressure", fmt::format("Kernel-smoothed {}_crimes (quartic, bandwidth {:g} m): expected crimes in the cell", key, bandwidth), pr));
            grid_table.columns.push_back(layers::Column::real(key + "_unguarded", fmt::format("Unguarded pressure: {} x (1 - {})", pressure == "kde" ? key + "_pressure" : key + "_crimes", k == LIGHT ? "lit_share" : "cctv_share"), ung));
            grid_table.columns.push_back(layers::Column::integer(key + "_rank", fmt::format("Rank of {}_unguarded among the cells written (1 = highest; ties share)", key), competition_ranks(ung)));
        }
    }
    layers::Table areas_table;
    if (!areas.geometry.empty()) {
        areas_table.name = "score_areas";
        areas_table.description = fmt::format("Guardianship and crime pressure by area over {}", period);
        areas_table.geometry_kind = layers::GeometryKind::polygon;
        std::vector<double> km2;
        for (const auto& g : areas.geometry) {
            areas_table.geometry.push_back(g.get());
            km2.push_back(geos::area(g.get()) / 1e6);
        }
        areas_table.columns.push_back(layers::Column::text("code", "Area code", areas.code));
        areas_table.columns.push_back(layers::Column::text("name", "Area name", areas.name));
        areas_table.columns.push_back(layers::Column::real("area_km2", "Area, km2", km2));
        areas_table.columns.push_back(layers::Column::real("lit_share", "Share of the area within reach of a working street light (0..1)", area_lit));
        areas_table.columns.push_back(layers::Column::real("cctv_share", "Share of the area in view of a CCTV camera (0..1)", area_seen));
        for (size_t k = 0; k < K; ++k) {
            if (table[k].crime_types.empty()) continue;
            areas_table.columns.push_back(layers::Column::real(table[k].key + "_crimes", fmt::format("Crimes {} addresses ({}) in the area over {}", table[k].label, type_list(k), period), area_count[k]));
        }
        for (size_t k : {LIGHT, CCTV}) {
            std::vector<double> ung(areas.size());
            for (size_t a = 0; a < areas.size(); ++a) ung[a] = area_count[k][a] * (1 - (k == LIGHT ? area_lit[a] : area_seen[a]));
            const std::string key = table[k].key;
            areas_table.columns.push_back(layers::Column::real(key + "_unguarded", fmt::format("Unguarded pressure: {}_crimes x (1 - {})", key, k == LIGHT ? "lit_share" : "cctv_share"), ung));
            areas_table.columns.push_back(layers::Column::integer(key + "_rank", fmt::format("Rank of {}_unguarded (1 = highest; ties share)", key), competition_ranks(ung)));
        }
    }
    layers::Table seg_table;
    if (!network.segments.empty()) {
        seg_table.name = "path_segments";
        seg_table.description = "Path and alley segments between junctions, with their lighting, CCTV and gating";
        seg_table.geometry_kind = layers::GeometryKind::line;
        std::vector<int64_t> id, is_gated, n_gates, needed, burglaries;
        std::vector<std::string> kind, name;
        std::vector<double> length, unguarded;
        for (size_t s = 0; s < network.segments.size(); ++s) {
            const auto& seg = network.segments[s];
            seg_table.geometry.push_back(seg.geometry.get());
            id.push_back(static_cast<int64_t>(s + 1));
            kind.push_back(seg.kind);
            name.push_back(seg.name);
            length.push_back(seg.length);
            is_gated.push_back(gated[s]);
            n_gates.push_back(gates.gates_on_segment.empty() ? 0 : gates.gates_on_segment[s]);
            needed.push_back(seg.gates_needed());
            burglaries.push_back(static_cast<int64_t>(burglaries_on[s].size()));
            unguarded.push_back(static_cast<double>(burglaries_on[s].size()) * (gated[s] ? 0.0 : 1.0));
        }
        seg_table.columns.push_back(layers::Column::integer("segment_id", "Segment number", id));
        seg_table.columns.push_back(layers::Column::text("kind", "alley, footway, path, ... (the kind covering most of its length)", kind));
        seg_table.columns.push_back(layers::Column::text("name", "Name (of most of its length)", name));
        seg_table.columns.push_back(layers::Column::real("length_m", "Length, m", length));
        seg_table.columns.push_back(layers::Column::real("lit_share", "Share of its length within reach of a working street light (0..1)", seg_lit));
        seg_table.columns.push_back(layers::Column::real("cctv_share", "Share of its length in view of a CCTV camera (0..1)", seg_seen));
        seg_table.columns.push_back(layers::Column::integer("gated", "1 if a gate closes it", is_gated));
        seg_table.columns.push_back(layers::Column::integer("gates", "Gates on it", n_gates));
        seg_table.columns.push_back(layers::Column::integer("gates_needed", "Gates needed to close it: one at each end that meets other lines", needed));
        seg_table.columns.push_back(layers::Column::integer("burglaries", fmt::format("Burglaries over {} whose nearest alley within {:g} m is this (alleys only)", period, path_reach), burglaries));
        seg_table.columns.push_back(layers::Column::real("unguarded", "Unguarded pressure: burglaries x (1 - gated)", unguarded));
        seg_table.columns.push_back(layers::Column::integer("rank", "Rank of unguarded (1 = highest; ties share)", competition_ranks(unguarded)));
    }
    const layers::Table rec = recommendations_table(d, shown, "recommendations", period);
    nlohmann::ordered_json interventions = nlohmann::ordered_json::array();
    for (const auto& s : table)
        interventions.push_back({{"key", s.key}, {"label", s.label}, {"crime_types", s.crime_types}, {"effect", s.effect}, {"effect_source", s.effect_source},
                                 {"unit_cost_gbp", s.unit_cost}, {"unit", s.unit}, {"cost_source", s.cost_source}});
    nlohmann::ordered_json parameters{
        {"command", "score"}, {"from", crimes.from}, {"to", crimes.to}, {"working_crs", options.working_crs}, {"period", period},
        {"grid_m", grid.cell}, {"grid", {{"x0", grid.x0}, {"y0", grid.y0}, {"nx", grid.nx}, {"ny", grid.ny}}}, {"tile_m", tiling.size},
        {"areas", areas_path}, {"light_radius_m", light_rule.default_radius}, {"light_height_factor", light_rule.height_factor},
        {"cctv_purpose", guard::name(camera_rule.purpose)}, {"cctv_pixels_per_metre", guard::pixels_per_metre(camera_rule.purpose)},
        {"cctv_sensor_pixels", cctv_pixels}, {"cctv_reference_fov_deg", cctv_fov}, {"cctv_default_range_m", default_range},
        {"gate_tolerance_m", gate_tolerance}, {"path_reach_m", path_reach}, {"pressure", pressure}, {"bandwidth_m", bandwidth},
        {"quadrant_segments", quadrant_segments}, {"budget_gbp", with_budget ? nlohmann::ordered_json(budget) : nlohmann::ordered_json()},
        {"plan_method", chosen_plan.method}, {"interventions", interventions}, {"assets", asset_summary}};

    progress.begin(fmt::format("writing {}", out.shown()), 1);
    layers::GeoPackageWriter writer(out.output, out.overwrite, options.working_crs);
    if (!lighting_path.empty())
        writer.write_table(coverage_table(lit, "lighting_coverage",
                                          fmt::format("Union of the discs lit by {} working street lights (radius: own, else {:g} x height, else {:g} m), one feature per {:g} m tile",
                                                      light_count, light_rule.height_factor, light_rule.default_radius, tiling.size)));
    if (!cctv_path.empty())
        writer.write_table(coverage_table(seen, "cctv_coverage",
                                          fmt::format("Union of the views of {} CCTV cameras (default range {:.1f} m){}, one feature per {:g} m tile", camera_count,
                                                      default_range, occluders_path.empty() ? "" : ", less the shadows of building footprints", tiling.size)));
    writer.write_table(grid_table);
    if (!areas_table.name.empty()) writer.write_table(areas_table);
    if (!seg_table.name.empty()) writer.write_table(seg_table);
    writer.write_table(rec);
    std::vector<std::string> sources;
    for (const auto& s : result.sources) sources.push_back(s.path);
    writer.write_rejects(result.rejects, sources);
    record_run(writer, inputs, parameters.dump());
    writer.commit();
    progress.end();

    // ---- Summary ------------------------------------------------------------------------------------
    progress.info(fmt::format("crimes over {}: {} addressed by lighting and CCTV ({}), {} burglaries", period, addressed_total[LIGHT], type_list(LIGHT), addressed_total[GATE]));
    const auto covered_share = [&](const Coverage& cov, size_t k) {
        std::vector<double> xs, ys;
        for (size_t i = 0; i < in.size(); ++i)
            if (addresses[k][in.type[i]]) xs.push_back(in.x[i]), ys.push_back(in.y[i]);
        const std::vector<uint8_t> hit = guard::points_covered(cov, xs, ys);
        return xs.empty() ? 0.0 : static_cast<double>(std::count(hit.begin(), hit.end(), 1)) / static_cast<double>(xs.size());
    };
    double study_area_m2 = 0;
    if (!areas.geometry.empty())
        for (const auto& g : areas.geometry) study_area_m2 += geos::area(g.get());
    else
        study_area_m2 = static_cast<double>(unit_cells.size()) * grid.cell_area();
    if (!lighting_path.empty())
        progress.info(fmt::format("lighting: {:.2f} km2 lit ({:.1f} % of {}); {:.1f} % of the crimes lighting addresses were recorded inside it", lit.area() / 1e6,
                                  100 * lit.area() / study_area_m2, study_name, 100 * covered_share(lit, LIGHT)));
    if (!cctv_path.empty())
        progress.info(fmt::format("CCTV: {:.2f} km2 in view ({:.1f} % of {}); {:.1f} % of the crimes CCTV addresses were recorded inside it", seen.area() / 1e6,
                                  100 * seen.area() / study_area_m2, study_name, 100 * covered_share(seen, CCTV)));
    if (!network.segments.empty())
        progress.info(fmt::format("alleys: {} of {} burglaries lie within {:g} m of an alley; {} alley segments gated", burglaries_near_alleys, addressed_total[GATE], path_reach,
                                  std::count(gated.begin(), gated.end(), 1)));
    progress.info(fmt::format("{} candidate interventions; the best by crimes prevented per pound:", candidates.size()));
    for (size_t j = 0; j < shown.size() && j < 5; ++j) {
        const size_t i = shown[j];
        progress.info(fmt::format("  {}. {} at {}: {} crimes, {:.1f} prevented, {}", j + 1, table[candidates[i].intervention].label, info[i].place,
                                  candidates[i].crimes.size(), plan::prevented_alone(candidates[i]), money(candidates[i].cost)));
    }
    if (with_budget) {
        std::map<std::string, size_t> by_kind;
        for (size_t i : chosen_plan.chosen) ++by_kind[table[candidates[i].intervention].key];
        std::string kinds;
        for (const auto& [k, n] : by_kind) kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, k);
        progress.info(fmt::format("budget plan within {}: {} interventions ({}) costing {}, preventing about {:.1f} crimes (each crime counted once)", money(budget),
                                  chosen_plan.chosen.size(), kinds.empty() ? "none" : kinds, money(chosen_plan.cost), chosen_plan.prevented));
        progress.info(fmt::format("  method: {}", chosen_plan.method));
        if (!chosen_plan.exact && chosen_plan.upper_bound > 0)
            progress.info(fmt::format("  the best possible plan prevents at most {:.1f}, so this one is within {:.1f} % of it", chosen_plan.upper_bound,
                                      100 * (1 - chosen_plan.prevented / chosen_plan.upper_bound)));
    }
    std::vector<std::string> written;
    if (!lighting_path.empty()) written.push_back("lighting_coverage");
    if (!cctv_path.empty()) written.push_back("cctv_coverage");
    written.push_back(fmt::format("score_grid ({})", written_cells.size()));
    if (!areas_table.name.empty()) written.push_back(fmt::format("score_areas ({})", areas.size()));
    if (!seg_table.name.empty()) written.push_back(fmt::format("path_segments ({})", network.segments.size()));
    written.push_back(fmt::format("recommendations ({})", shown.size()));
    written.push_back("rejects");
    progress.info(fmt::format("wrote {}: {}", out.shown(), fmt::join(written, ", ")));
}

} // namespace

Run setup_score(CLI::App& app) {
    auto command = std::make_shared<ScoreCommand>();
    command->crimes.add_to(app);
    command->design.add_asset_options(app);
    app.add_option("--areas", command->areas_path, "Area polygons (LSOAs): the study area, scored in score_areas; crimes outside are rejected");
    app.add_option("--area-id", command->area_options.code_field, "Area code field (default: detect)");
    app.add_option("--area-name", command->area_options.name_field, "Area name field (default: detect)");
    command->design.add_model_options(app);
    app.add_option("--budget", command->design.budget, "Plan the interventions preventing the most crime within this many GBP")->check(budget_check());
    app.add_option("--top", command->top, "Recommendations kept per intervention (plus all in the plan)")->capture_default_str();
    command->out.add_to(app, "Output GeoPackage");
    app.footer(
        "Coverage: a light lights a disc (radius: its own, else --light-height-factor x its height, else --light-radius); a camera\n"
        "  sees a sector (bearing, field of view, range; a full circle without a bearing), less the shadows of --occluders.\n"
        "  Default range d = N / (2 D tan(f/2)): N pixels across, D px/m of the EN 62676-4 level, f the field of view.\n"
        "Unguarded pressure = crimes (or KDE pressure) x (1 - lit_share or cctv_share); alleys: burglaries x (1 - gated).\n"
        "Prevented = effect x crimes x (1 - coverage now); a crime two interventions address is prevented at most once:\n"
        "  f(S) = sum over crimes of 1 - prod (1 - p_i). Budget plan: exact branch and bound up to 40 candidates, else the\n"
        "  Khuller-Moss-Naor greedy (at least 31.6 % of the optimum; the bound actually reached is printed).");
    return [command] { command->run(); };
}

} // namespace safer::tools
