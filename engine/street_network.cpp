#include "engine/street_network.hpp"

#include <fmt/core.h>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "engine/errors.hpp"
#include "engine/incidents.hpp"
#include "engine/path_network.hpp"

namespace safer::streets {

namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using BoxPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using Box = bg::model::box<BoxPoint>;
using Entry = std::pair<Box, uint32_t>; // a piece of a segment's line: the index of its first vertex
using Tree = bgi::rtree<Entry, bgi::rstar<16>>;

GEOSContextHandle_t ctx() { return geos::context(); }

/// Ties closer than this are the same distance: a point at a junction is as near every segment
/// meeting there, up to rounding.
constexpr double tie_metres = 1e-3;

double piece_distance(double px, double py, double ax, double ay, double bx, double by) {
    const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
    const double t = len2 > 0 ? std::clamp(((px - ax) * dx + (py - ay) * dy) / len2, 0.0, 1.0) : 0.0;
    return std::hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/// A convex hull (Andrew's monotone chain), counter-clockwise, and whether a point lies within a
/// distance of it. Plain code rather than GEOS: it is queried from many threads at once.
class ConvexHull {
public:
    ConvexHull(const std::vector<double>& x, const std::vector<double>& y) {
        std::vector<std::pair<double, double>> p;
        p.reserve(x.size());
        for (size_t i = 0; i < x.size(); ++i) p.emplace_back(x[i], y[i]);
        std::sort(p.begin(), p.end());
        p.erase(std::unique(p.begin(), p.end()), p.end());
        if (p.size() < 3) {
            m_hull = p;
            return;
        }
        const auto cross = [](const auto& o, const auto& a, const auto& b) {
            return (a.first - o.first) * (b.second - o.second) - (a.second - o.second) * (b.first - o.first);
        };
        std::vector<std::pair<double, double>> h(2 * p.size());
        size_t k = 0;
        for (size_t i = 0; i < p.size(); ++i) {
            while (k >= 2 && cross(h[k - 2], h[k - 1], p[i]) <= 0) --k;
            h[k++] = p[i];
        }
        for (size_t i = p.size() - 1, t = k + 1; i-- > 0;) {
            while (k >= t && cross(h[k - 2], h[k - 1], p[i]) <= 0) --k;
            h[k++] = p[i];
        }
        h.resize(k - 1);
        m_hull = std::move(h);
    }
    bool within(double px, double py, double reach) const {
        if (m_hull.empty()) return false;
        const size_t n = m_hull.size();
        bool inside = n >= 3;
        double nearest = std::numeric_limits<double>::infinity();
        for (size_t i = 0; i < n; ++i) {
            const auto& a = m_hull[i];
            const auto& b = m_hull[(i + 1) % n];
            if ((b.first - a.first) * (py - a.second) - (b.second - a.second) * (px - a.first) < 0) inside = false;
            nearest = std::min(nearest, piece_distance(px, py, a.first, a.second, b.first, b.second));
        }
        return inside || nearest <= reach;
    }

private:
    std::vector<std::pair<double, double>> m_hull;
};

} // namespace

StreetNetwork build_street_network(std::span<const FeatureRecord> streets) {
    StreetNetwork net;
    std::vector<paths::Line> lines;
    lines.reserve(streets.size());
    for (const FeatureRecord& f : streets) {
        if (!f.geometry) continue;
        paths::Line l;
        l.geometry = geos::clone(f.geometry.get());
        l.is_path = true; // every line is a street segment's line
        l.kind = f.kind;
        l.name = f.name;
        l.feature = f.feature;
        lines.push_back(std::move(l));
    }
    net.lines = lines.size();
    if (lines.empty()) throw InputError("there are no street lines to build segments from");
    paths::Network built = paths::build_network(std::move(lines));
    net.node_x = std::move(built.node_x);
    net.node_y = std::move(built.node_y);
    std::vector<uint32_t> from, to;
    std::vector<double> length;
    for (paths::Segment& p : built.segments) {
        Segment s;
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx(), p.geometry.get());
        unsigned n = 0;
        if (!seq || !GEOSCoordSeq_getSize_r(ctx(), seq, &n) || n < 2) throw std::runtime_error("GEOS: a street segment without coordinates: " + geos::last_message());
        std::vector<double> xs(n), ys(n);
        for (unsigned i = 0; i < n; ++i) GEOSCoordSeq_getXY_r(ctx(), seq, i, &xs[i], &ys[i]);
        // Ends exactly on their nodes: where a sliver was closed they were up to 10 cm apart.
        xs.front() = net.node_x[p.start_node], ys.front() = net.node_y[p.start_node];
        xs.back() = net.node_x[p.end_node], ys.back() = net.node_y[p.end_node];
        double m = 0;
        for (unsigned i = 0; i < n; ++i) {
            if (i > 0) m += std::hypot(xs[i] - xs[i - 1], ys[i] - ys[i - 1]);
            net.vx.push_back(xs[i]);
            net.vy.push_back(ys[i]);
            net.measure.push_back(m);
        }
        net.vertex_offset.push_back(static_cast<int64_t>(net.vx.size()));
        GEOSCoordSequence* snapped = GEOSCoordSeq_copyFromArrays_r(ctx(), xs.data(), ys.data(), nullptr, nullptr, n);
        if (!snapped) throw std::runtime_error("GEOS coordinate sequence failed: " + geos::last_message());
        s.geometry = geos::checked(GEOSGeom_createLineString_r(ctx(), snapped), "street segment");
        s.name = std::move(p.name);
        s.kind = std::move(p.kind);
        s.length = m;
        s.from = p.start_node;
        s.to = p.end_node;
        from.push_back(s.from);
        to.push_back(s.to);
        length.push_back(m);
        net.length += m;
        net.segments.push_back(std::move(s));
    }
    net.graph = network::Graph(static_cast<uint32_t>(net.node_x.size()), std::move(from), std::move(to), std::move(length));
    for (uint32_t v = 0; v < net.graph.nodes(); ++v) {
        net.junctions += net.graph.degree(v) >= 3;
        net.dead_ends += net.graph.degree(v) == 1;
    }
    return net;
}

Placement place_points(const StreetNetwork& net, std::span<const double> x, std::span<const double> y, double tolerance) {
    if (!(tolerance >= 0) || !std::isfinite(tolerance)) throw InputError(fmt::format("street tolerance {} m: it must be 0 or more", tolerance));
    Placement out;
    out.segment.assign(x.size(), -1);
    out.position.assign(x.size(), 0.0);
    out.distance.assign(x.size(), std::numeric_limits<double>::infinity());
    out.reason.assign(x.size(), OffNetwork::far_from_street);
    if (x.empty()) return out;

    // Each piece of each line in an R-tree, and which segment every vertex belongs to.
    std::vector<uint32_t> segment_of(net.vx.size());
    std::vector<Entry> entries;
    entries.reserve(net.vx.size());
    for (uint32_t s = 0; s < net.segments.size(); ++s)
        for (int64_t k = net.vertex_offset[s]; k < net.vertex_offset[s + 1]; ++k) {
            segment_of[static_cast<size_t>(k)] = s;
            if (k + 1 < net.vertex_offset[s + 1]) {
                const auto i = static_cast<size_t>(k);
                entries.emplace_back(Box({std::min(net.vx[i], net.vx[i + 1]), std::min(net.vy[i], net.vy[i + 1])},
                                         {std::max(net.vx[i], net.vx[i + 1]), std::max(net.vy[i], net.vy[i + 1])}),
                                     static_cast<uint32_t>(k));
            }
        }
    const Tree tree(entries.begin(), entries.end());

    // The network's extent: the convex hull of its vertices, grown by the tolerance.
    const ConvexHull hull(net.vx, net.vy);
    const double reach = std::max(tolerance, 0.01);

    const WeightedLocations at = unique_locations(std::vector<double>(x.begin(), x.end()), std::vector<double>(y.begin(), y.end()));
    const size_t n = at.x.size();
    std::vector<int32_t> seg(n, -1);
    std::vector<double> pos(n, 0.0), dist(n, std::numeric_limits<double>::infinity());
    std::vector<OffNetwork> why(n, OffNetwork::far_from_street);
    std::vector<uint8_t> tie(n, 0);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 256), [&](const tbb::blocked_range<size_t>& range) {
        struct Candidate {
            double d;
            uint32_t segment;
            double position;
        };
        std::vector<Candidate> found;
        for (size_t i = range.begin(); i != range.end(); ++i) {
            const double px = at.x[i], py = at.y[i];
            if (!hull.within(px, py, reach)) {
                why[i] = OffNetwork::outside_network;
                continue;
            }
            found.clear();
            const Box query({px - tolerance, py - tolerance}, {px + tolerance, py + tolerance});
            for (auto it = tree.qbegin(bgi::intersects(query)); it != tree.qend(); ++it) {
                const auto k = static_cast<size_t>(it->second);
                const double ax = net.vx[k], ay = net.vy[k], bx = net.vx[k + 1], by = net.vy[k + 1];
                const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
                double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
                double position;
                if (t <= 0) t = 0, position = net.measure[k];
                else if (t >= 1) t = 1, position = net.measure[k + 1];
                else position = net.measure[k] + t * (net.measure[k + 1] - net.measure[k]);
                const double d = std::hypot(px - (ax + t * dx), py - (ay + t * dy));
                if (d <= tolerance) found.push_back({d, segment_of[k], position});
            }
            if (found.empty()) continue;
            double best = std::numeric_limits<double>::infinity();
            for (const Candidate& c : found) best = std::min(best, c.d);
            // Among the equally near: the lowest segment, and on it the nearest piece (then the
            // lowest position: a street that comes back near itself).
            const Candidate* chosen = nullptr;
            bool several = false;
            for (const Candidate& c : found) {
                if (c.d > best + tie_metres) continue;
                if (chosen && c.segment != chosen->segment) several = true;
                if (!chosen || c.segment < chosen->segment ||
                    (c.segment == chosen->segment && (c.d < chosen->d || (c.d == chosen->d && c.position < chosen->position))))
                    chosen = &c;
            }
            seg[i] = static_cast<int32_t>(chosen->segment);
            pos[i] = chosen->position;
            dist[i] = chosen->d;
            why[i] = OffNetwork::on_segment;
            tie[i] = several;
        }
    });
    for (size_t j = 0; j < x.size(); ++j) {
        const uint32_t i = at.location_of[j];
        out.segment[j] = seg[i];
        out.position[j] = pos[i];
        out.distance[j] = dist[i];
        out.reason[j] = why[i];
        out.ties += tie[i];
    }
    return out;
}

std::pair<double, double> point_along(const StreetNetwork& net, uint32_t s, double position) {
    const auto begin = static_cast<size_t>(net.vertex_offset[s]), end = static_cast<size_t>(net.vertex_offset[s + 1]);
    size_t k = begin;
    while (k + 2 < end && net.measure[k + 1] < position) ++k;
    const double span = net.measure[k + 1] - net.measure[k];
    const double t = span > 0 ? std::clamp((position - net.measure[k]) / span, 0.0, 1.0) : 0.0;
    return {net.vx[k] + t * (net.vx[k + 1] - net.vx[k]), net.vy[k] + t * (net.vy[k + 1] - net.vy[k])};
}

geos::Geometry piece(const StreetNetwork& net, uint32_t s, double from, double to) {
    const auto begin = static_cast<size_t>(net.vertex_offset[s]), end = static_cast<size_t>(net.vertex_offset[s + 1]);
    std::vector<double> xs, ys;
    const auto [x0, y0] = point_along(net, s, from);
    xs.push_back(x0), ys.push_back(y0);
    for (size_t k = begin; k < end; ++k)
        if (net.measure[k] > from && net.measure[k] < to) xs.push_back(net.vx[k]), ys.push_back(net.vy[k]);
    const auto [x1, y1] = point_along(net, s, to);
    xs.push_back(x1), ys.push_back(y1);
    GEOSCoordSequence* seq = GEOSCoordSeq_copyFromArrays_r(ctx(), xs.data(), ys.data(), nullptr, nullptr, static_cast<unsigned>(xs.size()));
    if (!seq) throw std::runtime_error("GEOS coordinate sequence failed: " + geos::last_message());
    return geos::checked(GEOSGeom_createLineString_r(ctx(), seq), "lixel");
}

Lixels make_lixels(const StreetNetwork& net, double lixel) {
    if (!(lixel > 0) || !std::isfinite(lixel)) throw InputError(fmt::format("lixel length {} m: it must be more than 0", lixel));
    Lixels out;
    out.first.push_back(0);
    for (uint32_t s = 0; s < net.segments.size(); ++s) {
        const double length = net.segments[s].length;
        const auto pieces = static_cast<uint32_t>(std::max(1.0, std::ceil(length / lixel - 1e-9)));
        for (uint32_t j = 0; j < pieces; ++j) {
            out.segment.push_back(s);
            out.from.push_back(length * j / pieces);
            out.to.push_back(j + 1 == pieces ? length : length * (j + 1) / pieces);
        }
        out.first.push_back(static_cast<uint32_t>(out.segment.size()));
    }
    return out;
}

hotspots::SpatialWeights network_distance_band(const StreetNetwork& net, double band) {
    if (!(band >= 0) || !std::isfinite(band)) throw InputError(fmt::format("network distance band {} m: it must be 0 or more", band));
    const network::Graph& g = net.graph;
    const size_t n = net.segments.size();
    std::vector<std::vector<int32_t>> rows(n);
    tbb::enumerable_thread_specific<network::BoundedSearch> searches([&] { return network::BoundedSearch(g); });
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 64), [&](const tbb::blocked_range<size_t>& range) {
        network::BoundedSearch& search = searches.local();
        for (size_t s = range.begin(); s != range.end(); ++s) {
            const std::pair<uint32_t, double> ends[2] = {{g.from(static_cast<uint32_t>(s)), 0.0}, {g.to(static_cast<uint32_t>(s)), 0.0}};
            search.run(ends, band);
            std::vector<int32_t>& row = rows[s];
            for (uint32_t v : search.reached())
                for (const network::Graph::Arc& a : g.arcs(v))
                    if (a.edge != s) row.push_back(static_cast<int32_t>(a.edge));
            std::sort(row.begin(), row.end());
            row.erase(std::unique(row.begin(), row.end()), row.end());
        }
    });
    hotspots::SpatialWeights w;
    w.offsets.reserve(n + 1);
    for (const auto& row : rows) {
        w.neighbours.insert(w.neighbours.end(), row.begin(), row.end());
        w.offsets.push_back(static_cast<int64_t>(w.neighbours.size()));
    }
    return w;
}

} // namespace safer::streets
