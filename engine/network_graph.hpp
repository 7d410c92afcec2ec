#pragma once
// A street network as a graph for distances along it: nodes (junctions and dead ends), edges (the
// segments between them) with their lengths, and shortest paths bounded by a distance.
//
// A point on the network is an edge and a position along it, in metres from the edge's first
// node. A self-loop (a cul-de-sac that comes back to its own junction) is one edge with both ends
// at one node: it counts twice in that node's degree, as two line ends meet there.
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

namespace safer::network {

inline constexpr double unreached = std::numeric_limits<double>::infinity();

class Graph {
public:
    /// One step out of a node along an edge: `forward` when the node is the edge's first node.
    struct Arc {
        uint32_t edge;
        uint32_t other; // the node at the far end
        bool forward;
    };

    Graph() = default;
    /// Edge i runs from `from[i]` to `to[i]` and is `length[i]` metres long (more than 0).
    Graph(uint32_t nodes, std::vector<uint32_t> from, std::vector<uint32_t> to, std::vector<double> length);

    uint32_t nodes() const { return static_cast<uint32_t>(m_offset.size() - 1); }
    uint32_t edges() const { return static_cast<uint32_t>(m_length.size()); }
    uint32_t from(uint32_t edge) const { return m_from[edge]; }
    uint32_t to(uint32_t edge) const { return m_to[edge]; }
    double length(uint32_t edge) const { return m_length[edge]; }
    /// Line ends meeting at the node: 1 a dead end, 2 a bend, 3 or more a junction.
    uint32_t degree(uint32_t node) const { return m_offset[node + 1] - m_offset[node]; }
    /// The arcs out of a node, in a fixed order (by edge, then forward first).
    std::span<const Arc> arcs(uint32_t node) const {
        return {m_arcs.data() + m_offset[node], m_arcs.data() + m_offset[node + 1]};
    }

private:
    std::vector<uint32_t> m_from, m_to;
    std::vector<double> m_length;
    std::vector<uint32_t> m_offset{0};
    std::vector<Arc> m_arcs;
};

/// Shortest distances along the network from a set of sources, out to a limit (Dijkstra with a
/// binary heap). The workspace is reused between runs, so one object per thread serves many
/// searches at the cost of the nodes each one reaches.
class BoundedSearch {
public:
    explicit BoundedSearch(const Graph& graph);
    /// Distances from the sources (node, distance already travelled) to every node within
    /// `limit`; nodes farther away are `unreached`.
    void run(std::span<const std::pair<uint32_t, double>> sources, double limit);
    double distance(uint32_t node) const { return m_distance[node]; }
    /// The nodes reached by the last run, in the order they were settled.
    const std::vector<uint32_t>& reached() const { return m_reached; }

private:
    const Graph& m_graph;
    std::vector<double> m_distance;
    std::vector<uint32_t> m_reached;
    std::vector<uint8_t> m_settled;
    std::vector<std::pair<double, uint32_t>> m_heap;
};

/// Each node's distance along the network to the nearest of the given points (edge, position),
/// out to `limit` (`unreached` beyond it).
std::vector<double> distance_to_nearest(const Graph& graph, std::span<const uint32_t> edge, std::span<const double> position, double limit);

} // namespace safer::network
