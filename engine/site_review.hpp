#pragma once
// The crime impact review of planning sites (safer site), the review a Designing Out Crime
// Officer makes of a red line: rings of distance from the red line (0 inside), the LSOAs it lies
// in, the density and hot-spot status of crime at the site, the trend, guardianship around it
// (lighting, CCTV, paths and their gating) and findings by CPTED principle. Facts only; the words
// and maps are layers/site_output's.
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/areas.hpp"
#include "engine/assets.hpp"
#include "engine/crime_types.hpp"
#include "engine/geos.hpp"
#include "engine/grid.hpp"
#include "engine/guardianship.hpp"
#include "engine/incidents.hpp"
#include "engine/kde.hpp"
#include "engine/month.hpp"
#include "engine/path_network.hpp"
#include "engine/progress.hpp"
#include "engine/segments.hpp"
#include "engine/site_rings.hpp"
#include "engine/space_time.hpp"

namespace safer::site {

/// Grid for the hot-spot status around sites: 100 m cells, Gi* over a 300 m band.
inline constexpr double hotspot_cell = 100, hotspot_band = 300;
/// Lighting of paths, CCTV around the site and crimes near a path are measured within this
/// distance of the red line.
inline constexpr double guard_distance = 100;
/// A path segment that does not enter the site "passes" it when some part of it lies within this
/// distance of the red line: close enough to reach the site's boundary (a rear alley behind its
/// gardens, a footway along its fence), far enough to allow for a verge or a wall.
inline constexpr double pass_distance = 20;
/// Lighting and CCTV findings are made below these shares.
inline constexpr double low_lit_share = 0.5, low_cctv_share = 0.25;
/// With --streets: the street segments reported for a site are those within this distance of its
/// red line.
inline constexpr double street_distance = 100;
/// Without areas, the study area is the sites' surroundings: this far beyond the last ring.
inline constexpr double surroundings_margin = 5000;

/// What is being built on a site (--use): the findings it gets and the Secured by Design guide
/// they point to. Mixed is residential and commercial together.
enum class SiteUse : uint8_t { residential, commercial, mixed, car_park };
inline constexpr SiteUse all_site_uses[] = {SiteUse::residential, SiteUse::commercial, SiteUse::mixed, SiteUse::car_park};
/// "residential", "commercial", "mixed", "car-park": the names --use takes.
const char* use_name(SiteUse use);
/// Whether the uses include homes (residential or mixed), or shops and workplaces (commercial or mixed).
bool has_homes(const std::vector<SiteUse>& uses);
bool has_commerce(const std::vector<SiteUse>& uses);

struct SiteOptions {
    std::vector<double> radii{100, 250, 500, 1000};
    std::vector<SiteUse> uses{SiteUse::residential};
    guard::LightRule light_rule;
    guard::CameraRule camera_rule;
    double gate_tolerance = 5;
    int quadrant_segments = 8;
};

/// Gating of a path segment: unknown (no gates layer), none, some of the gates it needs, all.
enum class Gating : int8_t { unknown = -1, open = 0, gated = 1, partial = 2 };

struct SitePath {
    size_t segment = 0;
    bool enters = false;
    std::string side;      // "north", or for a segment entering the site the sides it crosses the red line on, "west,east"
    double inside_m = 0;   // length inside the site
    double near_m = 0;     // length within pass_distance of the red line (inside included)
    double distance_m = 0; // from the red line (0 if it touches or enters)
    Gating gating = Gating::unknown;
    uint32_t gates = 0, gates_needed = 0;
    int64_t burglaries = 0, neighbourhood = 0; // within guard_distance of the segment
    double lit_share = std::nan(""), cctv_share = std::nan(""); // of its length within guard_distance of the red line
};

/// A part of a path segment within guard_distance of the red line, for the map.
struct PathPart {
    geos::Geometry geometry;
    size_t segment = 0;
    int64_t path = -1; // index into SiteGuardianship::paths when it enters or passes the site
};

struct SiteGuardianship {
    double boundary_m = std::nan(""), lit_boundary_m = std::nan(""), lit_boundary_share = std::nan("");
    double path_m = std::nan(""), lit_path_m = std::nan(""), lit_path_share = std::nan(""); // path parts within guard_distance
    double cctv_site_share = std::nan(""), cctv_ring_share = std::nan("");
    int64_t cameras_site = -1, cameras_ring = -1;
    std::vector<SitePath> paths;
    int64_t entering = -1, passing = -1, ungated = -1, partly_gated = -1;
    // For the map: coverage near the site, the lights that reach it, the path parts.
    std::vector<geos::Geometry> lit_pieces, seen_pieces;
    std::vector<geos::Geometry> lights;
    std::vector<PathPart> parts;
};

enum class Principle : uint8_t { context, natural_surveillance, access_control, territorial_reinforcement, activity_support, maintenance };
enum class FindingKind : uint8_t {
    nothing_recorded, // no incident within the last ring
    burglary,         // burglaries within the first ring
    hot_spot,         // neighbourhood crime within the first ring, in a Gi* hot spot at 95 %
    violence_asb,     // violence or ASB within the second ring
    damage,           // criminal damage within the second ring
    dense,            // density at the site in the top 10 % of the cells with recorded crime
    retail_theft,     // shoplifting or theft from the person within the first ring (commercial or mixed use)
    vehicle,          // vehicle crime within the first ring (a car park)
    open_path,        // an open alley, or a path with burglaries near it (`path`)
    more_open_paths,  // more such paths than are listed (`count`)
    low_lighting,     // the red line or the paths near it under low_lit_share lit
    low_cctv,         // the site under low_cctv_share in view, with crime near it
    low_crime,        // none of the above
};
struct Finding {
    Principle principle;
    FindingKind kind;
    size_t path = 0;  // open_path: index into SiteGuardianship::paths
    size_t count = 0; // more_open_paths
};

struct SiteResult {
    std::string id;
    const GEOSGeometry* site = nullptr;
    double area_ha = 0;
    SiteRings rings;
    std::vector<std::vector<double>> by_group; // [ring][group]
    std::vector<std::vector<double>> within;   // [ring][group]: cumulative within each radius
    std::vector<std::vector<double>> by_type;  // [type][ring]; empty for a type not met
    std::vector<double> inside;                // [group]: on or inside the red line (part of ring 0)
    std::vector<double> inside_by_type;        // [type]
    std::vector<double> monthly;               // within the last ring, each month reviewed
    std::vector<std::vector<double>> monthly_by_group; // [group][month], within the last ring
    std::vector<hotspots::MannKendall> trend_by_group; // [group]: Mann-Kendall of monthly_by_group
    std::vector<size_t> incidents;             // within the last ring, in incident order
    std::vector<int32_t> incident_ring;        // 0-based
    std::vector<double> incident_distance;     // from the red line
    std::vector<size_t> lsoas;                 // areas the site lies in
    /// Density of all crime at the site (incidents per km2); its percentile among the density
    /// cells holding at least one recorded crime (the share of them at or below it), and its rank
    /// among them (1 = densest: 1 + the cells denser than the site).
    double kde = std::nan(""), kde_pct = std::nan("");
    size_t kde_rank = 0;
    int best_bin = 0;
    double gi_z = std::nan(""); // the highest Gi* z among the 100 m cells the site touches
    double nearest_hot = std::nan("");
    hotspots::MannKendall trend;
    SiteGuardianship guardianship;
    std::vector<Finding> findings; // by principle, in report order
    /// With --streets: the street segments within street_distance of the red line, busiest first
    /// (SiteReview::street_segments), each with its distance from the red line.
    std::vector<std::pair<size_t, double>> streets;

    size_t nearby() const { return incidents.size(); }
    /// Incidents of the police.uk type `type` within the first ring (0 for a type not in the data).
    double in_first_ring(const CrimeTypes& types, const char* type) const;
};

/// What the review of every site shares, worked out once for all of them: the months and rings,
/// the density of all crime over the study area, whether Gi* could be computed, the areas' rates,
/// which assets were given, the path network and the street segments.
struct SiteStudy {
    Month from, to;
    int span = 0;
    std::vector<double> radii;
    size_t all_group = 0; // index of "all" among the built-in groups
    kde::Surface density; // of all crime over the study area (values not kept)
    size_t crime_cells = 0; // density cells holding at least one recorded crime: what a site's density is ranked among
    bool have_gi = false;
    std::string gi_error;
    std::vector<double> area_count; // incidents by area (all crime)
    std::vector<double> area_rate;  // per 1,000 residents (NaN without population)
    double comparison_rate = std::nan("");
    bool lighting = false, cctv = false, paths = false, gates = false;
    paths::Network network; // the paths, when given
    /// With --streets: all crime of the months reviewed on street segments (safer segments'
    /// analysis with its default options), or why it could not be made.
    bool streets = false;
    segments::SegmentOptions street_options;
    segments::SegmentResult street_segments;
    std::string streets_error;
};

/// Every site reviewed at once.
struct SiteReview : SiteStudy {
    std::vector<SiteResult> sites;
};

/// Consecutive sites [begin, end) reviewed and written together.
struct SiteBatch {
    size_t begin = 0, end = 0;
};

/// Reviews sites one at a time, so that a caller can write each batch of results and let it go:
/// memory then grows with the largest batch, not with the number of sites. The constructor does
/// the study-wide work once (every site checked against the crimes' extent, the density surface,
/// Gi* on the 100 m grid, the areas' rates, the guardianship assets near any site); review(s)
/// does the rest for site s alone. `in` are the incidents of the months reviewed (from..to),
/// `area_of` their areas (or empty without areas; no_area outside). Throws InputError for a site
/// outside the incidents' extent. Every argument must outlive the reviewer, and `sites` every
/// result (SiteResult::site points into it).
class SiteReviewer {
public:
    SiteReviewer(const Areas& sites, const Incidents& in, const CrimeTypes& types, const Areas& areas, const std::vector<int32_t>& area_of,
                 const AssetSet& assets, Month from, Month to, const SiteOptions& options, Progress* progress);
    ~SiteReviewer();
    SiteReviewer(SiteReviewer&&) noexcept;
    SiteReviewer& operator=(SiteReviewer&&) noexcept;

    size_t size() const; // sites
    const SiteStudy& study() const&;
    /// The study-wide part, moved out of a reviewer that is done.
    SiteStudy study() &&;
    /// The review of site s (in the order of `sites`): the same whichever sites were reviewed before.
    SiteResult review(size_t s) const;
    /// An upper bound, worked out up front, of site s's incidents within the largest ring (its rows
    /// in site_incidents, the memory a review holds): the incidents in its envelope grown by the
    /// largest radius.
    size_t incidents_bound(size_t s) const;
    /// The sites cut into consecutive batches of at most `max_sites` sites whose bounds add up to at
    /// most `max_rows` incidents (a site above it alone), from incidents_bound.
    std::vector<SiteBatch> batches(size_t max_rows, size_t max_sites) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// Reviews every site at once (SiteReviewer over all of them).
SiteReview review_sites(const Areas& sites, const Incidents& in, const CrimeTypes& types, const Areas& areas, const std::vector<int32_t>& area_of,
                        const AssetSet& assets, Month from, Month to, const SiteOptions& options, Progress* progress);

} // namespace safer::site
