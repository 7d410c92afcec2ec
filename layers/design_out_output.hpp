#pragma once
// Writing the design-out-crime analysis (safer score, and the plan of safer bid): the coverage,
// score and path layers, the recommendations, the words of each candidate's place and reason,
// and the record of the model and assets.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/design_out.hpp"
#include "engine/progress.hpp"
#include "layers/study.hpp"
#include "layers/table.hpp"

namespace safer::layers {

/// "burglary, robbery" for intervention k.
std::string type_list(const design::DesignOutPlan& d, size_t k);
/// Where candidate i is: "cell 1234 (100 m, centre 358950, 172950)", "alley segment 12, Back Lane (85 m)".
std::string candidate_place(const design::DesignOutPlan& d, size_t i);
/// Why candidate i is proposed, in plain English, over `period` ("12 months (2023-01 to 2023-12)").
std::string candidate_reason(const design::DesignOutPlan& d, const design::DesignOutModel& m, const CrimeTypes& types, size_t i, const std::string& period);

/// The candidates `shown` (recommended()) as a point layer. It points into `d`.
Table recommendations_table(const design::DesignOutPlan& d, const design::DesignOutModel& m, const CrimeTypes& types, const std::vector<size_t>& shown, const std::string& name,
                            const std::string& period);
/// A coverage union (lighting_coverage, cctv_coverage), one feature per tile.
Table coverage_table(const guard::Coverage& coverage, const char* name, const std::string& description);
/// score_grid: unit cells with any crime an intervention addresses, or any coverage. The squares
/// are kept in `squares`, which the table points into.
Table score_grid_table(const design::DesignOutPlan& d, const design::DesignOutModel& m, const std::string& period, std::vector<geos::Geometry>& squares);
/// score_areas.
Table score_areas_table(const design::DesignOutPlan& d, const Areas& areas, const std::string& period);
/// path_segments.
Table path_segments_table(const design::DesignOutPlan& d, const design::DesignOutModel& m, const std::string& period);

/// Prints what was made of the assets: light radii, cameras' views and ranges, lights and
/// cameras outside the study area, the network and its gates (with warnings for gates that close
/// nothing or stand at a junction).
void report_design_out(Progress& progress, const design::DesignOutPlan& d, const design::DesignOutModel& m, const AssetSet& assets,
                       double cctv_pixels, double cctv_fov);
/// Gates more than the tolerance from every path, and gates at junctions, as warnings.
std::vector<std::string> gate_warnings(const paths::GateAssignment& gates, const std::vector<FeatureRecord>& records, double tolerance);
/// The lighting and CCTV figures, for the run's parameters ("assets").
nlohmann::ordered_json asset_record(const design::DesignOutPlan& d, const Study& study);
/// The intervention table, for the run's parameters.
nlohmann::ordered_json interventions_record(const std::vector<plan::InterventionSpec>& table);

} // namespace safer::layers
