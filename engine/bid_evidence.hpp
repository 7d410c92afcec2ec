#pragma once
// The evidence of a Safer Streets bid (safer bid): per-area rates, ratios to each area's
// comparison group, change against the previous period, Gi* of the rate over queen-contiguous
// areas, contiguous target-area candidates, the density surface and the monthly series of the top
// candidate against its comparison area. Facts only; the words are layers/bid_output's.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/area_stats.hpp"
#include "engine/areas.hpp"
#include "engine/crime_types.hpp"
#include "engine/geos.hpp"
#include "engine/incidents.hpp"
#include "engine/kde.hpp"
#include "engine/places.hpp"
#include "engine/progress.hpp"
#include "engine/segments.hpp"
#include "engine/target_areas.hpp"
#include "engine/window.hpp"

namespace safer::bid {

struct BidOptions {
    std::vector<CrimeGroup> groups = builtin_crime_groups(); // the built-in groups, and any a project file defines
    size_t group = 0;                       // index into groups
    std::vector<std::string> compare_group; // per area: its comparison group ("" when none is given); empty: all areas
    TargetOptions targets;
    /// Areas whose crime looks like footfall rather than residents' risk (town-centre types over
    /// half of all crime, or residents under half the typical area's) cannot be targets.
    bool residential_only = false;
};

/// Town-centre crime types: counted against residents, their rates put shopping streets first.
inline constexpr const char* town_centre_types[] = {"Shoplifting", "Theft from the person"};
/// An area with at least footfall_min_crimes crimes is flagged as footfall-driven when
/// town-centre types are more than footfall_share of its crime, when more than place_share of
/// its crime was recorded at police.uk's non-residential map points (supermarkets, shopping areas,
/// nightclubs, car parks: generic_places), or when its all-crime rate per resident is more than
/// rate_multiple times the typical (median) area's; and as having few residents when it has
/// fewer than few_residents_share of the typical area's.
inline constexpr double footfall_share = 0.5, place_share = 0.3, rate_multiple = 5, footfall_min_crimes = 20, few_residents_share = 0.5;
/// Under this many incidents in either period a change is worded with a caveat.
inline constexpr double small_count = 10;

/// The two periods a change compares: the months analysed against as many before them, where the
/// data has them; else the later half of the months against the earlier half.
struct ChangeWindows {
    bool full = false;
    Month before_from, before_to, after_from, after_to;
};

struct Target {
    TargetCandidate candidate;
    std::vector<size_t> areas; // area indexes
    geos::Geometry geometry;   // their union
    double comparison_rate = 0;
    /// Where its rate stands among the areas of the whole input: 100 x (areas with residents whose
    /// rate is at or below the cluster's) / (areas with residents), as GroupColumns::pct ranks an
    /// area. A PCC's cluster against every LSOA of England and Wales, when the input is national.
    double input_percentile = std::nan("");
    int best_bin = 0;          // the strongest Gi* hot bin among its areas (0: none)
    size_t at_best_bin = 0;    // areas at that bin
    /// Where its incidents of the group were recorded in the months analysed: police.uk's
    /// Location ("On or near " left off), most frequent first, at most max_streets.
    std::vector<std::pair<std::string, double>> streets;
    double before = 0, after = 0;      // incidents of the group in the two change periods
    double change_p = std::nan("");    // exact conditional test of after against before (two-sided)
};
inline constexpr size_t max_streets = 5;


/// The top candidate's monthly counts by crime type of the group, and its comparison area's,
/// over every month kept.
struct MonthlySeries {
    std::vector<Month> months;
    std::vector<std::vector<double>> target, comparison; // [type of the group][month]
    double target_population = 0, comparison_population = 0;
};

struct BidEvidence {
    AnalysisWindow window;
    ChangeWindows change;
    std::vector<CrimeGroup> groups;           // as BidOptions::groups
    size_t group = 0;                         // index into groups
    std::vector<GroupColumns> stats;          // every group, months analysed; the group's ratio to each area's comparison group
    std::vector<std::string> no_population;   // area codes with no (or zero) population
    std::vector<CrimeTypeId> group_types;     // the types of the group met in the data
    std::vector<std::vector<double>> type_count; // [type of the group][area], months analysed
    std::vector<double> burglary_per_household;  // per area, where households are given (else NaN)
    std::vector<double> before, after, change_pct; // per area, the group
    std::vector<double> change_p;             // per area: exact conditional test of after against before (NaN when both are 0)
    double input_rate = 0;                    // the group per 1,000 residents over every area with residents: the whole input
    std::vector<double> town_centre_share;    // per area: town-centre types / all crime, months analysed (NaN without crime)
    std::vector<double> place_share;          // per area: crime at non-residential map points / all crime (NaN without crime)
    std::vector<double> all_rate;             // per area: all crime per 1,000 residents, months analysed (NaN without residents)
    double typical_all_rate = 0;              // median all_rate
    double typical_population = 0;            // median residents of the areas with residents
    std::vector<uint8_t> footfall;            // per area: town-centre types over footfall_share of its crime
    std::vector<uint8_t> few_residents;       // per area: under few_residents_share of typical_population
    std::vector<double> gi_z, gi_p;           // per area (NaN for areas without population)
    std::vector<int64_t> gi_bin;
    std::vector<uint8_t> gi_null;
    std::string gi_error;                     // why Gi* could not be computed, if it could not
    std::vector<std::string> gi_warnings;
    std::vector<Target> targets;              // best first
    kde::Surface density;                     // the group, months analysed, over the areas
    kde::Hotspots density_classes;
    MonthlySeries monthly;

    const GroupColumns& group_stats() const { return stats[group]; }
};

/// The evidence from the incidents kept by the study (located in `areas`, `area_of`, within the
/// window's kept months). Throws InputError when the group has no incidents in the months
/// analysed, or no cluster fits the population limits.
BidEvidence bid_evidence(const Incidents& in, const CrimeTypes& types, const Areas& areas, const std::vector<int32_t>& area_of,
                         const AnalysisWindow& window, const BidOptions& options, Progress* progress);

/// The incidents of every type recorded in the top candidate's areas in the months analysed, with
/// those areas, for its design-out plan.
struct TargetStudy {
    Areas areas;
    Incidents incidents;
    std::vector<int32_t> area_of;
};
TargetStudy top_target_study(const BidEvidence& evidence, const Incidents& in, const Areas& areas, const std::vector<int32_t>& area_of);

/// With --streets: the group's incidents of the months analysed on street segments (the analysis
/// of safer segments, with its default options) and the top candidate's streets.
struct TargetStreets {
    segments::SegmentOptions options;
    segments::SegmentResult segments;
    std::vector<size_t> top; // segments whose middle lies in the top candidate's areas, busiest first
    std::string error;       // why the segments could not be made (no incident of the group near a street), if so
};
TargetStreets target_streets(const BidEvidence& evidence, std::span<const FeatureRecord> streets, const Incidents& in, const CrimeTypes& types,
                             Progress* progress);

} // namespace safer::bid
