#pragma once
// The design-out-crime analysis (safer score, and the plan of safer bid): lighting and CCTV
// coverage of a grid of cells over the study area, the path network and its gates, crime
// pressure, the candidate interventions with what each is expected to prevent
// (engine/interventions.hpp: p = effect x (1 - coverage now)) and, given a budget, the plan.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/areas.hpp"
#include "engine/assets.hpp"
#include "engine/crime_types.hpp"
#include "engine/grid.hpp"
#include "engine/guardianship.hpp"
#include "engine/incidents.hpp"
#include "engine/interventions.hpp"
#include "engine/path_network.hpp"
#include "engine/progress.hpp"

namespace safer::design {

/// Cells a score grid may have (20 million: about 1 GB of working memory).
inline constexpr double max_score_cells = 20e6;

enum class Pressure : uint8_t { count, kde };

struct DesignOutModel {
    std::vector<plan::InterventionSpec> table; // lighting, cctv, gating, target_hardening (by key)
    std::vector<plan::CrimeCost> crime_costs;  // --costs [crime_costs]: what a crime costs society, for the value of a plan
    std::string crime_costs_source;
    guard::CameraRule camera_rule;
    guard::LightRule light_rule;
    double grid_cell = 100;
    double gate_tolerance = 5; // a gate closes the nearest path segment within this many metres
    double path_reach = 30;    // a burglary counts for the nearest alley within this many metres
    Pressure pressure = Pressure::count;
    double bandwidth = 200; // metres, for Pressure::kde
    std::optional<double> budget;
    int quadrant_segments = 8;
    double tile = 1000;
    /// Propose lighting only with a lighting layer and CCTV only with a CCTV layer: without the
    /// layer, what is there now is unknown. `safer score` proposes both anyway, taking a missing
    /// layer as nothing there.
    bool only_layers_given = false;
};

/// Where a candidate is, as facts.
struct CandidateInfo {
    double coverage = 0;  // share lit or in view now (0 for an alley or target hardening)
    double units = 0;     // lights, cameras, gates or homes
    geos::Geometry point; // cell centre or alley midpoint
    int64_t cell = -1;    // score grid cell
    int64_t segment = -1; // path segment
    /// The street most of its crimes were recorded on or near (police.uk's map points; kinds of
    /// place such as "Supermarket" left out), "" when none names a street.
    std::string street;
    /// Its crimes by type, most first.
    std::vector<std::pair<CrimeTypeId, uint32_t>> types;
};

/// What was made of the assets, for messages and the run's record.
struct AssetFacts {
    size_t radius_from_attribute = 0, radius_from_height = 0, radius_default = 0;
    size_t lights_outside = 0, cameras_outside = 0; // outside the study area
    size_t cameras_with_bearing = 0, cameras_with_range = 0;
    size_t alleys = 0;
};

struct DesignOutPlan {
    std::vector<plan::InterventionSpec> table;
    size_t LIGHT = 0, CCTV = 0, GATE = 0, HARDEN = 0; // table indexes
    std::vector<std::vector<uint8_t>> addresses;      // [intervention][crime type]: 1 if it addresses it
    bool areas_given = false;                         // the study area is the areas (else the crimes' extent)
    bool has_lighting = false, has_cctv = false;      // the layers were given
    double default_range = 0;                         // of cameras with no range of their own
    Grid grid;
    guard::Tiling tiling;
    std::vector<int64_t> unit_cells;         // cells inside the study area
    std::vector<double> cell_lit, cell_seen; // per unit cell
    std::vector<double> area_lit, area_seen; // per area (when areas are given)
    guard::Coverage lit, seen;
    size_t light_count = 0, camera_count = 0;
    paths::Network network;
    paths::GateAssignment gates;
    std::vector<uint8_t> gated;            // per segment
    std::vector<double> seg_lit, seg_seen; // per segment
    std::vector<std::vector<std::vector<uint32_t>>> crimes_in; // [intervention][unit cell]: incidents
    std::vector<std::vector<double>> area_count;               // [intervention][area]
    std::vector<size_t> addressed_total;                       // [intervention]
    std::vector<std::vector<double>> kde_pressure;             // [intervention][unit cell] (Pressure::kde)
    std::vector<std::vector<uint32_t>> burglaries_on;          // per segment
    size_t burglaries_near_alleys = 0;
    std::vector<plan::Candidate> candidates;
    std::vector<CandidateInfo> info;
    bool with_budget = false;
    plan::Plan chosen_plan;
    std::vector<int64_t> plan_order; // per candidate: 1-based order in the plan, 0 if not in it
    AssetFacts facts;
    Pressure pressure = Pressure::count;

    double cell_pressure(size_t k, size_t u) const {
        return pressure == Pressure::kde ? kde_pressure[k][u] : static_cast<double>(crimes_in[k][u].size());
    }
};

/// The analysis of the incidents `in` (of the crime types `types`) over the study area: the
/// areas' polygons when given (`area_of` locating each incident), else the incidents' extent.
/// Throws InputError for a grid over max_score_cells.
DesignOutPlan design_out(const DesignOutModel& model, const AssetSet& assets, const Incidents& in, const CrimeTypes& types, const Areas& areas,
                         const std::vector<int32_t>& area_of, Progress* progress);

/// The candidates to show: the best `top` of each intervention by crimes prevented per pound, and
/// every one in the plan, best per pound first.
std::vector<size_t> recommended(const DesignOutPlan& d, size_t top);

/// Camera records as cameras, each with its range: its own, else the rule's.
std::vector<guard::Camera> cameras_from(const std::vector<CameraRecord>& records, const guard::CameraRule& rule);
/// The path network of path and street lines (copies of their geometry).
paths::Network network_from(const std::vector<FeatureRecord>& lines);
/// Each gate closes the nearest path segment within `tolerance` (paths::assign_gates).
paths::GateAssignment gates_on(const paths::Network& network, const std::vector<FeatureRecord>& gates, double tolerance);
/// Footprints as occluders, those whose extent `keep` accepts (all when `keep` is empty).
std::vector<guard::Occluder> occluders_of(const std::vector<FeatureRecord>& footprints, const std::function<bool(const Extent&)>& keep = {});

} // namespace safer::design
