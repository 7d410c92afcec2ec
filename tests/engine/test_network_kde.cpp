// Network kernel density on hand-drawn networks, each value worked out by hand below.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/errors.hpp"
#include "engine/network_kde.hpp"

using namespace safer;
using namespace safer::network;

namespace {

/// Quartic K_h(d) = (15/16)(1 - (d/h)^2)^2 / h, written out again here.
double quartic(double d, double h) {
    if (d >= h) return 0;
    const double a = 1 - (d / h) * (d / h);
    return 15.0 / 16.0 * a * a / h;
}

double density_at(const Graph& g, const Events& e, uint32_t edge, double position, Method method, double h) {
    Samples s;
    s.edge = {edge};
    s.position = {position};
    KdeOptions o;
    o.method = method;
    o.bandwidth = h;
    return network_kde(g, e, s, o).density[0];
}

/// Y junction: centre O (node 0), arms A, B, C of 200 m (edges 0, 1, 2 from O to nodes 1, 2, 3).
Graph y_junction() { return Graph(4, {0, 0, 0}, {1, 2, 3}, {200, 200, 200}); }

} // namespace

TEST_CASE("The one-dimensional kernels integrate to 1 over [-h, h]", "[segments]") {
    for (Kernel k : {Kernel::quartic, Kernel::epanechnikov, Kernel::triangular, Kernel::uniform, Kernel::triweight}) {
        // Midpoint rule over [0, h), doubled for the two sides.
        const double h = 80;
        const int steps = 200000;
        double sum = 0;
        for (int i = 0; i < steps; ++i) sum += kernel_value(k, (i + 0.5) * h / steps, h) * h / steps;
        CHECK(2 * sum == Approx(1).epsilon(1e-6));
        CHECK(kernel_value(k, h, h) == 0);
    }
    // Hand values: quartic K_100(0) = 15/1600 = 0.009375; K_100(50) = 0.009375 * (1 - 0.25)^2 = 0.0052734375.
    CHECK(kernel_value(Kernel::quartic, 0, 100) == Approx(0.009375));
    CHECK(kernel_value(Kernel::quartic, 50, 100) == Approx(0.0052734375));
    CHECK(kernel_value(Kernel::triangular, 25, 100) == Approx(0.0075)); // (1 - 0.25) / 100
    CHECK(kernel_value(Kernel::uniform, 99, 100) == Approx(0.005));     // 1 / 200
}

TEST_CASE("Y junction: the three methods at points on each arm, worked by hand", "[segments]") {
    // Event E on arm A, 30 m from O. Quartic, h = 100 m. K(d) = 0.009375 (1 - (d/100)^2)^2:
    //   K(0) = 0.009375, K(10) = 0.0091884375, K(20) = 0.00864, K(40) = 0.006615,
    //   K(50) = 0.0052734375, K(60) = 0.00384, K(70) = 0.0024384375, K(75) = 0.0017944336,
    //   K(90) = 0.0003384375.
    // O has degree 3: discontinuous splits 1/(3-1) = 1/2 into B and C; continuous goes on with
    // 2/3 into B and C and turns back into A with (2-3)/3 = -1/3. The arms' far ends are 170 m
    // and more from E, beyond h, so no walk reaches a dead end.
    const Graph g = y_junction();
    Events e;
    e.edge = {0};
    e.position = {30};
    const double h = 100;
    struct Point {
        uint32_t edge;
        double position, simple, discontinuous, continuous;
    };
    const Point points[] = {
        // E itself: the reflection from O comes back 30 + 30 = 60 m: K(0) - K(60)/3 = 0.009375 - 0.00128.
        {0, 30, 0.009375, 0.009375, 0.008095},
        // P1, arm A 10 m beyond E: K(10) - K(70)/3 = 0.0091884375 - 0.0008128125.
        {0, 40, 0.0091884375, 0.0091884375, 0.008375625},
        // P2, arm A between E and O, 10 m from O: K(20) - K(20 + 10 + 10)/3 = 0.00864 - 0.002205.
        {0, 10, 0.00864, 0.00864, 0.006435},
        // P3, arm B 20 m from O (50 m from E): K(50), K(50)/2, 2K(50)/3.
        {1, 20, 0.0052734375, 0.00263671875, 0.003515625},
        // P4, arm C 60 m from O (90 m from E): K(90), K(90)/2, 2K(90)/3.
        {2, 60, 0.0003384375, 0.00016921875, 0.000225625},
        // P5, arm A 75 m beyond E: K(75) = 0.009375 * 0.4375^2; the reflected walk is 135 m > h.
        {0, 105, 0.00179443359375, 0.00179443359375, 0.00179443359375},
    };
    for (const Point& p : points) {
        INFO("edge " << p.edge << " at " << p.position << " m");
        CHECK(density_at(g, e, p.edge, p.position, Method::simple, h) == Approx(p.simple).epsilon(1e-12));
        CHECK(density_at(g, e, p.edge, p.position, Method::discontinuous, h) == Approx(p.discontinuous).epsilon(1e-12));
        CHECK(density_at(g, e, p.edge, p.position, Method::continuous, h) == Approx(p.continuous).epsilon(1e-12));
    }
}

TEST_CASE("spNetwork's own test values: a cross junction", "[segments]") {
    // Four arms of 10 m from a centre (degree 4), the event 3 m out on arm 0.
    const Graph g(5, {0, 0, 0, 0}, {1, 2, 3, 4}, {10, 10, 10, 10});
    Events e;
    e.edge = {0};
    e.position = {3};
    // A sample 3 m out on arm 1: d = 6, h = 10. K_10(6) = (15/16)(1 - 0.36)^2 / 10 = 0.0384;
    // spNetwork's test expects (1/10) K(6) with div = "bw": K(6) itself with div = "none".
    CHECK(density_at(g, e, 1, 3, Method::simple, 10) == Approx(0.0384).epsilon(1e-12));
    // Discontinuous: 1/(4 - 1) of it, 0.0128.
    CHECK(density_at(g, e, 1, 3, Method::discontinuous, 10) == Approx(0.0128).epsilon(1e-12));
    // Continuous, h = 5, the sample on arm 0 1 m from the centre: K_5(2) - (1/2) K_5(4), the
    // reflection from the centre ((2 - 4)/4 = -1/2) having run 2 + 1 + 1 = 4 m:
    // 0.1875 * 0.84^2 - 0.5 * 0.1875 * 0.36^2 = 0.1323 - 0.01215 = 0.12015.
    CHECK(density_at(g, e, 0, 1, Method::continuous, 5) == Approx(0.12015).epsilon(1e-12));
}

TEST_CASE("A ring with a cycle shorter than the bandwidth: walks both ways round are summed", "[segments]") {
    // A square ring of four 50 m edges (nodes 0..3, edge i from node i to node i+1), each corner
    // also the start of a 1,000 m tail (edges 4..7 to nodes 4..7), so each corner has degree 3.
    // The event is on edge 0, 25 m from node 0; the sample on edge 2, 25 m from node 2: 100 m
    // away both ways round, each way through two corners. h = 120 m:
    //   K_120(100) = (15/16)(1 - 25/36)^2 / 120 = (1/128)(11/36)^2 = 121/165888.
    //   simple: the shortest distance, K(100).
    //   discontinuous: two walks, each (1/2)(1/2): K(100)/2.
    //   continuous: two walks, each (2/3)(2/3): (8/9) K(100). The reflected walks reach at least
    //   25 + 50 + 50 + 25 = 150 m before arriving, beyond h.
    const Graph g(8, {0, 1, 2, 3, 0, 1, 2, 3}, {1, 2, 3, 0, 4, 5, 6, 7}, {50, 50, 50, 50, 1000, 1000, 1000, 1000});
    Events e;
    e.edge = {0};
    e.position = {25};
    const double k100 = 121.0 / 165888.0;
    CHECK(k100 == Approx(quartic(100, 120)));
    CHECK(density_at(g, e, 2, 25, Method::simple, 120) == Approx(k100).epsilon(1e-12));
    CHECK(density_at(g, e, 2, 25, Method::discontinuous, 120) == Approx(k100 / 2).epsilon(1e-12));
    CHECK(density_at(g, e, 2, 25, Method::continuous, 120) == Approx(8.0 / 9.0 * k100).epsilon(1e-12));
}

TEST_CASE("Each event's mass is 1 for the discontinuous and continuous kernels and more for the simple one", "[segments]") {
    // The ring with tails above, h = 120 m: walks go round the ring and out along the tails, and
    // none reaches a dead end. The density integrated along every edge (midpoint rule, 0.05 m
    // steps) must be 1 for the equal-split kernels (Okabe et al. 2009). The simple kernel counts
    // junctions within h several times over.
    const Graph g(8, {0, 1, 2, 3, 0, 1, 2, 3}, {1, 2, 3, 0, 4, 5, 6, 7}, {50, 50, 50, 50, 1000, 1000, 1000, 1000});
    Events e;
    e.edge = {0};
    e.position = {20};
    Samples s;
    const double step = 0.05;
    for (uint32_t edge = 0; edge < g.edges(); ++edge) {
        const double l = std::min(g.length(edge), 200.0); // nothing lies beyond 200 m on a tail
        for (double p = step / 2; p < l; p += step) s.edge.push_back(edge), s.position.push_back(p);
    }
    for (Method m : {Method::discontinuous, Method::continuous, Method::simple}) {
        KdeOptions o;
        o.method = m;
        o.bandwidth = 120;
        const KdeResult r = network_kde(g, e, s, o);
        double mass = 0;
        for (double d : r.density) mass += d * step;
        INFO(method_name(m));
        if (m == Method::simple) CHECK(mass > 1.2);
        else CHECK(mass == Approx(1).epsilon(1e-5));
        CHECK(r.walks_cut == 0);
    }
}

TEST_CASE("An event at a junction starts each branch with 2/n; near a segment's end it snaps to the node", "[segments]") {
    // Y junction, event at O itself (arm A at 0 m), h = 100. At 20 m along arm B:
    //   discontinuous: (2/3) K(20) = (2/3) 0.00864 = 0.00576; continuous the same, 2/n = 2/3;
    //   simple: K(20).
    const Graph g = y_junction();
    Events at_node;
    at_node.edge = {0};
    at_node.position = {0};
    CHECK(density_at(g, at_node, 1, 20, Method::discontinuous, 100) == Approx(0.00576).epsilon(1e-12));
    CHECK(density_at(g, at_node, 1, 20, Method::continuous, 100) == Approx(0.00576).epsilon(1e-12));
    CHECK(density_at(g, at_node, 1, 20, Method::simple, 100) == Approx(0.00864).epsilon(1e-12));
    // 5 cm from O on arm C is within the 0.1 m snap: the same answer as at O.
    Events near_node;
    near_node.edge = {2};
    near_node.position = {0.05};
    CHECK(density_at(g, near_node, 1, 20, Method::discontinuous, 100) == Approx(0.00576).epsilon(1e-12));
    // A dead end (degree 1): discontinuous starts with 1, continuous with 2 (spNetwork).
    Events at_end;
    at_end.edge = {1};
    at_end.position = {200};
    // 20 m back along arm B from its end: K(20) and 2 K(20).
    CHECK(density_at(g, at_end, 1, 180, Method::discontinuous, 100) == Approx(0.00864).epsilon(1e-12));
    CHECK(density_at(g, at_end, 1, 180, Method::continuous, 100) == Approx(0.01728).epsilon(1e-12));
}

TEST_CASE("Weights and merged events add up; a sample farther than h from every event is 0", "[segments]") {
    const Graph g = y_junction();
    Events e;
    e.edge = {0, 0, 1};
    e.position = {30, 30, 150};
    e.weight = {1, 2, 0.5};
    // Arm A at 40 m: 3 K(10) from the two events at 30 m (weights 1 + 2), and the event on B is
    // 150 + 40 = 190 m away: 3 * 0.0091884375 = 0.0275653125.
    CHECK(density_at(g, e, 0, 40, Method::discontinuous, 100) == Approx(0.0275653125).epsilon(1e-12));
    CHECK(density_at(g, e, 2, 190, Method::continuous, 100) == 0);
}

TEST_CASE("Bad bandwidths and positions off their edge are refused", "[segments]") {
    const Graph g = y_junction();
    Events e;
    e.edge = {0};
    e.position = {30};
    Samples s;
    s.edge = {0};
    s.position = {10};
    KdeOptions o;
    o.bandwidth = 0;
    CHECK_THROWS_AS(network_kde(g, e, s, o), InputError);
    o.bandwidth = 100;
    e.position = {250};
    CHECK_THROWS_AS(network_kde(g, e, s, o), InputError);
}
