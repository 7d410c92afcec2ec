#include "engine/design_out.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <set>
#include <stdexcept>

#include "engine/area_index.hpp"
#include "engine/errors.hpp"
#include "engine/kde.hpp"
#include "engine/places.hpp"

namespace safer::design {

namespace {

size_t index_of(const std::vector<plan::InterventionSpec>& table, const char* key) {
    for (size_t k = 0; k < table.size(); ++k)
        if (table[k].key == key) return k;
    throw std::logic_error(std::string("no intervention ") + key);
}

/// Lit and seen coverage of the study area from the assets.
void coverage(DesignOutPlan& d, const DesignOutModel& m, const AssetSet& assets, const std::function<std::vector<uint8_t>(const std::vector<double>&, const std::vector<double>&)>& in_study,
              Progress* progress) {
    if (assets.has_lighting) {
        std::vector<guard::Shape> shapes;
        std::vector<double> lx, ly;
        for (const auto& l : assets.lights) {
            guard::RadiusFrom from{};
            const double r = guard::light_radius(l.radius, l.height, m.light_rule, &from);
            (from == guard::RadiusFrom::attribute ? d.facts.radius_from_attribute : from == guard::RadiusFrom::height ? d.facts.radius_from_height : d.facts.radius_default)++;
            shapes.push_back(guard::disc_shape(l.x, l.y, r));
            lx.push_back(l.x), ly.push_back(l.y);
        }
        d.light_count = assets.lights.size();
        d.lit = guard::union_shapes(shapes, d.tiling, m.quadrant_segments, progress);
        const std::vector<uint8_t> inside = in_study(lx, ly);
        d.facts.lights_outside = static_cast<size_t>(std::count(inside.begin(), inside.end(), 0));
    } else {
        d.lit.tiling = d.tiling;
        d.lit.piece.resize(d.tiling.tiles());
    }
    if (assets.has_cctv) {
        const std::vector<guard::Camera> cameras = cameras_from(assets.cameras, m.camera_rule);
        std::vector<double> cx, cy;
        for (size_t i = 0; i < cameras.size(); ++i) {
            d.facts.cameras_with_bearing += !cameras[i].full_circle();
            d.facts.cameras_with_range += assets.cameras[i].range.has_value();
            cx.push_back(cameras[i].x), cy.push_back(cameras[i].y);
        }
        d.camera_count = cameras.size();
        const std::vector<guard::Occluder> occluders = occluders_of(assets.occluders);
        if (progress)
            progress->begin(fmt::format("views of {} cameras{}", cameras.size(), occluders.empty() ? "" : fmt::format(" past {} footprints", occluders.size())), 0);
        const std::vector<guard::Shape> shapes = guard::camera_shapes(cameras, occluders, m.quadrant_segments);
        if (progress) progress->end();
        d.seen = guard::union_shapes(shapes, d.tiling, m.quadrant_segments, progress);
        const std::vector<uint8_t> inside = in_study(cx, cy);
        d.facts.cameras_outside = static_cast<size_t>(std::count(inside.begin(), inside.end(), 0));
    } else {
        d.seen.tiling = d.tiling;
        d.seen.piece.resize(d.tiling.tiles());
    }
}

/// The candidates: lighting and CCTV in each cell, target hardening of each cell's burglaries,
/// gating of each open alley near burglaries.
/// The street and the crime types of a candidate's crimes, for words specific to its place.
void describe(CandidateInfo& ci, const std::vector<uint32_t>& crimes, const Incidents& in) {
    std::map<std::string_view, uint32_t> streets;
    std::map<CrimeTypeId, uint32_t> types;
    for (uint32_t i : crimes) {
        ++types[in.type[i]];
        if (i < in.location.size())
            if (const std::string_view s = street_of(in.location[i]); !s.empty()) ++streets[s];
    }
    uint32_t best = 0;
    for (const auto& [s, n] : streets)
        if (n > best) best = n, ci.street = std::string(s);
    ci.types.assign(types.begin(), types.end());
    std::stable_sort(ci.types.begin(), ci.types.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
}

void candidates_of(DesignOutPlan& d, const DesignOutModel& m, const Incidents& in) {
    const auto& table = d.table;
    const Grid& grid = d.grid;
    const double light_disc = std::numbers::pi * m.light_rule.default_radius * m.light_rule.default_radius;
    const double camera_disc = std::numbers::pi * d.default_range * d.default_range;
    const auto add = [&](plan::Candidate c, CandidateInfo ci) {
        describe(ci, c.crimes, in);
        d.candidates.push_back(std::move(c));
        d.info.push_back(std::move(ci));
    };
    for (size_t u = 0; u < d.unit_cells.size(); ++u) {
        const int64_t cell = d.unit_cells[u];
        const double cx = grid.col_x(cell % grid.nx), cy = grid.row_y(cell / grid.nx);
        for (size_t k : {d.LIGHT, d.CCTV}) {
            const auto& crimes_here = d.crimes_in[k][u];
            const double share = k == d.LIGHT ? d.cell_lit[u] : d.cell_seen[u];
            const double p = table[k].effect * (1 - share);
            if (crimes_here.empty() || !(p > 0)) continue;
            if (m.only_layers_given && !(k == d.LIGHT ? d.has_lighting : d.has_cctv)) continue;
            const double units = std::max(1.0, std::ceil((1 - share) * grid.cell_area() / (k == d.LIGHT ? light_disc : camera_disc) - 1e-9));
            add(plan::Candidate{k, crimes_here, p, units * table[k].unit_cost}, CandidateInfo{share, units, geos::point(cx, cy), cell, -1, {}, {}});
        }
        if (table[d.HARDEN].effect > 0 && !d.crimes_in[d.HARDEN][u].empty()) {
            const auto& crimes_here = d.crimes_in[d.HARDEN][u];
            const double n = static_cast<double>(crimes_here.size());
            add(plan::Candidate{d.HARDEN, crimes_here, table[d.HARDEN].effect, n * table[d.HARDEN].unit_cost}, CandidateInfo{0, n, geos::point(cx, cy), cell, -1, {}, {}});
        }
    }
    if (table[d.GATE].effect > 0)
        for (size_t s = 0; s < d.network.segments.size(); ++s) {
            const paths::Segment& seg = d.network.segments[s];
            if (seg.kind != "alley" || d.gated[s] || d.burglaries_on[s].empty()) continue;
            const uint32_t n_gates = seg.gates_needed();
            add(plan::Candidate{d.GATE, d.burglaries_on[s], table[d.GATE].effect, n_gates * table[d.GATE].unit_cost},
                CandidateInfo{0, static_cast<double>(n_gates), geos::checked(GEOSInterpolateNormalized_r(geos::context(), seg.geometry.get(), 0.5), "midpoint"), -1,
                              static_cast<int64_t>(s), {}, {}});
        }
}

} // namespace

DesignOutPlan design_out(const DesignOutModel& m, const AssetSet& assets, const Incidents& in, const CrimeTypes& types, const Areas& areas,
                         const std::vector<int32_t>& area_of, Progress* progress) {
    DesignOutPlan d;
    d.table = m.table;
    d.pressure = m.pressure;
    d.with_budget = m.budget.has_value();
    d.areas_given = !areas.geometry.empty();
    d.has_lighting = assets.has_lighting, d.has_cctv = assets.has_cctv;
    const auto& table = d.table;
    const size_t K = table.size();
    d.addresses.assign(K, std::vector<uint8_t>(types.size(), 0));
    for (size_t k = 0; k < K; ++k)
        for (const std::string& t : table[k].crime_types)
            if (const CrimeTypeId* id = types.find(t)) d.addresses[k][*id] = 1;
    d.LIGHT = index_of(table, "lighting"), d.CCTV = index_of(table, "cctv"), d.GATE = index_of(table, "gating"), d.HARDEN = index_of(table, "target_hardening");
    d.default_range = guard::camera_range(std::nullopt, std::nullopt, m.camera_rule);

    // ---- The grid of cells -----------------------------------------------------------------------
    Extent extent = areas.extent();
    if (extent.empty())
        for (size_t i = 0; i < in.size(); ++i) extent.add(in.x[i], in.y[i]);
    const double n_cells = Grid::cells_covering(extent, 0, m.grid_cell);
    if (n_cells > max_score_cells)
        throw InputError(fmt::format("--grid {} m: {:.0f} cells over {:.1f} x {:.1f} km is more than {:.0f} million; use --grid {:.0f} or larger, or "
                                     "--areas to limit the study area",
                                     m.grid_cell, n_cells, extent.width() / 1000, extent.height() / 1000, max_score_cells / 1e6,
                                     std::ceil(m.grid_cell * std::sqrt(n_cells / max_score_cells))));
    const Grid& grid = d.grid = Grid::covering(extent, 0, m.grid_cell);
    d.tiling = guard::tiling_for(grid, m.tile);
    std::vector<uint8_t> inside_cell;
    if (d.areas_given) {
        std::vector<const GEOSGeometry*> polygons;
        for (const auto& g : areas.geometry) polygons.push_back(g.get());
        inside_cell = kde::rasterize(grid, polygons);
    } else {
        inside_cell.assign(grid.cells(), 1);
    }
    const auto in_study = [&](const std::vector<double>& xs, const std::vector<double>& ys) {
        std::vector<uint8_t> inside(xs.size(), 0);
        if (d.areas_given) {
            const std::vector<int32_t> a = AreaIndex(areas).locate(xs, ys);
            for (size_t i = 0; i < xs.size(); ++i) inside[i] = a[i] != no_area;
        } else {
            for (size_t i = 0; i < xs.size(); ++i) inside[i] = xs[i] >= extent.min_x && xs[i] <= extent.max_x && ys[i] >= extent.min_y && ys[i] <= extent.max_y;
        }
        return inside;
    };

    coverage(d, m, assets, in_study, progress);
    if (assets.has_paths) {
        d.network = network_from(assets.paths);
        for (const auto& s : d.network.segments) d.facts.alleys += s.kind == "alley";
        d.gated.assign(d.network.segments.size(), 0);
        if (assets.has_gates) {
            d.gates = gates_on(d.network, assets.gates, m.gate_tolerance);
            for (size_t s = 0; s < d.gated.size(); ++s) d.gated[s] = d.gates.gates_on_segment[s] > 0;
        }
    }

    // ---- Shares of each unit ------------------------------------------------------------------------
    for (size_t c = 0; c < grid.cells(); ++c)
        if (inside_cell[c]) d.unit_cells.push_back(static_cast<int64_t>(c));
    if (progress) progress->begin(fmt::format("coverage of {} cells of {:g} m", d.unit_cells.size(), grid.cell), 0);
    d.cell_lit = guard::cell_shares(d.lit, grid, d.unit_cells);
    d.cell_seen = guard::cell_shares(d.seen, grid, d.unit_cells);
    if (progress) progress->end();
    if (d.areas_given) {
        std::vector<const GEOSGeometry*> polygons;
        for (const auto& g : areas.geometry) polygons.push_back(g.get());
        d.area_lit = assets.has_lighting ? guard::polygon_shares(d.lit, polygons, progress) : std::vector<double>(areas.size(), 0.0);
        d.area_seen = assets.has_cctv ? guard::polygon_shares(d.seen, polygons, progress) : std::vector<double>(areas.size(), 0.0);
    }
    if (!d.network.segments.empty()) {
        std::vector<const GEOSGeometry*> lines;
        for (const auto& s : d.network.segments) lines.push_back(s.geometry.get());
        d.seg_lit = guard::line_shares(d.lit, lines);
        d.seg_seen = guard::line_shares(d.seen, lines);
    }
    std::vector<int64_t> unit_of_cell(grid.cells(), -1);
    for (size_t u = 0; u < d.unit_cells.size(); ++u) unit_of_cell[static_cast<size_t>(d.unit_cells[u])] = static_cast<int64_t>(u);

    // ---- Crime pressure ----------------------------------------------------------------------------
    d.crimes_in.assign(K, std::vector<std::vector<uint32_t>>(d.unit_cells.size()));
    d.area_count.assign(K, std::vector<double>(areas.size(), 0.0));
    d.addressed_total.assign(K, 0);
    for (size_t i = 0; i < in.size(); ++i) {
        const int64_t r = grid.row_of(in.y[i]), c = grid.col_of(in.x[i]);
        const int64_t u = grid.contains(r, c) ? unit_of_cell[grid.index(r, c)] : -1;
        for (size_t k = 0; k < K; ++k) {
            if (!d.addresses[k][in.type[i]]) continue;
            ++d.addressed_total[k];
            if (u >= 0) d.crimes_in[k][static_cast<size_t>(u)].push_back(static_cast<uint32_t>(i));
            if (!area_of.empty()) d.area_count[k][static_cast<size_t>(area_of[i])] += 1;
        }
    }
    // Smoothed pressure: expected crimes in each cell from a quartic kernel.
    d.kde_pressure.assign(K, {});
    if (m.pressure == Pressure::kde)
        for (size_t k : {d.LIGHT, d.CCTV}) {
            kde::Points pts;
            for (size_t i = 0; i < in.size(); ++i)
                if (d.addresses[k][in.type[i]]) pts.x.push_back(in.x[i]), pts.y.push_back(in.y[i]);
            d.kde_pressure[k].assign(d.unit_cells.size(), 0.0);
            if (pts.size() == 0) continue;
            const std::vector<float> dens = kde::density(pts, grid, kde::Kernel::quartic, m.bandwidth, kde::Units::per_km2);
            for (size_t u = 0; u < d.unit_cells.size(); ++u)
                d.kde_pressure[k][u] = static_cast<double>(dens[static_cast<size_t>(d.unit_cells[u])]) * grid.cell_area() / 1e6;
        }
    // Burglaries by alley: each to the nearest alley segment within path_reach.
    d.burglaries_on.assign(d.network.segments.size(), {});
    if (!d.network.segments.empty()) {
        std::vector<uint8_t> alley(d.network.segments.size());
        for (size_t s = 0; s < alley.size(); ++s) alley[s] = d.network.segments[s].kind == "alley";
        std::vector<double> bx, by;
        std::vector<uint32_t> which;
        for (size_t i = 0; i < in.size(); ++i)
            if (d.addresses[d.GATE][in.type[i]]) bx.push_back(in.x[i]), by.push_back(in.y[i]), which.push_back(static_cast<uint32_t>(i));
        const std::vector<int32_t> nearest = paths::nearest_segment(d.network, bx, by, m.path_reach, alley);
        for (size_t j = 0; j < nearest.size(); ++j)
            if (nearest[j] >= 0) d.burglaries_on[static_cast<size_t>(nearest[j])].push_back(which[j]), ++d.burglaries_near_alleys;
    }

    candidates_of(d, m, in);

    // ---- Budget plan ---------------------------------------------------------------------------------
    d.plan_order.assign(d.candidates.size(), 0);
    if (d.with_budget) {
        if (progress) progress->begin(fmt::format("planning over {} candidates", d.candidates.size()), 0);
        d.chosen_plan = plan::plan_budget(d.candidates, *m.budget);
        if (progress) progress->end();
        // Order within the plan: by value per pound alone, for the table.
        std::vector<size_t> order = d.chosen_plan.chosen;
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return plan::prevented_alone(d.candidates[a]) * d.candidates[b].cost > plan::prevented_alone(d.candidates[b]) * d.candidates[a].cost;
        });
        for (size_t k = 0; k < order.size(); ++k) d.plan_order[order[k]] = static_cast<int64_t>(k + 1);
    }
    return d;
}

std::vector<size_t> recommended(const DesignOutPlan& d, size_t top) {
    const auto& candidates = d.candidates;
    std::vector<std::vector<size_t>> by_kind(d.table.size());
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
    for (size_t i : d.chosen_plan.chosen) keep.insert(i);
    std::vector<size_t> shown(keep.begin(), keep.end());
    std::stable_sort(shown.begin(), shown.end(), [&](size_t a, size_t b) {
        const double ra = candidates[a].cost > 0 ? plan::prevented_alone(candidates[a]) / candidates[a].cost : 1e300;
        const double rb = candidates[b].cost > 0 ? plan::prevented_alone(candidates[b]) / candidates[b].cost : 1e300;
        return ra > rb;
    });
    return shown;
}

std::vector<guard::Camera> cameras_from(const std::vector<CameraRecord>& records, const guard::CameraRule& rule) {
    std::vector<guard::Camera> cameras;
    for (const auto& r : records) {
        guard::Camera c;
        c.x = r.x, c.y = r.y, c.bearing = r.bearing, c.fov = r.fov;
        c.range = guard::camera_range(r.range, r.fov, rule);
        cameras.push_back(c);
    }
    return cameras;
}

paths::Network network_from(const std::vector<FeatureRecord>& records) {
    std::vector<paths::Line> lines;
    GEOSContextHandle_t ctx = geos::context();
    for (const auto& r : records) {
        paths::Line l;
        l.geometry = geos::checked(GEOSGeom_clone_r(ctx, r.geometry.get()), "path");
        l.is_path = r.is_path;
        l.kind = r.kind;
        l.name = r.name;
        l.feature = r.feature;
        lines.push_back(std::move(l));
    }
    return paths::build_network(std::move(lines));
}

paths::GateAssignment gates_on(const paths::Network& network, const std::vector<FeatureRecord>& gates, double tolerance) {
    std::vector<const GEOSGeometry*> g;
    for (const auto& r : gates) g.push_back(r.geometry.get());
    return paths::assign_gates(network, g, tolerance);
}

std::vector<guard::Occluder> occluders_of(const std::vector<FeatureRecord>& footprints, const std::function<bool(const Extent&)>& keep) {
    std::vector<const GEOSGeometry*> g;
    for (const auto& f : footprints)
        if (!keep || keep(geos::extent(f.geometry.get()))) g.push_back(f.geometry.get());
    return guard::occluders_from(g);
}

} // namespace safer::design
