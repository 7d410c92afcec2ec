#include "engine/network_kde.hpp"

#include <fmt/core.h>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>

#include "engine/errors.hpp"

namespace safer::network {

std::string_view kernel_name(Kernel k) {
    switch (k) {
    case Kernel::quartic: return "quartic";
    case Kernel::epanechnikov: return "epanechnikov";
    case Kernel::triangular: return "triangular";
    case Kernel::uniform: return "uniform";
    case Kernel::triweight: return "triweight";
    }
    return "?";
}

std::string_view method_name(Method m) {
    switch (m) {
    case Method::simple: return "simple";
    case Method::discontinuous: return "discontinuous";
    case Method::continuous: return "continuous";
    }
    return "?";
}

double kernel_value(Kernel kernel, double d, double h) {
    if (!(d < h)) return 0;
    const double u = d / h;
    switch (kernel) {
    case Kernel::quartic: {
        const double a = 1 - u * u;
        return 15.0 / 16.0 * a * a / h;
    }
    case Kernel::epanechnikov: return 0.75 * (1 - u * u) / h;
    case Kernel::triangular: return (1 - u) / h;
    case Kernel::uniform: return 0.5 / h;
    case Kernel::triweight: {
        const double a = 1 - u * u;
        return 35.0 / 32.0 * a * a * a / h;
    }
    }
    return 0;
}

namespace {

/// Events grouped by edge (sorted by position, equal positions merged) and by node.
struct PlacedEvents {
    std::vector<uint32_t> offset;   // per edge + 1
    std::vector<double> position;   // metres from the edge's first node
    std::vector<double> weight;
    std::vector<double> node_weight; // per node
};

PlacedEvents place_events(const Graph& g, const Events& ev, double snap) {
    PlacedEvents p;
    p.node_weight.assign(g.nodes(), 0.0);
    struct Item {
        uint32_t edge;
        double position, weight;
    };
    std::vector<Item> items;
    for (size_t i = 0; i < ev.edge.size(); ++i) {
        const uint32_t e = ev.edge[i];
        const double w = ev.weight.empty() ? 1.0 : ev.weight[i];
        if (e >= g.edges()) throw InputError(fmt::format("network density: event {} is on edge {}, which does not exist", i, e));
        const double l = g.length(e), q = ev.position[i];
        if (!(q >= 0 && q <= l)) throw InputError(fmt::format("network density: event {} is at {} m along an edge of {} m", i, q, l));
        if (!(w >= 0) || !std::isfinite(w)) throw InputError(fmt::format("network density: event {} has weight {}", i, w));
        if (w == 0) continue;
        if (q <= snap || q >= l - snap) p.node_weight[q <= l / 2 ? g.from(e) : g.to(e)] += w;
        else items.push_back({e, q, w});
    }
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.edge != b.edge ? a.edge < b.edge : a.position < b.position; });
    p.offset.assign(static_cast<size_t>(g.edges()) + 1, 0);
    for (const Item& it : items) {
        if (!p.position.empty() && p.offset[it.edge + 1] > 0 && p.position.back() == it.position) {
            p.weight.back() += it.weight;
            continue;
        }
        p.position.push_back(it.position);
        p.weight.push_back(it.weight);
        ++p.offset[it.edge + 1];
    }
    for (size_t e = 0; e < g.edges(); ++e) p.offset[e + 1] += p.offset[e];
    return p;
}

/// The factor an event at a node of degree n starts each of its walks with.
double start_factor(Method m, uint32_t n) {
    if (m == Method::continuous) return 2.0 / n;
    return n >= 3 ? 2.0 / n : 1.0;
}

struct Workspace {
    explicit Workspace(const Graph& g) : from_a(g), from_b(g), edge_stamp(g.edges(), 0), node_stamp(g.nodes(), 0) {}
    BoundedSearch from_a, from_b;
    std::vector<uint32_t> edge_stamp, node_stamp; // receiver + 1 when already visited for it
    struct State {
        uint32_t node;
        uint32_t back_edge; // the arc that would turn straight back: back_edge leaving in direction back_forward
        bool back_forward;
        uint32_t depth;
        double distance, alpha;
    };
    std::vector<State> stack;
    std::vector<double> offset; // per sample of the receiver: metres to the end a walk starts from
    uint64_t walk_steps = 0, walks_cut = 0;
};

class Estimator {
public:
    Estimator(const Graph& g, const PlacedEvents& ev, const KdeOptions& o, std::vector<double> near)
        : m_g(g), m_ev(ev), m_o(o), m_h(o.bandwidth), m_near(std::move(near)) {}

    /// Adds the density at the samples (positions `s` on edge r) into `out`.
    void receive(uint32_t r, std::span<const double> s, std::span<double> out, Workspace& w) const {
        if (m_o.method == Method::simple) simple(r, s, out, w);
        else walks(r, s, out, w);
    }

    /// False when no event can be within h of any sample on edge r.
    bool reachable(uint32_t r, double s_min, double s_max) const {
        if (m_ev.offset[r + 1] > m_ev.offset[r]) return true;
        return m_near[m_g.from(r)] + s_min < m_h || m_near[m_g.to(r)] + (m_g.length(r) - s_max) < m_h;
    }

private:
    double k(double d) const { return kernel_value(m_o.kernel, d, m_h); }

    /// Adds c K(offset_i + base) to every sample.
    void add(std::span<double> out, const std::vector<double>& offset, double base, double c) const {
        for (size_t i = 0; i < out.size(); ++i) out[i] += c * k(offset[i] + base);
    }

    // Shortest distances from each end of r; a sample's distance to an event leaves r by one end.
    void simple(uint32_t r, std::span<const double> s, std::span<double> out, Workspace& w) const {
        const uint32_t a = m_g.from(r), b = m_g.to(r);
        const double l = m_g.length(r);
        double min_a = l, min_b = l;
        for (double si : s) min_a = std::min(min_a, si), min_b = std::min(min_b, l - si);
        const std::pair<uint32_t, double> start_a{a, 0.0}, start_b{b, 0.0};
        w.from_a.run({&start_a, 1}, m_h - min_a);
        w.from_b.run({&start_b, 1}, m_h - min_b);
        const uint32_t stamp = r + 1;
        const auto distance = [&](size_t i, uint32_t v) { return std::min(s[i] + w.from_a.distance(v), l - s[i] + w.from_b.distance(v)); };
        const auto visit_edge = [&](uint32_t e) {
            if (w.edge_stamp[e] == stamp) return;
            w.edge_stamp[e] = stamp;
            const double le = m_g.length(e);
            const uint32_t u = m_g.from(e), v = m_g.to(e);
            for (uint32_t j = m_ev.offset[e]; j < m_ev.offset[e + 1]; ++j) {
                const double q = m_ev.position[j];
                for (size_t i = 0; i < s.size(); ++i) {
                    double d = std::min(distance(i, u) + q, distance(i, v) + le - q);
                    if (e == r) d = std::min(d, std::abs(s[i] - q));
                    out[i] += m_ev.weight[j] * k(d);
                }
            }
        };
        const auto visit_node = [&](uint32_t v) {
            if (w.node_stamp[v] == stamp) return;
            w.node_stamp[v] = stamp;
            if (m_ev.node_weight[v] > 0)
                for (size_t i = 0; i < s.size(); ++i) out[i] += m_ev.node_weight[v] * k(distance(i, v));
            for (const Graph::Arc& arc : m_g.arcs(v)) visit_edge(arc.edge);
        };
        visit_edge(r);
        for (uint32_t v : w.from_a.reached()) visit_node(v);
        for (uint32_t v : w.from_b.reached()) visit_node(v);
    }

    // Walks out of each end of r (see the header): the discontinuous and continuous kernels.
    void walks(uint32_t r, std::span<const double> s, std::span<double> out, Workspace& w) const {
        const double l = m_g.length(r);
        for (uint32_t j = m_ev.offset[r]; j < m_ev.offset[r + 1]; ++j) // events on r itself, straight along it
            for (size_t i = 0; i < s.size(); ++i) out[i] += m_ev.weight[j] * k(std::abs(s[i] - m_ev.position[j]));
        for (const bool towards_start : {true, false}) {
            w.offset.resize(s.size());
            double min_offset = l;
            for (size_t i = 0; i < s.size(); ++i) {
                w.offset[i] = towards_start ? s[i] : l - s[i];
                min_offset = std::min(min_offset, w.offset[i]);
            }
            // Leaving r at its first node means arriving there along r backwards: turning straight
            // back would be r forwards.
            w.stack.push_back({towards_start ? m_g.from(r) : m_g.to(r), r, towards_start, 0, 0.0, 1.0});
            while (!w.stack.empty()) {
                const Workspace::State st = w.stack.back();
                w.stack.pop_back();
                const uint32_t n = m_g.degree(st.node);
                if (m_ev.node_weight[st.node] > 0) add(out, w.offset, st.distance, st.alpha * start_factor(m_o.method, n) * m_ev.node_weight[st.node]);
                if (n == 1) continue; // a dead end stops the walk
                if (st.distance + min_offset + m_near[st.node] >= m_h) continue; // no event left within h
                const uint32_t depth = st.depth + (n >= 3 ? 1 : 0);
                if (depth > m_o.max_depth) {
                    ++w.walks_cut;
                    continue;
                }
                for (const Graph::Arc& arc : m_g.arcs(st.node)) {
                    const bool back = arc.edge == st.back_edge && arc.forward == st.back_forward;
                    double factor;
                    if (m_o.method == Method::discontinuous) {
                        if (back) continue;
                        factor = 1.0 / (n - 1);
                    } else {
                        factor = back ? (2.0 - n) / n : 2.0 / n;
                        if (factor == 0) continue;
                    }
                    const double alpha = st.alpha * factor;
                    const double le = m_g.length(arc.edge);
                    ++w.walk_steps;
                    for (uint32_t j = m_ev.offset[arc.edge]; j < m_ev.offset[arc.edge + 1]; ++j) {
                        const double along = st.distance + (arc.forward ? m_ev.position[j] : le - m_ev.position[j]);
                        if (along + min_offset < m_h) add(out, w.offset, along, alpha * m_ev.weight[j]);
                    }
                    if (st.distance + le + min_offset < m_h)
                        w.stack.push_back({arc.other, arc.edge, !arc.forward, depth, st.distance + le, alpha});
                }
            }
        }
    }

    const Graph& m_g;
    const PlacedEvents& m_ev;
    const KdeOptions& m_o;
    double m_h;
    std::vector<double> m_near; // per node: the distance to the nearest event, out to h
};

} // namespace

KdeResult network_kde(const Graph& g, const Events& events, const Samples& samples, const KdeOptions& o, Progress* progress) {
    if (!(o.bandwidth > 0) || !std::isfinite(o.bandwidth)) throw InputError(fmt::format("network density: bandwidth {} m; it must be more than 0", o.bandwidth));
    if (events.position.size() != events.edge.size() || (!events.weight.empty() && events.weight.size() != events.edge.size()) ||
        samples.position.size() != samples.edge.size())
        throw InputError("network density: columns of different lengths");
    const PlacedEvents placed = place_events(g, events, o.node_snap);

    // Each node's distance to the nearest event, for pruning walks and skipping empty edges.
    std::vector<std::pair<uint32_t, double>> sources;
    for (uint32_t v = 0; v < g.nodes(); ++v)
        if (placed.node_weight[v] > 0) sources.emplace_back(v, 0.0);
    for (uint32_t e = 0; e < g.edges(); ++e)
        if (placed.offset[e + 1] > placed.offset[e]) {
            sources.emplace_back(g.from(e), placed.position[placed.offset[e]]);
            sources.emplace_back(g.to(e), g.length(e) - placed.position[placed.offset[e + 1] - 1]);
        }
    std::vector<double> near(g.nodes(), unreached);
    {
        BoundedSearch search(g);
        search.run(sources, o.bandwidth);
        for (uint32_t v : search.reached()) near[v] = search.distance(v);
    }

    // Samples grouped by edge, by position.
    const size_t n = samples.edge.size();
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    for (size_t i = 0; i < n; ++i) {
        if (samples.edge[i] >= g.edges()) throw InputError(fmt::format("network density: sample {} is on edge {}, which does not exist", i, samples.edge[i]));
        const double l = g.length(samples.edge[i]);
        if (!(samples.position[i] >= 0 && samples.position[i] <= l))
            throw InputError(fmt::format("network density: sample {} is at {} m along an edge of {} m", i, samples.position[i], l));
    }
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        return samples.edge[a] != samples.edge[b] ? samples.edge[a] < samples.edge[b] : samples.position[a] < samples.position[b];
    });
    std::vector<size_t> group_start; // start of each edge's run in `order`
    for (size_t i = 0; i < n; ++i)
        if (i == 0 || samples.edge[order[i]] != samples.edge[order[i - 1]]) group_start.push_back(i);
    group_start.push_back(n);

    KdeResult result;
    result.density.assign(n, 0.0);
    const Estimator estimator(g, placed, o, std::move(near));
    tbb::enumerable_thread_specific<Workspace> workspaces([&] { return Workspace(g); });
    if (progress) progress->begin(fmt::format("network density ({}, {}, h = {:g} m)", method_name(o.method), kernel_name(o.kernel), o.bandwidth), group_start.size() - 1);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, group_start.size() - 1, 16), [&](const tbb::blocked_range<size_t>& range) {
        Workspace& w = workspaces.local();
        std::vector<double> s, out;
        for (size_t gi = range.begin(); gi != range.end(); ++gi) {
            const size_t begin = group_start[gi], end = group_start[gi + 1];
            const uint32_t r = samples.edge[order[begin]];
            s.clear();
            for (size_t i = begin; i < end; ++i) s.push_back(samples.position[order[i]]);
            if (!estimator.reachable(r, s.front(), s.back())) continue;
            out.assign(s.size(), 0.0);
            estimator.receive(r, s, out, w);
            for (size_t i = begin; i < end; ++i) result.density[order[i]] = out[i - begin];
        }
        if (progress) progress->advance(range.size());
    });
    if (progress) progress->end();
    for (const Workspace& w : workspaces) {
        result.walk_steps += w.walk_steps;
        result.walks_cut += w.walks_cut;
    }
    return result;
}

} // namespace safer::network
