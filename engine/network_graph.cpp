#include "engine/network_graph.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

namespace safer::network {

Graph::Graph(uint32_t nodes, std::vector<uint32_t> from, std::vector<uint32_t> to, std::vector<double> length)
    : m_from(std::move(from)), m_to(std::move(to)), m_length(std::move(length)) {
    if (m_from.size() != m_length.size() || m_to.size() != m_length.size()) throw std::invalid_argument("network graph: edge columns differ in size");
    std::vector<uint32_t> count(nodes, 0);
    for (size_t e = 0; e < m_length.size(); ++e) {
        if (m_from[e] >= nodes || m_to[e] >= nodes) throw std::invalid_argument(fmt::format("network graph: edge {} names a node that does not exist", e));
        if (!(m_length[e] > 0) || !std::isfinite(m_length[e])) throw std::invalid_argument(fmt::format("network graph: edge {} has length {}", e, m_length[e]));
        ++count[m_from[e]];
        ++count[m_to[e]];
    }
    m_offset.assign(static_cast<size_t>(nodes) + 1, 0);
    for (uint32_t v = 0; v < nodes; ++v) m_offset[v + 1] = m_offset[v] + count[v];
    m_arcs.resize(m_offset.back());
    std::vector<uint32_t> next(m_offset.begin(), m_offset.end() - 1);
    for (uint32_t e = 0; e < m_length.size(); ++e) { // ascending edges: arcs come out ordered by edge, forward first
        m_arcs[next[m_from[e]]++] = Arc{e, m_to[e], true};
        m_arcs[next[m_to[e]]++] = Arc{e, m_from[e], false};
    }
}

BoundedSearch::BoundedSearch(const Graph& graph)
    : m_graph(graph), m_distance(graph.nodes(), unreached), m_settled(graph.nodes(), 0) {}

void BoundedSearch::run(std::span<const std::pair<uint32_t, double>> sources, double limit) {
    for (uint32_t v : m_reached) m_distance[v] = unreached, m_settled[v] = 0;
    m_reached.clear();
    m_heap.clear();
    // Every node given a distance is popped from the heap and settled before the heap empties, so
    // m_reached lists every node the next run has to reset.
    const auto relax = [&](uint32_t v, double d) {
        if (d > limit || d >= m_distance[v]) return;
        m_distance[v] = d;
        m_heap.emplace_back(d, v);
        std::push_heap(m_heap.begin(), m_heap.end(), std::greater<>());
    };
    for (const auto& [v, d] : sources) relax(v, d);
    while (!m_heap.empty()) {
        std::pop_heap(m_heap.begin(), m_heap.end(), std::greater<>());
        const auto [d, v] = m_heap.back();
        m_heap.pop_back();
        if (m_settled[v] || d > m_distance[v]) continue;
        m_settled[v] = 1;
        m_reached.push_back(v);
        for (const Graph::Arc& a : m_graph.arcs(v)) relax(a.other, d + m_graph.length(a.edge));
    }
}

std::vector<double> distance_to_nearest(const Graph& graph, std::span<const uint32_t> edge, std::span<const double> position, double limit) {
    std::vector<std::pair<uint32_t, double>> sources;
    sources.reserve(2 * edge.size());
    for (size_t i = 0; i < edge.size(); ++i) {
        sources.emplace_back(graph.from(edge[i]), position[i]);
        sources.emplace_back(graph.to(edge[i]), graph.length(edge[i]) - position[i]);
    }
    BoundedSearch search(graph);
    search.run(sources, limit);
    std::vector<double> out(graph.nodes(), unreached);
    for (uint32_t v : search.reached()) out[v] = search.distance(v);
    return out;
}

} // namespace safer::network
