#include "engine/guardianship.hpp"

#include <fmt/core.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "engine/disc_union.hpp"
#include "engine/progress.hpp"

namespace safer::guard {

namespace {

constexpr double pi = std::numbers::pi;
constexpr double degree = pi / 180;

GEOSContextHandle_t ctx() { return geos::context(); }

/// A polygon from a closed ring of coordinates (first point repeated last).
geos::Geometry polygon_from(const std::vector<double>& xs, const std::vector<double>& ys) {
    GEOSCoordSequence* seq = GEOSCoordSeq_copyFromArrays_r(ctx(), xs.data(), ys.data(), nullptr, nullptr, static_cast<unsigned>(xs.size()));
    if (!seq) throw std::runtime_error("GEOS coordinate sequence failed: " + geos::last_message());
    GEOSGeometry* ring = GEOSGeom_createLinearRing_r(ctx(), seq);
    if (!ring) throw std::runtime_error("GEOS ring failed: " + geos::last_message());
    return geos::checked(GEOSGeom_createPolygon_r(ctx(), ring, nullptr, 0), "polygon");
}

geos::Geometry rectangle(const Extent& e) {
    return geos::checked(GEOSGeom_createRectangle_r(ctx(), e.min_x, e.min_y, e.max_x, e.max_y), "rectangle");
}

bool is_empty(const GEOSGeometry* g) {
    const char e = GEOSisEmpty_r(ctx(), g);
    if (e == 2) throw std::runtime_error("GEOS isEmpty failed: " + geos::last_message());
    return e == 1;
}

/// Intersection that survives a robustness failure by retrying on repaired inputs.
geos::Geometry intersection(const GEOSGeometry* a, const GEOSGeometry* b) {
    if (GEOSGeometry* g = GEOSIntersection_r(ctx(), a, b)) return geos::Geometry(g);
    geos::Geometry va = geos::checked(GEOSMakeValid_r(ctx(), a), "MakeValid");
    geos::Geometry vb = geos::checked(GEOSMakeValid_r(ctx(), b), "MakeValid");
    return geos::checked(GEOSIntersection_r(ctx(), va.get(), vb.get()), "intersection");
}

/// Scale of a polygon's radius that gives it the area of the curve it stands for: an edge
/// subtending δ spans a triangle of area r² sin δ / 2 where the sector has r² δ / 2.
double equal_area_scale(double delta) { return std::sqrt(delta / std::sin(delta)); }

double point_segment_distance(double px, double py, double ax, double ay, double bx, double by) {
    const double dx = bx - ax, dy = by - ay;
    const double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
    t = std::clamp(t, 0.0, 1.0);
    return std::hypot(px - (ax + t * dx), py - (ay + t * dy));
}

bool inside_ring(double px, double py, const std::vector<double>& xs, const std::vector<double>& ys) {
    bool in = false;
    for (size_t i = 0, j = xs.size() - 1; i < xs.size(); j = i++) {
        if ((ys[i] > py) != (ys[j] > py) && px < (xs[j] - xs[i]) * (py - ys[i]) / (ys[j] - ys[i]) + xs[i]) in = !in;
    }
    return in;
}

double distance_to_extent(double x, double y, const Extent& e) {
    const double dx = std::max({e.min_x - x, 0.0, x - e.max_x});
    const double dy = std::max({e.min_y - y, 0.0, y - e.max_y});
    return std::hypot(dx, dy);
}

/// The shadow an edge (a, b) casts from the camera out to beyond `range`: the quadrilateral
/// a, b, b', a' with a' and b' on the rays from the camera through a and b, far enough that the
/// far side a'b' stays outside the range circle. Edges subtending more than 150° are split.
void edge_shadow(double cx, double cy, double ax, double ay, double bx, double by, double range, std::vector<geos::Geometry>& out,
                 int depth = 0) {
    const double vax = ax - cx, vay = ay - cy, vbx = bx - cx, vby = by - cy;
    const double da = std::hypot(vax, vay), db = std::hypot(vbx, vby);
    if (da == 0 || db == 0) return;
    const double cross = vax * vby - vay * vbx, dot = vax * vbx + vay * vby;
    const double theta = std::atan2(std::abs(cross), dot);
    if (std::abs(cross) <= 1e-12 * da * db) return; // on one ray (no area), or the camera on the edge
    if (theta > 150 * degree && depth < 8) {
        const double mx = (ax + bx) / 2, my = (ay + by) / 2;
        edge_shadow(cx, cy, ax, ay, mx, my, range, out, depth + 1);
        edge_shadow(cx, cy, mx, my, bx, by, range, out, depth + 1);
        return;
    }
    const double far = std::max({range * 1.02 / std::cos(theta / 2), da, db}) + 1;
    const std::vector<double> xs = {ax, bx, cx + vbx * far / db, cx + vax * far / da, ax};
    const std::vector<double> ys = {ay, by, cy + vby * far / db, cy + vay * far / da, ay};
    out.push_back(polygon_from(xs, ys));
}

geos::Geometry union_of(std::vector<geos::Geometry>& parts) {
    if (parts.empty()) return nullptr;
    if (parts.size() == 1) return std::move(parts[0]);
    std::vector<GEOSGeometry*> raw;
    raw.reserve(parts.size());
    for (auto& p : parts) raw.push_back(p.release());
    GEOSGeometry* collection = GEOSGeom_createCollection_r(ctx(), GEOS_GEOMETRYCOLLECTION, raw.data(), static_cast<unsigned>(raw.size()));
    if (!collection) {
        for (GEOSGeometry* g : raw) GEOSGeom_destroy_r(ctx(), g);
        throw std::runtime_error("GEOS collection failed: " + geos::last_message());
    }
    geos::Geometry owned(collection);
    return geos::checked(GEOSUnaryUnion_r(ctx(), owned.get()), "cascaded union");
}

} // namespace

// ---- Lights and cameras ----------------------------------------------------------------------

double light_radius(std::optional<double> radius, std::optional<double> height, const LightRule& rule, RadiusFrom* from) {
    if (radius) {
        if (from) *from = RadiusFrom::attribute;
        return *radius;
    }
    if (height) {
        if (from) *from = RadiusFrom::height;
        return rule.height_factor * *height;
    }
    if (from) *from = RadiusFrom::default_radius;
    return rule.default_radius;
}

std::optional<Purpose> parse_purpose(std::string_view n) {
    if (n == "detect") return Purpose::detect;
    if (n == "observe") return Purpose::observe;
    if (n == "recognise" || n == "recognize") return Purpose::recognise;
    if (n == "identify") return Purpose::identify;
    return std::nullopt;
}

std::string_view name(Purpose p) {
    switch (p) {
    case Purpose::detect: return "detect";
    case Purpose::observe: return "observe";
    case Purpose::recognise: return "recognise";
    case Purpose::identify: return "identify";
    }
    return "observe";
}

double pixels_per_metre(Purpose p) {
    switch (p) {
    case Purpose::detect: return 25;
    case Purpose::observe: return 62.5;
    case Purpose::recognise: return 125;
    case Purpose::identify: return 250;
    }
    return 62.5;
}

double camera_range(std::optional<double> range, std::optional<double> fov_deg, const CameraRule& rule) {
    if (range) return *range;
    if (rule.range) return *rule.range;
    const double fov = fov_deg && *fov_deg > 0 && *fov_deg < 180 ? *fov_deg : rule.reference_fov;
    return rule.sensor_pixels / (2 * pixels_per_metre(rule.purpose) * std::tan(fov * degree / 2));
}

geos::Geometry disc(double x, double y, double r, int quadrant_segments) {
    const int n = 4 * std::max(1, quadrant_segments);
    const double delta = 2 * pi / n;
    const double rr = r * equal_area_scale(delta);
    std::vector<double> xs(static_cast<size_t>(n) + 1), ys(static_cast<size_t>(n) + 1);
    for (int k = 0; k < n; ++k) {
        xs[static_cast<size_t>(k)] = x + rr * std::cos(k * delta);
        ys[static_cast<size_t>(k)] = y + rr * std::sin(k * delta);
    }
    xs[static_cast<size_t>(n)] = xs[0];
    ys[static_cast<size_t>(n)] = ys[0];
    return polygon_from(xs, ys);
}

geos::Geometry sector(const Camera& camera, int quadrant_segments) {
    if (camera.full_circle()) return disc(camera.x, camera.y, camera.range, quadrant_segments);
    const double fov = *camera.fov * degree;
    const int m = std::max(1, static_cast<int>(std::ceil(*camera.fov / 90.0 * std::max(1, quadrant_segments))));
    const double delta = fov / m;
    const double rr = camera.range * equal_area_scale(delta);
    const double a0 = *camera.bearing * degree - fov / 2;
    std::vector<double> xs, ys;
    xs.push_back(camera.x);
    ys.push_back(camera.y);
    for (int k = 0; k <= m; ++k) {
        const double a = a0 + k * delta; // compass: x = sin, y = cos
        xs.push_back(camera.x + rr * std::sin(a));
        ys.push_back(camera.y + rr * std::cos(a));
    }
    xs.push_back(camera.x);
    ys.push_back(camera.y);
    return polygon_from(xs, ys);
}

geos::Geometry visible(const Camera& camera, std::span<const Occluder* const> occluders, int quadrant_segments) {
    geos::Geometry view = sector(camera, quadrant_segments);
    std::vector<geos::Geometry> shadows;
    const double reach = camera.range * 1.01;
    for (const Occluder* o : occluders) {
        const size_t n = o->x.size();
        if (n < 4 || distance_to_extent(camera.x, camera.y, o->extent) > reach) continue;
        // The mount: a footprint holding the camera or within 1 m of it blocks nothing.
        double nearest = std::numeric_limits<double>::infinity();
        for (size_t i = 0; i + 1 < n; ++i)
            nearest = std::min(nearest, point_segment_distance(camera.x, camera.y, o->x[i], o->y[i], o->x[i + 1], o->y[i + 1]));
        if (nearest > reach) continue;
        if (nearest <= 1.0 || inside_ring(camera.x, camera.y, o->x, o->y)) continue;
        for (size_t i = 0; i + 1 < n; ++i) edge_shadow(camera.x, camera.y, o->x[i], o->y[i], o->x[i + 1], o->y[i + 1], camera.range, shadows);
        shadows.push_back(polygon_from(o->x, o->y));
    }
    if (shadows.empty()) return view;
    geos::Geometry hidden = union_of(shadows);
    return geos::checked(GEOSDifference_r(ctx(), view.get(), hidden.get()), "difference");
}

Shape disc_shape(double x, double y, double r) {
    Shape s;
    s.x = x, s.y = y, s.r = r;
    // Equal-area polygons reach slightly beyond r; 1 % more covers any quadrant_segments >= 2.
    s.extent = Extent{x - r * 1.01, y - r * 1.01, x + r * 1.01, y + r * 1.01};
    return s;
}

Shape polygon_shape(const GEOSGeometry* polygon) {
    Shape s;
    s.extent = geos::extent(polygon);
    size_t size = 0;
    GEOSWKBWriter* writer = GEOSWKBWriter_create_r(ctx());
    unsigned char* wkb = GEOSWKBWriter_write_r(ctx(), writer, polygon, &size);
    GEOSWKBWriter_destroy_r(ctx(), writer);
    if (!wkb) throw std::runtime_error("GEOS WKB writing failed: " + geos::last_message());
    s.wkb.assign(wkb, wkb + size);
    GEOSFree_r(ctx(), wkb);
    return s;
}

std::vector<Occluder> occluders_from(std::span<const GEOSGeometry* const> footprints) {
    std::vector<Occluder> out;
    for (const GEOSGeometry* g : footprints) {
        const int parts = GEOSGetNumGeometries_r(ctx(), g);
        for (int k = 0; k < parts; ++k) {
            const GEOSGeometry* poly = GEOSGetGeometryN_r(ctx(), g, k);
            if (GEOSGeomTypeId_r(ctx(), poly) != GEOS_POLYGON) continue;
            const GEOSGeometry* ring = GEOSGetExteriorRing_r(ctx(), poly);
            const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx(), ring);
            unsigned n = 0;
            if (!seq || !GEOSCoordSeq_getSize_r(ctx(), seq, &n) || n < 4) continue;
            Occluder o;
            o.x.resize(n), o.y.resize(n);
            for (unsigned i = 0; i < n; ++i) {
                GEOSCoordSeq_getXY_r(ctx(), seq, i, &o.x[i], &o.y[i]);
                o.extent.add(o.x[i], o.y[i]);
            }
            out.push_back(std::move(o));
        }
    }
    return out;
}

std::vector<Shape> camera_shapes(const std::vector<Camera>& cameras, const std::vector<Occluder>& occluders, int quadrant_segments) {
    std::vector<Shape> shapes(cameras.size());
    tbb::parallel_for(size_t{0}, cameras.size(), [&](size_t i) {
        const Camera& c = cameras[i];
        std::vector<const Occluder*> near;
        for (const Occluder& o : occluders)
            if (distance_to_extent(c.x, c.y, o.extent) <= c.range * 1.01) near.push_back(&o);
        if (near.empty() && c.full_circle()) {
            shapes[i] = disc_shape(c.x, c.y, c.range);
            return;
        }
        const geos::Geometry view = visible(c, near, quadrant_segments);
        if (is_empty(view.get())) {
            shapes[i].extent = Extent{}; // nothing visible: reaches no tile
            shapes[i].r = 0;
            shapes[i].wkb.clear();
            return;
        }
        shapes[i] = polygon_shape(view.get());
    });
    return shapes;
}

// ---- Tiles ------------------------------------------------------------------------------------

Extent Tiling::tile_extent(size_t t) const {
    const int64_t r = static_cast<int64_t>(t) / nx, c = static_cast<int64_t>(t) % nx;
    const double west = x0 + static_cast<double>(c) * size, north = y0 - static_cast<double>(r) * size;
    return Extent{west, north - size, west + size, north};
}

bool Tiling::range(const Extent& e, int64_t& c0, int64_t& c1, int64_t& r0, int64_t& r1) const {
    if (e.empty() || nx == 0 || ny == 0) return false;
    c0 = Grid::to_index(std::floor((e.min_x - x0) / size));
    c1 = Grid::to_index(std::floor((e.max_x - x0) / size));
    r0 = Grid::to_index(std::floor((y0 - e.max_y) / size));
    r1 = Grid::to_index(std::floor((y0 - e.min_y) / size));
    if (c1 < 0 || r1 < 0 || c0 >= nx || r0 >= ny) return false;
    c0 = std::max<int64_t>(c0, 0), r0 = std::max<int64_t>(r0, 0);
    c1 = std::min(c1, nx - 1), r1 = std::min(r1, ny - 1);
    return true;
}

Tiling tiling_for(const Grid& grid, double target) {
    Tiling t;
    t.cells_per_tile = std::max<int64_t>(1, static_cast<int64_t>(std::llround(target / grid.cell)));
    t.size = static_cast<double>(t.cells_per_tile) * grid.cell;
    t.x0 = grid.x0;
    t.y0 = grid.y0;
    t.nx = (grid.nx + t.cells_per_tile - 1) / t.cells_per_tile;
    t.ny = (grid.ny + t.cells_per_tile - 1) / t.cells_per_tile;
    return t;
}

double Coverage::area() const {
    double a = 0;
    for (const auto& p : piece)
        if (p) a += geos::area(p.get());
    return a;
}

namespace {

GEOSGeometry* linear_ring(const Ring& r) {
    GEOSCoordSequence* seq = GEOSCoordSeq_copyFromArrays_r(ctx(), r.x.data(), r.y.data(), nullptr, nullptr, static_cast<unsigned>(r.x.size()));
    if (!seq) throw std::runtime_error("GEOS coordinate sequence failed: " + geos::last_message());
    GEOSGeometry* ring = GEOSGeom_createLinearRing_r(ctx(), seq);
    if (!ring) throw std::runtime_error("GEOS ring failed: " + geos::last_message());
    return ring;
}

geos::Geometry polygon_of(const Ring& ring) { return polygon_from(ring.x, ring.y); }

Ring ring_from(const GEOSGeometry* ring) {
    Ring r;
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx(), ring);
    unsigned n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(ctx(), seq, &n)) throw std::runtime_error("GEOS coordinates failed: " + geos::last_message());
    r.x.resize(n), r.y.resize(n);
    for (unsigned i = 0; i < n; ++i) GEOSCoordSeq_getXY_r(ctx(), seq, i, &r.x[i], &r.y[i]);
    return r;
}

/// The exterior and interior rings of every polygon in a Polygon or MultiPolygon.
void rings_of(const GEOSGeometry* g, std::vector<Ring>& shells, std::vector<Ring>& holes) {
    const int parts = GEOSGetNumGeometries_r(ctx(), g);
    for (int k = 0; k < parts; ++k) {
        const GEOSGeometry* poly = GEOSGetGeometryN_r(ctx(), g, k);
        if (GEOSGeomTypeId_r(ctx(), poly) != GEOS_POLYGON) continue;
        shells.push_back(ring_from(GEOSGetExteriorRing_r(ctx(), poly)));
        for (int h = 0; h < GEOSGetNumInteriorRings_r(ctx(), poly); ++h) holes.push_back(ring_from(GEOSGetInteriorRingN_r(ctx(), poly, h)));
    }
}

/// The union of pieces that tile it (see merge_pieces), checked (its area is the pieces' total
/// and GEOS finds it valid) and, failing that, redone by a cascaded union.
geos::Geometry merge_union(const std::vector<Ring>& rings, size_t& fallbacks) {
    double expected = 0;
    for (const Ring& r : rings) expected += r.area();
    const std::vector<PolygonRings> merged = merge_pieces(rings);
    std::vector<GEOSGeometry*> polys;
    polys.reserve(merged.size());
    for (const PolygonRings& p : merged) {
        GEOSGeometry* shell = linear_ring(p.shell);
        std::vector<GEOSGeometry*> holes;
        for (const Ring& h : p.holes) holes.push_back(linear_ring(h));
        GEOSGeometry* poly = GEOSGeom_createPolygon_r(ctx(), shell, holes.data(), static_cast<unsigned>(holes.size()));
        if (!poly) throw std::runtime_error("GEOS polygon failed: " + geos::last_message());
        polys.push_back(poly);
    }
    geos::Geometry result =
        geos::checked(GEOSGeom_createCollection_r(ctx(), GEOS_MULTIPOLYGON, polys.data(), static_cast<unsigned>(polys.size())), "multipolygon");
    const double a = geos::area(result.get());
    if (std::abs(a - expected) <= 1e-7 * std::max(1.0, expected) && GEOSisValid_r(ctx(), result.get()) == 1) return result;
    ++fallbacks;
    std::vector<geos::Geometry> parts;
    parts.reserve(rings.size());
    for (const Ring& r : rings) parts.push_back(polygon_of(r));
    return union_of(parts);
}

} // namespace

Coverage union_shapes(const std::vector<Shape>& shapes, const Tiling& tiling, int quadrant_segments, Progress* progress) {
    Coverage cov;
    cov.tiling = tiling;
    cov.shapes = shapes.size();
    cov.piece.resize(tiling.tiles());
    // Discs are unioned by radius: each radius's Voronoi pieces, clipped to the tiles. Any other
    // polygon goes through a cascaded union in each tile it reaches.
    std::map<double, std::vector<size_t>> by_radius;
    std::vector<std::vector<uint32_t>> polygons_in_tile(tiling.tiles());
    for (size_t i = 0; i < shapes.size(); ++i) {
        int64_t c0, c1, r0, r1;
        if (!tiling.range(shapes[i].extent, c0, c1, r0, r1)) continue;
        ++cov.shapes_used;
        if (shapes[i].wkb.empty()) {
            by_radius[shapes[i].r].push_back(i);
            continue;
        }
        for (int64_t r = r0; r <= r1; ++r)
            for (int64_t c = c0; c <= c1; ++c) polygons_in_tile[static_cast<size_t>(r * tiling.nx + c)].push_back(static_cast<uint32_t>(i));
    }
    const size_t groups = by_radius.size();
    std::vector<std::vector<Ring>> rings_in_tile(tiling.tiles() * std::max<size_t>(groups, 1));
    size_t g = 0;
    for (const auto& [radius, members] : by_radius) {
        std::vector<double> xs, ys;
        xs.reserve(members.size()), ys.reserve(members.size());
        for (size_t i : members) xs.push_back(shapes[i].x), ys.push_back(shapes[i].y);
        const std::vector<Ring> pieces = disc_union_pieces(xs, ys, radius, quadrant_segments);
        for (const Ring& piece : pieces) {
            int64_t c0, c1, r0, r1;
            if (!tiling.range(piece.extent(), c0, c1, r0, r1)) continue;
            for (int64_t r = r0; r <= r1; ++r)
                for (int64_t c = c0; c <= c1; ++c) {
                    const size_t t = static_cast<size_t>(r * tiling.nx + c);
                    Ring part = clip_convex(piece, tiling.tile_extent(t));
                    if (!part.x.empty()) rings_in_tile[t * groups + g].push_back(std::move(part));
                }
        }
        ++g;
    }
    size_t busy = 0;
    for (size_t t = 0; t < tiling.tiles(); ++t) {
        bool any = !polygons_in_tile[t].empty();
        for (size_t k = 0; k < groups && !any; ++k) any = !rings_in_tile[t * groups + k].empty();
        busy += any;
    }
    if (progress) progress->begin(fmt::format("union of {} shapes over {} tiles of {:g} m", cov.shapes_used, busy, tiling.size), busy);
    std::atomic<size_t> fallbacks{0};
    tbb::parallel_for(size_t{0}, tiling.tiles(), [&](size_t t) {
        std::vector<geos::Geometry> parts;
        size_t local_fallbacks = 0;
        for (size_t k = 0; k < groups; ++k) {
            const auto& rings = rings_in_tile[t * groups + k];
            if (rings.empty()) continue;
            parts.push_back(merge_union(rings, local_fallbacks));
        }
        if (!polygons_in_tile[t].empty()) {
            std::vector<geos::Geometry> polys;
            for (uint32_t i : polygons_in_tile[t]) polys.push_back(geos::from_wkb(shapes[i].wkb.data(), shapes[i].wkb.size()));
            geos::Geometry all = union_of(polys);
            const Extent te = tiling.tile_extent(t);
            const Extent ae = geos::extent(all.get());
            if (ae.min_x >= te.min_x && ae.max_x <= te.max_x && ae.min_y >= te.min_y && ae.max_y <= te.max_y)
                parts.push_back(std::move(all));
            else
                parts.push_back(intersection(all.get(), rectangle(te).get()));
        }
        if (parts.empty()) return;
        geos::Geometry piece = parts.size() == 1 ? std::move(parts[0]) : union_of(parts);
        if (!is_empty(piece.get()) && geos::area(piece.get()) > 0) cov.piece[t] = std::move(piece);
        fallbacks += local_fallbacks;
        if (progress) progress->advance(1);
    });
    cov.fallbacks = fallbacks;
    // With one radius and no other shapes, the clipped Voronoi pieces tile each tile's union:
    // kept, they give exact areas of intersection without an overlay (polygon_shares).
    if (groups == 1 && std::all_of(polygons_in_tile.begin(), polygons_in_tile.end(), [](const auto& v) { return v.empty(); }))
        cov.convex = std::move(rings_in_tile);
    if (progress) progress->end();
    return cov;
}

// ---- Shares -----------------------------------------------------------------------------------

std::vector<double> cell_shares(const Coverage& coverage, const Grid& grid, std::span<const int64_t> cells) {
    const Tiling& tiling = coverage.tiling;
    const int64_t k = tiling.cells_per_tile;
    std::vector<double> share(cells.size(), 0.0);
    // Requested cells by tile, then by row within the tile.
    std::vector<std::vector<uint32_t>> by_tile(tiling.tiles());
    for (size_t i = 0; i < cells.size(); ++i) {
        const int64_t r = cells[i] / grid.nx, c = cells[i] % grid.nx;
        const size_t t = static_cast<size_t>((r / k) * tiling.nx + c / k);
        if (t < by_tile.size() && coverage.piece[t]) by_tile[t].push_back(static_cast<uint32_t>(i));
    }
    const double cell_area = grid.cell_area();
    tbb::parallel_for(size_t{0}, by_tile.size(), [&](size_t t) {
        auto& list = by_tile[t];
        if (list.empty()) return;
        const GEOSGeometry* piece = coverage.piece[t].get();
        const Extent pe = geos::extent(piece);
        std::sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) { return cells[a] < cells[b]; });
        const Extent te = tiling.tile_extent(t);
        for (size_t s = 0; s < list.size();) {
            const int64_t row = cells[list[s]] / grid.nx;
            size_t e = s;
            while (e < list.size() && cells[list[e]] / grid.nx == row) ++e;
            const double north = grid.y0 - static_cast<double>(row) * grid.cell, south = north - grid.cell;
            if (north > pe.min_y && south < pe.max_y) {
                // Clip the tile's piece to the row, then the row to each cell: two passes over the
                // piece's vertices instead of one per cell.
                geos::Geometry strip = geos::checked(GEOSClipByRect_r(ctx(), piece, te.min_x, south, te.max_x, north), "clip");
                if (!is_empty(strip.get())) {
                    const Extent se = geos::extent(strip.get());
                    for (size_t j = s; j < e; ++j) {
                        const int64_t col = cells[list[j]] % grid.nx;
                        const double west = grid.x0 + static_cast<double>(col) * grid.cell, east = west + grid.cell;
                        if (!(west < se.max_x && east > se.min_x)) continue;
                        geos::Geometry part = geos::checked(GEOSClipByRect_r(ctx(), strip.get(), west, south, east, north), "clip");
                        share[list[j]] = std::clamp(geos::area(part.get()) / cell_area, 0.0, 1.0);
                    }
                }
            }
            s = e;
        }
    });
    return share;
}

std::vector<double> polygon_shares(const Coverage& coverage, std::span<const GEOSGeometry* const> polygons, Progress* progress) {
    const Tiling& tiling = coverage.tiling;
    std::vector<double> area(polygons.size(), 0.0);
    std::vector<Extent> extent(polygons.size());
    struct Pair {
        uint32_t polygon;
        uint32_t tile;
    };
    std::vector<Pair> pairs;
    for (size_t i = 0; i < polygons.size(); ++i) {
        area[i] = geos::area(polygons[i]);
        geos::cache_envelopes(polygons[i]); // before threads read it
        extent[i] = geos::extent(polygons[i]);
        int64_t c0, c1, r0, r1;
        if (!tiling.range(extent[i], c0, c1, r0, r1)) continue;
        for (int64_t r = r0; r <= r1; ++r)
            for (int64_t c = c0; c <= c1; ++c) {
                const size_t t = static_cast<size_t>(r * tiling.nx + c);
                if (coverage.piece[t] && extent[i].overlaps(geos::extent(coverage.piece[t].get())))
                    pairs.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(t)});
            }
    }
    for (const auto& piece : coverage.piece) geos::cache_envelopes(piece.get()); // shared by the threads below
    std::vector<double> covered(pairs.size(), 0.0);
    if (progress) progress->begin(fmt::format("coverage of {} areas ({} area-tile pairs)", polygons.size(), pairs.size()), pairs.size());
    if (!coverage.convex.empty()) {
        // Σ over the tile's convex pieces of the area of (area ∩ piece), each by clipping the
        // area's rings to the piece (Sutherland-Hodgman: exact for a convex clip window).
        std::vector<std::vector<Ring>> shells(polygons.size()), holes(polygons.size());
        for (size_t i = 0; i < polygons.size(); ++i) rings_of(polygons[i], shells[i], holes[i]);
        std::vector<std::vector<Extent>> part_extent(coverage.convex.size());
        tbb::parallel_for(size_t{0}, coverage.convex.size(), [&](size_t t) {
            for (const Ring& part : coverage.convex[t]) part_extent[t].push_back(part.extent());
        });
        tbb::parallel_for(size_t{0}, pairs.size(), [&](size_t k) {
            const Pair p = pairs[k];
            const Extent pe = extent[p.polygon];
            double a = 0;
            const auto& parts = coverage.convex[p.tile];
            for (size_t j = 0; j < parts.size(); ++j) {
                const Ring& part = parts[j];
                const Extent& ce = part_extent[p.tile][j];
                if (!pe.overlaps(ce)) continue;
                for (const Ring& r : shells[p.polygon]) a += area_in_convex(r, part, ce);
                for (const Ring& r : holes[p.polygon]) a -= area_in_convex(r, part, ce);
            }
            covered[k] = a;
            if (progress) progress->advance(1);
        });
    } else {
        tbb::parallel_for(size_t{0}, pairs.size(), [&](size_t k) {
            const Pair p = pairs[k];
            const GEOSGeometry* piece = coverage.piece[p.tile].get();
            const Extent te = tiling.tile_extent(p.tile);
            const Extent pe = extent[p.polygon];
            geos::Geometry clipped;
            const GEOSGeometry* poly = polygons[p.polygon];
            if (!(pe.min_x >= te.min_x && pe.max_x <= te.max_x && pe.min_y >= te.min_y && pe.max_y <= te.max_y)) {
                clipped = intersection(poly, rectangle(te).get());
                poly = clipped.get();
                if (is_empty(poly)) return;
                // The area holds the whole tile: all of the tile's piece is inside it.
                if (std::abs(geos::area(poly) - te.width() * te.height()) <= 1e-9 * te.width() * te.height()) {
                    covered[k] = geos::area(piece);
                    if (progress) progress->advance(1);
                    return;
                }
            }
            covered[k] = geos::area(intersection(piece, poly).get());
            if (progress) progress->advance(1);
        });
    }
    if (progress) progress->end();
    std::vector<double> share(polygons.size(), 0.0);
    for (size_t k = 0; k < pairs.size(); ++k) share[pairs[k].polygon] += covered[k];
    for (size_t i = 0; i < share.size(); ++i) share[i] = area[i] > 0 ? std::clamp(share[i] / area[i], 0.0, 1.0) : 0.0;
    return share;
}

std::vector<double> line_shares(const Coverage& coverage, std::span<const GEOSGeometry* const> lines) {
    const Tiling& tiling = coverage.tiling;
    std::vector<double> length(lines.size(), 0.0);
    std::vector<Extent> extent(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
        length[i] = geos::length(lines[i]);
        extent[i] = geos::extent(lines[i]);
        geos::cache_envelopes(lines[i]);
    }
    for (const auto& piece : coverage.piece) geos::cache_envelopes(piece.get()); // shared by the threads below
    std::vector<double> share(lines.size(), 0.0);
    tbb::parallel_for(size_t{0}, lines.size(), [&](size_t i) {
        if (!(length[i] > 0)) return;
        int64_t c0, c1, r0, r1;
        if (!tiling.range(extent[i], c0, c1, r0, r1)) return;
        double covered = 0;
        for (int64_t r = r0; r <= r1; ++r)
            for (int64_t c = c0; c <= c1; ++c) {
                const size_t t = static_cast<size_t>(r * tiling.nx + c);
                if (!coverage.piece[t]) continue;
                const Extent te = tiling.tile_extent(t);
                geos::Geometry part = geos::checked(GEOSClipByRect_r(ctx(), lines[i], te.min_x, te.min_y, te.max_x, te.max_y), "clip");
                if (is_empty(part.get())) continue;
                covered += geos::length(intersection(coverage.piece[t].get(), part.get()).get());
            }
        share[i] = std::clamp(covered / length[i], 0.0, 1.0);
    });
    return share;
}

std::vector<uint8_t> points_covered(const Coverage& coverage, std::span<const double> x, std::span<const double> y) {
    const Tiling& tiling = coverage.tiling;
    std::vector<uint8_t> in(x.size(), 0);
    std::vector<std::vector<uint32_t>> by_tile(tiling.tiles());
    for (size_t i = 0; i < x.size(); ++i) {
        const int64_t c = Grid::to_index(std::floor((x[i] - tiling.x0) / tiling.size));
        const int64_t r = Grid::to_index(std::floor((tiling.y0 - y[i]) / tiling.size));
        if (c < 0 || r < 0 || c >= tiling.nx || r >= tiling.ny) continue;
        const size_t t = static_cast<size_t>(r * tiling.nx + c);
        if (coverage.piece[t]) by_tile[t].push_back(static_cast<uint32_t>(i));
    }
    tbb::parallel_for(size_t{0}, by_tile.size(), [&](size_t t) {
        if (by_tile[t].empty()) return;
        const geos::Prepared prepared = geos::prepare(coverage.piece[t].get());
        for (uint32_t i : by_tile[t]) {
            const geos::Geometry p = geos::point(x[i], y[i]);
            const char hit = GEOSPreparedIntersects_r(ctx(), prepared.get(), p.get());
            if (hit == 2) throw std::runtime_error("GEOS point-in-polygon failed: " + geos::last_message());
            in[i] = hit == 1;
        }
    });
    return in;
}

} // namespace safer::guard
