#pragma once
// The topology of paths and alleys: where they meet, the segments between junctions, and which
// segment each alley gate closes.
//
// All lines (paths, and streets if given) are noded together with GEOS (a unary union on a 1 cm
// precision grid): every crossing and every shared point becomes a node, and coordinates within
// half a centimetre become one. A node's degree is the number of line ends meeting there,
// streets included. A path segment runs along path lines from one node to the next node whose
// degree is not 2 (a junction or a dead end), or where the path meets a street; paths passing
// through degree-2 nodes are merged into one segment. Nodes joined by a sliver shorter than 10
// precision steps (10 cm) are merged first. Streets only make junctions: they are not
// segments themselves.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/geos.hpp"

namespace safer::paths {

struct Line {
    geos::Geometry geometry; // LineString or MultiLineString, working CRS
    bool is_path = true;     // false: a street, which only makes junctions
    std::string kind;        // "alley", "footway", "path", ... (paths)
    std::string name;
    uint64_t feature = 0;    // 1-based feature number in its source, for messages
};

struct Segment {
    geos::Geometry geometry; // LineString (a closed one for a loop with no junction)
    std::string kind;        // the kind covering most of its length
    std::string name;        // likewise
    double length = 0;
    uint32_t start_degree = 0, end_degree = 0; // degrees of its end nodes (0 for a loop)
    uint32_t start_node = 0, end_node = 0;     // its end nodes (Network::node_x, node_y); equal for a loop
    uint32_t pieces = 0;     // noded edges merged into it
    /// Gates needed to close it: one at each end where it meets other lines (degree >= 2), at
    /// least one.
    uint32_t gates_needed() const;
};

struct Network {
    std::vector<Segment> segments;
    size_t nodes = 0;
    size_t junctions = 0; // nodes of degree >= 3
    size_t dead_ends = 0; // path ends of degree 1
    size_t edges = 0;     // noded edges, paths and streets
    std::vector<double> node_x, node_y; // every node (0 .. nodes - 1), where lines meet or end
};

/// Builds the network. Throws InputError if there are no path lines.
Network build_network(std::vector<Line> lines, double precision = 0.01);

struct GateAssignment {
    std::vector<int32_t> segment_of_gate;     // per gate: the segment it closes, or -1 (none within reach)
    std::vector<double> distance;             // per gate: metres to that segment (or to the nearest, if none)
    std::vector<uint32_t> gates_on_segment;   // per segment
    std::vector<uint32_t> ambiguous;          // gates equally near two or more segments (at a junction)
};
/// Each gate (point or line) closes the one path segment nearest to it, if that is within
/// `tolerance` metres. A gate equally near several segments (at a junction of paths) closes the
/// first of them and is listed in `ambiguous`.
GateAssignment assign_gates(const Network& network, std::span<const GEOSGeometry* const> gates, double tolerance);

/// For each point, the nearest segment within `reach` metres among those flagged in `eligible`
/// (all when empty), or -1.
std::vector<int32_t> nearest_segment(const Network& network, std::span<const double> x, std::span<const double> y, double reach,
                                     const std::vector<uint8_t>& eligible = {});

} // namespace safer::paths
