// safer site: the crime-around-a-site review a Designing Out Crime Officer runs on a planning
// application's red line, for every site in a layer: rings of distance from the red line, the
// LSOAs it lies in, density and hot-spot status at the site, the trend, and findings grouped by
// CPTED principle, in a printable HTML report (and a PDF where Chromium is installed).
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numbers>

#include "engine/area_index.hpp"
#include "engine/errors.hpp"
#include "engine/getis_ord.hpp"
#include "engine/guardianship.hpp"
#include "engine/interventions.hpp"
#include "engine/kde.hpp"
#include "engine/path_network.hpp"
#include "engine/site_rings.hpp"
#include "engine/space_time.hpp"
#include "engine/spatial_weights.hpp"
#include "layers/area_reader.hpp"
#include "layers/asset_reader.hpp"
#include "layers/checksum.hpp"
#include "layers/geopackage.hpp"
#include "layers/interrupt.hpp"
#include "layers/report.hpp"
#include "layers/site_reader.hpp"
#include "layers/study.hpp"
#include "tools/commands.hpp"
#include "tools/design_out.hpp"
#include "tools/legacy.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

namespace fs = std::filesystem;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
/// Grid for the hot-spot status around sites: 100 m cells, Gi* over a 300 m band.
constexpr double hotspot_cell = 100, hotspot_band = 300;

std::string group_colour(const std::string& g) {
    if (g == "neighbourhood") return "#d7301f";
    if (g == "violence") return "#7a0177";
    if (g == "asb") return "#2c7fb8";
    if (g == "damage") return "#fe9929";
    return "#636363";
}

// ---- Guardianship around the site ---------------------------------------------------------------

/// Lighting of paths, CCTV around the site and crimes near a path are measured within this
/// distance of the red line (the "paths within 100 m").
constexpr double guard_distance = 100;
/// A path segment that does not enter the site "passes" it when some part of it lies within this
/// distance of the red line: close enough to reach the site's boundary (a rear alley behind its
/// gardens, a footway along its fence), far enough to allow for a verge or a wall.
constexpr double pass_distance = 20;
/// Lighting and CCTV findings are made below these shares.
constexpr double low_lit_share = 0.5, low_cctv_share = 0.25;


/// North, east, south or west: the compass quarter (centred on each direction) of (x, y) seen
/// from (cx, cy).
const char* compass_side(double cx, double cy, double x, double y) {
    if (x == cx && y == cy) return "centre";
    double b = std::atan2(x - cx, y - cy) * 180 / std::numbers::pi; // compass bearing, 0 = north
    if (b < 0) b += 360;
    return b < 45 || b >= 315 ? "north" : b < 135 ? "east" : b < 225 ? "south" : "west";
}

/// Gating of a path segment: unknown (no --gates), none, some of the gates it needs, all.
enum class Gating : int8_t { unknown = -1, open = 0, gated = 1, partial = 2 };
const char* gating_text(Gating g) { return g == Gating::gated ? "1" : g == Gating::partial ? "partial" : g == Gating::open ? "0" : ""; }
const char* gating_words(Gating g) { return g == Gating::gated ? "gated" : g == Gating::partial ? "partly gated" : g == Gating::open ? "ungated" : "gating unknown"; }
std::string gating_colour(Gating g) { return g == Gating::gated ? "#1a9641" : g == Gating::partial ? "#fdae61" : g == Gating::open ? "#d7191c" : "#555555"; }

/// The guardianship assets, read once for all the sites.
struct Assets {
    bool lighting = false, cctv = false, paths = false, gates = false;
    std::vector<guard::Shape> lights; // discs of the lights that reach near a site
    std::vector<guard::Shape> views;  // views of the cameras that reach near a site
    paths::Network network;
    paths::GateAssignment gate_assignment;
    std::vector<Extent> segment_extent;
    // Neighbourhood crimes (police.uk: burglary, robbery, theft from the person, vehicle crime)
    // sorted by x, for counting those near a path.
    std::vector<double> nx, ny;
    std::vector<uint8_t> burglary;
};

struct SitePath {
    size_t segment = 0;
    bool enters = false;
    std::string side;      // "north", or for a segment entering the site the sides it crosses the red line on, "west,east"
    double inside_m = 0;   // length inside the site
    double near_m = 0;     // length within pass_distance of the red line (inside included)
    double distance_m = 0; // from the red line (0 if it touches or enters)
    Gating gating = Gating::unknown;
    uint32_t gates = 0, gates_needed = 0;
    int64_t burglaries = 0, neighbourhood = 0; // within guard_distance of the segment
    double lit_share = nan, cctv_share = nan;  // of its length within guard_distance of the red line
};

struct SiteGuardianship {
    double boundary_m = nan, lit_boundary_m = nan, lit_boundary_share = nan;
    double path_m = nan, lit_path_m = nan, lit_path_share = nan; // path parts within guard_distance
    double cctv_site_share = nan, cctv_ring_share = nan;
    int64_t cameras_site = -1, cameras_ring = -1;
    std::vector<SitePath> paths;
    int64_t entering = -1, passing = -1, ungated = -1, partly_gated = -1;
    std::vector<geos::Geometry> drawn; // for the map: coverage pieces and path parts
    std::vector<layers::MapShape> map;
};

/// Lighting, CCTV and permeability around one site.
SiteGuardianship review_guardianship(const GEOSGeometry* site, const Assets& assets, int quadrant_segments) {
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
    const auto draw_coverage = [&](const guard::Coverage& c, const char* fill) {
        for (const auto& p : c.piece) {
            if (!p) continue;
            geos::Geometry clipped(GEOSClipByRect_r(ctx, p.get(), local.min_x, local.min_y, local.max_x, local.max_y));
            if (!clipped || GEOSisEmpty_r(ctx, clipped.get())) continue;
            out.drawn.push_back(std::move(clipped));
            out.map.push_back({out.drawn.back().get(), fill, "none", 0, ""});
        }
    };
    // Path segments near the site, and their parts within guard_distance of the red line.
    std::vector<size_t> near_segments;
    std::vector<geos::Geometry> parts;
    if (assets.paths)
        for (size_t s = 0; s < assets.network.segments.size(); ++s) {
            if (!assets.segment_extent[s].overlaps(local)) continue;
            geos::Geometry part = geos::checked(GEOSIntersection_r(ctx, assets.network.segments[s].geometry.get(), around.get()), "path within 100 m");
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
        draw_coverage(lit, "rgba(255,214,0,0.45)");
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
        for (const auto& s : shapes) out.drawn.push_back(geos::point(s.x, s.y)), out.map.push_back({out.drawn.back().get(), "#b8860b", "none", 0, "street light"});
    }
    if (assets.cctv) {
        const std::vector<guard::Shape> shapes = near_shapes(assets.views);
        const guard::Coverage seen = guard::union_shapes(shapes, tiling, quadrant_segments);
        draw_coverage(seen, "rgba(49,130,189,0.35)");
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
        if (assets.gates) out.ungated = out.partly_gated = 0;
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
            const paths::Segment& seg = assets.network.segments[s];
            SitePath p;
            p.segment = s;
            p.enters = GEOSRelatePattern_r(ctx, site, seg.geometry.get(), "T********") == 1;
            GEOSDistance_r(ctx, site, seg.geometry.get(), &p.distance_m);
            if (!p.enters && !(p.distance_m <= pass_distance)) {
                out.map.push_back({part_ptr[k], "none", "#888888", 1.2, fmt::format("{} {}, {:.0f} m", seg.kind, s + 1, seg.length)});
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
            if (assets.gates) {
                p.gates = assets.gate_assignment.gates_on_segment[s];
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
            out.map.push_back({part_ptr[k], "none", gating_colour(p.gating), 3, fmt::format("{} {} ({}), {:.0f} m", seg.kind, s + 1, gating_words(p.gating), seg.length)});
            out.paths.push_back(std::move(p));
        }
    }
    for (auto& part : parts) out.drawn.push_back(std::move(part)); // the map points into them
    return out;
}

struct SiteCommand {
    CrimeOptions crimes;
    OutputOptions out;
    std::string site_arg;
    std::string site_id;
    std::string report_path;
    std::string areas_path;
    std::string population_path;
    std::vector<double> radii{100, 250, 500, 1000};
    int months = 12;
    bool no_pdf = false;
    // Guardianship assets and their options, as `safer score` and `safer bid` take them (only the
    // asset layers and the coverage options apply: no grid, pressure, costs or budget here).
    DesignOutOptions design;

    /// Reads the assets, keeping the lights and cameras that reach near a site.
    Assets read_assets(const Areas& sites, const Incidents& in, const layers::IngestResult& result, const std::vector<std::string>& label,
                       const std::string& working_crs, const guard::CameraRule& rule, std::vector<std::pair<std::string, std::string>>& inputs,
                       Progress& progress) const;

    void run() const {
        Progress progress(out.quiet);
        check_radii(radii);
        if (months != 12 && months != 36 && (months < 1 || months > 120)) throw UsageError("--months: give 12 or 36 (or 1 to 120)");
        // The asset options, checked as `safer score` checks them (UsageError), and the evidence table.
        const DesignOutModel model = prepare_design_out(design);
        layers::check_output_path(out.output, out.overwrite);
        layers::check_output_path(report_path, out.overwrite);
        // The PDF beside the report (printed where Chromium is installed) is an output too.
        const std::string pdf = (fs::path(report_path).parent_path() / (fs::path(report_path).stem().string() + ".pdf")).string();
        const bool print_pdf = !no_pdf && std::system("command -v chromium >/dev/null 2>&1") == 0;
        if (print_pdf) layers::check_output_path(pdf, out.overwrite);
        const layers::IngestOptions options = resolve(crimes);

        layers::SiteReport site_report;
        const Areas sites = layers::read_sites(site_arg, site_id, options.working_crs, site_report, progress);
        if (!site_report.repaired.empty())
            progress.warn(fmt::format("{} invalid site polygon(s) repaired with GEOS MakeValid: {}", site_report.repaired.size(),
                                      fmt::join(site_report.repaired, ", ")));
        if (site_report.crs == "EPSG:4326") progress.info(fmt::format("the site was given in longitude/latitude; reprojected to {}", options.working_crs));

        layers::IngestResult result = layers::read_incidents(crimes.crimes, options, progress);
        Areas areas;
        if (!areas_path.empty()) {
            layers::AreaOptions ao;
            ao.working_crs = options.working_crs;
            ao.input_crs = options.input_crs;
            layers::AreaReport ar;
            areas = layers::read_areas(areas_path, ao, ar, progress);
            if (!population_path.empty()) {
                layers::PopulationReport pr;
                layers::join_population(areas, population_path, {}, pr);
            }
        }
        // The months: the last --months of the data (or --from/--to).
        Incidents& in = result.incidents;
        if (in.size() == 0) throw InputError("no incidents were read: nothing to review");
        Month first{INT32_MAX}, last{-1};
        Extent data_extent;
        for (size_t i = 0; i < in.size(); ++i) first = std::min(first, in.month[i]), last = std::max(last, in.month[i]), data_extent.add(in.x[i], in.y[i]);
        const Month to = options.window.to ? *options.window.to : last;
        const Month from = options.window.from ? *options.window.from : Month{std::max(first.index, to.index - months + 1)};
        std::vector<uint8_t> keep(in.size());
        for (size_t i = 0; i < in.size(); ++i) {
            keep[i] = in.month[i] >= from && in.month[i] <= to;
            if (!keep[i])
                result.rejects.add(in.source[i], in.line[i], RejectReason::outside_window, fmt::format("{}: outside the months reviewed", in.month[i].str()));
        }
        in.keep(keep);
        result.rejects.sort();
        print_ingest_summary(result, in.size(), progress);
        const int span = to.index - from.index + 1;
        if (span < months && !options.window.from)
            progress.warn(fmt::format("--months {}: the data covers only {} months ({} to {}); the review uses those", months, span, from.str(), to.str()));

        const std::vector<CrimeGroup> groups = builtin_crime_groups();
        const std::vector<std::string> label = layers::label_groups(groups, result.types);
        const GroupMembership membership(groups, result.types);
        const CrimeTypeId* burglary_type = result.types.find("Burglary");

        // Sites outside the crime data's extent cannot be reviewed.
        for (size_t s = 0; s < sites.size(); ++s) {
            if (!geos::extent(sites.geometry[s].get()).overlaps(data_extent))
                throw InputError(fmt::format("{}{}: it lies outside the extent of the crime data ({:.0f}, {:.0f} to {:.0f}, {:.0f} in {}); check "
                                             "the site's coordinates and CRS, and that the crimes cover its area",
                                             sites.code[s].starts_with("site") ? "" : "site ", sites.code[s], data_extent.min_x, data_extent.min_y, data_extent.max_x, data_extent.max_y, options.working_crs));
        }

        // Guardianship assets around the sites.
        std::vector<std::pair<std::string, std::string>> asset_inputs;
        const Assets assets = read_assets(sites, in, result, label, options.working_crs, model.camera_rule, asset_inputs, progress);
        const bool any_asset = assets.lighting || assets.cctv || assets.paths;
        std::vector<std::string> not_given;
        if (!assets.lighting) not_given.push_back("--lighting (street lights)");
        if (!assets.cctv) not_given.push_back("--cctv (cameras)");
        if (!assets.paths) not_given.push_back("--paths (paths and alleys)");
        if (!assets.gates) not_given.push_back("--gates (alley gates)");
        const auto effect_of = [&](const char* key) -> const plan::InterventionSpec& {
            for (const auto& e : model.table)
                if (e.key == key) return e;
            throw std::logic_error(std::string("no intervention ") + key);
        };
        const plan::InterventionSpec &lighting_fx = effect_of("lighting"), &cctv_fx = effect_of("cctv"), &gating_fx = effect_of("gating");

        // The study area: the areas if given, else the sites' surroundings (5 km beyond the last
        // ring). police.uk files carry a few points far outside a force, which must not stretch
        // the surfaces across the country.
        Extent study_extent = areas.extent();
        geos::Geometry surroundings;
        if (study_extent.empty()) {
            study_extent = sites.extent();
            study_extent = study_extent.grown(radii.back() + 5000);
            surroundings = geos::checked(
                GEOSGeom_createRectangle_r(geos::context(), study_extent.min_x, study_extent.min_y, study_extent.max_x, study_extent.max_y), "extent");
        }
        // Study-wide surfaces: density of all crime, and Gi* of counts on a 100 m grid.
        progress.begin("density and hot spots over the study area", 1);
        kde::Points all;
        for (size_t i = 0; i < in.size(); ++i)
            if (in.x[i] >= study_extent.min_x && in.x[i] <= study_extent.max_x && in.y[i] >= study_extent.min_y && in.y[i] <= study_extent.max_y)
                all.x.push_back(in.x[i]), all.y.push_back(in.y[i]);
        kde::Options kopt;
        kopt.fallback_bandwidth = 250;
        if (all.size() == 0) all.x.push_back(study_extent.min_x), all.y.push_back(study_extent.min_y);
        kde::StudyArea study;
        for (const auto& g : areas.geometry) study.polygons.push_back(g.get());
        if (surroundings) study.polygons.push_back(surroundings.get());
        const kde::Surface surface = kde::estimate(all, kopt, &study);
        for (const std::string& w : surface.warnings) progress.warn(w);
        std::vector<float> valid;
        for (float v : surface.value)
            if (v != kde::nodata) valid.push_back(v);
        std::sort(valid.begin(), valid.end());
        const Grid hgrid = Grid::covering(study_extent, 0, hotspot_cell);
        hotspots::CellGrid cells{static_cast<int32_t>(hgrid.nx), static_cast<int32_t>(hgrid.ny), hgrid.cell, {}};
        std::vector<double> cell_count(hgrid.cells(), 0);
        for (size_t i = 0; i < in.size(); ++i) {
            const int64_t r = hgrid.row_of(in.y[i]), c = hgrid.col_of(in.x[i]);
            if (hgrid.contains(r, c)) cell_count[hgrid.index(r, c)] += 1;
        }
        hotspots::GiStarResult gi;
        bool have_gi = false;
        try {
            gi = hotspots::gi_star_grid(cells, cell_count, hotspot_band);
            have_gi = true;
        } catch (const InputError& e) {
            progress.warn(std::string("Gi* on the 100 m grid could not be computed: ") + e.what());
        }
        progress.end();

        std::vector<size_t> hot_cells; // hot at 95 %
        for (size_t c = 0; c < gi.bin.size(); ++c)
            if (gi.bin[c] >= 2) hot_cells.push_back(c);
        // LSOA rates (all crime) for the LSOAs a site lies in.
        std::vector<double> area_count(areas.size(), 0);
        double pop_total = 0, count_in_areas = 0;
        if (areas.size()) {
            const std::vector<int32_t> area_of = AreaIndex(areas).locate(in.x, in.y);
            for (int32_t a : area_of)
                if (a >= 0) area_count[static_cast<size_t>(a)] += 1;
            for (size_t a = 0; a < areas.size(); ++a)
                if (areas.population[a] > 0) pop_total += areas.population[a], count_in_areas += area_count[a];
        }
        const double comparison_rate = pop_total > 0 ? 1000 * count_in_areas / pop_total : nan;
        std::vector<Extent> area_env; // to skip areas far from a site before any GEOS test
        for (const auto& g : areas.geometry) area_env.push_back(geos::extent(g.get()));

        // ---- Each site ---------------------------------------------------------------------------
        layers::Table site_t, ring_t, inc_t;
        site_t.name = "site";
        site_t.description = "Planning sites reviewed, with the crime around them";
        site_t.geometry_kind = layers::GeometryKind::polygon;
        ring_t.name = "site_rings";
        ring_t.description = fmt::format("Rings of distance from each site's red line (0 inside): incidents {} to {}", from.str(), to.str());
        ring_t.geometry_kind = layers::GeometryKind::polygon;
        inc_t.name = "site_incidents";
        inc_t.description = fmt::format("Incidents within {} m of a site's red line, {} to {}", radii.back(), from.str(), to.str());
        inc_t.geometry_kind = layers::GeometryKind::point;
        std::vector<std::string> s_id, s_lsoas, s_gi, s_trend, r_id, i_id, i_month, i_type, i_group;
        std::vector<double> s_area_ha, s_near, s_kde, s_kde_pct, s_nearest_hot, r_inner, r_outer, r_area, r_count, r_density, i_dist;
        std::vector<int64_t> r_ring, i_ring;
        std::vector<std::vector<double>> r_group(groups.size());
        // Guardianship: site columns (NaN / null when the layer was not given) and site_paths rows.
        std::vector<double> g_lit_boundary, g_lit_boundary_m, g_lit_path, g_path_m, g_cctv_site, g_cctv_ring;
        std::vector<int64_t> g_cam_site, g_cam_ring, g_entering, g_passing, g_ungated, g_partly;
        std::vector<uint8_t> g_cam_null, g_paths_null, g_gates_null;
        layers::Table path_t;
        path_t.name = "site_paths";
        path_t.description = fmt::format("Path and alley segments entering a site or passing within {:g} m of its red line, with their gating and "
                                         "the crimes near them, {} to {}", pass_distance, from.str(), to.str());
        path_t.geometry_kind = layers::GeometryKind::line;
        std::vector<std::string> p_site, p_kind, p_name, p_relation, p_side, p_gated;
        std::vector<int64_t> p_segment, p_gates, p_needed, p_burglaries, p_neighbourhood;
        std::vector<uint8_t> p_gates_null;
        std::vector<double> p_length, p_inside, p_near, p_distance, p_lit, p_cctv;
        std::vector<SiteGuardianship> guardianship; // keeps the map geometry alive
        guardianship.reserve(sites.size());
        std::vector<geos::Geometry> owned;
        std::vector<SiteRings> all_rings; // the ring layer points into these
        all_rings.reserve(sites.size());
        GEOSContextHandle_t ctx = geos::context();
        layers::HtmlReport report(fmt::format("Crime impact review: {} site{}, {} to {}", sites.size(), sites.size() == 1 ? "" : "s", from.str(), to.str()));
        report.paragraph(fmt::format("For each planning site: crime within {} m of its red line (distances from the boundary, 0 inside the site), "
                                     "the LSOAs it lies in, the density and hot-spot status of crime at the site, the trend, and findings grouped by "
                                     "the CPTED principles. Police.uk data are anonymised to map points, so counts near a boundary are approximate.",
                                     fmt::join(radii, ", ")));
        progress.begin(fmt::format("reviewing {} site{}", sites.size(), sites.size() == 1 ? "" : "s"), sites.size());
        for (size_t s = 0; s < sites.size(); ++s) {
            const GEOSGeometry* site = sites.geometry[s].get();
            const std::string& id = sites.code[s];
            all_rings.push_back(site_rings(site, radii));
            const SiteRings& rings = all_rings.back();
            std::vector<double> distance;
            const std::vector<int32_t> ring = ring_of_points(site, radii, in.x, in.y, &distance);
            const size_t R = radii.size();
            std::vector<std::vector<double>> by_group(R, std::vector<double>(groups.size(), 0));
            std::vector<std::vector<double>> by_type(result.types.size()); // [type][ring], empty for a type not met
            std::vector<double> monthly(static_cast<size_t>(span), 0);
            size_t nearby = 0;
            for (size_t i = 0; i < in.size(); ++i) {
                if (ring[i] < 0) continue;
                ++nearby;
                const auto k = static_cast<size_t>(ring[i]);
                for (size_t g = 0; g < groups.size(); ++g)
                    if (membership.contains(g, in.type[i])) by_group[k][g] += 1;
                auto& t = by_type[in.type[i]];
                if (t.empty()) t.assign(R, 0);
                t[k] += 1;
                monthly[static_cast<size_t>(in.month[i].index - from.index)] += 1;
                owned.push_back(geos::point(in.x[i], in.y[i]));
                inc_t.geometry.push_back(owned.back().get());
                i_id.push_back(id), i_ring.push_back(ring[i]), i_dist.push_back(distance[i]), i_month.push_back(in.month[i].str());
                i_type.emplace_back(result.types.name(in.type[i])), i_group.push_back(label[in.type[i]]);
            }
            const size_t all_g = groups.size() - 1; // "all" is the last built-in group
            for (size_t k = 0; k < R; ++k) {
                ring_t.geometry.push_back(rings.ring[k].get());
                r_id.push_back(id), r_ring.push_back(static_cast<int64_t>(k + 1));
                r_inner.push_back(k ? radii[k - 1] : 0), r_outer.push_back(radii[k]), r_area.push_back(rings.area_m2[k] / 1e4);
                r_count.push_back(by_group[k][all_g]), r_density.push_back(by_group[k][all_g] / (rings.area_m2[k] / 1e4));
                for (size_t g = 0; g < groups.size(); ++g) r_group[g].push_back(by_group[k][g]);
            }
            // Cumulative counts within each radius, by group.
            std::vector<std::vector<double>> within(R, std::vector<double>(groups.size(), 0));
            for (size_t k = 0; k < R; ++k)
                for (size_t g = 0; g < groups.size(); ++g) within[k][g] = by_group[k][g] + (k ? within[k - 1][g] : 0);
            // LSOAs the site lies in.
            std::vector<std::string> lsoa_rows;
            std::vector<std::vector<std::string>> lsoa_table;
            const Extent site_env = geos::extent(site);
            for (size_t a = 0; a < areas.size(); ++a)
                if (area_env[a].overlaps(site_env) && GEOSIntersects_r(ctx, site, areas.geometry[a].get()) == 1) {
                    const double rate = areas.population[a] > 0 ? 1000 * area_count[a] / areas.population[a] : nan;
                    lsoa_rows.push_back(areas.code[a]);
                    lsoa_table.push_back({areas.code[a], areas.name[a], fmt::format("{:.0f}", area_count[a]),
                                          std::isfinite(rate) ? fmt::format("{:.1f}", rate) : "no population",
                                          std::isfinite(rate) && comparison_rate > 0 ? fmt::format("{:.2f}", rate / comparison_rate) : ""});
                }
            // Density at the site: the mean of the cells whose centre lies in it (else the cell
            // holding its point on surface), as a percentile of the study area's cells.
            const std::vector<uint8_t> mask = kde::rasterize(surface.grid, std::vector<const GEOSGeometry*>{site});
            double sum = 0;
            size_t n_cells = 0;
            for (size_t c = 0; c < mask.size(); ++c)
                if (mask[c] && surface.value[c] != kde::nodata) sum += surface.value[c], ++n_cells;
            if (n_cells == 0) {
                geos::Geometry p = geos::checked(GEOSPointOnSurface_r(ctx, site), "point on surface");
                double px = 0, py = 0;
                GEOSGeomGetX_r(ctx, p.get(), &px);
                GEOSGeomGetY_r(ctx, p.get(), &py);
                const int64_t r = surface.grid.row_of(py), c = surface.grid.col_of(px);
                if (surface.grid.contains(r, c) && surface.value[surface.grid.index(r, c)] != kde::nodata)
                    sum = surface.value[surface.grid.index(r, c)], n_cells = 1;
            }
            const double kde_value = n_cells ? sum / static_cast<double>(n_cells) : nan;
            const double kde_pct = n_cells && !valid.empty()
                                       ? 100.0 * static_cast<double>(std::upper_bound(valid.begin(), valid.end(), static_cast<float>(kde_value)) - valid.begin()) /
                                             static_cast<double>(valid.size())
                                       : nan;
            // Hot-spot status: the strongest Gi* bin among the 100 m cells the site touches, and
            // the distance to the nearest cell hot at 95 %.
            int best_bin = 0;
            double nearest_hot = nan;
            if (have_gi) {
                const geos::Prepared prepared = geos::prepare(site);
                const geos::Envelope e = geos::envelope(site);
                // Cells the site touches, from its envelope.
                const int64_t c0 = std::max<int64_t>(0, hgrid.col_of(e.min_x)), c1 = std::min<int64_t>(hgrid.nx - 1, hgrid.col_of(e.max_x));
                const int64_t r0 = std::max<int64_t>(0, hgrid.row_of(e.max_y)), r1 = std::min<int64_t>(hgrid.ny - 1, hgrid.row_of(e.min_y));
                const auto cell_box = [&](int64_t r, int64_t col) {
                    const double x0 = hgrid.x0 + static_cast<double>(col) * hgrid.cell, y1 = hgrid.y0 - static_cast<double>(r) * hgrid.cell;
                    return geos::checked(GEOSGeom_createRectangle_r(ctx, x0, y1 - hgrid.cell, x0 + hgrid.cell, y1), "cell");
                };
                for (int64_t r = r0; r <= r1; ++r)
                    for (int64_t col = c0; col <= c1; ++col) {
                        const int8_t b = gi.bin[hgrid.index(r, col)];
                        if (std::abs(b) > std::abs(best_bin) && GEOSPreparedIntersects_r(ctx, prepared.get(), cell_box(r, col).get()) == 1) best_bin = b;
                    }
                // The nearest cell hot at 95 %: hot cells in order of their envelope distance, a
                // lower bound of the true distance, stopping once the bound passes the best.
                std::vector<std::pair<double, size_t>> hot;
                for (size_t c : hot_cells) {
                    const int64_t r = static_cast<int64_t>(c) / hgrid.nx, col = static_cast<int64_t>(c) % hgrid.nx;
                    const double x0 = hgrid.x0 + static_cast<double>(col) * hgrid.cell, y1 = hgrid.y0 - static_cast<double>(r) * hgrid.cell;
                    const double dx = std::max({0.0, x0 - e.max_x, e.min_x - (x0 + hgrid.cell)});
                    const double dy = std::max({0.0, (y1 - hgrid.cell) - e.max_y, e.min_y - y1});
                    hot.emplace_back(std::hypot(dx, dy), c);
                }
                std::sort(hot.begin(), hot.end());
                for (const auto& [bound, c] : hot) {
                    if (bound >= nearest_hot) break;
                    double d = 0;
                    GEOSPreparedDistance_r(ctx, prepared.get(), cell_box(static_cast<int64_t>(c) / hgrid.nx, static_cast<int64_t>(c) % hgrid.nx).get(), &d);
                    if (!(d >= nearest_hot)) nearest_hot = d;
                }
            }
            const hotspots::MannKendall trend = hotspots::mann_kendall(monthly);
            const std::string trend_text = std::abs(trend.z) > 0 && trend.p < 0.05
                                               ? fmt::format("{} (Mann-Kendall z {:.2f}, p {:.3f})", trend.s > 0 ? "rising" : "falling", trend.z, trend.p)
                                               : fmt::format("no significant trend (Mann-Kendall z {:.2f}, p {:.2f})", trend.z, trend.p);
            const std::string gi_text = !have_gi ? "not computed"
                                        : best_bin >= 1 ? fmt::format("hot spot at {} % (Gi*, 100 m cells)", best_bin == 3 ? 99 : best_bin == 2 ? 95 : 90)
                                        : best_bin <= -1 ? fmt::format("cold spot at {} % (Gi*, 100 m cells)", best_bin == -3 ? 99 : best_bin == -2 ? 95 : 90)
                                                         : "not a significant hot or cold spot (Gi*, 100 m cells)";
            site_t.geometry.push_back(site);
            s_id.push_back(id), s_area_ha.push_back(geos::area(site) / 1e4), s_near.push_back(within[0][all_g]);
            s_lsoas.push_back(fmt::format("{}", fmt::join(lsoa_rows, ",")));
            s_kde.push_back(kde_value), s_kde_pct.push_back(kde_pct), s_gi.push_back(gi_text), s_trend.push_back(trend_text), s_nearest_hot.push_back(nearest_hot);

            // Guardianship around the site.
            guardianship.push_back(review_guardianship(site, assets, design.quadrant_segments));
            const SiteGuardianship& gu = guardianship.back();
            g_lit_boundary.push_back(gu.lit_boundary_share), g_lit_boundary_m.push_back(gu.lit_boundary_m);
            g_lit_path.push_back(gu.lit_path_share), g_path_m.push_back(gu.path_m);
            g_cctv_site.push_back(gu.cctv_site_share), g_cctv_ring.push_back(gu.cctv_ring_share);
            g_cam_site.push_back(std::max<int64_t>(0, gu.cameras_site)), g_cam_ring.push_back(std::max<int64_t>(0, gu.cameras_ring));
            g_cam_null.push_back(!assets.cctv);
            g_entering.push_back(std::max<int64_t>(0, gu.entering)), g_passing.push_back(std::max<int64_t>(0, gu.passing));
            g_paths_null.push_back(!assets.paths);
            g_ungated.push_back(std::max<int64_t>(0, gu.ungated)), g_partly.push_back(std::max<int64_t>(0, gu.partly_gated));
            g_gates_null.push_back(!assets.gates);
            for (const SitePath& p : gu.paths) {
                const paths::Segment& seg = assets.network.segments[p.segment];
                path_t.geometry.push_back(seg.geometry.get());
                p_site.push_back(id), p_segment.push_back(static_cast<int64_t>(p.segment + 1)), p_kind.push_back(seg.kind), p_name.push_back(seg.name);
                p_relation.push_back(p.enters ? "enter" : "pass"), p_side.push_back(p.side), p_length.push_back(seg.length);
                p_inside.push_back(p.inside_m), p_near.push_back(p.near_m), p_distance.push_back(p.distance_m);
                p_gated.push_back(gating_text(p.gating)), p_gates.push_back(p.gates), p_gates_null.push_back(!assets.gates);
                p_needed.push_back(p.gates_needed), p_burglaries.push_back(p.burglaries), p_neighbourhood.push_back(p.neighbourhood);
                p_lit.push_back(p.lit_share), p_cctv.push_back(p.cctv_share);
            }

            // Findings by CPTED principle, from the crime around the site.
            const auto g_index = [&](const char* name) {
                for (size_t g = 0; g < groups.size(); ++g)
                    if (groups[g].name == name) return g;
                return all_g;
            };
            const double burglary = burglary_type && !by_type[*burglary_type].empty() ? by_type[*burglary_type][0] : 0;
            const double nb100 = within[0][g_index("neighbourhood")], violence = within[std::min<size_t>(1, R - 1)][g_index("violence")];
            const double asb = within[std::min<size_t>(1, R - 1)][g_index("asb")], damage = within[std::min<size_t>(1, R - 1)][g_index("damage")];
            const std::string r1 = fmt::format("{:g} m", radii[0]), r2 = fmt::format("{:g} m", radii[std::min<size_t>(1, R - 1)]);
            std::vector<std::pair<std::string, std::string>> findings;
            if (nearby == 0)
                findings.push_back({"Context", fmt::format("No incident was recorded within {:g} m of the site from {} to {}.", radii.back(), from.str(), to.str())});
            if (burglary > 0)
                findings.push_back({"Access control and physical security",
                                    fmt::format("{:.0f} burglar{} within {} of the red line in {} months. Limit access to the rear of homes (gate or close "
                                                "rear alleys: alley gating reduced burglary in the areas studied, Sidebottom et al. 2018, Campbell "
                                                "Systematic Review) and build to Secured by Design (Homes 2023; PAS 24 doors and windows).",
                                                burglary, burglary == 1 ? "y" : "ies", r1, span)});
            if (nb100 > 0 && best_bin >= 2)
                findings.push_back({"Natural surveillance",
                                    fmt::format("The site is in a Gi* hot spot of crime. Overlook paths, parking and entrances from active rooms; light "
                                                "routes and parking to BS 5489-1 (improved street lighting: 21 % fewer crimes, Welsh & Farrington 2008)."
                                                " {:.0f} neighbourhood crimes within {}.", nb100, r1)});
            if (violence > 0 || asb > 0)
                findings.push_back({"Activity support",
                                    fmt::format("{:.0f} violent and {:.0f} anti-social behaviour incidents within {}. Place communal and commercial uses so "
                                                "that they are overlooked; avoid unsupervised gathering spaces and through-routes that nobody owns.",
                                                violence, asb, r2)});
            if (damage > 0)
                findings.push_back({"Maintenance and management",
                                    fmt::format("{:.0f} criminal damage incidents within {}. Specify robust, easily repaired finishes and a management plan "
                                                "(prompt graffiti and damage repair).", damage, r2)});
            if (!std::isnan(kde_pct) && kde_pct >= 90)
                findings.push_back({"Territorial reinforcement",
                                    fmt::format("Crime density at the site is in the top {:.0f} % of the study area. Make public and private space "
                                                "clearly defined with boundary treatments, and keep defensible space in front of homes.", 100 - kde_pct)});
            // Guardianship findings: paths that open the site up, its lighting and CCTV.
            {
                std::vector<const SitePath*> open_paths;
                for (const SitePath& p : gu.paths)
                    if (p.gating != Gating::gated && (assets.network.segments[p.segment].kind == "alley" || p.burglaries > 0)) open_paths.push_back(&p);
                std::stable_sort(open_paths.begin(), open_paths.end(), [](const SitePath* a, const SitePath* b) { return a->burglaries > b->burglaries; });
                constexpr size_t max_path_findings = 5;
                for (size_t k = 0; k < std::min(open_paths.size(), max_path_findings); ++k) {
                    const SitePath& p = *open_paths[k];
                    const paths::Segment& seg = assets.network.segments[p.segment];
                    const std::string what = seg.kind == "alley" ? "alley" : seg.kind.empty() ? "path" : seg.kind;
                    std::string where;
                    if (p.enters) {
                        const size_t comma = p.side.find(',');
                        where = p.side == "inside" ? "lies inside the site"
                                : comma == std::string::npos ? fmt::format("enters the site from the {}", p.side)
                                                             : fmt::format("crosses the site (red line crossed on the {} sides)", p.side);
                    } else {
                        where = p.side == "centre" ? fmt::format("runs beside the site, {:.0f} m from the red line", p.distance_m)
                                                   : fmt::format("runs along the {}ern boundary, {:.0f} m from the red line", p.side, p.distance_m);
                    }
                    const std::string state = p.gating == Gating::partial ? fmt::format("A partly gated {}", what)
                                              : p.gating == Gating::open  ? fmt::format("An ungated {}", what)
                                                                          : fmt::format("{} {}", what == "alley" ? "An" : "A", what);
                    const std::string gating_note = p.gating == Gating::partial ? fmt::format("; {} of the {} gates it needs", p.gates, p.gates_needed)
                                                    : p.gating == Gating::unknown ? "; whether it is gated is unknown: no --gates layer"
                                                                                  : "";
                    findings.push_back({"Access control and physical security",
                                        fmt::format("{} ({}segment {}, {:.0f} m{}) {}; {} and {} neighbourhood crime{} within {:g} m of it in {} months. "
                                                    "Consider {} (alley gating: burglary {:.0f} % lower, {}).",
                                                    state, fmt::format("{}{}", seg.name, seg.name.empty() ? "" : ", "), p.segment + 1, seg.length, gating_note, where,
                                                    p.burglaries == 1 ? std::string("1 burglary") : fmt::format("{} burglaries", p.burglaries),
                                                    p.neighbourhood, p.neighbourhood == 1 ? "" : "s", guard_distance, span,
                                                    p.enters ? "closing or gating it, or making it overlooked along its length" : "gating it",
                                                    100 * gating_fx.effect, short_source(gating_fx.effect_source))});
                }
                if (open_paths.size() > max_path_findings)
                    findings.push_back({"Access control and physical security",
                                        fmt::format("{} more open paths near the site: see the table of paths.", open_paths.size() - max_path_findings)});
            }
            if (assets.lighting && (gu.lit_boundary_share < low_lit_share || gu.lit_path_share < low_lit_share))
                findings.push_back({"Natural surveillance",
                                    fmt::format("Street lights reach {:.0f} % of the red line ({:.0f} m of {:.0f} m){}. Light the boundary, routes and "
                                                "parking to BS 5489-1 (improved street lighting: crime {:.0f} % lower, {}).",
                                                100 * gu.lit_boundary_share, gu.lit_boundary_m, gu.boundary_m,
                                                std::isnan(gu.lit_path_share) ? ""
                                                                              : fmt::format(" and {:.0f} % of the paths within {:g} m ({:.0f} m of {:.0f} m)",
                                                                                            100 * gu.lit_path_share, guard_distance, gu.lit_path_m, gu.path_m),
                                                100 * lighting_fx.effect, short_source(lighting_fx.effect_source))});
            if (assets.cctv && gu.cctv_site_share < low_cctv_share && within[0][all_g] > 0)
                findings.push_back({"Natural surveillance",
                                    fmt::format("CCTV covers {:.0f} % of the site and {:.0f} % of the land within {:g} m of it ({} camera{} see{} the site). "
                                                "Where natural surveillance cannot cover parking, entrances and paths, consider CCTV (public-area CCTV: "
                                                "crime {:.0f} % lower, {}; largest in car parks).",
                                                100 * gu.cctv_site_share, 100 * gu.cctv_ring_share, guard_distance, gu.cameras_site,
                                                gu.cameras_site == 1 ? "" : "s", gu.cameras_site == 1 ? "s" : "", 100 * cctv_fx.effect,
                                                short_source(cctv_fx.effect_source))});
            if (findings.empty())
                findings.push_back({"Context", "Crime around the site is low; apply Secured by Design principles as standard."});
            {
                // Grouped by CPTED principle, in a fixed order.
                static const std::vector<std::string> principle_order{"Context", "Natural surveillance", "Access control and physical security",
                                                                      "Territorial reinforcement", "Activity support", "Maintenance and management"};
                const auto rank = [&](const std::string& p) { return std::find(principle_order.begin(), principle_order.end(), p) - principle_order.begin(); };
                std::stable_sort(findings.begin(), findings.end(), [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
            }

            // Report section.
            report.heading(fmt::format("Site {}", id));
            report.paragraph(fmt::format("{:.2f} ha. {:.0f} incidents within {:g} m of the red line ({} to {}); {} within {}. Density at the site: {} "
                                         "incidents per km2{}; {}; nearest cell hot at 95 %: {}. Trend within {:g} m: {}.",
                                         geos::area(site) / 1e4, within[R - 1][all_g], radii.back(), from.str(), to.str(),
                                         fmt::format("{:.0f}", within[0][all_g]), r1, std::isnan(kde_value) ? "n/a" : fmt::format("{:.0f}", kde_value),
                                         std::isnan(kde_pct) ? "" : fmt::format(", the {:.0f}th percentile of the study area", kde_pct), gi_text,
                                         std::isnan(nearest_hot) ? "none" : nearest_hot == 0 ? "at the site" : fmt::format("{:.0f} m away", nearest_hot),
                                         radii.back(), trend_text));
            std::vector<layers::MapShape> shapes;
            const Extent se = geos::extent(rings.ring.back().get()); // the map's frame
            for (size_t a = 0; a < areas.size(); ++a) {
                if (!area_env[a].overlaps(se)) continue;
                geos::Geometry clipped(GEOSClipByRect_r(ctx, areas.geometry[a].get(), se.min_x, se.min_y, se.max_x, se.max_y));
                if (!clipped) continue;
                owned.push_back(std::move(clipped));
                shapes.push_back({owned.back().get(), "none", "#bbbbbb", 0.7, areas.code[a]});
            }
            for (size_t k = R; k-- > 0;) shapes.push_back({rings.ring[k].get(), k % 2 ? "#f7f7f7" : "#eeeeee", "#999", 0.5, fmt::format("{:g} m", radii[k])});
            for (const SitePath& p : gu.paths) { // paths entering or passing the site, coloured by gating
                geos::Geometry clipped(GEOSClipByRect_r(ctx, assets.network.segments[p.segment].geometry.get(), se.min_x, se.min_y, se.max_x, se.max_y));
                if (!clipped || GEOSisEmpty_r(ctx, clipped.get())) continue;
                owned.push_back(std::move(clipped));
                shapes.push_back({owned.back().get(), "none", gating_colour(p.gating), 2, fmt::format("path {} ({})", p.segment + 1, gating_words(p.gating))});
            }
            shapes.push_back({site, "none", "#d00000", 2.5, "red line"});
            // The incidents are drawn from the site_incidents points, as dots.
            for (size_t k = inc_t.geometry.size() - nearby; k < inc_t.geometry.size(); ++k)
                shapes.push_back({inc_t.geometry[k], group_colour(i_group[k]), "none", 0, i_type[k]});
            report.raw(layers::svg_map(shapes, 560,
                                       {{"none\" stroke=\"#d00000\" stroke-width=\"2.5", "red line"},
                                        {group_colour("neighbourhood"), "neighbourhood crime"}, {group_colour("violence"), "violence and sexual offences"},
                                        {group_colour("asb"), "anti-social behaviour"}, {group_colour("damage"), "criminal damage and arson"},
                                        {group_colour("other"), "other crime"}},
                                       nullptr, fmt::format("Rings at {} m from the red line; LSOA boundaries in grey.", fmt::join(radii, ", "))));
            std::vector<std::string> header{"crime type"};
            for (size_t k = 0; k < R; ++k) header.push_back(fmt::format("{:g}-{:g} m", k ? radii[k - 1] : 0, radii[k]));
            header.push_back(fmt::format("per ha within {:g} m", radii.back()));
            std::vector<std::vector<std::string>> rows;
            double total_area = 0;
            for (double a : rings.area_m2) total_area += a;
            std::vector<CrimeTypeId> met; // the types met, by name
            for (size_t t = 0; t < by_type.size(); ++t)
                if (!by_type[t].empty()) met.push_back(static_cast<CrimeTypeId>(t));
            std::sort(met.begin(), met.end(), [&](CrimeTypeId a, CrimeTypeId b) { return result.types.name(a) < result.types.name(b); });
            for (CrimeTypeId type : met) {
                const std::vector<double>& counts = by_type[type];
                std::vector<std::string> row{std::string(result.types.name(type))};
                double t = 0;
                for (double c : counts) row.push_back(fmt::format("{:.0f}", c)), t += c;
                row.push_back(fmt::format("{:.2f}", t / (total_area / 1e4)));
                rows.push_back(row);
            }
            std::vector<std::string> total_row{"all crime"};
            for (size_t k = 0; k < R; ++k) total_row.push_back(fmt::format("{:.0f}", by_group[k][all_g]));
            total_row.push_back(fmt::format("{:.2f}", within[R - 1][all_g] / (total_area / 1e4)));
            rows.push_back(total_row);
            std::vector<std::string> density_row{"all crime per ha"};
            for (size_t k = 0; k < R; ++k) density_row.push_back(fmt::format("{:.2f}", by_group[k][all_g] / (rings.area_m2[k] / 1e4)));
            density_row.push_back("");
            rows.push_back(density_row);
            if (nearby == 0) report.paragraph(fmt::format("No incident was recorded within {:g} m of this site in these months.", radii.back()));
            report.table(header, rows, "Incidents by ring of distance from the red line");
            std::vector<std::string> month_labels;
            for (int m = from.index; m <= to.index; ++m) month_labels.push_back(Month{m}.str());
            report.raw(layers::svg_line_chart(fmt::format("Incidents a month within {:g} m", radii.back()), month_labels,
                                              {{"all crime", "#d00000", monthly, false}}, "incidents", 560, 220));
            if (!lsoa_table.empty())
                report.table({"LSOA", "name", "incidents", "per 1,000 residents", "ratio to all areas"}, lsoa_table,
                             std::isfinite(comparison_rate) ? fmt::format("LSOAs the site lies in (all areas: {:.1f} per 1,000)", comparison_rate)
                                                            : "LSOAs the site lies in");
            // Guardianship around the site.
            report.heading("Guardianship around the site", 3);
            if (!not_given.empty())
                report.paragraph(fmt::format("Not given, so not assessed (no figures are guessed): {}.", fmt::join(not_given, ", ")));
            if (any_asset) {
                const auto pct = [](double v) { return std::isnan(v) ? std::string("not assessed") : fmt::format("{:.1f} %", 100 * v); };
                std::vector<std::vector<std::string>> g_rows;
                if (assets.lighting) {
                    g_rows.push_back({"Red line within reach of a street light", pct(gu.lit_boundary_share),
                                      fmt::format("{:.0f} m of {:.0f} m", gu.lit_boundary_m, gu.boundary_m)});
                    g_rows.push_back({fmt::format("Paths within {:g} m lit", guard_distance), pct(gu.lit_path_share),
                                      assets.paths ? fmt::format("{:.0f} m of {:.0f} m", gu.lit_path_m, gu.path_m) : "no --paths"});
                }
                if (assets.cctv) {
                    g_rows.push_back({"Site in view of CCTV", pct(gu.cctv_site_share), fmt::format("{} camera{}", gu.cameras_site, gu.cameras_site == 1 ? "" : "s")});
                    g_rows.push_back({fmt::format("Land 0-{:g} m outside the red line in view of CCTV", guard_distance), pct(gu.cctv_ring_share),
                                      fmt::format("{} camera{}", gu.cameras_ring, gu.cameras_ring == 1 ? "" : "s")});
                }
                if (assets.paths) {
                    g_rows.push_back({"Paths entering the site", fmt::format("{}", gu.entering), ""});
                    g_rows.push_back({fmt::format("Paths passing within {:g} m", pass_distance), fmt::format("{}", gu.passing), ""});
                    if (assets.gates)
                        g_rows.push_back({"Of these, ungated / partly gated", fmt::format("{} / {}", gu.ungated, gu.partly_gated), ""});
                }
                report.table({"measure", "value", "detail"}, g_rows, "Lighting, CCTV and permeability");
                if (assets.paths && !gu.paths.empty()) {
                    std::vector<std::vector<std::string>> rows_p;
                    for (const SitePath& p : gu.paths) {
                        const paths::Segment& seg = assets.network.segments[p.segment];
                        rows_p.push_back({fmt::format("{}", p.segment + 1), fmt::format("{}{}{}", seg.kind, seg.name.empty() ? "" : ", ", seg.name),
                                          p.enters ? fmt::format("enters ({:.0f} m inside)", p.inside_m) : fmt::format("passes {:.0f} m away", p.distance_m),
                                          p.side, fmt::format("{:.0f}", seg.length),
                                          assets.gates ? fmt::format("{} ({} of {})", gating_words(p.gating), p.gates, p.gates_needed) : "unknown",
                                          fmt::format("{}", p.burglaries), fmt::format("{}", p.neighbourhood), pct(p.lit_share)});
                    }
                    report.table({"segment", "path", "relation", "side", "length m", "gated", fmt::format("burglaries within {:g} m", guard_distance),
                                  fmt::format("neighbourhood crimes within {:g} m", guard_distance), fmt::format("lit within {:g} m", guard_distance)},
                                 rows_p, "Paths and alleys entering or passing the site");
                } else if (assets.paths) {
                    report.paragraph(fmt::format("No path or alley enters the site or passes within {:g} m of it.", pass_distance));
                }
                std::vector<layers::MapShape> g_shapes;
                owned.push_back(geos::checked(GEOSBuffer_r(ctx, site, guard_distance, 64), "buffer"));
                g_shapes.push_back({owned.back().get(), "none", "#999", 0.8, fmt::format("{:g} m", guard_distance)});
                g_shapes.insert(g_shapes.end(), gu.map.begin(), gu.map.end());
                g_shapes.push_back({site, "none", "#d00000", 2.5, "red line"});
                std::vector<layers::LegendItem> legend{{"none\" stroke=\"#d00000\" stroke-width=\"2.5", "red line"}};
                if (assets.lighting) legend.push_back({"rgba(255,214,0,0.45)", "lit (street light reach)"}), legend.push_back({"#b8860b", "street light"});
                if (assets.cctv) legend.push_back({"rgba(49,130,189,0.35)", "in view of CCTV"});
                if (assets.paths) {
                    if (assets.gates) {
                        legend.push_back({"none\" stroke=\"#d7191c\" stroke-width=\"3", "path entering or passing: ungated"});
                        legend.push_back({"none\" stroke=\"#fdae61\" stroke-width=\"3", "partly gated"});
                        legend.push_back({"none\" stroke=\"#1a9641\" stroke-width=\"3", "gated"});
                    } else {
                        legend.push_back({"none\" stroke=\"#555555\" stroke-width=\"3", "path entering or passing (gating unknown)"});
                    }
                    legend.push_back({"none\" stroke=\"#888888\" stroke-width=\"1.2", "other path within 100 m"});
                }
                report.raw(layers::svg_map(g_shapes, 560, legend, nullptr,
                                           fmt::format("Guardianship within {:g} m of the red line.", guard_distance)));
            }
            report.heading("Findings by CPTED principle", 3);
            std::string list = "<ul>";
            for (const auto& [principle, text] : findings)
                list += "<li><strong>" + layers::html_escape(principle) + ".</strong> " + layers::html_escape(text) + "</li>";
            report.raw(list + "</ul>");
            progress.advance(1);
        }
        progress.end();
        report.heading("Methods and data");
        report.list({fmt::format("Months reviewed: {} to {}.", from.str(), to.str()),
                     fmt::format("Rings: distance from the red line (0 inside the site), at {} m; an incident's ring is decided by its exact distance "
                                 "to the polygon. Density per ha = incidents / ring area.", fmt::join(radii, ", ")),
                     fmt::format("Density at the site: quartic kernel density of all crime (bandwidth {:.0f} m {}, {:g} m cells), the mean over the "
                                 "cells whose centre lies in the site; percentile among the study area's cells.",
                                 surface.bandwidth, surface.bandwidth_fallback ? "fixed, as the incidents are all at one place" : "by ArcGIS's rule",
                                 surface.grid.cell),
                     fmt::format("Hot spots: Getis-Ord Gi* of incident counts on {:g} m cells over the crimes' extent, {:g} m distance band, "
                                 "binary weights with self, analytic p; the site takes the strongest bin among the cells it touches.",
                                 hotspot_cell, hotspot_band),
                     "Trend: Mann-Kendall test on the monthly counts within the largest ring (two-sided, with tie and continuity corrections).",
                     fmt::format("Guardianship (computed in {}): lit share of the red line = length of the site's boundary inside the union of the "
                                 "street lights' discs (radius from each light's radius, else {:g} x its height, else {:g} m; equal-area polygons of {} "
                                 "edges a quarter circle) / its length. Lit share of paths = the same over the parts of path segments within {:g} m of "
                                 "the red line. CCTV shares: area of the site, and of the ring 0-{:g} m outside the red line (the site excluded), in "
                                 "the union of the cameras' views (sectors, or full circles for cameras without a bearing; default range {:.1f} m) / "
                                 "its area; a camera counts for the site or ring when its view touches it. Paths: segments between junctions of "
                                 "--paths (as safer score); a segment enters the site when it crosses its interior, and passes it when it does not "
                                 "but comes within {:g} m of the red line. Side: the compass quarter, seen from the site's centroid, of the points "
                                 "where it crosses the red line (entering) or of the middle of its part within {:g} m (passing). Gated: gates on it "
                                 "(each gate closes the nearest segment within {:g} m) >= gates it needs (one at each end that meets other lines); "
                                 "partly gated with fewer. Crimes near a path: incidents in the months reviewed within {:g} m of the segment.",
                                 options.working_crs, design.light_rule.height_factor, design.light_rule.default_radius, design.quadrant_segments, guard_distance,
                                 guard_distance, guard::camera_range(std::nullopt, std::nullopt, model.camera_rule),
                                 pass_distance, pass_distance, design.gate_tolerance, guard_distance),
                     fmt::format("Evidence cited: {}; {}; {}; Sidebottom et al. (2018) Gating alleys to reduce crime: a meta-analysis and realist "
                                 "synthesis, Justice Quarterly; Secured by Design, Homes 2023.",
                                 lighting_fx.effect_source, cctv_fx.effect_source, gating_fx.effect_source),
                     fmt::format("Sites from {} ({}); {}.", site_report.source, site_report.id_field,
                                 site_report.repaired.empty() ? "all valid" : fmt::format("repaired: {}", fmt::join(site_report.repaired, ", ")))});
        std::vector<std::vector<std::string>> reject_rows{{"rows read", std::to_string(result.rows_read)}, {"rows used", std::to_string(in.size())}};
        for (size_t r = 0; r < reject_reason_count; ++r)
            if (const uint64_t c = result.rejects.count(static_cast<RejectReason>(r)))
                reject_rows.push_back({fmt::format("rejected: {}", reason_text(static_cast<RejectReason>(r))), std::to_string(c)});
        report.table({"rows", "count"}, reject_rows, "Every row read, used or rejected");
        report.paragraph(fmt::format("Made by safer {} with: {}", SAFER_VERSION, g_command_line));

        site_t.columns.push_back(layers::Column::text("site_id", "Site", s_id));
        site_t.columns.push_back(layers::Column::real("area_ha", "Site area, hectares", s_area_ha));
        site_t.columns.push_back(layers::Column::real("incidents_near", fmt::format("Incidents within {:g} m of the red line", radii[0]), s_near));
        site_t.columns.push_back(layers::Column::text("lsoas", "LSOAs the site lies in", s_lsoas));
        site_t.columns.push_back(layers::Column::real("kde", "Density of all crime at the site, incidents per km2", s_kde));
        site_t.columns.push_back(layers::Column::real("kde_pct", "Percentile of that density among the study area's cells", s_kde_pct));
        site_t.columns.push_back(layers::Column::text("gi_status", "Gi* status of the 100 m cells the site touches", s_gi));
        site_t.columns.push_back(layers::Column::real("nearest_hot_m", "Distance to the nearest 100 m cell hot at 95 %", s_nearest_hot));
        site_t.columns.push_back(layers::Column::text("trend", "Mann-Kendall trend of monthly incidents within the largest ring", s_trend));
        site_t.columns.push_back(layers::Column::real("lit_boundary_share", "Share of the red line (boundary length) within reach of a street light, 0..1; NULL without --lighting", g_lit_boundary));
        site_t.columns.push_back(layers::Column::real("lit_boundary_m", "Metres of the red line within reach of a street light; NULL without --lighting", g_lit_boundary_m));
        site_t.columns.push_back(layers::Column::real("lit_path_share_100m", fmt::format("Lit share of the length of path segments within {:g} m of the red line; NULL without --lighting or --paths, or with no path there", guard_distance), g_lit_path));
        site_t.columns.push_back(layers::Column::real("path_m_100m", fmt::format("Metres of path segments within {:g} m of the red line; NULL without --paths", guard_distance), g_path_m));
        site_t.columns.push_back(layers::Column::real("cctv_site_share", "Share of the site's area in view of CCTV, 0..1; NULL without --cctv", g_cctv_site));
        site_t.columns.push_back(layers::Column::real("cctv_ring_share", fmt::format("Share of the ring 0-{:g} m outside the red line (site excluded) in view of CCTV; NULL without --cctv", guard_distance), g_cctv_ring));
        site_t.columns.push_back(layers::Column::integer("cameras_site", "Cameras whose view reaches the site; NULL without --cctv", g_cam_site, g_cam_null));
        site_t.columns.push_back(layers::Column::integer("cameras_ring", fmt::format("Cameras whose view reaches the ring 0-{:g} m outside the red line; NULL without --cctv", guard_distance), g_cam_ring, g_cam_null));
        site_t.columns.push_back(layers::Column::integer("paths_entering", "Path segments crossing the site's interior; NULL without --paths", g_entering, g_paths_null));
        site_t.columns.push_back(layers::Column::integer("paths_passing", fmt::format("Path segments not entering but within {:g} m of the red line; NULL without --paths", pass_distance), g_passing, g_paths_null));
        site_t.columns.push_back(layers::Column::integer("ungated_paths", "Entering or passing segments with no gate; NULL without --gates", g_ungated, g_gates_null));
        site_t.columns.push_back(layers::Column::integer("partly_gated_paths", "Entering or passing segments with fewer gates than they need; NULL without --gates", g_partly, g_gates_null));
        path_t.columns.push_back(layers::Column::text("site_id", "Site", p_site));
        path_t.columns.push_back(layers::Column::integer("segment_id", "Segment number in the --paths network (as path_segments of safer score)", p_segment));
        path_t.columns.push_back(layers::Column::text("kind", "alley, footway, path, ... (the kind covering most of its length)", p_kind));
        path_t.columns.push_back(layers::Column::text("name", "Name (of most of its length)", p_name));
        path_t.columns.push_back(layers::Column::text("relation", fmt::format("enter: crosses the site's interior; pass: within {:g} m of the red line", pass_distance), p_relation));
        path_t.columns.push_back(layers::Column::text("side", "Side of the site, from its centroid: north, east, south, west (entering: the sides where it crosses the red line, in order)", p_side));
        path_t.columns.push_back(layers::Column::real("length_m", "Length of the whole segment, m", p_length));
        path_t.columns.push_back(layers::Column::real("inside_m", "Length inside the site, m", p_inside));
        path_t.columns.push_back(layers::Column::real("near_m", fmt::format("Length within {:g} m of the red line (inside included), m", pass_distance), p_near));
        path_t.columns.push_back(layers::Column::real("distance_m", "Distance from the red line, m (0 when it touches or enters)", p_distance));
        path_t.columns.push_back(layers::Column::text("gated", "1: gates on it >= gates it needs; partial: fewer; 0: none; NULL without --gates", p_gated, p_gates_null));
        path_t.columns.push_back(layers::Column::integer("gates", "Gates on it; NULL without --gates", p_gates, p_gates_null));
        path_t.columns.push_back(layers::Column::integer("gates_needed", "Gates needed to close it: one at each end that meets other lines", p_needed));
        path_t.columns.push_back(layers::Column::integer("burglaries_100m", fmt::format("Burglaries within {:g} m of the segment, {} to {}", guard_distance, from.str(), to.str()), p_burglaries));
        path_t.columns.push_back(layers::Column::integer("neighbourhood_100m", fmt::format("Neighbourhood crimes within {:g} m of the segment, {} to {}", guard_distance, from.str(), to.str()), p_neighbourhood));
        path_t.columns.push_back(layers::Column::real("lit_share", fmt::format("Lit share of its length within {:g} m of the red line; NULL without --lighting", guard_distance), p_lit));
        path_t.columns.push_back(layers::Column::real("cctv_share", fmt::format("Share of its length within {:g} m of the red line in view of CCTV; NULL without --cctv", guard_distance), p_cctv));
        ring_t.columns.push_back(layers::Column::text("site_id", "Site", r_id));
        ring_t.columns.push_back(layers::Column::integer("ring", "1 = nearest", r_ring));
        ring_t.columns.push_back(layers::Column::real("inner_m", "Inner distance from the red line", r_inner));
        ring_t.columns.push_back(layers::Column::real("outer_m", "Outer distance from the red line", r_outer));
        ring_t.columns.push_back(layers::Column::real("area_ha", "Ring area, hectares", r_area));
        ring_t.columns.push_back(layers::Column::real("count", "All incidents in the ring", r_count));
        ring_t.columns.push_back(layers::Column::real("per_ha", "Incidents per hectare", r_density));
        for (size_t g = 0; g + 1 < groups.size(); ++g)
            ring_t.columns.push_back(layers::Column::real(groups[g].name + "_count", groups[g].description, r_group[g]));
        inc_t.columns.push_back(layers::Column::text("site_id", "Site", i_id));
        inc_t.columns.push_back(layers::Column::integer("ring", "Ring (1 = nearest)", i_ring));
        inc_t.columns.push_back(layers::Column::real("distance_m", "Distance from the red line (0 inside)", i_dist));
        inc_t.columns.push_back(layers::Column::text("month", "YYYY-MM", i_month));
        inc_t.columns.push_back(layers::Column::text("crime_type", "police.uk crime type", i_type));
        inc_t.columns.push_back(layers::Column::text("crime_group", "Crime group", i_group));

        nlohmann::ordered_json parameters{{"command", "site"}, {"site", site_arg}, {"from", from.str()}, {"to", to.str()},
                                          {"radii_m", radii}, {"working_crs", options.working_crs}, {"areas", areas_path},
                                          {"population", population_path}, {"kde_bandwidth_m", surface.bandwidth},
                                          {"lighting", design.lighting_path}, {"cctv", design.cctv_path}, {"gates", design.gates_path}, {"paths", design.paths_path},
                                          {"streets", design.streets_path}, {"occluders", design.occluders_path}, {"light_radius_m", design.light_rule.default_radius},
                                          {"light_height_factor", design.light_rule.height_factor}, {"cctv_purpose", design.cctv_purpose}, {"cctv_range_m", design.cctv_range},
                                          {"gate_tolerance_m", design.gate_tolerance}, {"guard_distance_m", guard_distance}, {"pass_distance_m", pass_distance}};
        auto inputs = result.file_checksums();
        inputs.insert(inputs.end(), asset_inputs.begin(), asset_inputs.end());
        for (const std::string& p : {areas_path, population_path})
            if (!p.empty()) inputs.emplace_back(p, layers::sha256_file(p));
        if (site_report.source == site_arg) inputs.emplace_back(site_arg, layers::sha256_file(site_arg));
        progress.begin(fmt::format("writing {}", out.shown()), 1);
        layers::GeoPackageWriter writer(out.output, out.overwrite, options.working_crs);
        writer.write_table(site_t);
        writer.write_table(ring_t);
        writer.write_table(inc_t);
        if (assets.paths) writer.write_table(path_t);
        std::vector<std::string> sources;
        for (const auto& src : result.sources) sources.push_back(src.path);
        writer.write_rejects(result.rejects, sources);
        record_run(writer, inputs, parameters.dump());
        // The report is written beside the GeoPackage first and both are moved into place
        // together, so a failure (a full disk) leaves neither of them.
        layers::StagedFiles staged(out.overwrite);
        staged.stage(report_path, report.html());
        writer.commit();
        staged.commit();
        progress.end();
        // A PDF beside the report, printed by headless Chromium where it is installed, to a
        // temporary file first.
        if (print_pdf) {
            const std::string temp = layers::temporary_path(pdf);
            const layers::InterruptCleanup cleanup(temp);
            const std::string command = fmt::format("timeout 120 chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer "
                                                    "--print-to-pdf='{}' 'file://{}' >/dev/null 2>&1",
                                                    temp, fs::absolute(report_path).string());
            std::error_code ec;
            if (std::system(command.c_str()) == 0 && fs::exists(temp)) {
                layers::rename_into_place(temp, pdf, out.overwrite);
                progress.info(fmt::format("printed {} with headless Chromium", pdf));
            } else {
                fs::remove(temp, ec);
                progress.warn("headless Chromium could not print the report to PDF; the HTML report is complete");
            }
        }
        progress.info(fmt::format("{} site{}: {} incidents within {:g} m of a red line", sites.size(), sites.size() == 1 ? "" : "s", i_id.size(), radii.back()));
        progress.info(fmt::format("wrote {} (site, site_rings, site_incidents{}, rejects) and {}", out.shown(), assets.paths ? ", site_paths" : "", report_path));
    }
};

Assets SiteCommand::read_assets(const Areas& sites, const Incidents& in, const layers::IngestResult& result, const std::vector<std::string>& label,
                                const std::string& working_crs, const guard::CameraRule& rule, std::vector<std::pair<std::string, std::string>>& inputs,
                                Progress& progress) const {
    Assets a;
    a.lighting = !design.lighting_path.empty(), a.cctv = !design.cctv_path.empty(), a.paths = !design.paths_path.empty(), a.gates = !design.gates_path.empty();
    layers::AssetOptions ao = design.asset_options;
    ao.working_crs = working_crs;
    const auto add_input = [&](const std::string& path) { tools::add_input(inputs, path); };
    // The surroundings of each site that coverage is measured over.
    std::vector<Extent> site_extent;
    for (const auto& g : sites.geometry) site_extent.push_back(geos::extent(g.get()).grown(guard_distance + 1));
    const auto near_a_site = [&](const Extent& e) {
        return std::any_of(site_extent.begin(), site_extent.end(), [&](const Extent& s) { return s.overlaps(e); });
    };
    if (a.lighting) {
        layers::AssetReport report;
        const std::vector<layers::LightRecord> lights = layers::read_lights(design.lighting_path, ao, report);
        layers::report_asset(progress, report, "street lights");
        add_input(design.lighting_path);
        for (const auto& l : lights) {
            guard::Shape s = guard::disc_shape(l.x, l.y, guard::light_radius(l.radius, l.height, design.light_rule));
            if (near_a_site(s.extent)) a.lights.push_back(std::move(s));
        }
        progress.info(fmt::format("  {} of {} lights reach within {:g} m of a site", a.lights.size(), lights.size(), guard_distance));
    }
    if (a.cctv) {
        layers::AssetReport report;
        const std::vector<layers::CameraRecord> records = layers::read_cameras(design.cctv_path, ao, report);
        layers::report_asset(progress, report, "CCTV cameras");
        add_input(design.cctv_path);
        std::vector<guard::Camera> cameras;
        for (const guard::Camera& c : cameras_from(records, rule))
            if (near_a_site(Extent{c.x - c.range * 1.01, c.y - c.range * 1.01, c.x + c.range * 1.01, c.y + c.range * 1.01})) cameras.push_back(c);
        const std::vector<guard::Occluder> occluders =
            read_occluder_set(design, ao, inputs, progress, [&](const Extent& e) { return near_a_site(e.grown(200)); });
        a.views = guard::camera_shapes(cameras, occluders, design.quadrant_segments);
        progress.info(fmt::format("  {} of {} cameras may see within {:g} m of a site (default range {:.1f} m)", cameras.size(), records.size(),
                                  guard_distance, guard::camera_range(std::nullopt, std::nullopt, rule)));
    }
    if (a.paths) {
        a.network = read_path_network(design, ao, inputs, progress);
        for (const auto& s : a.network.segments) a.segment_extent.push_back(geos::extent(s.geometry.get()));
        progress.info(fmt::format("  {} path segments between {} junctions", a.network.segments.size(), a.network.junctions));
        if (a.gates) a.gate_assignment = read_gate_assignment(design, ao, a.network, inputs, progress);
        // Neighbourhood crimes, sorted by x, to count those near each path.
        std::vector<size_t> order;
        for (size_t i = 0; i < in.size(); ++i)
            if (label[in.type[i]] == "neighbourhood") order.push_back(i);
        std::sort(order.begin(), order.end(), [&](size_t p, size_t q) { return in.x[p] < in.x[q]; });
        for (size_t i : order)
            a.nx.push_back(in.x[i]), a.ny.push_back(in.y[i]), a.burglary.push_back(result.types.name(in.type[i]) == "Burglary");
    }
    return a;
}

} // namespace

Run setup_site(CLI::App& app) {
    auto command = std::make_shared<SiteCommand>();
    app.add_option("--site", command->site_arg, "Red-line polygons (any OGR source), or one polygon as WKT or a GeoJSON geometry")->required();
    app.add_option("--site-id", command->site_id, "Field naming each site (default: detect a code field, else number them)");
    command->crimes.add_to(app);
    app.add_option("--areas", command->areas_path, "LSOA boundaries: the LSOAs each site lies in, and the study area");
    app.add_option("--population", command->population_path, "Population CSV by LSOA code: rates per 1,000 residents");
    app.add_option("--radii", command->radii, "Ring distances from the red line, metres, increasing")->delimiter(',')->capture_default_str();
    app.add_option("--months", command->months, "Months reviewed: the last N of the data (12 or 36)")->capture_default_str();
    app.add_option("--report", command->report_path, "The HTML report (one printable file; a PDF beside it where Chromium is installed)")->required();
    app.add_flag("--no-pdf", command->no_pdf, "Do not print the report to PDF with headless Chromium");
    command->design.add_asset_options(app); // --lighting, --cctv, --gates, --paths, --streets, --occluders, --asset-crs, --asset-x, --asset-y
    app.add_option("--light-radius", command->design.light_rule.default_radius, "Lit radius of a light with no radius or height, metres (2.5 x a 6 m column)")->capture_default_str();
    app.add_option("--light-height-factor", command->design.light_rule.height_factor, "Lit radius = this x mounting height, for lights with a height")->capture_default_str();
    app.add_option("--cctv-purpose", command->design.cctv_purpose, "EN 62676-4 level the default camera range is for")
        ->check(CLI::IsMember({"detect", "observe", "recognise", "recognize", "identify"}))
        ->capture_default_str();
    app.add_option("--cctv-range", command->design.cctv_range, "Range of cameras with none, metres (overrides --cctv-purpose)");
    app.add_option("--cctv-pixels", command->design.cctv_pixels, "Pixels across the reference camera's image")->capture_default_str();
    app.add_option("--cctv-fov", command->design.cctv_fov, "Reference horizontal field of view, degrees (for cameras without one below 180)")->capture_default_str();
    app.add_option("--gate-tolerance", command->design.gate_tolerance, "A gate closes the nearest path segment within this many metres")->capture_default_str();
    app.add_option("--quadrant-segments", command->design.quadrant_segments, "Polygon edges per quarter circle for discs and sectors")->capture_default_str();
    command->out.add_to(app, "Output GeoPackage: site, site_rings, site_incidents, site_paths (with --paths), rejects");
    return [command] { command->run(); };
}

} // namespace safer::tools
