#pragma once
// The design-out-crime analysis shared by `safer score` and `safer bid`: reads the guardianship
// assets (street lights, CCTV, paths and alleys, gates), computes lighting and CCTV coverage of a
// grid of cells, the path network and its gates, the candidate interventions with what each is
// expected to prevent (engine/interventions.hpp) and, given a budget, the plan.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "engine/areas.hpp"
#include "engine/crime_types.hpp"
#include "engine/grid.hpp"
#include "engine/guardianship.hpp"
#include "engine/incidents.hpp"
#include "engine/interventions.hpp"
#include "engine/path_network.hpp"
#include "layers/asset_reader.hpp"
#include "layers/table.hpp"
#include "tools/design_options.hpp"
#include "tools/parsers.hpp"

namespace safer {
class Progress;
}

namespace safer::tools {

/// "£12,345" (whole pounds).
std::string money(double gbp);
/// "42 %" of a share 0..1.
std::string percent(double share);
/// "Welsh & Farrington (2008)" from a full source text: up to the first closing parenthesis.
std::string short_source(const std::string& source);
/// "1 crime", "3 crimes".
std::string plural(size_t n, const char* one, const char* many);

/// Adds `path` with its SHA-256 to `inputs` (the run's record), if it is a file.
void add_input(std::vector<std::pair<std::string, std::string>>& inputs, const std::string& path);
/// Reads --paths (and --streets, which only make junctions) and nodes them into a network.
paths::Network read_path_network(const DesignOutOptions& options, const layers::AssetOptions& asset_options,
                                 std::vector<std::pair<std::string, std::string>>& inputs, Progress& progress);

/// Camera records as cameras, each with its range: its own, else the rule's.
std::vector<guard::Camera> cameras_from(const std::vector<layers::CameraRecord>& records, const guard::CameraRule& rule);
/// Reads --occluders (building footprints) as occluders, those whose extent `keep` accepts (all
/// when `keep` is empty).
std::vector<guard::Occluder> read_occluder_set(const DesignOutOptions& options, const layers::AssetOptions& asset_options,
                                               std::vector<std::pair<std::string, std::string>>& inputs, Progress& progress,
                                               const std::function<bool(const Extent&)>& keep = {});
/// Reads --gates and gives each the path segment it closes, warning about gates that close
/// nothing (beyond --gate-tolerance) or stand at a junction.
paths::GateAssignment read_gate_assignment(const DesignOutOptions& options, const layers::AssetOptions& asset_options, const paths::Network& network,
                                           std::vector<std::pair<std::string, std::string>>& inputs, Progress& progress);


/// What is checked and loaded before any crime is read: the parameters (UsageError) and the
/// intervention table (InputError).
struct DesignOutModel {
    std::vector<plan::InterventionSpec> table;
    guard::CameraRule camera_rule;
};
DesignOutModel prepare_design_out(const DesignOutOptions& options);

/// One candidate intervention with what the layer shows about it.
struct CandidateInfo {
    std::string place;
    std::string reason;
    double coverage = 0;
    double units = 0;
    geos::Geometry point;
    int64_t cell = -1;
    int64_t segment = -1;
};

struct DesignOut {
    std::vector<plan::InterventionSpec> table;
    size_t K = 0, LIGHT = 0, CCTV = 0, GATE = 0, HARDEN = 0; // table indexes
    std::vector<std::vector<uint8_t>> addresses;              // [intervention][crime type]: 1 if it addresses it
    guard::CameraRule camera_rule;
    double default_range = 0;                                  // of cameras with no range of their own
    Grid grid;
    guard::Tiling tiling;
    std::vector<int64_t> unit_cells; // cells inside the study area
    std::vector<double> cell_lit, cell_seen; // per unit cell
    std::vector<double> area_lit, area_seen; // per area (when areas are given)
    guard::Coverage lit, seen;
    size_t light_count = 0, camera_count = 0;
    paths::Network network;
    paths::GateAssignment gates;
    std::vector<uint8_t> gated;              // per segment
    std::vector<double> seg_lit, seg_seen;   // per segment
    std::vector<std::vector<std::vector<uint32_t>>> crimes_in; // [intervention][unit cell]: incidents
    std::vector<std::vector<double>> area_count;               // [intervention][area]
    std::vector<size_t> addressed_total;                       // [intervention]
    std::vector<std::vector<double>> kde_pressure;             // [intervention][unit cell] (--pressure kde)
    std::vector<std::vector<uint32_t>> burglaries_on;          // per segment
    size_t burglaries_near_alleys = 0;
    std::vector<plan::Candidate> candidates;
    std::vector<CandidateInfo> info;
    bool with_budget = false;
    plan::Plan chosen_plan;
    std::vector<int64_t> plan_order; // per candidate: 1-based order in the plan, 0 if not in it
    nlohmann::ordered_json asset_summary = nlohmann::ordered_json::object();
    std::string pressure;

    double cell_pressure(size_t k, size_t u) const {
        return pressure == "kde" ? kde_pressure[k][u] : static_cast<double>(crimes_in[k][u].size());
    }
    /// "burglary, robbery" for intervention k.
    std::string type_list(size_t k) const;
};

/// Runs the analysis on the incidents `in` (of the crime types `types`) over the study area: the
/// areas' polygons when given (`area_of` locating each incident, or empty), else the incidents'
/// extent. `period` names the months for the reasons. Each asset file read is added to `inputs`
/// with its SHA-256.
DesignOut design_out(const DesignOutOptions& options, const DesignOutModel& model, const std::string& working_crs, const Incidents& in,
                     const CrimeTypes& types, const Areas& areas, const std::vector<int32_t>& area_of, const std::string& period,
                     std::vector<std::pair<std::string, std::string>>& inputs, Progress& progress);

/// The candidates to show: the best `top` of each intervention by crimes prevented per pound, and
/// every one in the plan, best per pound first.
std::vector<size_t> recommended(const DesignOut& d, size_t top);
/// Those candidates as a point layer (points: cell centres and alley midpoints). It points into `d`.
layers::Table recommendations_table(const DesignOut& d, const std::vector<size_t>& shown, const std::string& name, const std::string& period);

} // namespace safer::tools
