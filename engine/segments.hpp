#pragma once
// Street segments as units of analysis (safer segments): the segments between junctions, each
// incident on its nearest segment, counts and rates per 100 m, how concentrated crime is across
// segments, Gi* on segments with network-distance weights, and network kernel density on lixels.
// The formulas are in the modules each step calls (street_network, network_kde, concentration,
// getis_ord).
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/assets.hpp"
#include "engine/concentration.hpp"
#include "engine/getis_ord.hpp"
#include "engine/incidents.hpp"
#include "engine/network_kde.hpp"
#include "engine/progress.hpp"
#include "engine/street_network.hpp"

namespace safer::segments {

struct SegmentOptions {
    double tolerance = 30;   // metres: incidents farther than this from every segment are not placed
    double lixel = 50;       // metres: the longest lixel
    network::KdeOptions kde; // method, kernel, bandwidth, max_depth
    double gi_band = 100;    // metres along the network between segments' nearest points
};

/// Shares of all incidents for the concentration figures: the segments holding 25, 50, 75 %.
inline constexpr std::array<double, 3> holding_shares = {0.25, 0.50, 0.75};

struct SegmentResult {
    streets::StreetNetwork network;
    streets::Placement placement; // per incident given (all of them, selected or not)
    streets::Lixels lixels;
    size_t placed = 0;            // incidents on a segment, any type
    double incidents = 0;         // selected incidents on a segment (sum of weights)
    std::vector<double> count;    // per segment: selected incidents (sum of weights)
    std::vector<double> rate_per_100m; // 100 * count / length
    std::vector<double> lixel_nkde;    // per lixel: density at its centre, incidents per 100 m of street
    std::vector<double> nkde;          // per segment: the mean of its lixels' densities
    std::vector<double> nkde_max;      // per segment: the highest of them
    uint64_t walk_steps = 0, walks_cut = 0;
    std::vector<uint32_t> neighbours;  // per segment: neighbours in the Gi* weights (self not counted)
    bool with_gi = false;              // false when Gi* cannot be computed (gi_note says why)
    std::string gi_note;
    hotspots::GiStarResult gi;
    size_t hot95 = 0, cold95 = 0;      // segments hot or cold at 95 % (|gi_bin| >= 2)
    hotspots::Concentration concentration;
    std::array<int64_t, holding_shares.size()> holding{}; // segments holding each share
    int64_t segments_with_crime = 0;
};

/// The whole analysis. `selected` flags the incidents counted (1) among those given; every
/// incident is placed, so the caller can account for those off the network. Throws InputError
/// when there are no street lines, or no selected incident lies on a segment (the message gives
/// the extents of both).
SegmentResult analyse_segments(std::span<const FeatureRecord> streets, const Incidents& incidents, const std::vector<uint8_t>& selected,
                               const SegmentOptions& options, Progress* progress = nullptr);

/// The segments whose line comes within `distance` metres of a polygon (0 for one that touches or
/// crosses it), with that distance, by segment number.
std::vector<std::pair<size_t, double>> segments_near(const SegmentResult& r, const GEOSGeometry* polygon, double distance);
/// The segments whose middle (half way along) lies in a polygon, by segment number: each segment
/// belongs to at most one of a set of areas that do not overlap.
std::vector<size_t> segments_with_middle_in(const SegmentResult& r, const GEOSGeometry* polygon);
/// Busiest first: true when segment a comes before b by count, then nkde, then segment number.
bool busier(const SegmentResult& r, size_t a, size_t b);

} // namespace safer::segments
