#pragma once
// Streets as units of analysis: the street segments between junctions, built from any set of
// street lines by the same noding as the path network (engine/path_network.hpp: GEOS unary union
// on a 1 cm grid, every crossing and shared point a node, slivers under 10 cm closed, lines
// merged through nodes where exactly two line ends meet); incidents placed on their nearest
// segment; lixels; and spatial weights by distance along the network.
//
// Crossings are nodes whatever their level: a bridge over a road, mapped as two lines that
// cross, joins them (OS Open Map Local and OpenStreetMap lines carry no reliable level).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/assets.hpp"
#include "engine/geos.hpp"
#include "engine/network_graph.hpp"
#include "engine/spatial_weights.hpp"

namespace safer::streets {

struct Segment {
    geos::Geometry geometry; // LineString from its first node to its last
    std::string name;        // of the street line covering most of its length ("" if none is named)
    std::string kind;        // likewise: the road class or highway value
    double length = 0;       // metres
    uint32_t from = 0, to = 0; // end nodes
};

struct StreetNetwork {
    std::vector<Segment> segments;
    std::vector<double> node_x, node_y;
    network::Graph graph; // edge i is segment i
    size_t lines = 0;      // street lines read
    size_t junctions = 0;  // nodes where 3 or more line ends meet
    size_t dead_ends = 0;  // nodes where one does
    double length = 0;     // metres, all segments
    // Each segment's line as coordinates, for placing points: vertices of segment s are
    // [vertex_offset[s], vertex_offset[s + 1]); `measure` is the distance along it from its start.
    std::vector<int64_t> vertex_offset{0};
    std::vector<double> vx, vy, measure;
};

/// Builds the segments. Throws InputError if there are no lines.
StreetNetwork build_street_network(std::span<const FeatureRecord> streets);

/// Why an incident is not on a segment.
enum class OffNetwork : uint8_t { on_segment, outside_network, far_from_street };

struct Placement {
    std::vector<int32_t> segment;    // per point: its segment, or -1
    std::vector<double> position;    // metres along the segment from its first node
    std::vector<double> distance;    // metres from the point to its segment (infinity when not placed)
    std::vector<OffNetwork> reason;  // on_segment, or why not
    uint64_t ties = 0;               // points placed that were equally near (within 1 mm) two or more segments
};

/// Each point goes to its nearest segment if that is within `tolerance` metres: nearest by exact
/// distance to the segment's line; equally near segments (within 1 mm: a point nearest a
/// junction is as near every segment meeting there) go to the lowest segment number. A point
/// outside the network's extent (the convex hull of the segments grown by the tolerance) is
/// `outside_network`; one inside it but farther than the tolerance from every segment is
/// `far_from_street`. Parallel; the same answer on any number of threads.
Placement place_points(const StreetNetwork& network, std::span<const double> x, std::span<const double> y, double tolerance);

/// The point at `position` metres along a segment.
std::pair<double, double> point_along(const StreetNetwork& network, uint32_t segment, double position);
/// The part of a segment between two positions (metres from its first node), as a LineString.
geos::Geometry piece(const StreetNetwork& network, uint32_t segment, double from, double to);

/// Lixels: each segment cut into ceil(length / lixel) pieces of equal length, none longer than
/// `lixel` metres.
struct Lixels {
    std::vector<uint32_t> segment;
    std::vector<double> from, to; // metres along the segment
    std::vector<uint32_t> first;  // per segment: its first lixel (size segments + 1)
    size_t size() const { return segment.size(); }
    double centre(size_t i) const { return (from[i] + to[i]) / 2; }
};
Lixels make_lixels(const StreetNetwork& network, double lixel);

/// Binary weights between segments whose nearest points are within `band` metres along the
/// network (0 for segments that meet at a node), without self: the network-distance weights of
/// Gi* on segments. Symmetric; rows ascending.
hotspots::SpatialWeights network_distance_band(const StreetNetwork& network, double band);

} // namespace safer::streets
