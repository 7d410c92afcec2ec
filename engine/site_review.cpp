#include "engine/site_review.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "engine/area_index.hpp"
#include "engine/design_out.hpp"
#include "engine/errors.hpp"
#include "engine/getis_ord.hpp"
#include "engine/spatial_weights.hpp"

namespace safer::site {

const char* use_name(SiteUse use) {
    switch (use) {
    case SiteUse::residential: return "residential";
    case SiteUse::commercial: return "commercial";
    case SiteUse::mixed: return "mixed";
    case SiteUse::car_park: return "car-park";
    }
    return "";
}
bool has_homes(const std::vector<SiteUse>& uses) {
    return std::any_of(uses.begin(), uses.end(), [](SiteUse u) { return u == SiteUse::residential || u == SiteUse::mixed; });
}
double SiteResult::in_first_ring(const CrimeTypes& types, const char* type) const {
    const CrimeTypeId* t = types.find(type);
    return t && !by_type[*t].empty() ? by_type[*t][0] : 0.0;
}

bool has_commerce(const std::vector<SiteUse>& uses) {
    return std::any_of(uses.begin(), uses.end(), [](SiteUse u) { return u == SiteUse::commercial || u == SiteUse::mixed; });
}

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// North, east, south or west: the compass quarter (centred on each direction) of (x, y) seen
/// from (cx, cy).
const char* compass_side(double cx, double cy, double x, double y) {
    if (x == cx && y == cy) return "centre";
    double b = std::atan2(x - cx, y - cy) * 180 / std::numbers::pi; // compass bearing, 0 = north
    if (b < 0) b += 360;
    return b < 45 || b >= 315 ? "north" : b < 135 ? "east" : b < 225 ? "south" : "west";
}

/// The assets near the sites, prepared once for all of them.
struct Guard {
    std::vector<guard::Shape> lights; // discs of the lights that reach near a site
    std::vector<guard::Shape> views;  // views of the cameras that reach near a site
    const paths::Network* network = nullptr; // SiteStudy::network
    paths::GateAssignment gates;
    std::vector<Extent> segment_extent;
    // Neighbourhood crimes sorted by x, for counting those near a path.
    std::vector<double> nx, ny;
    std::vector<uint8_t> burglary;
    bool lighting = false, cctv = false, paths = false, has_gates = false;
};

Guard prepare_guard(const Areas& sites, const Incidents& in, const CrimeTypes& types, const AssetSet& assets, const SiteOptions& o, paths::Network& network) {
    Guard g;
    g.network = &network;
    g.lighting = assets.has_lighting, g.cctv = assets.has_cctv, g.paths = assets.has_paths, g.has_gates = assets.has_gates;
    std::vector<Extent> site_extent;
    for (const auto& s : sites.geometry) site_extent.push_back(geos::extent(s.get()).grown(guard_distance + 1));
    const auto near_a_site = [&](const Extent& e) { return std::any_of(site_extent.begin(), site_extent.end(), [&](const Extent& s) { return s.overlaps(e); }); };
    for (const auto& l : assets.lights) {
        guard::Shape s = guard::disc_shape(l.x, l.y, guard::light_radius(l.radius, l.height, o.light_rule));
        if (near_a_site(s.extent)) g.lights.push_back(std::move(s));
    }
    if (assets.has_cctv) {
        std::vector<guard::Camera> cameras;
        for (const guard::Camera& c : design::cameras_from(assets.cameras, o.camera_rule))
            if (near_a_site(Extent{c.x - c.range * 1.01, c.y - c.range * 1.01, c.x + c.range * 1.01, c.y + c.range * 1.01})) cameras.push_back(c);
        const std::vector<guard::Occluder> occluders = design::occluders_of(assets.occluders, [&](const Extent& e) { return near_a_site(e.grown(200)); });
        g.views = guard::camera_shapes(cameras, occluders, o.quadrant_segments);
    }
    if (assets.has_paths) {
        network = design::network_from(assets.paths);
        for (const auto& s : network.segments) g.segment_extent.push_back(geos::extent(s.geometry.get()));
        if (assets.has_gates) g.gates = design::gates_on(network, assets.gates, o.gate_tolerance);
        const std::vector<CrimeGroup> groups = builtin_crime_groups();
        const GroupMembership membership(groups, types);
        const CrimeTypeId* burglary = types.find("Burglary");
        std::vector<size_t> order;
        for (size_t i = 0; i < in.size(); ++i)
            if (membership.contains(0, in.type[i])) order.push_back(i); // group 0: neighbourhood
        std::sort(order.begin(), order.end(), [&](size_t p, size_t q) { return in.x[p] < in.x[q]; });
        for (size_t i : order) g.nx.push_back(in.x[i]), g.ny.push_back(in.y[i]), g.burglary.push_back(burglary && in.type[i] == *burglary);
    }
    return g;
}

/// Lighting, CCTV and permeability around one site.
SiteGuardianship review_guardianship(const GEOSGeometry* site, const Guard& assets, int quadrant_segments) {
    GEOSContextHandle_t ctx = geos::context();
    SiteGuardianship out;
    const Extent local = geos::extent(site).grown(guard_distance + 1);
    const geos::Geometry around = geos::checked(GEOSBuffer_r(ctx, site, guard_distance, 64), "buffer");
    const geos::Geometry ring = geos::checked(GEOSDifference_r(ctx, around.get(), site), "ring");
    const geos::Geometry near = geos::checked(GEOSBuffer_r(ctx, site, pass_distance, 64), "buffer");
    const geos::Geometry boundary = geos::checked(GEOSBoundary_r(ctx, site), "boundary");
    const geos::Prepared site_p = geos::prepare(site), ring_p = geos::prepare(ring.get());
    const Grid grid = Grid::covering(local, 0, 10);
    const guard::Tiling tiling = guard::tiling_for(grid, 1000);
    const auto near_shapes = [&](const std::vector<guard::Shape>& all) {
        std::vector<guard::Shape> v;
        for (const auto& s : all)
            if (s.extent.overlaps(local)) v.push_back(s);
        return v;
    };
    const auto clip_coverage = [&](const guard::Coverage& c, std::vector<geos::Geometry>& pieces) {
        for (const auto& p : c.piece) {
            if (!p) continue;
            geos::Geometry clipped(GEOSClipByRect_r(ctx, p.get(), local.min_x, local.min_y, local.max_x, local.max_y));
            if (clipped && !GEOSisEmpty_r(ctx, clipped.get())) pieces.push_back(std::move(clipped));
        }
    };
    // Path segments near the site, and their parts within guard_distance of the red line.
    std::vector<size_t> near_segments;
    std::vector<geos::Geometry> parts;
    if (assets.paths)
        for (size_t s = 0; s < assets.network->segments.size(); ++s) {
            if (!assets.segment_extent[s].overlaps(local)) continue;
            geos::Geometry part = geos::checked(GEOSIntersection_r(ctx, assets.network->segments[s].geometry.get(), around.get()), "path within 100 m");
            if (geos::length(part.get()) <= 0) continue;
            near_segments.push_back(s);
            parts.push_back(std::move(part));
        }
    std::vector<const GEOSGeometry*> part_ptr;
    for (const auto& p : parts) part_ptr.push_back(p.get());
    double path_m = 0;
    for (const auto* p : part_ptr) path_m += geos::length(p);
    if (assets.paths) out.path_m = path_m;

    std::vector<double> part_lit(parts.size(), nan), part_seen(parts.size(), nan);
    if (assets.lighting) {
        const std::vector<guard::Shape> shapes = near_shapes(assets.lights);
        const guard::Coverage lit = guard::union_shapes(shapes, tiling, quadrant_segments);
        clip_coverage(lit, out.lit_pieces);
        const GEOSGeometry* b = boundary.get();
        out.boundary_m = geos::length(b);
        out.lit_boundary_share = guard::line_shares(lit, std::span<const GEOSGeometry* const>(&b, 1))[0];
        out.lit_boundary_m = out.lit_boundary_share * out.boundary_m;
        if (!parts.empty()) {
            part_lit = guard::line_shares(lit, part_ptr);
            double lit_m = 0;
            for (size_t k = 0; k < parts.size(); ++k) lit_m += part_lit[k] * geos::length(part_ptr[k]);
            out.lit_path_m = lit_m;
            out.lit_path_share = path_m > 0 ? lit_m / path_m : nan;
        } else if (assets.paths) {
            out.lit_path_m = 0;
        }
        for (const auto& s : shapes) out.lights.push_back(geos::point(s.x, s.y));
    }
    if (assets.cctv) {
        const std::vector<guard::Shape> shapes = near_shapes(assets.views);
        const guard::Coverage seen = guard::union_shapes(shapes, tiling, quadrant_segments);
        clip_coverage(seen, out.seen_pieces);
        const std::vector<const GEOSGeometry*> polygons{site, ring.get()};
        const std::vector<double> share = guard::polygon_shares(seen, polygons);
        out.cctv_site_share = share[0], out.cctv_ring_share = share[1];
        out.cameras_site = out.cameras_ring = 0;
        for (const auto& s : shapes) {
            const geos::Geometry view = s.wkb.empty() ? guard::disc(s.x, s.y, s.r, quadrant_segments) : geos::from_wkb(s.wkb.data(), s.wkb.size());
            out.cameras_site += GEOSPreparedIntersects_r(ctx, site_p.get(), view.get()) == 1;
            out.cameras_ring += GEOSPreparedIntersects_r(ctx, ring_p.get(), view.get()) == 1;
        }
        if (!parts.empty()) part_seen = guard::line_shares(seen, part_ptr);
    }

    // Permeability: segments entering the site, or passing within pass_distance of it.
    if (assets.paths) {
        out.entering = out.passing = 0;
        if (assets.has_gates) out.ungated = out.partly_gated = 0;
        geos::Geometry centroid = geos::checked(GEOSGetCentroid_r(ctx, site), "centroid");
        double cx = 0, cy = 0;
        GEOSGeomGetX_r(ctx, centroid.get(), &cx);
        GEOSGeomGetY_r(ctx, centroid.get(), &cy);
        const auto xy = [&](const GEOSGeometry* p, double& x, double& y) {
            geos::Geometry c = geos::checked(GEOSGetCentroid_r(ctx, p), "centroid");
            GEOSGeomGetX_r(ctx, c.get(), &x);
            GEOSGeomGetY_r(ctx, c.get(), &y);
        };
        for (size_t k = 0; k < near_segments.size(); ++k) {
            const size_t s = near_segments[k];
            const paths::Segment& seg = assets.network->segments[s];
            SitePath p;
            p.segment = s;
            p.enters = GEOSRelatePattern_r(ctx, site, seg.geometry.get(), "T********") == 1;
            GEOSDistance_r(ctx, site, seg.geometry.get(), &p.distance_m);
            if (!p.enters && !(p.distance_m <= pass_distance)) {
                out.parts.push_back({std::move(parts[k]), s, -1});
                continue;
            }
            geos::Geometry inside = geos::checked(GEOSIntersection_r(ctx, seg.geometry.get(), site), "path in the site");
            geos::Geometry close = geos::checked(GEOSIntersection_r(ctx, seg.geometry.get(), near.get()), "path near the site");
            p.inside_m = geos::length(inside.get()), p.near_m = geos::length(close.get());
            if (p.enters) {
                // The sides it crosses the red line on, in order along the segment.
                geos::Geometry crossings = geos::checked(GEOSIntersection_r(ctx, boundary.get(), seg.geometry.get()), "crossings");
                std::vector<std::pair<double, std::string>> along;
                const int n = GEOSGetNumGeometries_r(ctx, crossings.get());
                for (int i = 0; i < n; ++i) {
                    const GEOSGeometry* c = GEOSGetGeometryN_r(ctx, crossings.get(), i);
                    if (GEOSisEmpty_r(ctx, c)) continue;
                    double x = 0, y = 0;
                    xy(c, x, y);
                    geos::Geometry pt = geos::point(x, y);
                    along.emplace_back(GEOSProject_r(ctx, seg.geometry.get(), pt.get()), compass_side(cx, cy, x, y));
                }
                std::sort(along.begin(), along.end());
                std::vector<std::string> sides;
                for (const auto& [d, side] : along)
                    if (std::find(sides.begin(), sides.end(), side) == sides.end()) sides.push_back(side);
                p.side = sides.empty() ? "inside" : fmt::format("{}", fmt::join(sides, ","));
                ++out.entering;
            } else {
                // The side of the middle of its longest part near the red line.
                const GEOSGeometry* longest = close.get();
                double best = -1;
                for (int i = 0; i < GEOSGetNumGeometries_r(ctx, close.get()); ++i) {
                    const GEOSGeometry* c = GEOSGetGeometryN_r(ctx, close.get(), i);
                    if (const double l = geos::length(c); l > best) best = l, longest = c;
                }
                double x = 0, y = 0;
                if (GEOSGeomTypeId_r(ctx, longest) == GEOS_LINESTRING && best > 0) {
                    geos::Geometry mid = geos::checked(GEOSInterpolateNormalized_r(ctx, longest, 0.5), "midpoint");
                    GEOSGeomGetX_r(ctx, mid.get(), &x);
                    GEOSGeomGetY_r(ctx, mid.get(), &y);
                } else {
                    GEOSCoordSequence* cs = GEOSNearestPoints_r(ctx, site, seg.geometry.get());
                    if (cs) GEOSCoordSeq_getXY_r(ctx, cs, 1, &x, &y), GEOSCoordSeq_destroy_r(ctx, cs);
                }
                p.side = compass_side(cx, cy, x, y);
                ++out.passing;
            }
            p.gates_needed = seg.gates_needed();
            if (assets.has_gates) {
                p.gates = assets.gates.gates_on_segment[s];
                p.gating = p.gates >= p.gates_needed ? Gating::gated : p.gates > 0 ? Gating::partial : Gating::open;
                out.ungated += p.gating == Gating::open;
                out.partly_gated += p.gating == Gating::partial;
            }
            // Neighbourhood crimes (and burglaries) within guard_distance of the segment.
            const Extent e = assets.segment_extent[s].grown(guard_distance);
            const geos::Prepared prepared = geos::prepare(seg.geometry.get());
            const auto lo = std::lower_bound(assets.nx.begin(), assets.nx.end(), e.min_x) - assets.nx.begin();
            for (auto i = static_cast<size_t>(lo); i < assets.nx.size() && assets.nx[i] <= e.max_x; ++i) {
                if (assets.ny[i] < e.min_y || assets.ny[i] > e.max_y) continue;
                const geos::Geometry pt = geos::point(assets.nx[i], assets.ny[i]);
                if (GEOSPreparedDistanceWithin_r(ctx, prepared.get(), pt.get(), guard_distance) == 1) ++p.neighbourhood, p.burglaries += assets.burglary[i];
            }
            p.lit_share = part_lit[k], p.cctv_share = part_seen[k];
            out.parts.push_back({std::move(parts[k]), s, static_cast<int64_t>(out.paths.size())});
            out.paths.push_back(std::move(p));
        }
    }
    return out;
}

/// The findings by CPTED principle, from the crime and guardianship around the site.
std::vector<Finding> findings_of(const SiteResult& r, const Guard& assets, const std::vector<CrimeGroup>& groups, const CrimeTypes& types, double all_g,
                                 const std::vector<SiteUse>& uses) {
    const auto g_index = [&](const char* name) {
        for (size_t g = 0; g < groups.size(); ++g)
            if (groups[g].name == name) return g;
        return static_cast<size_t>(all_g);
    };
    const size_t R = r.rings.radii.size(), r2 = std::min<size_t>(1, R - 1);
    const auto near = [&](const char* type) { return r.in_first_ring(types, type); };
    const bool car_park = std::find(uses.begin(), uses.end(), SiteUse::car_park) != uses.end();
    const SiteGuardianship& gu = r.guardianship;
    std::vector<Finding> f;
    if (r.nearby() == 0) f.push_back({Principle::context, FindingKind::nothing_recorded});
    // Burglary is the risk of buildings (homes, shops, workplaces), not of a car park.
    if ((has_homes(uses) || has_commerce(uses)) && near("Burglary") > 0) f.push_back({Principle::access_control, FindingKind::burglary});
    if (has_commerce(uses) && near("Shoplifting") + near("Theft from the person") > 0) f.push_back({Principle::natural_surveillance, FindingKind::retail_theft});
    if (car_park && near("Vehicle crime") > 0) f.push_back({Principle::access_control, FindingKind::vehicle});
    if (r.within[0][g_index("neighbourhood")] > 0 && r.best_bin >= 2) f.push_back({Principle::natural_surveillance, FindingKind::hot_spot});
    if (r.within[r2][g_index("violence")] > 0 || r.within[r2][g_index("asb")] > 0) f.push_back({Principle::activity_support, FindingKind::violence_asb});
    if (r.within[r2][g_index("damage")] > 0) f.push_back({Principle::maintenance, FindingKind::damage});
    if (!std::isnan(r.kde_pct) && r.kde_pct >= 90) f.push_back({Principle::territorial_reinforcement, FindingKind::dense});
    // Paths that open the site up: open alleys, and paths with burglaries near them, most burglaries first.
    std::vector<size_t> open;
    for (size_t k = 0; k < gu.paths.size(); ++k) {
        const SitePath& p = gu.paths[k];
        if (p.gating != Gating::gated && (assets.network->segments[p.segment].kind == "alley" || p.burglaries > 0)) open.push_back(k);
    }
    std::stable_sort(open.begin(), open.end(), [&](size_t a, size_t b) { return gu.paths[a].burglaries > gu.paths[b].burglaries; });
    constexpr size_t max_path_findings = 5;
    for (size_t k = 0; k < std::min(open.size(), max_path_findings); ++k) f.push_back({Principle::access_control, FindingKind::open_path, open[k]});
    if (open.size() > max_path_findings) f.push_back({Principle::access_control, FindingKind::more_open_paths, 0, open.size() - max_path_findings});
    if (assets.lighting && (gu.lit_boundary_share < low_lit_share || gu.lit_path_share < low_lit_share)) f.push_back({Principle::natural_surveillance, FindingKind::low_lighting});
    if (assets.cctv && gu.cctv_site_share < low_cctv_share && r.within[0][static_cast<size_t>(all_g)] > 0) f.push_back({Principle::natural_surveillance, FindingKind::low_cctv});
    if (f.empty()) f.push_back({Principle::context, FindingKind::low_crime});
    std::stable_sort(f.begin(), f.end(), [](const Finding& a, const Finding& b) { return a.principle < b.principle; });
    return f;
}

/// Density at the site: the mean of the cells (`value` on `grid`) whose centre lies in it (else the
/// cell holding its point on surface), and its percentile and rank among the cells with recorded
/// crime (`valid`, their values sorted).
void density_at(SiteResult& r, const Grid& grid, const std::vector<float>& value, const std::vector<float>& valid) {
    GEOSContextHandle_t ctx = geos::context();
    const std::vector<uint8_t> mask = kde::rasterize(grid, std::vector<const GEOSGeometry*>{r.site});
    double sum = 0;
    size_t n = 0;
    for (size_t c = 0; c < mask.size(); ++c)
        if (mask[c] && value[c] != kde::nodata) sum += value[c], ++n;
    if (n == 0) {
        geos::Geometry p = geos::checked(GEOSPointOnSurface_r(ctx, r.site), "point on surface");
        double px = 0, py = 0;
        GEOSGeomGetX_r(ctx, p.get(), &px);
        GEOSGeomGetY_r(ctx, p.get(), &py);
        const int64_t row = grid.row_of(py), col = grid.col_of(px);
        if (grid.contains(row, col) && value[grid.index(row, col)] != kde::nodata) sum = value[grid.index(row, col)], n = 1;
    }
    r.kde = n ? sum / static_cast<double>(n) : nan;
    if (n && !valid.empty()) {
        const auto at_or_below = static_cast<size_t>(std::upper_bound(valid.begin(), valid.end(), static_cast<float>(r.kde)) - valid.begin());
        r.kde_pct = 100.0 * static_cast<double>(at_or_below) / static_cast<double>(valid.size());
        r.kde_rank = valid.size() - at_or_below + 1;
    }
}

/// Hot-spot status: the strongest Gi* bin among the 100 m cells the site touches, and the distance
/// to the nearest cell hot at 95 %.
void hot_spot_status(SiteResult& r, const Grid& hgrid, const hotspots::GiStarResult& gi, const std::vector<size_t>& hot_cells) {
    GEOSContextHandle_t ctx = geos::context();
    const geos::Prepared prepared = geos::prepare(r.site);
    const geos::Envelope e = geos::envelope(r.site);
    const int64_t c0 = std::max<int64_t>(0, hgrid.col_of(e.min_x)), c1 = std::min<int64_t>(hgrid.nx - 1, hgrid.col_of(e.max_x));
    const int64_t r0 = std::max<int64_t>(0, hgrid.row_of(e.max_y)), r1 = std::min<int64_t>(hgrid.ny - 1, hgrid.row_of(e.min_y));
    const auto cell_box = [&](int64_t row, int64_t col) {
        const double x0 = hgrid.x0 + static_cast<double>(col) * hgrid.cell, y1 = hgrid.y0 - static_cast<double>(row) * hgrid.cell;
        return geos::checked(GEOSGeom_createRectangle_r(ctx, x0, y1 - hgrid.cell, x0 + hgrid.cell, y1), "cell");
    };
    for (int64_t row = r0; row <= r1; ++row)
        for (int64_t col = c0; col <= c1; ++col) {
            const size_t c = hgrid.index(row, col);
            if (GEOSPreparedIntersects_r(ctx, prepared.get(), cell_box(row, col).get()) != 1) continue;
            if (std::abs(gi.bin[c]) > std::abs(r.best_bin)) r.best_bin = gi.bin[c];
            if (!(gi.z[c] <= r.gi_z)) r.gi_z = gi.z[c];
        }
    // Hot cells in order of their envelope distance, a lower bound of the true distance, stopping
    // once the bound passes the best.
    std::vector<std::pair<double, size_t>> hot;
    for (size_t c : hot_cells) {
        const int64_t row = static_cast<int64_t>(c) / hgrid.nx, col = static_cast<int64_t>(c) % hgrid.nx;
        const double x0 = hgrid.x0 + static_cast<double>(col) * hgrid.cell, y1 = hgrid.y0 - static_cast<double>(row) * hgrid.cell;
        const double dx = std::max({0.0, x0 - e.max_x, e.min_x - (x0 + hgrid.cell)});
        const double dy = std::max({0.0, (y1 - hgrid.cell) - e.max_y, e.min_y - y1});
        hot.emplace_back(std::hypot(dx, dy), c);
    }
    std::sort(hot.begin(), hot.end());
    for (const auto& [bound, c] : hot) {
        if (bound >= r.nearest_hot) break;
        double d = 0;
        GEOSPreparedDistance_r(ctx, prepared.get(), cell_box(static_cast<int64_t>(c) / hgrid.nx, static_cast<int64_t>(c) % hgrid.nx).get(), &d);
        if (!(d >= r.nearest_hot)) r.nearest_hot = d;
    }
}

} // namespace

struct SiteReviewer::Impl {
    const Areas& sites;
    const Incidents& in;
    const CrimeTypes& types;
    const Areas& areas;
    SiteOptions options;
    std::vector<CrimeGroup> groups = builtin_crime_groups();
    GroupMembership membership;
    SiteStudy study;
    Guard guard;
    std::vector<float> density;     // the density surface's values (study.density keeps its grid)
    std::vector<float> valid;       // its cells holding a recorded crime, sorted: percentiles and ranks
    Grid hgrid;                     // the 100 m Gi* grid
    hotspots::GiStarResult gi;
    std::vector<size_t> hot_cells;  // hot at 95 %
    std::vector<Extent> area_env;
    std::vector<size_t> bound;      // each site's incidents within the largest ring, at most

    Impl(const Areas& sites_, const Incidents& in_, const CrimeTypes& types_, const Areas& areas_, const SiteOptions& o)
        : sites(sites_), in(in_), types(types_), areas(areas_), options(o), membership(groups, types_) {}
};

SiteReviewer::SiteReviewer(const Areas& sites, const Incidents& in, const CrimeTypes& types, const Areas& areas, const std::vector<int32_t>& area_of,
                           const AssetSet& assets, Month from, Month to, const SiteOptions& o, Progress* progress)
    : m_impl(std::make_unique<Impl>(sites, in, types, areas, o)) {
    check_radii(o.radii);
    Impl& m = *m_impl;
    SiteStudy& review = m.study;
    review.from = from, review.to = to, review.span = to.index - from.index + 1;
    review.radii = o.radii;
    review.lighting = assets.has_lighting, review.cctv = assets.has_cctv, review.paths = assets.has_paths, review.gates = assets.has_gates;
    review.all_group = m.groups.size() - 1; // "all" is the last built-in group
    Extent data_extent;
    for (size_t i = 0; i < in.size(); ++i) data_extent.add(in.x[i], in.y[i]);
    for (size_t s = 0; s < sites.size(); ++s)
        if (!geos::extent(sites.geometry[s].get()).overlaps(data_extent))
            throw InputError(fmt::format("{}{}: it lies outside the extent of the crime data ({:.0f}, {:.0f} to {:.0f}, {:.0f}); check "
                                         "the site's coordinates and CRS, and that the crimes cover its area",
                                         sites.code[s].starts_with("site") ? "" : "site ", sites.code[s], data_extent.min_x, data_extent.min_y, data_extent.max_x,
                                         data_extent.max_y));
    m.guard = prepare_guard(sites, in, types, assets, o, review.network);
    if (assets.has_streets) {
        review.streets = true;
        try {
            review.street_segments = segments::analyse_segments(assets.streets, in, std::vector<uint8_t>(in.size(), 1), review.street_options, progress);
        } catch (const InputError& e) {
            review.streets_error = e.what();
        }
    }

    // The study area: the areas if given, else the sites' surroundings. police.uk files carry a few
    // points far outside a force, which must not stretch the surfaces across the country.
    Extent study_extent = areas.extent();
    geos::Geometry surroundings;
    if (study_extent.empty()) {
        study_extent = sites.extent().grown(o.radii.back() + surroundings_margin);
        surroundings = geos::checked(GEOSGeom_createRectangle_r(geos::context(), study_extent.min_x, study_extent.min_y, study_extent.max_x, study_extent.max_y), "extent");
    }
    // Study-wide surfaces: density of all crime, and Gi* of counts on a 100 m grid.
    if (progress) progress->begin("density and hot spots over the study area", 1000);
    kde::Points all;
    for (size_t i = 0; i < in.size(); ++i)
        if (in.x[i] >= study_extent.min_x && in.x[i] <= study_extent.max_x && in.y[i] >= study_extent.min_y && in.y[i] <= study_extent.max_y)
            all.x.push_back(in.x[i]), all.y.push_back(in.y[i]);
    kde::Options kopt;
    kopt.fallback_bandwidth = 250;
    kopt.progress = progress;
    const size_t recorded = all.size(); // before a stand-in point for an empty study area
    if (all.size() == 0) all.x.push_back(study_extent.min_x), all.y.push_back(study_extent.min_y);
    kde::StudyArea study;
    for (const auto& g : areas.geometry) study.polygons.push_back(g.get());
    if (surroundings) study.polygons.push_back(surroundings.get());
    review.density = kde::estimate(all, kopt, &study);
    m.density = std::move(review.density.value);
    review.density.value.clear();
    // Cells where nobody goes (fields, woods, water) hold no crime, and ranked among them every
    // built-up site would look dense: a site is ranked among the cells with recorded crime.
    {
        const Grid& dg = review.density.grid;
        std::vector<uint8_t> has_crime(dg.cells(), 0);
        for (size_t i = 0; i < recorded; ++i) {
            const int64_t row = dg.row_of(all.y[i]), col = dg.col_of(all.x[i]);
            if (dg.contains(row, col)) has_crime[dg.index(row, col)] = 1;
        }
        for (size_t c = 0; c < m.density.size(); ++c)
            if (m.density[c] != kde::nodata && has_crime[c]) m.valid.push_back(m.density[c]);
        std::sort(m.valid.begin(), m.valid.end());
        review.crime_cells = m.valid.size();
    }
    m.hgrid = Grid::covering(study_extent, 0, hotspot_cell);
    const Grid& hgrid = m.hgrid;
    const hotspots::CellGrid cells{static_cast<int32_t>(hgrid.nx), static_cast<int32_t>(hgrid.ny), hgrid.cell, {}};
    std::vector<double> cell_count(hgrid.cells(), 0);
    for (size_t i = 0; i < in.size(); ++i) {
        const int64_t r = hgrid.row_of(in.y[i]), c = hgrid.col_of(in.x[i]);
        if (hgrid.contains(r, c)) cell_count[hgrid.index(r, c)] += 1;
    }
    try {
        m.gi = hotspots::gi_star_grid(cells, cell_count, hotspot_band);
        review.have_gi = true;
    } catch (const InputError& e) {
        review.gi_error = e.what();
    }
    if (progress) progress->end();
    for (size_t c = 0; c < m.gi.bin.size(); ++c)
        if (m.gi.bin[c] >= 2) m.hot_cells.push_back(c);

    // LSOA rates (all crime) for the LSOAs a site lies in.
    review.area_count.assign(areas.size(), 0);
    double pop_total = 0, count_in_areas = 0;
    for (int32_t a : area_of)
        if (a >= 0) review.area_count[static_cast<size_t>(a)] += 1;
    review.area_rate.assign(areas.size(), nan);
    for (size_t a = 0; a < areas.size(); ++a)
        if (areas.population[a] > 0) {
            pop_total += areas.population[a], count_in_areas += review.area_count[a];
            review.area_rate[a] = 1000 * review.area_count[a] / areas.population[a];
        }
    if (pop_total > 0) review.comparison_rate = 1000 * count_in_areas / pop_total;
    for (const auto& g : areas.geometry) m.area_env.push_back(geos::extent(g.get()));

    // Each site's incidents within the largest ring, at most: those in its envelope grown by the
    // largest radius, found among the incidents ordered by x.
    std::vector<size_t> order(in.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t p, size_t q) { return in.x[p] < in.x[q]; });
    std::vector<double> by_x, y_by_x;
    for (size_t i : order) by_x.push_back(in.x[i]), y_by_x.push_back(in.y[i]);
    for (size_t s = 0; s < sites.size(); ++s) {
        const Extent e = geos::extent(sites.geometry[s].get()).grown(o.radii.back());
        const auto lo = static_cast<size_t>(std::lower_bound(by_x.begin(), by_x.end(), e.min_x) - by_x.begin());
        const auto hi = static_cast<size_t>(std::upper_bound(by_x.begin(), by_x.end(), e.max_x) - by_x.begin());
        size_t n = 0;
        for (size_t i = lo; i < hi; ++i) n += y_by_x[i] >= e.min_y && y_by_x[i] <= e.max_y;
        m.bound.push_back(n);
    }
}

SiteReviewer::~SiteReviewer() = default;
SiteReviewer::SiteReviewer(SiteReviewer&&) noexcept = default;
SiteReviewer& SiteReviewer::operator=(SiteReviewer&&) noexcept = default;

size_t SiteReviewer::size() const { return m_impl->sites.size(); }
const SiteStudy& SiteReviewer::study() const& { return m_impl->study; }
SiteStudy SiteReviewer::study() && { return std::move(m_impl->study); }

SiteResult SiteReviewer::review(size_t s) const {
    const Impl& m = *m_impl;
    const SiteStudy& review = m.study;
    const SiteOptions& o = m.options;
    const Incidents& in = m.in;
    const Areas& areas = m.areas;
    GEOSContextHandle_t ctx = geos::context();
    const size_t R = o.radii.size(), G = m.groups.size();
    SiteResult r;
    r.site = m.sites.geometry[s].get();
    r.id = m.sites.code[s];
    r.area_ha = geos::area(r.site) / 1e4;
    r.rings = site_rings(r.site, o.radii);
    std::vector<double> distance;
    const std::vector<int32_t> ring = ring_of_points(r.site, o.radii, in.x, in.y, &distance);
    r.by_group.assign(R, std::vector<double>(G, 0));
    r.by_type.assign(m.types.size(), {});
    r.monthly.assign(static_cast<size_t>(review.span), 0);
    r.monthly_by_group.assign(G, std::vector<double>(static_cast<size_t>(review.span), 0));
    r.inside.assign(G, 0);
    r.inside_by_type.assign(m.types.size(), 0);
    for (size_t i = 0; i < in.size(); ++i) {
        if (ring[i] < 0) continue;
        const auto k = static_cast<size_t>(ring[i]);
        const auto month = static_cast<size_t>(in.month[i].index - review.from.index);
        const bool inside = distance[i] == 0; // GEOS distance 0: inside the polygon or on the red line
        for (size_t g = 0; g < G; ++g)
            if (m.membership.contains(g, in.type[i])) r.by_group[k][g] += 1, r.monthly_by_group[g][month] += 1, r.inside[g] += inside;
        auto& t = r.by_type[in.type[i]];
        if (t.empty()) t.assign(R, 0);
        t[k] += 1;
        r.inside_by_type[in.type[i]] += inside;
        r.monthly[month] += 1;
        r.incidents.push_back(i), r.incident_ring.push_back(ring[i]), r.incident_distance.push_back(distance[i]);
    }
    r.within.assign(R, std::vector<double>(G, 0));
    for (size_t k = 0; k < R; ++k)
        for (size_t g = 0; g < G; ++g) r.within[k][g] = r.by_group[k][g] + (k ? r.within[k - 1][g] : 0);
    const Extent site_env = geos::extent(r.site);
    for (size_t a = 0; a < areas.size(); ++a)
        if (m.area_env[a].overlaps(site_env) && GEOSIntersects_r(ctx, r.site, areas.geometry[a].get()) == 1) r.lsoas.push_back(a);
    density_at(r, review.density.grid, m.density, m.valid);
    if (review.have_gi) hot_spot_status(r, m.hgrid, m.gi, m.hot_cells);
    r.trend = hotspots::mann_kendall(r.monthly);
    for (const auto& series : r.monthly_by_group) r.trend_by_group.push_back(hotspots::mann_kendall(series));
    r.guardianship = review_guardianship(r.site, m.guard, o.quadrant_segments);
    r.findings = findings_of(r, m.guard, m.groups, m.types, static_cast<double>(review.all_group), o.uses);
    if (review.streets && review.streets_error.empty()) {
        r.streets = segments::segments_near(review.street_segments, r.site, street_distance);
        std::sort(r.streets.begin(), r.streets.end(), [&](const auto& a, const auto& b) { return segments::busier(review.street_segments, a.first, b.first); });
    }
    return r;
}

size_t SiteReviewer::incidents_bound(size_t s) const { return m_impl->bound[s]; }

std::vector<SiteBatch> SiteReviewer::batches(size_t max_rows, size_t max_sites) const {
    std::vector<SiteBatch> out;
    size_t rows = 0;
    for (size_t s = 0; s < size(); ++s) {
        const size_t n = incidents_bound(s);
        if (out.empty() || rows + n > max_rows || out.back().end - out.back().begin >= max_sites) out.push_back({s, s}), rows = 0;
        out.back().end = s + 1, rows += n;
    }
    return out;
}

SiteReview review_sites(const Areas& sites, const Incidents& in, const CrimeTypes& types, const Areas& areas, const std::vector<int32_t>& area_of,
                        const AssetSet& assets, Month from, Month to, const SiteOptions& o, Progress* progress) {
    SiteReviewer reviewer(sites, in, types, areas, area_of, assets, from, to, o, progress);
    std::vector<SiteResult> results;
    results.reserve(sites.size());
    if (progress) progress->begin(fmt::format("reviewing {} site{}", sites.size(), sites.size() == 1 ? "" : "s"), sites.size());
    for (size_t s = 0; s < sites.size(); ++s) {
        results.push_back(reviewer.review(s));
        if (progress) progress->advance(1);
    }
    if (progress) progress->end();
    SiteReview review;
    static_cast<SiteStudy&>(review) = std::move(reviewer).study();
    review.sites = std::move(results);
    return review;
}

} // namespace safer::site
