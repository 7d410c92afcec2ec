#include "engine/disc_union.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <boost/polygon/voronoi.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <unordered_map>
#include <stdexcept>

namespace safer::guard {

namespace {

namespace bp = boost::polygon;
using Diagram = bp::voronoi_diagram<double>;
using Vertex = Diagram::vertex_type;

constexpr double scale = 1000; // centres are rounded to 1 mm
constexpr double two_pi = 2 * std::numbers::pi;

struct Point {
    double x, y;
};

/// Adds the vertices of the circle (centre c, radius R, vertices at k·δ) strictly between the
/// directions of a and b, counter-clockwise from a.
void add_arc(std::vector<double>& xs, std::vector<double>& ys, Point c, double R, double delta, Point a, Point b) {
    double alpha = std::atan2(a.y - c.y, a.x - c.x);
    double beta = std::atan2(b.y - c.y, b.x - c.x);
    if (alpha < 0) alpha += two_pi;
    if (beta < 0) beta += two_pi;
    if (beta <= alpha) beta += two_pi;
    constexpr double eps = 1e-9;
    for (double k = std::floor(alpha / delta) + 1;; ++k) {
        const double angle = k * delta;
        if (angle >= beta - eps) break;
        if (angle <= alpha + eps) continue;
        xs.push_back(c.x + R * std::cos(angle));
        ys.push_back(c.y + R * std::sin(angle));
    }
}

void push_unique(std::vector<double>& xs, std::vector<double>& ys, Point p) {
    if (!xs.empty() && xs.back() == p.x && ys.back() == p.y) return;
    xs.push_back(p.x);
    ys.push_back(p.y);
}

} // namespace

double Ring::area() const {
    // Relative to the first point, which keeps the products small (coordinates are ~10^5 m).
    if (x.size() < 4) return 0;
    double a = 0;
    const double x0 = x[0], y0 = y[0];
    for (size_t i = 1; i + 2 < x.size(); ++i) a += (x[i] - x0) * (y[i + 1] - y0) - (x[i + 1] - x0) * (y[i] - y0);
    return a / 2;
}

Extent Ring::extent() const {
    Extent e;
    for (size_t i = 0; i < x.size(); ++i) e.add(x[i], y[i]);
    return e;
}

std::vector<Ring> disc_union_pieces(std::span<const double> x, std::span<const double> y, double r, int quadrant_segments) {
    if (x.empty()) return {};
    double ox = std::numeric_limits<double>::infinity(), oy = ox, mx = -ox, my = -ox;
    for (size_t i = 0; i < x.size(); ++i) {
        if (!std::isfinite(x[i]) || !std::isfinite(y[i])) throw std::runtime_error("disc union: a centre is not a finite number");
        ox = std::min(ox, x[i]), oy = std::min(oy, y[i]), mx = std::max(mx, x[i]), my = std::max(my, y[i]);
    }
    ox = std::floor(ox), oy = std::floor(oy);
    if ((mx - ox) * scale > 2.0e9 || (my - oy) * scale > 2.0e9)
        throw std::runtime_error("disc union: the centres span more than 2,000 km");
    std::vector<std::pair<int32_t, int32_t>> sites(x.size());
    for (size_t i = 0; i < x.size(); ++i)
        sites[i] = {static_cast<int32_t>(std::llround((x[i] - ox) * scale)), static_cast<int32_t>(std::llround((y[i] - oy) * scale))};
    std::sort(sites.begin(), sites.end());
    sites.erase(std::unique(sites.begin(), sites.end()), sites.end());

    const int n4 = 4 * std::max(1, quadrant_segments);
    const double delta = two_pi / n4;
    const double R = r * std::sqrt(delta / std::sin(delta)); // world units
    const double Rs = R * scale;                               // scaled units
    const auto world = [&](double sx, double sy) { return Point{ox + sx / scale, oy + sy / scale}; };
    const auto centre = [&](size_t i) { return world(sites[i].first, sites[i].second); };
    const auto full_disc = [&](size_t i) {
        Ring ring;
        const Point c = centre(i);
        for (int k = 0; k <= n4; ++k) {
            ring.x.push_back(c.x + R * std::cos((k % n4) * delta));
            ring.y.push_back(c.y + R * std::sin((k % n4) * delta));
        }
        return ring;
    };
    std::vector<Ring> pieces(sites.size());
    if (sites.size() == 1) {
        pieces[0] = full_disc(0);
        return pieces;
    }

    std::vector<bp::point_data<int32_t>> points;
    points.reserve(sites.size());
    for (const auto& s : sites) points.emplace_back(s.first, s.second);
    Diagram vd;
    bp::construct_voronoi(points.begin(), points.end(), &vd);

    struct Portion {
        Point start, end;
        const Vertex* start_vertex; // the cell vertex it starts at, or null for a point on the circle
        const Vertex* end_vertex;
    };
    const auto& cells = vd.cells();
    tbb::parallel_for(size_t{0}, cells.size(), [&](size_t k) {
        const auto& cell = cells[k];
        const size_t i = cell.source_index();
        const auto* first = cell.incident_edge();
        if (!first) {
            pieces[i] = full_disc(i);
            return;
        }
        std::vector<Portion> portions;
        const auto* e = first;
        do {
            const size_t j = e->twin()->cell()->source_index();
            // Everything about the pair is computed from (a, b) = (lower, higher index), so the two
            // cells sharing this edge get the same numbers bit for bit.
            const size_t a = std::min(i, j), b = std::max(i, j);
            const double ax = sites[a].first, ay = sites[a].second, bx = sites[b].first, by = sites[b].second;
            const double nx = bx - ax, ny = by - ay;
            const double L = std::hypot(nx, ny);
            const double half = L / 2;
            if (half < Rs) {
                const double h = std::sqrt(Rs * Rs - half * half);
                const double mxs = (ax + bx) / 2, mys = (ay + by) / 2;
                const double dx = -ny / L, dy = nx / L; // canonical direction along the bisector
                const double s = i == a ? 1.0 : -1.0;   // this cell's direction (its site on the left) = s · canonical
                const auto param = [&](const Vertex* v) { return (v->x() - mxs) * dx + (v->y() - mys) * dy; };
                const Vertex* v0 = e->vertex0();
                const Vertex* v1 = e->vertex1();
                const double lo = v0 ? s * param(v0) : -std::numeric_limits<double>::infinity();
                const double hi = v1 ? s * param(v1) : std::numeric_limits<double>::infinity();
                const double from = std::max(lo, -h), to = std::min(hi, h);
                if (from < to) {
                    const auto chord = [&](double t) { return world(mxs + t * dx, mys + t * dy); }; // canonical t
                    Portion p;
                    p.start_vertex = lo > -h ? v0 : nullptr;
                    p.end_vertex = hi < h ? v1 : nullptr;
                    p.start = p.start_vertex ? world(v0->x(), v0->y()) : chord(-s * h);
                    p.end = p.end_vertex ? world(v1->x(), v1->y()) : chord(s * h);
                    portions.push_back(p);
                }
            }
            e = e->next();
        } while (e != first);
        if (portions.empty()) {
            pieces[i] = full_disc(i); // the disc lies inside its cell
            return;
        }
        Ring ring;
        const Point c = centre(i);
        const double close = 1e-7 * R;
        const auto joins = [&](const Portion& before, const Portion& after) {
            if (before.end_vertex && before.end_vertex == after.start_vertex) return true;
            return std::hypot(before.end.x - after.start.x, before.end.y - after.start.y) <= close;
        };
        for (size_t p = 0; p < portions.size(); ++p) {
            if (p == 0)
                push_unique(ring.x, ring.y, portions[p].start);
            else if (!joins(portions[p - 1], portions[p])) {
                add_arc(ring.x, ring.y, c, R, delta, portions[p - 1].end, portions[p].start);
                push_unique(ring.x, ring.y, portions[p].start);
            }
            push_unique(ring.x, ring.y, portions[p].end);
        }
        if (!joins(portions.back(), portions.front())) add_arc(ring.x, ring.y, c, R, delta, portions.back().end, portions.front().start);
        ring.x.push_back(ring.x.front());
        ring.y.push_back(ring.y.front());
        if (ring.x.size() >= 4) pieces[i] = std::move(ring);
    });
    std::erase_if(pieces, [](const Ring& ring) { return ring.x.size() < 4; });
    return pieces;
}

namespace {

struct PointHash {
    size_t operator()(const Point& p) const noexcept {
        uint64_t a, b;
        std::memcpy(&a, &p.x, 8);
        std::memcpy(&b, &p.y, 8);
        return std::hash<uint64_t>()(a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL + (a << 6) + (a >> 2)));
    }
};
struct PointEq {
    bool operator()(const Point& a, const Point& b) const noexcept { return a.x == b.x && a.y == b.y; }
};

bool ring_contains(const Ring& ring, double px, double py) {
    bool in = false;
    const size_t n = ring.x.size() - 1;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        if ((ring.y[i] > py) != (ring.y[j] > py) && px < (ring.x[j] - ring.x[i]) * (py - ring.y[i]) / (ring.y[j] - ring.y[i]) + ring.x[i]) in = !in;
    }
    return in;
}

} // namespace

std::vector<PolygonRings> merge_pieces(const std::vector<Ring>& pieces) {
    // Directed edges, with shared edges (present once each way) cancelled.
    struct Edge {
        Point from, to;
        bool used = false;
    };
    std::vector<Edge> edges;
    std::unordered_map<Point, std::vector<uint32_t>, PointHash, PointEq> out_of; // start point -> edges
    for (const Ring& r : pieces)
        for (size_t i = 0; i + 1 < r.x.size(); ++i) {
            const Point a{r.x[i], r.y[i]}, b{r.x[i + 1], r.y[i + 1]};
            if (a.x == b.x && a.y == b.y) continue;
            // Is the reverse edge present? Then both are interior.
            bool cancelled = false;
            if (auto it = out_of.find(b); it != out_of.end()) {
                for (auto k = it->second.begin(); k != it->second.end(); ++k) {
                    Edge& e = edges[*k];
                    if (!e.used && e.to.x == a.x && e.to.y == a.y) {
                        e.used = true; // cancelled
                        it->second.erase(k);
                        cancelled = true;
                        break;
                    }
                }
            }
            if (cancelled) continue;
            out_of[a].push_back(static_cast<uint32_t>(edges.size()));
            edges.push_back({a, b, false});
        }
    std::vector<Ring> shells, holes;
    for (size_t start = 0; start < edges.size(); ++start) {
        if (edges[start].used) continue;
        Ring ring;
        size_t e = start;
        while (true) {
            Edge& edge = edges[e];
            edge.used = true;
            ring.x.push_back(edge.from.x);
            ring.y.push_back(edge.from.y);
            if (edge.to.x == edges[start].from.x && edge.to.y == edges[start].from.y) break;
            auto it = out_of.find(edge.to);
            size_t next = edges.size();
            if (it != out_of.end()) {
                // Among the unused edges leaving here, the most clockwise turn from this edge.
                const double in_angle = std::atan2(edge.from.y - edge.to.y, edge.from.x - edge.to.x); // pointing back
                double best = std::numeric_limits<double>::infinity();
                for (uint32_t k : it->second) {
                    if (edges[k].used) continue;
                    double a = std::atan2(edges[k].to.y - edges[k].from.y, edges[k].to.x - edges[k].from.x) - in_angle;
                    while (a <= 0) a += two_pi;
                    while (a > two_pi) a -= two_pi;
                    if (a < best) best = a, next = k;
                }
            }
            if (next == edges.size()) break; // open chain: broken input
            e = next;
        }
        ring.x.push_back(ring.x.front());
        ring.y.push_back(ring.y.front());
        if (ring.x.size() < 4) continue;
        const double a = ring.area();
        if (a > 0)
            shells.push_back(std::move(ring));
        else if (a < 0)
            holes.push_back(std::move(ring));
    }
    std::vector<PolygonRings> out(shells.size());
    std::vector<Extent> shell_extent(shells.size());
    std::vector<double> shell_area(shells.size());
    for (size_t i = 0; i < shells.size(); ++i) {
        shell_extent[i] = shells[i].extent();
        shell_area[i] = shells[i].area();
        out[i].shell = std::move(shells[i]);
    }
    for (Ring& h : holes) {
        const Extent he = h.extent();
        const double px = (h.x[0] + h.x[1]) / 2, py = (h.y[0] + h.y[1]) / 2;
        size_t owner = out.size();
        for (size_t i = 0; i < out.size(); ++i) {
            const Extent& se = shell_extent[i];
            if (he.min_x < se.min_x || he.max_x > se.max_x || he.min_y < se.min_y || he.max_y > se.max_y) continue;
            if (owner < out.size() && shell_area[i] >= shell_area[owner]) continue;
            if (ring_contains(out[i].shell, px, py)) owner = i;
        }
        if (owner < out.size()) out[owner].holes.push_back(std::move(h));
    }
    return out;
}

Ring clip_convex(const Ring& ring, const Extent& box) {
    std::vector<Point> poly;
    for (size_t i = 0; i + 1 < ring.x.size(); ++i) poly.push_back({ring.x[i], ring.y[i]});
    // Clips against one side: axis 0 is x, 1 is y; keep values >= v (greater) or <= v.
    const auto clip = [](const std::vector<Point>& in, int axis, double v, bool greater) {
        std::vector<Point> out;
        if (in.empty()) return out;
        const auto coord = [axis](const Point& p) { return axis == 0 ? p.x : p.y; };
        const auto inside = [&](const Point& p) { return greater ? coord(p) >= v : coord(p) <= v; };
        for (size_t k = 0; k < in.size(); ++k) {
            const Point& p = in[k];
            const Point& q = in[(k + 1) % in.size()];
            const bool pin = inside(p), qin = inside(q);
            if (pin) out.push_back(p);
            if (pin != qin) {
                // The crossing, from the endpoints in lexicographic order.
                const bool swap = q.x < p.x || (q.x == p.x && q.y < p.y);
                const Point& u = swap ? q : p;
                const Point& w = swap ? p : q;
                if (axis == 0) {
                    const double t = (v - u.x) / (w.x - u.x);
                    out.push_back({v, u.y + t * (w.y - u.y)});
                } else {
                    const double t = (v - u.y) / (w.y - u.y);
                    out.push_back({u.x + t * (w.x - u.x), v});
                }
            }
        }
        return out;
    };
    poly = clip(poly, 0, box.min_x, true);
    poly = clip(poly, 0, box.max_x, false);
    poly = clip(poly, 1, box.min_y, true);
    poly = clip(poly, 1, box.max_y, false);
    Ring out;
    for (const Point& p : poly) push_unique(out.x, out.y, p);
    while (out.x.size() > 1 && out.x.back() == out.x.front() && out.y.back() == out.y.front()) out.x.pop_back(), out.y.pop_back();
    if (out.x.size() < 3) return {};
    out.x.push_back(out.x.front());
    out.y.push_back(out.y.front());
    if (!(out.area() > 0)) return {};
    return out;
}

double area_in_convex(const Ring& subject, const Ring& convex, const Extent& box) {
    thread_local std::vector<Point> poly, next; // reused: this runs millions of times
    poly.clear();
    for (size_t i = 0; i + 1 < subject.x.size(); ++i) poly.push_back({subject.x[i], subject.y[i]});
    // Keeps the points with f(p) >= 0, f linear; a crossing is where f changes sign.
    const auto clip = [&](auto&& f) {
        next.clear();
        const size_t n = poly.size();
        for (size_t k = 0; k < n; ++k) {
            const Point& p = poly[k];
            const Point& q = poly[(k + 1) % n];
            const double fp = f(p), fq = f(q);
            if (fp >= 0) next.push_back(p);
            if ((fp >= 0) != (fq >= 0)) {
                const double t = fp / (fp - fq);
                next.push_back({p.x + t * (q.x - p.x), p.y + t * (q.y - p.y)});
            }
        }
        poly.swap(next);
    };
    clip([&](const Point& p) { return p.x - box.min_x; });
    if (poly.empty()) return 0;
    clip([&](const Point& p) { return box.max_x - p.x; });
    if (poly.empty()) return 0;
    clip([&](const Point& p) { return p.y - box.min_y; });
    if (poly.empty()) return 0;
    clip([&](const Point& p) { return box.max_y - p.y; });
    for (size_t i = 0; i + 1 < convex.x.size() && !poly.empty(); ++i) {
        const double ax = convex.x[i], ay = convex.y[i], ex = convex.x[i + 1] - ax, ey = convex.y[i + 1] - ay;
        clip([&](const Point& p) { return ex * (p.y - ay) - ey * (p.x - ax); }); // left of the edge
    }
    if (poly.size() < 3) return 0;
    double a = 0;
    const double x0 = poly[0].x, y0 = poly[0].y;
    for (size_t i = 1; i + 1 < poly.size(); ++i) a += (poly[i].x - x0) * (poly[i + 1].y - y0) - (poly[i + 1].x - x0) * (poly[i].y - y0);
    return std::abs(a) / 2;
}

} // namespace safer::guard
