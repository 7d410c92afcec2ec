// The design-out-crime analysis shared by `safer score` and `safer bid` (see design_out.hpp).
#include "tools/design_out.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numbers>
#include <set>

#include "engine/area_index.hpp"
#include "engine/errors.hpp"
#include "engine/kde.hpp"
#include "engine/progress.hpp"
#include "engine/text.hpp"
#include "layers/checksum.hpp"
#include "layers/intervention_table.hpp"
#include "layers/study.hpp"
#include "layers/table.hpp"

namespace safer::tools {

namespace {

namespace fs = std::filesystem;
using guard::Coverage;

/// Cells a score grid may have (20 million: about 1 GB of working memory).
constexpr double max_score_cells = 20e6;


} // namespace

std::string money(double gbp) {
    const double whole = std::round(gbp);
    return (whole < 0 ? "-\xc2\xa3" : "\xc2\xa3") + grouped(std::abs(whole));
}

void add_input(std::vector<std::pair<std::string, std::string>>& inputs, const std::string& path) {
    if (!path.empty() && fs::is_regular_file(path)) inputs.emplace_back(path, layers::sha256_file(path));
}

paths::Network read_path_network(const DesignOutOptions& o, const layers::AssetOptions& ao, std::vector<std::pair<std::string, std::string>>& inputs,
                                 Progress& progress) {
    layers::AssetReport report;
    std::vector<layers::FeatureRecord> records = layers::read_paths(o.paths_path, ao, report);
    layers::report_asset(progress, report, "paths");
    add_input(inputs, o.paths_path);
    if (!o.streets_path.empty()) {
        layers::AssetReport sreport;
        std::vector<layers::FeatureRecord> streets = layers::read_streets(o.streets_path, ao, sreport);
        layers::report_asset(progress, sreport, "streets");
        add_input(inputs, o.streets_path);
        for (auto& s : streets) records.push_back(std::move(s));
    }
    std::vector<paths::Line> lines;
    for (auto& r : records) {
        paths::Line l;
        l.geometry = std::move(r.geometry);
        l.is_path = r.is_path;
        l.kind = r.kind;
        l.name = r.name;
        l.feature = r.feature;
        lines.push_back(std::move(l));
    }
    progress.begin(fmt::format("noding {} lines into a network", lines.size()), 1);
    paths::Network network = paths::build_network(std::move(lines));
    progress.end();
    return network;
}

std::string percent(double share) { return fmt::format("{:.0f} %", 100 * share); }

std::string short_source(const std::string& source) {
    const size_t close = source.find(')');
    if (close != std::string::npos && close < 80) return source.substr(0, close + 1);
    return source.substr(0, std::min<size_t>(source.size(), 60));
}

std::string plural(size_t n, const char* one, const char* many) { return fmt::format("{} {}", n, n == 1 ? one : many); }

std::string DesignOut::type_list(size_t k) const {
    std::vector<std::string> t;
    for (const auto& name : table[k].crime_types) t.push_back(lower_trim(name));
    return fmt::format("{}", fmt::join(t, ", "));
}

DesignOutModel prepare_design_out(const DesignOutOptions& o) {
    const auto positive = [](double v, const char* option) {
        if (!(v > 0) || !std::isfinite(v)) throw UsageError(fmt::format("{} {}: must be a number more than 0", option, v));
    };
    positive(o.grid_cell, "--grid");
    positive(o.light_rule.default_radius, "--light-radius");
    positive(o.light_rule.height_factor, "--light-height-factor");
    positive(o.path_reach, "--path-reach");
    positive(o.bandwidth, "--bandwidth");
    positive(o.cctv_pixels, "--cctv-pixels");
    positive(o.tile, "--tile");
    if (!(o.gate_tolerance >= 0)) throw UsageError(fmt::format("--gate-tolerance {}: must be 0 or more metres", o.gate_tolerance));
    if (!(o.cctv_fov > 0 && o.cctv_fov < 180))
        throw UsageError(fmt::format("--cctv-fov {}: the reference field of view must be between 0 and 180 degrees", o.cctv_fov));
    if (o.cctv_range < 0) throw UsageError(fmt::format("--cctv-range {}: must be more than 0 metres", o.cctv_range));
    if (o.quadrant_segments < 2 || o.quadrant_segments > 64) throw UsageError(fmt::format("--quadrant-segments {}: must be 2 to 64", o.quadrant_segments));
    if (!o.gates_path.empty() && o.paths_path.empty()) throw UsageError("--gates needs --paths: a gate closes the path segment it lies on");
    if (!o.streets_path.empty() && o.paths_path.empty()) throw UsageError("--streets needs --paths: streets only make the paths' junctions");
    if (!o.occluders_path.empty() && o.cctv_path.empty()) throw UsageError("--occluders needs --cctv: footprints block cameras' views");
    DesignOutModel m;
    m.camera_rule.purpose = *guard::parse_purpose(o.cctv_purpose);
    m.camera_rule.sensor_pixels = o.cctv_pixels;
    m.camera_rule.reference_fov = o.cctv_fov;
    if (o.cctv_range > 0) m.camera_rule.range = o.cctv_range;
    m.table = plan::default_interventions();
    if (!o.costs_path.empty()) layers::read_interventions(o.costs_path, m.table);
    const CrimeTypes known;
    for (const auto& spec : m.table)
        for (const std::string& t : spec.crime_types)
            if (!known.find(t))
                throw InputError(fmt::format("{}: [{}] crime type '{}' is not a police.uk crime type (for example 'Burglary', 'Vehicle crime')",
                                             o.costs_path.empty() ? "built-in table" : o.costs_path, spec.key, t));
    return m;
}

DesignOut design_out(const DesignOutOptions& o, const DesignOutModel& model, const std::string& working_crs, const Incidents& in,
                     const CrimeTypes& types, const Areas& areas, const std::vector<int32_t>& area_of, const std::string& period,
                     std::vector<std::pair<std::string, std::string>>& inputs, Progress& progress) {
    const std::string &lighting_path = o.lighting_path, &cctv_path = o.cctv_path, &gates_path = o.gates_path, &paths_path = o.paths_path,
                      &pressure = o.pressure;
    const double grid_cell = o.grid_cell, cctv_pixels = o.cctv_pixels, cctv_fov = o.cctv_fov,
                 path_reach = o.path_reach, bandwidth = o.bandwidth, budget = o.budget, tile = o.tile;
    const guard::LightRule& light_rule = o.light_rule;
    const int quadrant_segments = o.quadrant_segments;
    const std::vector<plan::InterventionSpec>& table = model.table;
    const guard::CameraRule& camera_rule = model.camera_rule;
    const bool with_budget = budget >= 0;
    DesignOut analysis;
    analysis.table = table;
    analysis.pressure = pressure;
    analysis.camera_rule = camera_rule;
    analysis.with_budget = with_budget;
    auto& asset_summary = analysis.asset_summary;
    const auto type_list = [&](size_t k) { return analysis.type_list(k); };

    // Which crime types each intervention addresses.
    const size_t K = analysis.K = table.size();
    auto& addresses = analysis.addresses;
    addresses.assign(K, std::vector<uint8_t>(types.size(), 0));
    for (size_t k = 0; k < K; ++k)
        for (const std::string& t : table[k].crime_types)
            if (const CrimeTypeId* id = types.find(t)) addresses[k][*id] = 1;
    const auto index_of = [&](const char* key) {
        for (size_t k = 0; k < K; ++k)
            if (table[k].key == key) return k;
        throw std::logic_error(std::string("no intervention ") + key);
    };
    const size_t LIGHT = analysis.LIGHT = index_of("lighting"), CCTV = analysis.CCTV = index_of("cctv"), GATE = analysis.GATE = index_of("gating"),
                 HARDEN = analysis.HARDEN = index_of("target_hardening");

    // ---- The grid of cells -----------------------------------------------------------------------
    Extent extent = areas.extent();
    if (extent.empty())
        for (size_t i = 0; i < in.size(); ++i) extent.add(in.x[i], in.y[i]);
    const double n_cells = Grid::cells_covering(extent, 0, grid_cell);
    if (n_cells > max_score_cells)
        throw InputError(fmt::format("--grid {} m: {:.0f} cells over {:.1f} x {:.1f} km is more than {:.0f} million; use --grid {:.0f} or larger, or "
                                     "--areas to limit the study area",
                                     grid_cell, n_cells, extent.width() / 1000, extent.height() / 1000, max_score_cells / 1e6,
                                     std::ceil(grid_cell * std::sqrt(n_cells / max_score_cells))));
    const Grid& grid = analysis.grid = Grid::covering(extent, 0, grid_cell);
    const guard::Tiling& tiling = analysis.tiling = guard::tiling_for(grid, tile);
    std::vector<uint8_t> inside_cell;
    if (!areas.geometry.empty()) {
        std::vector<const GEOSGeometry*> polygons;
        for (const auto& g : areas.geometry) polygons.push_back(g.get());
        inside_cell = kde::rasterize(grid, polygons);
    } else {
        inside_cell.assign(grid.cells(), 1);
    }
    std::vector<int64_t> cell_of(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        const int64_t r = grid.row_of(in.y[i]), c = grid.col_of(in.x[i]);
        cell_of[i] = grid.contains(r, c) ? static_cast<int64_t>(grid.index(r, c)) : -1;
    }
    const auto in_study_area = [&](const std::vector<double>& xs, const std::vector<double>& ys) {
        std::vector<uint8_t> inside(xs.size(), 0);
        if (!areas.geometry.empty()) {
            const std::vector<int32_t> a = AreaIndex(areas).locate(xs, ys);
            for (size_t i = 0; i < xs.size(); ++i) inside[i] = a[i] != no_area;
        } else {
            for (size_t i = 0; i < xs.size(); ++i) inside[i] = xs[i] >= extent.min_x && xs[i] <= extent.max_x && ys[i] >= extent.min_y && ys[i] <= extent.max_y;
        }
        return inside;
    };
    const char* study_name = areas.geometry.empty() ? "the crimes' extent" : "the areas";
    const auto add_input = [&](const std::string& path) { tools::add_input(inputs, path); };
    layers::AssetOptions ao = o.asset_options;
    ao.working_crs = working_crs;

    // ---- Street lighting ----------------------------------------------------------------------------
    Coverage& lit = analysis.lit;
    size_t& light_count = analysis.light_count;
    if (!lighting_path.empty()) {
        layers::AssetReport report;
        const std::vector<layers::LightRecord> lights = layers::read_lights(lighting_path, ao, report);
        layers::report_asset(progress, report, "street lights");
        add_input(lighting_path);
        std::vector<guard::Shape> shapes;
        std::map<guard::RadiusFrom, size_t> from_count;
        std::vector<double> lx, ly;
        for (const auto& l : lights) {
            guard::RadiusFrom from{};
            const double r = guard::light_radius(l.radius, l.height, light_rule, &from);
            ++from_count[from];
            shapes.push_back(guard::disc_shape(l.x, l.y, r));
            lx.push_back(l.x), ly.push_back(l.y);
        }
        light_count = lights.size();
        progress.info(fmt::format("  light radius: {} from their own radius, {} from mounting height x {:g}, {} the default {:g} m",
                                  from_count[guard::RadiusFrom::attribute], from_count[guard::RadiusFrom::height], light_rule.height_factor,
                                  from_count[guard::RadiusFrom::default_radius], light_rule.default_radius));
        lit = guard::union_shapes(shapes, tiling, quadrant_segments, &progress);
        const std::vector<uint8_t> inside = in_study_area(lx, ly);
        const size_t outside = static_cast<size_t>(std::count(inside.begin(), inside.end(), 0));
        if (outside > 0)
            progress.info(fmt::format("  {} of {} lights lie outside {}; {} of them {} no part of its extent and {} left out", outside, lights.size(),
                                      study_name, lit.shapes - lit.shapes_used, lit.shapes - lit.shapes_used == 1 ? "reaches" : "reach",
                                      lit.shapes - lit.shapes_used == 1 ? "is" : "are"));
        if (lit.fallbacks > 0) progress.info(fmt::format("  {} tile(s) needed a cascaded union", lit.fallbacks));
        asset_summary["lighting"] = {{"file", lighting_path}, {"features", report.features}, {"used", report.used}, {"outside_study_area", outside},
                                     {"beyond_reach", lit.shapes - lit.shapes_used}, {"lit_area_m2", lit.area()}};
    } else {
        lit.tiling = tiling;
        lit.piece.resize(tiling.tiles());
    }

    // ---- CCTV ---------------------------------------------------------------------------------------
    Coverage& seen = analysis.seen;
    size_t& camera_count = analysis.camera_count;
    const double default_range = analysis.default_range = guard::camera_range(std::nullopt, std::nullopt, camera_rule);
    if (!cctv_path.empty()) {
        layers::AssetReport report;
        const std::vector<layers::CameraRecord> records = layers::read_cameras(cctv_path, ao, report);
        layers::report_asset(progress, report, "CCTV cameras");
        add_input(cctv_path);
        const std::vector<guard::Camera> cameras = cameras_from(records, camera_rule);
        size_t with_bearing = 0, with_range = 0;
        std::vector<double> cx, cy;
        for (size_t i = 0; i < cameras.size(); ++i) {
            with_bearing += !cameras[i].full_circle();
            with_range += records[i].range.has_value();
            cx.push_back(cameras[i].x), cy.push_back(cameras[i].y);
        }
        camera_count = cameras.size();
        progress.info(fmt::format("  {} with a bearing and field of view (a sector), {} full circle; {} with their own range, the rest {:.1f} m "
                                  "({}{})",
                                  with_bearing, cameras.size() - with_bearing, with_range, default_range,
                                  camera_rule.range ? "--cctv-range" : fmt::format("EN 62676-4 '{}' at {:g} px/m for a {:g}-pixel-wide image",
                                                                                    guard::name(camera_rule.purpose), guard::pixels_per_metre(camera_rule.purpose), cctv_pixels),
                                  camera_rule.range ? "" : fmt::format(" and a {:g} degree field of view, or the camera's own", cctv_fov)));
        const std::vector<guard::Occluder> occluders = read_occluder_set(o, ao, inputs, progress);
        progress.begin(fmt::format("views of {} cameras{}", cameras.size(), occluders.empty() ? "" : fmt::format(" past {} footprints", occluders.size())), 1);
        const std::vector<guard::Shape> shapes = guard::camera_shapes(cameras, occluders, quadrant_segments);
        progress.end();
        seen = guard::union_shapes(shapes, tiling, quadrant_segments, &progress);
        const std::vector<uint8_t> inside = in_study_area(cx, cy);
        const size_t outside = static_cast<size_t>(std::count(inside.begin(), inside.end(), 0));
        if (outside > 0)
            progress.info(fmt::format("  {} of {} cameras lie outside {}; {} of them {} no part of its extent and {} left out", outside, cameras.size(),
                                      study_name, seen.shapes - seen.shapes_used, seen.shapes - seen.shapes_used == 1 ? "sees" : "see",
                                      seen.shapes - seen.shapes_used == 1 ? "is" : "are"));
        asset_summary["cctv"] = {{"file", cctv_path}, {"features", report.features}, {"used", report.used}, {"outside_study_area", outside},
                                 {"beyond_reach", seen.shapes - seen.shapes_used}, {"covered_area_m2", seen.area()}, {"default_range_m", default_range}};
    } else {
        seen.tiling = tiling;
        seen.piece.resize(tiling.tiles());
    }

    // ---- Paths, alleys and gates ------------------------------------------------------------------
    paths::Network& network = analysis.network;
    paths::GateAssignment& gates = analysis.gates;
    std::vector<uint8_t>& gated = analysis.gated;
    if (!paths_path.empty()) {
        network = read_path_network(o, ao, inputs, progress);
        size_t alleys = 0;
        for (const auto& s : network.segments) alleys += s.kind == "alley";
        progress.info(fmt::format("  {} path segments ({} of them alleys) between {} junctions; {} path dead ends", network.segments.size(), alleys,
                                  network.junctions, network.dead_ends));
        gated.assign(network.segments.size(), 0);
        if (!gates_path.empty()) {
            gates = read_gate_assignment(o, ao, network, inputs, progress);
            for (size_t s = 0; s < gated.size(); ++s) gated[s] = gates.gates_on_segment[s] > 0;
        }
    }

    // ---- Shares of each unit ------------------------------------------------------------------------
    std::vector<int64_t>& unit_cells = analysis.unit_cells;
    for (size_t c = 0; c < grid.cells(); ++c)
        if (inside_cell[c]) unit_cells.push_back(static_cast<int64_t>(c));
    progress.begin(fmt::format("coverage of {} cells of {:g} m", unit_cells.size(), grid.cell), 1);
    const std::vector<double>& cell_lit = analysis.cell_lit = guard::cell_shares(lit, grid, unit_cells);
    const std::vector<double>& cell_seen = analysis.cell_seen = guard::cell_shares(seen, grid, unit_cells);
    progress.end();
    std::vector<double>&area_lit = analysis.area_lit, &area_seen = analysis.area_seen;
    if (!areas.geometry.empty()) {
        std::vector<const GEOSGeometry*> polygons;
        for (const auto& g : areas.geometry) polygons.push_back(g.get());
        area_lit = lighting_path.empty() ? std::vector<double>(areas.size(), 0.0) : guard::polygon_shares(lit, polygons, &progress);
        area_seen = cctv_path.empty() ? std::vector<double>(areas.size(), 0.0) : guard::polygon_shares(seen, polygons, &progress);
    }
    std::vector<double>&seg_lit = analysis.seg_lit, &seg_seen = analysis.seg_seen;
    if (!network.segments.empty()) {
        std::vector<const GEOSGeometry*> lines;
        for (const auto& s : network.segments) lines.push_back(s.geometry.get());
        seg_lit = guard::line_shares(lit, lines);
        seg_seen = guard::line_shares(seen, lines);
    }
    std::vector<int64_t> unit_of_cell(grid.cells(), -1);
    for (size_t u = 0; u < unit_cells.size(); ++u) unit_of_cell[static_cast<size_t>(unit_cells[u])] = static_cast<int64_t>(u);

    // ---- Crime pressure ----------------------------------------------------------------------------
    // crimes_in[k][u]: the incidents of intervention k's types in unit cell u.
    auto& crimes_in = analysis.crimes_in;
    crimes_in.assign(K, std::vector<std::vector<uint32_t>>(unit_cells.size()));
    auto& area_count = analysis.area_count;
    area_count.assign(K, std::vector<double>(areas.size(), 0.0));
    auto& addressed_total = analysis.addressed_total;
    addressed_total.assign(K, 0);
    for (size_t i = 0; i < in.size(); ++i) {
        const int64_t u = cell_of[i] >= 0 ? unit_of_cell[static_cast<size_t>(cell_of[i])] : -1;
        for (size_t k = 0; k < K; ++k) {
            if (!addresses[k][in.type[i]]) continue;
            ++addressed_total[k];
            if (u >= 0) crimes_in[k][static_cast<size_t>(u)].push_back(static_cast<uint32_t>(i));
            if (!area_of.empty()) area_count[k][static_cast<size_t>(area_of[i])] += 1;
        }
    }
    // Smoothed pressure (--pressure kde): expected crimes in each cell from a quartic kernel.
    auto& kde_pressure = analysis.kde_pressure;
    kde_pressure.assign(K, {});
    if (pressure == "kde") {
        for (size_t k : {LIGHT, CCTV}) {
            kde::Points pts;
            for (size_t i = 0; i < in.size(); ++i)
                if (addresses[k][in.type[i]]) pts.x.push_back(in.x[i]), pts.y.push_back(in.y[i]);
            kde_pressure[k].assign(unit_cells.size(), 0.0);
            if (pts.size() == 0) continue;
            const std::vector<float> d = kde::density(pts, grid, kde::Kernel::quartic, bandwidth, kde::Units::per_km2);
            for (size_t u = 0; u < unit_cells.size(); ++u) kde_pressure[k][u] = static_cast<double>(d[static_cast<size_t>(unit_cells[u])]) * grid.cell_area() / 1e6;
        }
    }
    // Burglaries by alley: each to the nearest alley segment within --path-reach.
    auto& burglaries_on = analysis.burglaries_on;
    burglaries_on.assign(network.segments.size(), {});
    size_t& burglaries_near_alleys = analysis.burglaries_near_alleys;
    if (!network.segments.empty()) {
        std::vector<uint8_t> alley(network.segments.size());
        for (size_t s = 0; s < alley.size(); ++s) alley[s] = network.segments[s].kind == "alley";
        std::vector<double> bx, by;
        std::vector<uint32_t> which;
        for (size_t i = 0; i < in.size(); ++i)
            if (addresses[GATE][in.type[i]]) bx.push_back(in.x[i]), by.push_back(in.y[i]), which.push_back(static_cast<uint32_t>(i));
        const std::vector<int32_t> nearest = paths::nearest_segment(network, bx, by, path_reach, alley);
        for (size_t j = 0; j < nearest.size(); ++j)
            if (nearest[j] >= 0) burglaries_on[static_cast<size_t>(nearest[j])].push_back(which[j]), ++burglaries_near_alleys;
    }

    // ---- Candidates ---------------------------------------------------------------------------------
    std::vector<plan::Candidate>& candidates = analysis.candidates;
    std::vector<CandidateInfo>& info = analysis.info;
    const double light_disc = std::numbers::pi * light_rule.default_radius * light_rule.default_radius;
    const double camera_disc = std::numbers::pi * default_range * default_range;
    for (size_t u = 0; u < unit_cells.size(); ++u) {
        const int64_t cell = unit_cells[u];
        const double cx = grid.col_x(cell % grid.nx), cy = grid.row_y(cell / grid.nx);
        for (size_t k : {LIGHT, CCTV}) {
            const auto& crimes_here = crimes_in[k][u];
            const double share = k == LIGHT ? cell_lit[u] : cell_seen[u];
            const double p = table[k].effect * (1 - share);
            if (crimes_here.empty() || !(p > 0)) continue;
            if (o.only_layers_given && (k == LIGHT ? lighting_path : cctv_path).empty()) continue;
            const double units = std::max(1.0, std::ceil((1 - share) * grid.cell_area() / (k == LIGHT ? light_disc : camera_disc) - 1e-9));
            plan::Candidate c;
            c.intervention = k;
            c.crimes = crimes_here;
            c.p = p;
            c.cost = units * table[k].unit_cost;
            CandidateInfo ci;
            ci.cell = cell;
            ci.coverage = share;
            ci.units = units;
            ci.point = geos::point(cx, cy);
            ci.place = fmt::format("cell {} ({:g} m, centre {:.0f}, {:.0f})", cell, grid.cell, cx, cy);
            ci.reason = fmt::format(
                "{} ({}) in this {:g} m cell over {}; {} of the cell is {} now. {} of the rest (about {} {}, {}) would prevent about {:.1f} of "
                "them: {:.0f} % fewer where it was done ({}).",
                plural(crimes_here.size(), "crime", "crimes"), type_list(k), grid.cell, period, percent(share), k == LIGHT ? "lit" : "in view of CCTV",
                k == LIGHT ? "Improving the lighting" : "CCTV over", static_cast<long long>(units), table[k].unit + (units == 1 ? "" : "s"),
                money(c.cost), plan::prevented_alone(c), 100 * table[k].effect, short_source(table[k].effect_source));
            candidates.push_back(std::move(c));
            info.push_back(std::move(ci));
        }
        if (table[HARDEN].effect > 0 && !crimes_in[HARDEN][u].empty()) {
            const auto& crimes_here = crimes_in[HARDEN][u];
            plan::Candidate c;
            c.intervention = HARDEN;
            c.crimes = crimes_here;
            c.p = table[HARDEN].effect;
            c.cost = static_cast<double>(crimes_here.size()) * table[HARDEN].unit_cost;
            CandidateInfo ci;
            ci.cell = cell;
            ci.units = static_cast<double>(crimes_here.size());
            ci.point = geos::point(cx, cy);
            ci.place = fmt::format("cell {} ({:g} m, centre {:.0f}, {:.0f})", cell, grid.cell, cx, cy);
            ci.reason = fmt::format("{} in this {:g} m cell over {}. Hardening the {} (about {}) would prevent about {:.1f}: {:.0f} % fewer ({}).",
                                    plural(crimes_here.size(), "burglary", "burglaries"), grid.cell, period,
                                    plural(crimes_here.size(), table[HARDEN].unit.c_str(), (table[HARDEN].unit + "s").c_str()), money(c.cost),
                                    plan::prevented_alone(c), 100 * table[HARDEN].effect, short_source(table[HARDEN].effect_source));
            candidates.push_back(std::move(c));
            info.push_back(std::move(ci));
        }
    }
    if (table[GATE].effect > 0)
        for (size_t s = 0; s < network.segments.size(); ++s) {
            const paths::Segment& seg = network.segments[s];
            if (seg.kind != "alley" || gated[s] || burglaries_on[s].empty()) continue;
            plan::Candidate c;
            c.intervention = GATE;
            c.crimes = burglaries_on[s];
            c.p = table[GATE].effect;
            const uint32_t n_gates = seg.gates_needed();
            c.cost = n_gates * table[GATE].unit_cost;
            CandidateInfo ci;
            ci.segment = static_cast<int64_t>(s);
            ci.units = n_gates;
            ci.point = geos::checked(GEOSInterpolateNormalized_r(geos::context(), seg.geometry.get(), 0.5), "midpoint");
            ci.place = fmt::format("alley segment {}{} ({:.0f} m)", s + 1, seg.name.empty() ? "" : ", " + seg.name, seg.length);
            ci.reason = fmt::format("{} within {:g} m of this {:.0f} m alley{} over {}; it is open at {}. {} ({}) would prevent about {:.1f} of "
                                    "them: {:.0f} % fewer burglaries after gating ({}).",
                                    plural(c.crimes.size(), "burglary", "burglaries"), path_reach, seg.length, seg.name.empty() ? "" : " (" + seg.name + ")",
                                    period, n_gates == 2 ? "both ends" : "one end", plural(n_gates, table[GATE].unit.c_str(), (table[GATE].unit + "s").c_str()),
                                    money(c.cost), plan::prevented_alone(c), 100 * table[GATE].effect, short_source(table[GATE].effect_source));
            candidates.push_back(std::move(c));
            info.push_back(std::move(ci));
        }

    // ---- Budget plan ---------------------------------------------------------------------------------
    plan::Plan& chosen_plan = analysis.chosen_plan;
    std::vector<int64_t>& plan_order = analysis.plan_order;
    plan_order.assign(candidates.size(), 0);
    if (with_budget) {
        progress.begin(fmt::format("planning within {} over {} candidates", money(budget), candidates.size()), 1);
        chosen_plan = plan::plan_budget(candidates, budget);
        progress.end();
        // Order within the plan: by value per pound alone, for the table.
        std::vector<size_t> order = chosen_plan.chosen;
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return plan::prevented_alone(candidates[a]) * candidates[b].cost > plan::prevented_alone(candidates[b]) * candidates[a].cost;
        });
        for (size_t k = 0; k < order.size(); ++k) plan_order[order[k]] = static_cast<int64_t>(k + 1);
    }
    return analysis;
}

std::vector<guard::Camera> cameras_from(const std::vector<layers::CameraRecord>& records, const guard::CameraRule& rule) {
    std::vector<guard::Camera> cameras;
    for (const auto& r : records) {
        guard::Camera c;
        c.x = r.x, c.y = r.y, c.bearing = r.bearing, c.fov = r.fov;
        c.range = guard::camera_range(r.range, r.fov, rule);
        cameras.push_back(c);
    }
    return cameras;
}

std::vector<guard::Occluder> read_occluder_set(const DesignOutOptions& o, const layers::AssetOptions& ao,
                                               std::vector<std::pair<std::string, std::string>>& inputs, Progress& progress,
                                               const std::function<bool(const Extent&)>& keep) {
    if (o.occluders_path.empty()) return {};
    layers::AssetReport report;
    const std::vector<layers::FeatureRecord> footprints = layers::read_occluders(o.occluders_path, ao, report);
    layers::report_asset(progress, report, "building footprints (occluders)");
    add_input(inputs, o.occluders_path);
    std::vector<const GEOSGeometry*> g;
    for (const auto& f : footprints)
        if (!keep || keep(geos::extent(f.geometry.get()))) g.push_back(f.geometry.get());
    return guard::occluders_from(g);
}

paths::GateAssignment read_gate_assignment(const DesignOutOptions& o, const layers::AssetOptions& ao, const paths::Network& network,
                                           std::vector<std::pair<std::string, std::string>>& inputs, Progress& progress) {
    layers::AssetReport report;
    const std::vector<layers::FeatureRecord> gate_records = layers::read_gates(o.gates_path, ao, report);
    layers::report_asset(progress, report, "alley gates");
    add_input(inputs, o.gates_path);
    std::vector<const GEOSGeometry*> g;
    for (const auto& r : gate_records) g.push_back(r.geometry.get());
    paths::GateAssignment gates = paths::assign_gates(network, g, o.gate_tolerance);
    size_t off = 0;
    std::vector<std::string> off_ids;
    for (size_t i = 0; i < g.size(); ++i)
        if (gates.segment_of_gate[i] < 0) {
            ++off;
            if (off_ids.size() < 5)
                off_ids.push_back(fmt::format("{} ({:.0f} m away)", gate_records[i].id.empty() ? fmt::format("feature {}", gate_records[i].feature) : gate_records[i].id,
                                              gates.distance[i]));
        }
    const auto closed = std::count_if(gates.gates_on_segment.begin(), gates.gates_on_segment.end(), [](uint32_t n) { return n > 0; });
    progress.info(fmt::format("  {} gates close {} segments", g.size() - off, closed));
    if (off > 0)
        progress.warn(fmt::format("{} gate(s) lie more than {:g} m (--gate-tolerance) from every path and close nothing: {}{}", off, o.gate_tolerance,
                                  fmt::join(off_ids, ", "), off > off_ids.size() ? ", ..." : ""));
    if (!gates.ambiguous.empty())
        progress.warn(fmt::format("{} gate(s) stand at a junction of paths, equally near several segments; each closes the first of them. "
                                  "Move a gate onto the branch it closes to be sure",
                                  gates.ambiguous.size()));
    return gates;
}

std::vector<size_t> recommended(const DesignOut& d, size_t top) {
    const auto& candidates = d.candidates;
    const size_t K = d.K;
    const plan::Plan& chosen_plan = d.chosen_plan;
    std::vector<size_t> shown;
    {
        std::vector<std::vector<size_t>> by_kind(K);
        for (size_t i = 0; i < candidates.size(); ++i) by_kind[candidates[i].intervention].push_back(i);
        std::set<size_t> keep;
        for (auto& list : by_kind) {
            std::stable_sort(list.begin(), list.end(), [&](size_t a, size_t b) {
                const double va = plan::prevented_alone(candidates[a]), vb = plan::prevented_alone(candidates[b]);
                const double ra = candidates[a].cost > 0 ? va / candidates[a].cost : va * 1e12;
                const double rb = candidates[b].cost > 0 ? vb / candidates[b].cost : vb * 1e12;
                return ra > rb || (ra == rb && va > vb);
            });
            for (size_t j = 0; j < list.size() && j < top; ++j) keep.insert(list[j]);
        }
        for (size_t i : chosen_plan.chosen) keep.insert(i);
        shown.assign(keep.begin(), keep.end());
        std::stable_sort(shown.begin(), shown.end(), [&](size_t a, size_t b) {
            const double ra = candidates[a].cost > 0 ? plan::prevented_alone(candidates[a]) / candidates[a].cost : 1e300;
            const double rb = candidates[b].cost > 0 ? plan::prevented_alone(candidates[b]) / candidates[b].cost : 1e300;
            return ra > rb;
        });
    }
    return shown;
}

layers::Table recommendations_table(const DesignOut& d, const std::vector<size_t>& shown, const std::string& name, const std::string& period) {
    const auto& candidates = d.candidates;
    const auto& info = d.info;
    const auto& table = d.table;
    const auto& plan_order = d.plan_order;
    layers::Table rec;
    {
        rec.name = name;
        rec.description = fmt::format("Candidate interventions ranked by crimes prevented per pound{}; costs indicative", d.with_budget ? ", with the budget plan" : "");
        rec.geometry_kind = layers::GeometryKind::point;
        std::vector<int64_t> rank, in_plan, order_in_plan, addressed, cell_id, segment_id;
        std::vector<uint8_t> no_cell, no_segment;
        std::vector<std::string> intervention, label, place, reason, source, unit;
        std::vector<double> coverage, prevented, cost, units, per_10k, effect;
        for (size_t j = 0; j < shown.size(); ++j) {
            const size_t i = shown[j];
            const plan::Candidate& c = candidates[i];
            const plan::InterventionSpec& spec = table[c.intervention];
            rec.geometry.push_back(info[i].point.get());
            rank.push_back(static_cast<int64_t>(j + 1));
            intervention.push_back(spec.key);
            label.push_back(spec.label);
            place.push_back(info[i].place);
            addressed.push_back(static_cast<int64_t>(c.crimes.size()));
            coverage.push_back(info[i].coverage);
            effect.push_back(spec.effect);
            prevented.push_back(plan::prevented_alone(c));
            cost.push_back(c.cost);
            units.push_back(info[i].units);
            unit.push_back(spec.unit);
            per_10k.push_back(c.cost > 0 ? 1e4 * plan::prevented_alone(c) / c.cost : std::nan(""));
            in_plan.push_back(plan_order[i] > 0);
            order_in_plan.push_back(plan_order[i]);
            cell_id.push_back(info[i].cell), no_cell.push_back(info[i].cell < 0);
            segment_id.push_back(info[i].segment + 1), no_segment.push_back(info[i].segment < 0);
            reason.push_back(info[i].reason);
            source.push_back(spec.effect_source);
        }
        rec.columns.push_back(layers::Column::integer("rank", "Rank by estimated crimes prevented per pound (1 = best)", rank));
        rec.columns.push_back(layers::Column::text("intervention", "lighting, cctv, gating or target_hardening", intervention));
        rec.columns.push_back(layers::Column::text("label", "What it is", label));
        rec.columns.push_back(layers::Column::text("place", "Where: a grid cell or an alley segment", place));
        rec.columns.push_back(layers::Column::integer("cell_id", "score_grid cell, if a cell", cell_id, no_cell));
        rec.columns.push_back(layers::Column::integer("segment_id", "path_segments segment, if an alley", segment_id, no_segment));
        rec.columns.push_back(layers::Column::integer("crimes", fmt::format("Crimes it addresses over {} (the count in the period)", period), addressed));
        rec.columns.push_back(layers::Column::real("coverage_now", "Share already lit (lighting) or in view (cctv) now, 0..1; 0 for an ungated alley", coverage));
        rec.columns.push_back(layers::Column::real("effect", "Share of the addressed crimes prevented where nothing guards them (effect size)", effect));
        rec.columns.push_back(layers::Column::real("prevented", "Estimated crimes prevented in a period as long: effect x crimes x (1 - coverage_now)", prevented));
        rec.columns.push_back(layers::Column::real("units", "Units needed: new lights (unlit area / one light's disc), cameras (uncovered area / one view), gates (open ends)", units));
        rec.columns.push_back(layers::Column::text("unit", "What a unit is", unit));
        rec.columns.push_back(layers::Column::real("cost_gbp", "Cost, GBP: units x unit cost (indicative; see --costs)", cost));
        rec.columns.push_back(layers::Column::real("prevented_per_10k", "Crimes prevented per GBP 10,000", per_10k));
        rec.columns.push_back(layers::Column::integer("in_plan", "1 if in the --budget plan", in_plan));
        rec.columns.push_back(layers::Column::integer("plan_order", "Order within the plan (by prevented per pound; 0 if not in it)", order_in_plan));
        rec.columns.push_back(layers::Column::text("reason", "Why, in plain English", reason));
        rec.columns.push_back(layers::Column::text("effect_source", "Where the effect size comes from", source));
    }
    return rec;
}

} // namespace safer::tools
