// Path topology and gates on hand-drawn networks.
#include <catch2/catch.hpp>

#include "engine/errors.hpp"
#include "engine/path_network.hpp"

using namespace safer;
using namespace safer::paths;

namespace {

geos::Geometry line(std::initializer_list<std::pair<double, double>> pts) {
    GEOSCoordSequence* s = GEOSCoordSeq_create_r(geos::context(), static_cast<unsigned>(pts.size()), 2);
    unsigned i = 0;
    for (auto [x, y] : pts) GEOSCoordSeq_setXY_r(geos::context(), s, i++, x, y);
    return geos::checked(GEOSGeom_createLineString_r(geos::context(), s), "line");
}

Line path(std::initializer_list<std::pair<double, double>> pts, std::string kind = "alley", std::string name = "") {
    Line l;
    l.geometry = line(pts);
    l.kind = std::move(kind);
    l.name = std::move(name);
    return l;
}

Line street(std::initializer_list<std::pair<double, double>> pts) {
    Line l = path(pts, "residential");
    l.is_path = false;
    return l;
}

/// The segment whose geometry passes within 1 cm of (x, y).
int segment_at(const Network& n, double x, double y) {
    const geos::Geometry p = geos::point(x, y);
    for (size_t i = 0; i < n.segments.size(); ++i) {
        double d = 0;
        GEOSDistance_r(geos::context(), p.get(), n.segments[i].geometry.get(), &d);
        if (d < 0.01) return static_cast<int>(i);
    }
    return -1;
}

} // namespace

TEST_CASE("A gate in the middle of an alley closes that segment and only that one", "[score]") {
    // Two alleys end to end between three north-south streets: the middle street makes a junction
    // (degree 4), so they are two segments.
    std::vector<Line> lines;
    lines.push_back(path({{0, 0}, {100, 0}}, "alley", "Back Lane West"));
    lines.push_back(path({{100, 0}, {200, 0}}, "alley", "Back Lane East"));
    for (double x : {0.0, 100.0, 200.0}) lines.push_back(street({{x, -50}, {x, 50}}));
    const Network net = build_network(std::move(lines));
    REQUIRE(net.segments.size() == 2);
    const int west = segment_at(net, 50, 0), east = segment_at(net, 150, 0);
    REQUIRE(west >= 0);
    REQUIRE(east >= 0);
    CHECK(west != east);
    CHECK(net.segments[static_cast<size_t>(west)].name == "Back Lane West");
    CHECK(net.segments[static_cast<size_t>(west)].length == Approx(100));
    CHECK(net.segments[static_cast<size_t>(west)].start_degree == 3); // alley + street north + street south
    CHECK(net.segments[static_cast<size_t>(west)].gates_needed() == 2);
    CHECK(net.junctions == 3);
    const geos::Geometry gate = geos::point(50, 0.8); // digitised 0.8 m off the centre line
    const GEOSGeometry* gates[] = {gate.get()};
    const GateAssignment a = assign_gates(net, gates, 5);
    CHECK(a.segment_of_gate[0] == west);
    CHECK(a.gates_on_segment[static_cast<size_t>(west)] == 1);
    CHECK(a.gates_on_segment[static_cast<size_t>(east)] == 0);
    CHECK(a.distance[0] == Approx(0.8));
    CHECK(a.ambiguous.empty());
    // Out of reach: closes nothing.
    const geos::Geometry far = geos::point(50, 9);
    const GEOSGeometry* far_gates[] = {far.get()};
    CHECK(assign_gates(net, far_gates, 5).segment_of_gate[0] == -1);
}

TEST_CASE("Without the streets, alleys meeting end to end are one segment", "[score]") {
    std::vector<Line> lines;
    lines.push_back(path({{0, 0}, {100, 0}}));
    lines.push_back(path({{100, 0}, {200, 0}, {200, 50}}));
    const Network net = build_network(std::move(lines));
    REQUIRE(net.segments.size() == 1);
    CHECK(net.segments[0].length == Approx(250));
    CHECK(net.segments[0].pieces == 2);
    CHECK(net.segments[0].start_degree == 1);
    CHECK(net.segments[0].end_degree == 1);
    CHECK(net.segments[0].gates_needed() == 1);
    CHECK(net.dead_ends == 2);
}

TEST_CASE("A T junction splits the alley; a gate on one arm closes that arm", "[score]") {
    std::vector<Line> lines;
    lines.push_back(path({{0, 0}, {100, 0}}));   // the bar, noded at (50, 0)
    lines.push_back(path({{50, 0}, {50, 60}}));  // the stem
    lines.push_back(path({{-20, 80}, {120, 80}}, "footway")); // a separate footway
    const Network net = build_network(std::move(lines));
    REQUIRE(net.segments.size() == 4);
    CHECK(net.junctions == 1);
    const int left = segment_at(net, 25, 0), right = segment_at(net, 75, 0), stem = segment_at(net, 50, 30);
    CHECK(net.segments[static_cast<size_t>(left)].length == Approx(50));
    CHECK(net.segments[static_cast<size_t>(stem)].length == Approx(60));
    const geos::Geometry gate = geos::point(75, 0);
    const geos::Geometry at_junction = geos::point(50, 0);
    const GEOSGeometry* gates[] = {gate.get(), at_junction.get()};
    const GateAssignment a = assign_gates(net, gates, 2);
    CHECK(a.segment_of_gate[0] == right);
    CHECK(a.gates_on_segment[static_cast<size_t>(left)] + a.gates_on_segment[static_cast<size_t>(stem)] <= 1);
    REQUIRE(a.ambiguous.size() == 1); // the second gate stands on the junction
    CHECK(a.ambiguous[0] == 1);
    CHECK(net.segments[static_cast<size_t>(segment_at(net, 0, 80))].kind == "footway");
}

TEST_CASE("Crossing paths are noded; a closed loop is one segment; a gate line works", "[score]") {
    std::vector<Line> lines;
    lines.push_back(path({{0, 0}, {100, 100}}));
    lines.push_back(path({{0, 100}, {100, 0}})); // crosses the first at (50, 50)
    lines.push_back(path({{300, 0}, {400, 0}, {400, 100}, {300, 100}, {300, 0}}, "footway")); // a loop
    const Network net = build_network(std::move(lines));
    CHECK(net.segments.size() == 5);
    CHECK(net.junctions == 1);
    const int loop = segment_at(net, 400, 50);
    REQUIRE(loop >= 0);
    CHECK(net.segments[static_cast<size_t>(loop)].length == Approx(400));
    // A gate drawn as a short line across the loop's east side.
    const geos::Geometry gate = line({{395, 50}, {405, 50}});
    const GEOSGeometry* gates[] = {gate.get()};
    CHECK(assign_gates(net, gates, 1).segment_of_gate[0] == loop);
}

TEST_CASE("An alley ending a hair's breadth from a street still meets it", "[score]") {
    std::vector<Line> lines;
    lines.push_back(path({{0.004, 0}, {100, 0}}));   // 4 mm short of the street at x = 0
    lines.push_back(street({{0, -50}, {0, 50}}));
    const Network net = build_network(std::move(lines));
    REQUIRE(net.segments.size() == 1);
    CHECK(net.segments[0].length == Approx(100).margin(0.02));
    CHECK(std::max(net.segments[0].start_degree, net.segments[0].end_degree) == 3);
    CHECK(net.segments[0].gates_needed() == 1); // the far end is a dead end
}

TEST_CASE("Burglaries go to the nearest eligible segment within reach", "[score]") {
    std::vector<Line> lines;
    lines.push_back(path({{0, 0}, {100, 0}}));
    lines.push_back(path({{0, 40}, {100, 40}}, "footway"));
    const Network net = build_network(std::move(lines));
    REQUIRE(net.segments.size() == 2);
    const int alley = segment_at(net, 50, 0), footway = segment_at(net, 50, 40);
    std::vector<uint8_t> eligible(2, 0);
    eligible[static_cast<size_t>(alley)] = 1;
    const double x[] = {50, 50, 50, 500};
    const double y[] = {10, 35, 31, 0};
    const std::vector<int32_t> all = nearest_segment(net, x, y, 30);
    CHECK(all[0] == alley);
    CHECK(all[1] == footway);
    CHECK(all[3] == -1);
    const std::vector<int32_t> alleys = nearest_segment(net, x, y, 30, eligible);
    CHECK(alleys[1] == -1); // 35 m from the alley
    CHECK(alleys[0] == alley);
    CHECK_THROWS_AS(build_network({}), InputError);
}
