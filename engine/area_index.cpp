#include "engine/area_index.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <fmt/core.h>

#include <algorithm>
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point.hpp>
#include <boost/geometry/index/rtree.hpp>

#include "engine/incidents.hpp"
#include "engine/progress.hpp"

namespace safer {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using BoxPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using Box = bg::model::box<BoxPoint>;
using Entry = std::pair<Box, int32_t>;

struct AreaIndex::Impl {
    const Areas& areas;
    bgi::rtree<Entry, bgi::quadratic<16>> tree;

    // Each thread prepares its own copies: GEOS prepared geometries build their indexes lazily
    // and are not safe to share between threads.
    struct ThreadGeometries {
        std::vector<geos::Geometry> copy;
        std::vector<geos::Prepared> prepared;
    };
    mutable tbb::enumerable_thread_specific<ThreadGeometries> per_thread;

    explicit Impl(const Areas& a) : areas(a) {
        std::vector<Entry> entries;
        entries.reserve(areas.size());
        for (size_t i = 0; i < areas.size(); ++i) {
            const geos::Envelope e = geos::envelope(areas.geometry[i].get());
            entries.emplace_back(Box({e.min_x, e.min_y}, {e.max_x, e.max_y}), static_cast<int32_t>(i));
        }
        tree = decltype(tree)(entries.begin(), entries.end()); // packing constructor (STR)
    }

    const GEOSPreparedGeometry* prepared(ThreadGeometries& local, int32_t area) const {
        if (local.prepared.empty()) {
            local.copy.resize(areas.size());
            local.prepared.resize(areas.size());
        }
        auto& p = local.prepared[static_cast<size_t>(area)];
        if (!p) {
            local.copy[static_cast<size_t>(area)] = geos::clone(areas.geometry[static_cast<size_t>(area)].get());
            p = geos::prepare(local.copy[static_cast<size_t>(area)].get());
        }
        return p.get();
    }

    int32_t locate_one(ThreadGeometries& local, std::vector<int32_t>& candidates, double x, double y) const {
        candidates.clear();
        const Box at(BoxPoint(x, y), BoxPoint(x, y));
        for (auto it = tree.qbegin(bgi::intersects(at)); it != tree.qend(); ++it) candidates.push_back(it->second);
        if (candidates.empty()) return no_area;
        // Areas are sorted by code, so the lowest index is the first code: the tie-break rule
        // for points on shared boundaries.
        std::sort(candidates.begin(), candidates.end());
        const geos::Geometry point = geos::point(x, y);
        GEOSContextHandle_t ctx = geos::context();
        for (int32_t area : candidates) {
            const char hit = GEOSPreparedIntersects_r(ctx, prepared(local, area), point.get());
            if (hit == 2) throw std::runtime_error("GEOS point-in-polygon failed: " + geos::last_message());
            if (hit) return area;
        }
        return no_area;
    }
};

AreaIndex::AreaIndex(const Areas& areas) : m_impl(std::make_unique<Impl>(areas)) {}

std::vector<AreaOverlap> AreaIndex::overlaps(size_t limit, size_t* total) const {
    const Impl& m = *m_impl;
    GEOSContextHandle_t ctx = geos::context();
    Impl::ThreadGeometries local;
    std::vector<AreaOverlap> found;
    size_t count = 0;
    for (size_t b = 0; b < m.areas.size(); ++b) {
        const geos::Geometry inside = geos::checked(GEOSPointOnSurface_r(ctx, m.areas.geometry[b].get()), "point on surface");
        double x = 0, y = 0;
        GEOSGeomGetX_r(ctx, inside.get(), &x);
        GEOSGeomGetY_r(ctx, inside.get(), &y);
        const Box at(BoxPoint(x, y), BoxPoint(x, y));
        for (auto it = m.tree.qbegin(bgi::intersects(at)); it != m.tree.qend(); ++it) {
            const auto a = static_cast<size_t>(it->second);
            if (a == b || GEOSPreparedContainsProperly_r(ctx, m.prepared(local, it->second), inside.get()) != 1) continue;
            ++count;
            if (found.size() >= limit) continue;
            const geos::Geometry common = geos::checked(GEOSIntersection_r(ctx, m.areas.geometry[a].get(), m.areas.geometry[b].get()), "intersection");
            const double area = geos::area(common.get()), own = geos::area(m.areas.geometry[b].get());
            found.push_back({a, b, area, own > 0 ? area / own : 0});
        }
    }
    if (total) *total = count;
    return found;
}
AreaIndex::~AreaIndex() = default;

std::vector<int32_t> AreaIndex::locate(const std::vector<double>& x, const std::vector<double>& y,
                                       Progress* progress) const {
    const WeightedLocations locations = unique_locations(x, y);
    const size_t n = locations.x.size();
    std::vector<int32_t> area_of_location(n, no_area);
    if (progress) progress->begin(fmt::format("assigning {} distinct locations to {} areas", n, m_impl->areas.size()), n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1024), [&](const tbb::blocked_range<size_t>& range) {
        auto& local = m_impl->per_thread.local();
        std::vector<int32_t> candidates;
        for (size_t i = range.begin(); i != range.end(); ++i)
            area_of_location[i] = m_impl->locate_one(local, candidates, locations.x[i], locations.y[i]);
        if (progress) progress->advance(range.size());
    });
    if (progress) progress->end();
    std::vector<int32_t> area(x.size());
    for (size_t i = 0; i < x.size(); ++i) area[i] = area_of_location[locations.location_of[i]];
    return area;
}

} // namespace safer
