#include "engine/segments.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "engine/errors.hpp"

namespace safer::segments {

namespace {

std::string extent_text(double min_x, double min_y, double max_x, double max_y) {
    return fmt::format("{:.0f}, {:.0f} to {:.0f}, {:.0f}", min_x, min_y, max_x, max_y);
}

/// Why nothing could be counted: where the incidents and the streets are.
[[noreturn]] void nothing_placed(const SegmentResult& r, const Incidents& in, const std::vector<uint8_t>& selected, double tolerance) {
    double ix0 = INFINITY, iy0 = INFINITY, ix1 = -INFINITY, iy1 = -INFINITY;
    size_t chosen = 0;
    for (size_t i = 0; i < in.size(); ++i)
        if (selected[i]) ++chosen, ix0 = std::min(ix0, in.x[i]), iy0 = std::min(iy0, in.y[i]), ix1 = std::max(ix1, in.x[i]), iy1 = std::max(iy1, in.y[i]);
    const auto [sx0, sx1] = std::minmax_element(r.network.vx.begin(), r.network.vx.end());
    const auto [sy0, sy1] = std::minmax_element(r.network.vy.begin(), r.network.vy.end());
    const bool overlap = !(ix1 < *sx0 || *sx1 < ix0 || iy1 < *sy0 || *sy1 < iy0);
    throw InputError(fmt::format("nothing left to count: none of the {} incidents of the selection lies within {:g} m of a street segment. The "
                                 "incidents span {} and the streets {}{}",
                                 chosen, tolerance, extent_text(ix0, iy0, ix1, iy1), extent_text(*sx0, *sy0, *sx1, *sy1),
                                 overlap ? "" : ": they do not overlap, so the streets are probably in another CRS or of another place"));
}

} // namespace

SegmentResult analyse_segments(std::span<const FeatureRecord> streets, const Incidents& in, const std::vector<uint8_t>& selected,
                               const SegmentOptions& o, Progress* progress) {
    if (!(o.tolerance >= 0) || !std::isfinite(o.tolerance)) throw InputError(fmt::format("--tolerance {}: it must be 0 metres or more", o.tolerance));
    SegmentResult r;
    if (progress) progress->begin("street segments", 0);
    r.network = streets::build_street_network(streets);
    if (progress) progress->end();
    const size_t n = r.network.segments.size();

    if (progress) progress->begin("placing incidents on segments", 0);
    r.placement = streets::place_points(r.network, in.x, in.y, o.tolerance);
    if (progress) progress->end();
    r.count.assign(n, 0.0);
    network::Events events;
    for (size_t i = 0; i < in.size(); ++i) {
        const int32_t s = r.placement.segment[i];
        if (s < 0) continue;
        ++r.placed;
        if (!selected[i]) continue;
        const double w = in.weight_of(i);
        r.count[static_cast<size_t>(s)] += w;
        r.incidents += w;
        events.edge.push_back(static_cast<uint32_t>(s));
        events.position.push_back(r.placement.position[i]);
        events.weight.push_back(w);
    }
    if (!(r.incidents > 0)) nothing_placed(r, in, selected, o.tolerance);
    r.rate_per_100m.resize(n);
    for (size_t s = 0; s < n; ++s) r.rate_per_100m[s] = 100 * r.count[s] / r.network.segments[s].length;

    // Density on lixels, in incidents per 100 m of street.
    r.lixels = streets::make_lixels(r.network, o.lixel);
    network::Samples samples;
    samples.edge = r.lixels.segment;
    for (size_t i = 0; i < r.lixels.size(); ++i) samples.position.push_back(r.lixels.centre(i));
    network::KdeResult kde = network::network_kde(r.network.graph, events, samples, o.kde, progress);
    r.walk_steps = kde.walk_steps;
    r.walks_cut = kde.walks_cut;
    r.lixel_nkde.resize(r.lixels.size());
    for (size_t i = 0; i < r.lixels.size(); ++i) r.lixel_nkde[i] = 100 * kde.density[i];
    r.nkde.assign(n, 0.0);
    r.nkde_max.assign(n, 0.0);
    for (size_t s = 0; s < n; ++s) {
        double sum = 0, most = 0;
        const uint32_t first = r.lixels.first[s], last = r.lixels.first[s + 1];
        for (uint32_t i = first; i < last; ++i) sum += r.lixel_nkde[i], most = std::max(most, r.lixel_nkde[i]);
        r.nkde[s] = sum / (last - first); // lixels of a segment are of equal length
        r.nkde_max[s] = most;
    }

    // Gi* on counts, weights by distance along the network.
    if (progress) progress->begin("Gi* on segments", 0);
    const hotspots::SpatialWeights w = streets::network_distance_band(r.network, o.gi_band);
    r.neighbours.resize(n);
    for (size_t s = 0; s < n; ++s) r.neighbours[s] = static_cast<uint32_t>(w.offsets[s + 1] - w.offsets[s]);
    try {
        r.gi = hotspots::gi_star(r.count, w);
        r.with_gi = true;
        for (int8_t b : r.gi.bin) r.hot95 += b >= 2, r.cold95 += b <= -2;
    } catch (const InputError& e) {
        r.gi_note = e.what();
    }
    if (progress) progress->end();

    r.concentration = hotspots::concentration(r.count);
    for (size_t k = 0; k < holding_shares.size(); ++k) r.holding[k] = hotspots::units_holding(r.count, holding_shares[k]);
    r.segments_with_crime = std::count_if(r.count.begin(), r.count.end(), [](double c) { return c > 0; });
    return r;
}

std::vector<std::pair<size_t, double>> segments_near(const SegmentResult& r, const GEOSGeometry* polygon, double distance) {
    GEOSContextHandle_t ctx = geos::context();
    const geos::Prepared prepared = geos::prepare(polygon);
    const Extent reach = geos::extent(polygon).grown(distance);
    std::vector<std::pair<size_t, double>> out;
    for (size_t s = 0; s < r.network.segments.size(); ++s) {
        const GEOSGeometry* line = r.network.segments[s].geometry.get();
        if (!geos::extent(line).overlaps(reach)) continue;
        double d = 0;
        if (GEOSPreparedIntersects_r(ctx, prepared.get(), line) == 1) d = 0;
        else if (!GEOSPreparedDistance_r(ctx, prepared.get(), line, &d)) throw std::runtime_error("GEOS distance failed: " + geos::last_message());
        if (d <= distance) out.emplace_back(s, d);
    }
    return out;
}

std::vector<size_t> segments_with_middle_in(const SegmentResult& r, const GEOSGeometry* polygon) {
    GEOSContextHandle_t ctx = geos::context();
    const geos::Prepared prepared = geos::prepare(polygon);
    const Extent box = geos::extent(polygon);
    std::vector<size_t> out;
    for (size_t s = 0; s < r.network.segments.size(); ++s) {
        const auto [x, y] = streets::point_along(r.network, static_cast<uint32_t>(s), r.network.segments[s].length / 2);
        if (x < box.min_x || x > box.max_x || y < box.min_y || y > box.max_y) continue;
        const geos::Geometry p = geos::point(x, y);
        if (GEOSPreparedIntersects_r(ctx, prepared.get(), p.get()) == 1) out.push_back(s);
    }
    return out;
}

bool busier(const SegmentResult& r, size_t a, size_t b) {
    if (r.count[a] != r.count[b]) return r.count[a] > r.count[b];
    if (r.nkde[a] != r.nkde[b]) return r.nkde[a] > r.nkde[b];
    return a < b;
}

} // namespace safer::segments
