// Street segments on a hand-drawn network: junctions, placement of incidents, lixels, weights.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/concentration.hpp"
#include "engine/errors.hpp"
#include "engine/street_network.hpp"

using namespace safer;
using namespace safer::streets;

namespace {

FeatureRecord street(std::initializer_list<std::pair<double, double>> pts, std::string name) {
    GEOSCoordSequence* s = GEOSCoordSeq_create_r(geos::context(), static_cast<unsigned>(pts.size()), 2);
    unsigned i = 0;
    for (auto [x, y] : pts) GEOSCoordSeq_setXY_r(geos::context(), s, i++, x, y);
    FeatureRecord f;
    f.geometry = geos::checked(GEOSGeom_createLineString_r(geos::context(), s), "line");
    f.name = std::move(name);
    f.kind = "residential";
    f.is_path = false;
    return f;
}

/// High Street (0,0)-(200,0); Church Road (100,-100)-(100,100) crossing it; Mill Lane from
/// (150,0), a point inside High Street's line, north to (150,80). Noded: High Street in three
/// (0-100, 100-150, 150-200), Church Road in two, Mill Lane one: 6 segments; junctions at
/// (100,0) (degree 4) and (150,0) (degree 3); 5 dead ends.
std::vector<FeatureRecord> hand_drawn() {
    std::vector<FeatureRecord> v;
    v.push_back(street({{0, 0}, {200, 0}}, "High Street"));
    v.push_back(street({{100, -100}, {100, 100}}, "Church Road"));
    v.push_back(street({{150, 0}, {150, 80}}, "Mill Lane"));
    return v;
}

/// The segment whose midpoint is (x, y), within 1 cm.
int segment_with_middle(const StreetNetwork& n, double x, double y) {
    for (size_t s = 0; s < n.segments.size(); ++s) {
        const auto [mx, my] = point_along(n, static_cast<uint32_t>(s), n.segments[s].length / 2);
        if (std::hypot(mx - x, my - y) < 0.01) return static_cast<int>(s);
    }
    return -1;
}

} // namespace

TEST_CASE("Segments run between junctions: crossings and a T-junction on a line's interior are nodes", "[segments]") {
    const std::vector<FeatureRecord> lines = hand_drawn();
    const StreetNetwork n = build_street_network(lines);
    REQUIRE(n.segments.size() == 6);
    CHECK(n.junctions == 2);
    CHECK(n.dead_ends == 5);
    CHECK(n.length == Approx(200 + 200 + 80));
    const int west = segment_with_middle(n, 50, 0), middle = segment_with_middle(n, 125, 0), mill = segment_with_middle(n, 150, 40);
    REQUIRE(west >= 0);
    REQUIRE(middle >= 0);
    REQUIRE(mill >= 0);
    CHECK(n.segments[static_cast<size_t>(west)].name == "High Street");
    CHECK(n.segments[static_cast<size_t>(west)].length == Approx(100));
    CHECK(n.segments[static_cast<size_t>(middle)].length == Approx(50));
    CHECK(n.segments[static_cast<size_t>(mill)].name == "Mill Lane");
    CHECK(n.graph.degree(n.segments[static_cast<size_t>(middle)].from) + n.graph.degree(n.segments[static_cast<size_t>(middle)].to) == 4 + 3);
    CHECK_THROWS_AS(build_street_network(std::vector<FeatureRecord>{}), InputError);
}

TEST_CASE("Each incident goes to its nearest segment within the tolerance; the rest are rejected by reason", "[segments]") {
    const std::vector<FeatureRecord> lines = hand_drawn();
    const StreetNetwork n = build_street_network(lines);
    const int west = segment_with_middle(n, 50, 0);
    const std::vector<double> x = {50, 100, 60, 1000, -20, 30};
    const std::vector<double> y = {10, 0, 45, 1000, 0, -29.5};
    const Placement p = place_points(n, x, y, 30);
    // (50, 10): 10 m north of High Street's west segment, 50 m along it.
    CHECK(p.segment[0] == west);
    CHECK(p.distance[0] == Approx(10));
    const auto [px, py] = point_along(n, static_cast<uint32_t>(west), p.position[0]);
    CHECK(px == Approx(50));
    CHECK(py == Approx(0).margin(1e-9));
    // (100, 0) is the junction itself, 0 m from the four segments meeting there: the lowest
    // numbered of them, and counted as a tie.
    int lowest = -1;
    for (uint32_t v = 0; v < n.graph.nodes(); ++v)
        if (n.node_x[v] == 100 && n.node_y[v] == 0)
            for (size_t s = n.segments.size(); s-- > 0;)
                if (n.segments[s].from == v || n.segments[s].to == v) lowest = static_cast<int>(s);
    REQUIRE(lowest >= 0);
    CHECK(p.segment[1] == lowest);
    CHECK(p.distance[1] == 0);
    CHECK(p.ties == 1);
    // (60, 45): 45 m from High Street and 40 m from Church Road: farther than 30 m from every
    // segment, inside the network's extent.
    CHECK(p.segment[2] == -1);
    CHECK(p.reason[2] == OffNetwork::far_from_street);
    CHECK(std::isinf(p.distance[2]));
    // (1000, 1000): outside the network.
    CHECK(p.reason[3] == OffNetwork::outside_network);
    // (-20, 0): beyond the west end, 20 m from it: on High Street at its end.
    CHECK(p.segment[4] == west);
    CHECK(p.distance[4] == Approx(20));
    // (30, -29.5): 29.5 m south of the west segment (70 m from Church Road), within 30 m.
    CHECK(p.segment[5] == west);
    CHECK(p.distance[5] == Approx(29.5));
}

TEST_CASE("Lixels cut each segment into equal pieces no longer than the lixel length", "[segments]") {
    const std::vector<FeatureRecord> lines = hand_drawn();
    const StreetNetwork n = build_street_network(lines);
    const Lixels l = make_lixels(n, 30);
    // 100 m -> ceil(100/30) = 4 lixels of 25 m; 50 m -> 2 of 25; 80 m -> 3 of 26.67; 100 m
    // Church Road halves -> 4 each: 4 + 2 + 2 (east end, 50 m) + 4 + 4 + 3 = 19.
    CHECK(l.size() == 19);
    CHECK(l.first.size() == n.segments.size() + 1);
    const int mill = segment_with_middle(n, 150, 40);
    const uint32_t first = l.first[static_cast<size_t>(mill)];
    CHECK(l.first[static_cast<size_t>(mill) + 1] - first == 3);
    CHECK(l.to[first] - l.from[first] == Approx(80.0 / 3));
    CHECK(l.centre(first) == Approx(40.0 / 3));
    // A lixel exactly the segment's length (or longer) leaves the segment whole.
    CHECK(make_lixels(n, 100).size() == 6);
    CHECK_THROWS_AS(make_lixels(n, 0), InputError);
}

TEST_CASE("Network-distance weights: segments meeting at a node are 0 m apart", "[segments]") {
    const std::vector<FeatureRecord> lines = hand_drawn();
    const StreetNetwork n = build_street_network(lines);
    const int west = segment_with_middle(n, 50, 0);
    // Band 0: the three other segments at (100, 0). Band 50: also the two at (150, 0), 50 m
    // along High Street from (100, 0). Band 49.9: not them.
    CHECK(network_distance_band(n, 0).offsets[static_cast<size_t>(west) + 1] - network_distance_band(n, 0).offsets[static_cast<size_t>(west)] == 3);
    const hotspots::SpatialWeights w50 = network_distance_band(n, 50);
    CHECK(w50.offsets[static_cast<size_t>(west) + 1] - w50.offsets[static_cast<size_t>(west)] == 5);
    const hotspots::SpatialWeights w49 = network_distance_band(n, 49.9);
    CHECK(w49.offsets[static_cast<size_t>(west) + 1] - w49.offsets[static_cast<size_t>(west)] == 3);
    // Symmetric.
    for (size_t i = 0; i < n.segments.size(); ++i)
        for (int64_t k = w50.offsets[i]; k < w50.offsets[i + 1]; ++k) {
            const auto j = static_cast<size_t>(w50.neighbours[static_cast<size_t>(k)]);
            CHECK(j != i);
            const auto b = w50.neighbours.begin() + w50.offsets[j], e = w50.neighbours.begin() + w50.offsets[j + 1];
            CHECK(std::find(b, e, static_cast<int32_t>(i)) != e);
        }
}

TEST_CASE("Segments holding a share of crime: the fewest, highest first, whole segments", "[segments]") {
    // 10, 8, 2 and seven 0s: 20 incidents. 25 % = 5 is reached by the first (10); 50 % = 10 by
    // the first exactly; 75 % = 15 needs the second (18); 100 % the third.
    const std::vector<double> c = {0, 8, 0, 10, 0, 0, 2, 0, 0, 0};
    CHECK(hotspots::units_holding(c, 0.25) == 1);
    CHECK(hotspots::units_holding(c, 0.50) == 1);
    CHECK(hotspots::units_holding(c, 0.75) == 2);
    CHECK(hotspots::units_holding(c, 1.0) == 3);
    CHECK_THROWS_AS(hotspots::units_holding(c, 0), InputError);
}
