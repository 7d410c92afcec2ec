#include "engine/path_network.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

#include "engine/errors.hpp"

namespace safer::paths {

namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using BoxPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using Box = bg::model::box<BoxPoint>;
using Entry = std::pair<Box, uint32_t>;
using Tree = bgi::rtree<Entry, bgi::quadratic<16>>;

GEOSContextHandle_t ctx() { return geos::context(); }

Box box_of(const GEOSGeometry* g, double grow = 0) {
    const geos::Envelope e = geos::envelope(g);
    return Box({e.min_x - grow, e.min_y - grow}, {e.max_x + grow, e.max_y + grow});
}

double distance(const GEOSGeometry* a, const GEOSGeometry* b) {
    double d = 0;
    if (!GEOSDistance_r(ctx(), a, b, &d)) throw std::runtime_error("GEOS distance failed: " + geos::last_message());
    return d;
}

struct XY {
    double x, y;
    bool operator==(const XY& o) const { return x == o.x && y == o.y; }
};
struct XYHash {
    size_t operator()(const XY& p) const noexcept {
        return std::hash<double>()(p.x) * 1000003u ^ std::hash<double>()(p.y);
    }
};

std::vector<XY> coordinates(const GEOSGeometry* line) {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx(), line);
    unsigned n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(ctx(), seq, &n)) throw std::runtime_error("GEOS coordinates failed: " + geos::last_message());
    std::vector<XY> out(n);
    for (unsigned i = 0; i < n; ++i) GEOSCoordSeq_getXY_r(ctx(), seq, i, &out[i].x, &out[i].y);
    return out;
}

geos::Geometry line_of(const std::vector<XY>& pts) {
    std::vector<double> xs(pts.size()), ys(pts.size());
    for (size_t i = 0; i < pts.size(); ++i) xs[i] = pts[i].x, ys[i] = pts[i].y;
    GEOSCoordSequence* seq = GEOSCoordSeq_copyFromArrays_r(ctx(), xs.data(), ys.data(), nullptr, nullptr, static_cast<unsigned>(pts.size()));
    if (!seq) throw std::runtime_error("GEOS coordinate sequence failed: " + geos::last_message());
    return geos::checked(GEOSGeom_createLineString_r(ctx(), seq), "line");
}

double path_length(const std::vector<XY>& pts) {
    double l = 0;
    for (size_t i = 0; i + 1 < pts.size(); ++i) l += std::hypot(pts[i + 1].x - pts[i].x, pts[i + 1].y - pts[i].y);
    return l;
}

} // namespace

uint32_t Segment::gates_needed() const {
    const uint32_t n = (start_degree >= 2 ? 1u : 0u) + (end_degree >= 2 ? 1u : 0u);
    return std::max(1u, n);
}

Network build_network(std::vector<Line> lines, double precision) {
    Network net;
    std::vector<GEOSGeometry*> raw;
    std::vector<size_t> path_lines;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (!lines[i].geometry) continue;
        if (lines[i].is_path) path_lines.push_back(i);
        raw.push_back(geos::clone(lines[i].geometry.get()).release());
    }
    if (path_lines.empty()) throw InputError("no path or alley lines to build a network from");
    geos::Geometry all = geos::checked(GEOSGeom_createCollection_r(ctx(), GEOS_GEOMETRYCOLLECTION, raw.data(), static_cast<unsigned>(raw.size())), "collection");
    geos::Geometry noded = geos::checked(GEOSUnaryUnionPrec_r(ctx(), all.get(), precision), "noding the network");

    // Which source each noded edge came from: a point inside the edge lies on its source line(s).
    std::vector<Entry> entries;
    for (size_t i = 0; i < lines.size(); ++i)
        if (lines[i].geometry) entries.emplace_back(box_of(lines[i].geometry.get(), precision), static_cast<uint32_t>(i));
    const Tree tree(entries.begin(), entries.end());

    struct Edge {
        std::vector<XY> pts;
        int32_t source = -1; // line index; paths preferred
        uint32_t a = 0, b = 0; // end nodes
        bool path = false;
        double length = 0;
    };
    std::vector<Edge> edges;
    std::unordered_map<XY, uint32_t, XYHash> node_of;
    std::vector<uint32_t> degree;
    std::vector<XY> node_at;
    const auto node = [&](const XY& p) {
        auto [it, added] = node_of.emplace(p, static_cast<uint32_t>(degree.size()));
        if (added) degree.push_back(0), node_at.push_back(p);
        return it->second;
    };
    const int n = GEOSGetNumGeometries_r(ctx(), noded.get());
    for (int k = 0; k < n; ++k) {
        const GEOSGeometry* g = GEOSGetGeometryN_r(ctx(), noded.get(), k);
        if (GEOSGeomTypeId_r(ctx(), g) != GEOS_LINESTRING) continue;
        Edge e;
        e.pts = coordinates(g);
        if (e.pts.size() < 2) continue;
        e.length = path_length(e.pts);
        if (!(e.length > 0)) continue;
        const geos::Geometry mid = geos::point((e.pts[0].x + e.pts[1].x) / 2, (e.pts[0].y + e.pts[1].y) / 2);
        const Box at({(e.pts[0].x + e.pts[1].x) / 2, (e.pts[0].y + e.pts[1].y) / 2}, {(e.pts[0].x + e.pts[1].x) / 2, (e.pts[0].y + e.pts[1].y) / 2});
        for (auto it = tree.qbegin(bgi::intersects(at)); it != tree.qend(); ++it) {
            const Line& src = lines[it->second];
            if (distance(mid.get(), src.geometry.get()) > precision) continue;
            const bool better = e.source < 0 || (src.is_path && !lines[static_cast<size_t>(e.source)].is_path) ||
                                (src.is_path == lines[static_cast<size_t>(e.source)].is_path && static_cast<int32_t>(it->second) < e.source);
            if (better) e.source = static_cast<int32_t>(it->second);
        }
        e.path = e.source >= 0 && lines[static_cast<size_t>(e.source)].is_path;
        e.a = node(e.pts.front());
        e.b = node(e.pts.back());
        edges.push_back(std::move(e));
    }
    // Edges shorter than 10 precision steps are slivers where a line ends a hair's breadth from
    // another (coordinates rounded in the file): their two nodes become one and they go.
    std::vector<uint32_t> parent(degree.size());
    std::iota(parent.begin(), parent.end(), 0u);
    const auto find = [&](uint32_t v) {
        while (parent[v] != v) v = parent[v] = parent[parent[v]];
        return v;
    };
    const double sliver = 10 * precision;
    for (const Edge& e : edges)
        if (e.length < sliver) {
            const uint32_t a = find(e.a), b = find(e.b);
            if (a != b) parent[std::max(a, b)] = std::min(a, b);
        }
    std::erase_if(edges, [&](const Edge& e) { return e.length < sliver; });
    for (Edge& e : edges) {
        e.a = find(e.a);
        e.b = find(e.b);
        ++degree[e.a];
        ++degree[e.b];
    }
    net.edges = edges.size();
    std::vector<uint32_t> node_id(degree.size(), 0); // compact numbering of the nodes left
    for (uint32_t v = 0; v < degree.size(); ++v)
        if (find(v) == v) {
            node_id[v] = static_cast<uint32_t>(net.nodes++);
            net.node_x.push_back(node_at[v].x);
            net.node_y.push_back(node_at[v].y);
            net.junctions += degree[v] >= 3;
        }

    // Incident path edges of each node.
    std::vector<std::vector<uint32_t>> incident(degree.size());
    for (size_t i = 0; i < edges.size(); ++i)
        if (edges[i].path) {
            incident[edges[i].a].push_back(static_cast<uint32_t>(i));
            if (edges[i].b != edges[i].a) incident[edges[i].b].push_back(static_cast<uint32_t>(i));
        }
    // A path passes straight through a node of degree 2 whose two ends are both path edges.
    const auto through = [&](uint32_t v) { return degree[v] == 2 && incident[v].size() == 2; };
    std::vector<uint8_t> used(edges.size(), 0);

    const auto finish = [&](std::vector<std::pair<uint32_t, bool>>& chain, uint32_t start_node, uint32_t end_node, bool loop) {
        Segment s;
        std::vector<XY> pts;
        std::map<std::string, double> kind_length, name_length;
        for (const auto& [ei, reversed] : chain) {
            const Edge& e = edges[ei];
            std::vector<XY> p = e.pts;
            if (reversed) std::reverse(p.begin(), p.end());
            if (!pts.empty()) p.erase(p.begin());
            pts.insert(pts.end(), p.begin(), p.end());
            const Line& src = lines[static_cast<size_t>(e.source)];
            kind_length[src.kind] += e.length;
            name_length[src.name] += e.length;
        }
        const auto longest = [](const std::map<std::string, double>& m) {
            return std::max_element(m.begin(), m.end(), [](const auto& a, const auto& b) { return a.second < b.second; })->first;
        };
        s.kind = longest(kind_length);
        s.name = longest(name_length);
        s.geometry = line_of(pts);
        s.length = path_length(pts);
        s.pieces = static_cast<uint32_t>(chain.size());
        s.start_degree = loop ? 0 : degree[start_node];
        s.end_degree = loop ? 0 : degree[end_node];
        s.start_node = node_id[start_node];
        s.end_node = node_id[end_node];
        if (!loop) net.dead_ends += (s.start_degree == 1) + (s.end_degree == 1);
        net.segments.push_back(std::move(s));
    };
    // Walks from node v along edge ei until a node where the path does not pass straight through.
    const auto walk = [&](uint32_t v, uint32_t ei) {
        std::vector<std::pair<uint32_t, bool>> chain;
        const uint32_t start = v;
        while (true) {
            used[ei] = 1;
            const Edge& e = edges[ei];
            const bool reversed = e.a != v;
            chain.emplace_back(ei, reversed);
            v = reversed ? e.a : e.b;
            if (!through(v)) break;
            const uint32_t next = incident[v][0] == ei ? incident[v][1] : incident[v][0];
            if (used[next]) break;
            ei = next;
        }
        finish(chain, start, v, false);
    };
    for (uint32_t v = 0; v < degree.size(); ++v) {
        if (through(v)) continue;
        for (uint32_t ei : incident[v])
            if (!used[ei]) walk(v, ei);
    }
    // What is left are loops through degree-2 nodes only.
    for (uint32_t ei = 0; ei < edges.size(); ++ei) {
        if (!edges[ei].path || used[ei]) continue;
        std::vector<std::pair<uint32_t, bool>> chain;
        uint32_t v = edges[ei].a, e = ei;
        while (!used[e]) {
            used[e] = 1;
            const bool reversed = edges[e].a != v;
            chain.emplace_back(e, reversed);
            v = reversed ? edges[e].a : edges[e].b;
            const uint32_t next = incident[v][0] == e ? incident[v][1] : incident[v][0];
            e = next;
        }
        finish(chain, v, v, true);
    }
    return net;
}

GateAssignment assign_gates(const Network& network, std::span<const GEOSGeometry* const> gates, double tolerance) {
    GateAssignment out;
    out.segment_of_gate.assign(gates.size(), -1);
    out.distance.assign(gates.size(), std::numeric_limits<double>::infinity());
    out.gates_on_segment.assign(network.segments.size(), 0);
    std::vector<Entry> entries;
    for (size_t i = 0; i < network.segments.size(); ++i) entries.emplace_back(box_of(network.segments[i].geometry.get()), static_cast<uint32_t>(i));
    const Tree tree(entries.begin(), entries.end());
    for (size_t g = 0; g < gates.size(); ++g) {
        const Box query = box_of(gates[g], tolerance);
        double best = std::numeric_limits<double>::infinity();
        std::vector<uint32_t> nearest;
        for (auto it = tree.qbegin(bgi::intersects(query)); it != tree.qend(); ++it) {
            const double d = distance(gates[g], network.segments[it->second].geometry.get());
            if (d < best - 1e-6) {
                best = d;
                nearest.assign(1, it->second);
            } else if (d <= best + 1e-6) {
                nearest.push_back(it->second);
            }
        }
        out.distance[g] = best;
        if (nearest.empty() || best > tolerance) continue;
        std::sort(nearest.begin(), nearest.end());
        out.segment_of_gate[g] = static_cast<int32_t>(nearest.front());
        ++out.gates_on_segment[nearest.front()];
        if (nearest.size() > 1) out.ambiguous.push_back(static_cast<uint32_t>(g));
    }
    return out;
}

std::vector<int32_t> nearest_segment(const Network& network, std::span<const double> x, std::span<const double> y, double reach,
                                     const std::vector<uint8_t>& eligible) {
    std::vector<Entry> entries;
    for (size_t i = 0; i < network.segments.size(); ++i)
        if (eligible.empty() || eligible[i]) entries.emplace_back(box_of(network.segments[i].geometry.get(), reach), static_cast<uint32_t>(i));
    const Tree tree(entries.begin(), entries.end());
    std::vector<int32_t> out(x.size(), -1);
    for (size_t i = 0; i < x.size(); ++i) {
        const Box at({x[i], y[i]}, {x[i], y[i]});
        double best = std::numeric_limits<double>::infinity();
        geos::Geometry p;
        for (auto it = tree.qbegin(bgi::intersects(at)); it != tree.qend(); ++it) {
            if (!p) p = geos::point(x[i], y[i]);
            const double d = distance(p.get(), network.segments[it->second].geometry.get());
            if (d <= reach && (d < best || (d == best && static_cast<int32_t>(it->second) < out[i]))) {
                best = d;
                out[i] = static_cast<int32_t>(it->second);
            }
        }
    }
    return out;
}

} // namespace safer::paths
