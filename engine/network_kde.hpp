#pragma once
// Kernel density along a network (NKDE): the density of events at points of the network (lixel
// centres), with distances measured along the network instead of across the plane.
//
// Okabe, A., Satoh, T. & Sugihara, K. (2009), "A kernel density estimation method for networks,
// its computational method and a GIS-based tool", IJGIS 23(1), 7-32; Okabe & Sugihara (2012),
// Spatial Analysis Along Networks, Wiley, ch. 9; Xie & Yan (2008) for the simple method. The
// three methods and the kernels are those of R's spNetwork 0.4 (Gelb 2021), whose definitions
// they follow:
//
//   one-dimensional kernels K_h(d) for 0 <= d < h (0 beyond), each integrating to 1 over
//   [-h, h], so that a density is events per metre of network:
//     quartic       (15/16) (1 - u^2)^2 / h          u = d / h
//     epanechnikov  (3/4) (1 - u^2) / h
//     triangular    (1 - u) / h
//     uniform       1 / (2h)
//     triweight     (35/32) (1 - u^2)^3 / h
//
//   density at x:  f(x) = sum_j w_j k_j(x), over events j of weight w_j, where k_j is
//   - simple (Xie & Yan 2008): K_h(d_j(x)), d_j(x) the shortest distance along the network. It
//     puts more than one event's worth of mass on the network wherever a junction lies within h.
//   - discontinuous, equal split (Okabe et al. 2009; Sugihara et al. 2010 for cycles): the sum
//     over every walk P from the event to x that never turns straight back, of length |P| < h, of
//     K_h(|P|) prod_{v in P} 1 / (n_v - 1), n_v the degree of each node the walk passes through:
//     the kernel is shared equally among the branches at each junction, so each event's mass is 1
//     (less what runs off dead ends, which stop it).
//   - continuous (Okabe et al. 2009): as discontinuous, but at a node of degree n the walk goes
//     on into each other branch with factor 2/n and also turns back into the branch it came from
//     with factor (2 - n)/n (negative), so the density is continuous across junctions and each
//     event's mass is still 1. Dead ends stop a walk.
//   An event at a node of degree n starts its walks into each of the n branches with factor 2/n
//   (discontinuous: 1 at a dead end or a bend; continuous: 2/n always, so 2 at a dead end);
//   events within `node_snap` metres of an edge's end are placed at its node, as spNetwork's
//   `tol` does.
//
// Differences from spNetwork, which give the same numbers where both apply exactly: distances
// run along each edge's own line (spNetwork takes the straight line from a node to a sample on
// an adjacent edge, a small error on curved edges); events are not inserted into the graph as
// nodes; walks are enumerated from each sample rather than from each event (every walk weight
// above is the same read in either direction, so the sums are equal). spNetwork's default output,
// div = "bw", divides by h a second time; this module returns div = "none", events per metre.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/network_graph.hpp"
#include "engine/progress.hpp"

namespace safer::network {

enum class Kernel : uint8_t { quartic, epanechnikov, triangular, uniform, triweight };
enum class Method : uint8_t { simple, discontinuous, continuous };

std::string_view kernel_name(Kernel k);
std::string_view method_name(Method m);

/// K_h(d), per metre, for a distance d >= 0 along the network (see above).
double kernel_value(Kernel kernel, double d, double h);

/// Points on the network (edge, metres from the edge's first node) with weights.
struct Events {
    std::vector<uint32_t> edge;
    std::vector<double> position;
    std::vector<double> weight;
};

/// Where the density is wanted: lixel centres, each on an edge.
struct Samples {
    std::vector<uint32_t> edge;
    std::vector<double> position;
};

struct KdeOptions {
    Method method = Method::discontinuous;
    Kernel kernel = Kernel::quartic;
    double bandwidth = 200;  // h, metres
    uint32_t max_depth = 15; // junctions a walk may pass through (discontinuous, continuous), as spNetwork's max_depth
    double node_snap = 0.1;  // metres: events this close to an edge's end are at its node
};

struct KdeResult {
    std::vector<double> density; // per sample: sum_j w_j k_j(x), events per metre
    uint64_t walk_steps = 0;     // edges walked (discontinuous, continuous)
    uint64_t walks_cut = 0;      // walks stopped at max_depth junctions while an event was still within h
};

/// The density at each sample. Parallel over edges; each sample's sum is made by one thread in a
/// fixed order, so the result does not depend on the thread count. Throws InputError for a
/// bandwidth that is not above 0, a position off its edge, or a negative or non-finite weight.
KdeResult network_kde(const Graph& graph, const Events& events, const Samples& samples, const KdeOptions& options, Progress* progress = nullptr);

} // namespace safer::network
