// Queen and rook contiguity with a snapping tolerance (see spatial_weights.hpp for the rule).
// Candidates come from an STR-packed rtree of envelopes grown by the tolerance; each candidate pair
// is then tested once (j > i), in parallel, and the result mirrored: queen with GEOS prepared
// distance, rook then by measuring the shared boundary segment by segment (no GEOS overlays,
// which cost about 100 times more).
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <fmt/core.h>

#include <algorithm>
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point.hpp>
#include <boost/geometry/algorithms/intersects.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/geometry/strategies/strategies.hpp>
#include <cmath>
#include <limits>
#include <span>
#include <stdexcept>

#include "engine/errors.hpp"
#include "engine/geos.hpp"
#include "engine/spatial_weights.hpp"

namespace safer::hotspots {

namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using Point = bg::model::point<double, 2, bg::cs::cartesian>;
using Box = bg::model::box<Point>;
using Entry = std::pair<Box, int32_t>;

// GEOS geometries cache derived data lazily and prepared geometries build indexes on first use,
// so no GEOS object is shared between threads: each thread clones what it touches.
struct ThreadCache {
    std::vector<geos::Geometry> copy;
    std::vector<std::pair<double, double>> intervals; // rook scratch

    void ensure(size_t n) {
        if (copy.empty()) copy.resize(n);
    }
};

const GEOSGeometry* local_copy(ThreadCache& cache, std::span<const GEOSGeometry* const> polygons, size_t i) {
    cache.ensure(polygons.size());
    if (!cache.copy[i]) cache.copy[i] = geos::clone(polygons[i]);
    return cache.copy[i].get();
}

// Boundary segments of every polygon, rings of all parts, read once before going parallel.
struct Segment {
    double x0, y0, x1, y1;
    double min_x() const { return std::min(x0, x1); }
    double max_x() const { return std::max(x0, x1); }
    double min_y() const { return std::min(y0, y1); }
    double max_y() const { return std::max(y0, y1); }
};

struct Boundaries {
    std::vector<int64_t> offsets{0};
    std::vector<Segment> segments;

    std::span<const Segment> of(size_t i) const {
        return {segments.data() + offsets[i], static_cast<size_t>(offsets[i + 1] - offsets[i])};
    }
};

void add_ring(GEOSContextHandle_t ctx, const GEOSGeometry* ring, std::vector<Segment>& out) {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, ring);
    unsigned size = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(ctx, seq, &size)) throw std::runtime_error("GEOS ring coordinates failed: " + geos::last_message());
    double px = 0, py = 0;
    for (unsigned k = 0; k < size; ++k) {
        double qx = 0, qy = 0;
        GEOSCoordSeq_getXY_r(ctx, seq, k, &qx, &qy);
        if (k > 0 && (qx != px || qy != py)) out.push_back(Segment{px, py, qx, qy});
        px = qx, py = qy;
    }
}

Boundaries read_boundaries(std::span<const GEOSGeometry* const> polygons) {
    GEOSContextHandle_t ctx = geos::context();
    Boundaries b;
    for (const GEOSGeometry* g : polygons) {
        const int parts = GEOSGetNumGeometries_r(ctx, g);
        for (int p = 0; p < parts; ++p) {
            const GEOSGeometry* part = GEOSGetGeometryN_r(ctx, g, p);
            if (GEOSisEmpty_r(ctx, part)) continue;
            add_ring(ctx, GEOSGetExteriorRing_r(ctx, part), b.segments);
            const int holes = GEOSGetNumInteriorRings_r(ctx, part);
            for (int h = 0; h < holes; ++h) add_ring(ctx, GEOSGetInteriorRingN_r(ctx, part, h), b.segments);
        }
        b.offsets.push_back(static_cast<int64_t>(b.segments.size()));
    }
    return b;
}

// Clamps [lo, hi] to the parameter range [0, 1] of a segment; false if nothing is left.
bool clamp01(double& lo, double& hi) {
    lo = std::max(lo, 0.0), hi = std::min(hi, 1.0);
    return lo <= hi;
}

// Parameters t in [0, 1] where lo <= alpha + beta t <= hi.
bool linear_range(double alpha, double beta, double lo, double hi, double& t0, double& t1) {
    if (std::fabs(beta) < 1e-300) {
        if (alpha < lo || alpha > hi) return false;
        t0 = 0, t1 = 1;
        return true;
    }
    t0 = (lo - alpha) / beta, t1 = (hi - alpha) / beta;
    if (t0 > t1) std::swap(t0, t1);
    return clamp01(t0, t1);
}

// Parameters t in [0, 1] where a(t) lies within r of point (cx, cy).
bool disc_range(const Segment& a, double cx, double cy, double r, double& t0, double& t1) {
    const double dx = a.x1 - a.x0, dy = a.y1 - a.y0, fx = a.x0 - cx, fy = a.y0 - cy;
    const double qa = dx * dx + dy * dy, qb = 2 * (fx * dx + fy * dy), qc = fx * fx + fy * fy - r * r;
    const double disc = qb * qb - 4 * qa * qc;
    if (disc < 0) return false;
    const double root = std::sqrt(disc);
    t0 = (-qb - root) / (2 * qa), t1 = (-qb + root) / (2 * qa);
    return clamp01(t0, t1);
}

// The part of segment a within distance r of segment b, as a parameter interval of a. The
// points within r of b form a capsule (a rectangle and two discs); being convex, it cuts a's
// line in one interval, the union of what each piece cuts.
bool near_range(const Segment& a, const Segment& b, double r, double& t0, double& t1) {
    bool any = false;
    auto take = [&](bool hit, double lo, double hi) {
        if (!hit) return;
        t0 = any ? std::min(t0, lo) : lo;
        t1 = any ? std::max(t1, hi) : hi;
        any = true;
    };
    double lo = 0, hi = 0;
    bool hit = disc_range(a, b.x0, b.y0, r, lo, hi);
    take(hit, lo, hi);
    hit = disc_range(a, b.x1, b.y1, r, lo, hi);
    take(hit, lo, hi);
    const double bx = b.x1 - b.x0, by = b.y1 - b.y0, len = std::hypot(bx, by);
    if (len > 0) {
        const double ux = bx / len, uy = by / len;
        const double px = a.x0 - b.x0, py = a.y0 - b.y0, dx = a.x1 - a.x0, dy = a.y1 - a.y0;
        double s0 = 0, s1 = 0, h0 = 0, h1 = 0;
        if (linear_range(px * ux + py * uy, dx * ux + dy * uy, 0, len, s0, s1) &&
            linear_range(-px * uy + py * ux, -dx * uy + dy * ux, -r, r, h0, h1)) {
            lo = std::max(s0, h0), hi = std::min(s1, h1);
            take(lo <= hi, lo, hi);
        }
    }
    return any;
}

// Length of polygon a's boundary lying within r of polygon b's boundary.
double shared_length(std::span<const Segment> a, std::span<const Segment> b, double r,
                     std::vector<std::pair<double, double>>& intervals) {
    double b_min_x = INFINITY, b_min_y = INFINITY, b_max_x = -INFINITY, b_max_y = -INFINITY;
    for (const Segment& s : b)
        b_min_x = std::min(b_min_x, s.min_x()), b_min_y = std::min(b_min_y, s.min_y()),
        b_max_x = std::max(b_max_x, s.max_x()), b_max_y = std::max(b_max_y, s.max_y());
    // Only b's segments near a's envelope can matter; with many, an rtree finds them per segment.
    double a_min_x = INFINITY, a_min_y = INFINITY, a_max_x = -INFINITY, a_max_y = -INFINITY;
    for (const Segment& s : a)
        a_min_x = std::min(a_min_x, s.min_x()), a_min_y = std::min(a_min_y, s.min_y()),
        a_max_x = std::max(a_max_x, s.max_x()), a_max_y = std::max(a_max_y, s.max_y());
    std::vector<Entry> near_b;
    for (size_t k = 0; k < b.size(); ++k) {
        const Segment& s = b[k];
        if (s.max_x() < a_min_x - r || s.min_x() > a_max_x + r || s.max_y() < a_min_y - r || s.min_y() > a_max_y + r) continue;
        near_b.emplace_back(Box(Point(s.min_x(), s.min_y()), Point(s.max_x(), s.max_y())), static_cast<int32_t>(k));
    }
    if (near_b.empty()) return 0;
    constexpr size_t index_from = 48;
    bgi::rtree<Entry, bgi::quadratic<16>> tree;
    if (near_b.size() >= index_from) tree = bgi::rtree<Entry, bgi::quadratic<16>>(near_b.begin(), near_b.end());
    std::vector<Entry> hits;

    double total = 0;
    for (const Segment& s : a) {
        if (s.max_x() < b_min_x - r || s.min_x() > b_max_x + r || s.max_y() < b_min_y - r || s.min_y() > b_max_y + r) continue;
        const Box grown(Point(s.min_x() - r, s.min_y() - r), Point(s.max_x() + r, s.max_y() + r));
        const std::vector<Entry>* candidates = &near_b;
        if (near_b.size() >= index_from) {
            hits.clear();
            tree.query(bgi::intersects(grown), std::back_inserter(hits));
            candidates = &hits;
        }
        intervals.clear();
        for (const Entry& e : *candidates) {
            if (!bg::intersects(grown, e.first)) continue;
            double t0 = 0, t1 = 0;
            if (near_range(s, b[static_cast<size_t>(e.second)], r, t0, t1)) intervals.emplace_back(t0, t1);
        }
        if (intervals.empty()) continue;
        std::sort(intervals.begin(), intervals.end());
        double covered = 0, lo = intervals[0].first, hi = intervals[0].second;
        for (const auto& [t0, t1] : intervals) {
            if (t0 > hi) {
                covered += hi - lo;
                lo = t0;
            }
            hi = std::max(hi, t1);
        }
        covered += hi - lo;
        total += covered * std::hypot(s.x1 - s.x0, s.y1 - s.y0);
    }
    return total;
}

} // namespace

SpatialWeights contiguity(std::span<const GEOSGeometry* const> polygons, Contiguity kind, double tolerance) {
    if (!(tolerance >= 0) || !std::isfinite(tolerance))
        throw InputError(fmt::format("contiguity tolerance must be a non-negative distance, not {}", tolerance));
    const size_t n = polygons.size();
    if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max())) throw InputError("contiguity: too many polygons");
    GEOSContextHandle_t ctx = geos::context();
    std::vector<Entry> entries;
    entries.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        if (!polygons[i] || GEOSisEmpty_r(ctx, polygons[i]) != 0)
            throw InputError(fmt::format("contiguity: polygon {} is empty", i));
        const int type = GEOSGeomTypeId_r(ctx, polygons[i]);
        if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON)
            throw InputError(fmt::format("contiguity: feature {} is not a polygon", i));
        // Also settles each geometry's cached envelope here, before threads read it.
        const geos::Envelope e = geos::envelope(polygons[i]);
        entries.emplace_back(Box(Point(e.min_x, e.min_y), Point(e.max_x, e.max_y)), static_cast<int32_t>(i));
    }
    const bgi::rtree<Entry, bgi::quadratic<16>> tree(entries.begin(), entries.end());
    Boundaries boundaries;
    double rook_r = tolerance;
    if (kind == Contiguity::rook) {
        boundaries = read_boundaries(polygons);
        // At tolerance 0, exact collinearity would be decided by rounding: use a floor relative to
        // the coordinates' magnitude (1e-9, a millimetre at national-grid eastings) instead.
        double magnitude = 0;
        for (const Entry& e : entries)
            magnitude = std::max({magnitude, std::fabs(e.first.min_corner().get<0>()), std::fabs(e.first.max_corner().get<0>()),
                                  std::fabs(e.first.min_corner().get<1>()), std::fabs(e.first.max_corner().get<1>())});
        rook_r = std::max(tolerance, 1e-9 * magnitude);
    }

    std::vector<std::vector<int32_t>> later(n); // neighbours j > i of each i
    tbb::enumerable_thread_specific<ThreadCache> caches;
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 64), [&](const tbb::blocked_range<size_t>& r) {
        ThreadCache& cache = caches.local();
        GEOSContextHandle_t tctx = geos::context();
        std::vector<Entry> candidates;
        for (size_t i = r.begin(); i != r.end(); ++i) {
            const Box& b = entries[i].first;
            const Box grown(Point(b.min_corner().get<0>() - tolerance, b.min_corner().get<1>() - tolerance),
                            Point(b.max_corner().get<0>() + tolerance, b.max_corner().get<1>() + tolerance));
            candidates.clear();
            tree.query(bgi::intersects(grown), std::back_inserter(candidates));
            std::erase_if(candidates, [&](const Entry& c) { return c.second <= static_cast<int32_t>(i); });
            if (candidates.empty()) continue;
            std::sort(candidates.begin(), candidates.end(), [](const Entry& l, const Entry& r2) { return l.second < r2.second; });
            // Prepared once per polygon, used against all its candidates (an indexed facet distance).
            const geos::Prepared prepared = geos::prepare(local_copy(cache, polygons, i));
            for (const Entry& c : candidates) {
                const auto j = static_cast<size_t>(c.second);
                const char near = GEOSPreparedDistanceWithin_r(tctx, prepared.get(), local_copy(cache, polygons, j), tolerance);
                if (near == 2) throw std::runtime_error("GEOS distance failed: " + geos::last_message());
                if (!near) continue;
                if (kind == Contiguity::rook) {
                    const double threshold = rook_min_shared * rook_r;
                    if (shared_length(boundaries.of(i), boundaries.of(j), rook_r, cache.intervals) <= threshold) continue;
                    if (shared_length(boundaries.of(j), boundaries.of(i), rook_r, cache.intervals) <= threshold) continue;
                }
                later[i].push_back(c.second);
            }
        }
    });

    SpatialWeights w;
    std::vector<int64_t> degree(n, 0);
    for (size_t i = 0; i < n; ++i) {
        degree[i] += static_cast<int64_t>(later[i].size());
        for (int32_t j : later[i]) ++degree[static_cast<size_t>(j)];
    }
    w.offsets.assign(n + 1, 0);
    for (size_t i = 0; i < n; ++i) w.offsets[i + 1] = w.offsets[i] + degree[i];
    w.neighbours.resize(static_cast<size_t>(w.offsets.back()));
    std::vector<int64_t> fill(w.offsets.begin(), w.offsets.end() - 1);
    // Visiting i ascending writes every row in ascending order: first the smaller neighbours
    // (as they list i), then i's own larger ones.
    for (size_t i = 0; i < n; ++i) {
        for (int32_t j : later[i]) {
            w.neighbours[static_cast<size_t>(fill[i]++)] = j;
            w.neighbours[static_cast<size_t>(fill[static_cast<size_t>(j)]++)] = static_cast<int32_t>(i);
        }
    }
    return w;
}

} // namespace safer::hotspots
