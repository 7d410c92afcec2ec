// Queen and rook contiguity with a snapping tolerance (see spatial_weights.hpp for the rule).
// Candidates come from an STR-packed rtree of envelopes grown by the tolerance; each candidate pair
// is then tested once (j > i) with GEOS, in parallel, and the result mirrored.
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <fmt/core.h>

#include <algorithm>
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <cmath>
#include <limits>
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
    std::vector<geos::Geometry> boundary; // rook only
    std::vector<geos::Geometry> buffer;   // rook only

    void ensure(size_t n) {
        if (copy.empty()) {
            copy.resize(n);
            boundary.resize(n);
            buffer.resize(n);
        }
    }
};

const GEOSGeometry* local_copy(ThreadCache& cache, std::span<const GEOSGeometry* const> polygons, size_t i) {
    cache.ensure(polygons.size());
    if (!cache.copy[i]) cache.copy[i] = geos::clone(polygons[i]);
    return cache.copy[i].get();
}

double length_of(const GEOSGeometry* g) {
    double len = 0;
    if (!GEOSLength_r(geos::context(), g, &len)) throw std::runtime_error("GEOS length failed: " + geos::last_message());
    return len;
}

// Length of polygon a's boundary lying within `tolerance` of polygon b.
double shared_length(ThreadCache& cache, std::span<const GEOSGeometry* const> polygons, size_t a, size_t b,
                     double tolerance) {
    GEOSContextHandle_t ctx = geos::context();
    if (!cache.boundary[a])
        cache.boundary[a] = geos::checked(GEOSBoundary_r(ctx, local_copy(cache, polygons, a)), "boundary");
    if (!cache.buffer[b])
        cache.buffer[b] = geos::checked(GEOSBuffer_r(ctx, local_copy(cache, polygons, b), tolerance, 4), "buffer");
    const geos::Geometry near =
        geos::checked(GEOSIntersection_r(ctx, cache.boundary[a].get(), cache.buffer[b].get()), "intersection");
    return length_of(near.get());
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
                    const double threshold = rook_min_shared * tolerance;
                    if (shared_length(cache, polygons, i, j, tolerance) <= threshold) continue;
                    if (shared_length(cache, polygons, j, i, tolerance) <= threshold) continue;
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
