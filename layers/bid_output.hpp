#pragma once
// Writing the evidence of a Safer Streets bid (safer bid): the areas and target_areas layers, the
// plan for the top candidate, the CSVs, and the HTML evidence pack (layers/templates/bid_report).
#include <string>
#include <vector>

#include "engine/bid_evidence.hpp"
#include "engine/design_out.hpp"
#include "layers/study.hpp"
#include "layers/table.hpp"

namespace safer::layers {

/// What the outputs are made from: the study, the evidence and, with asset layers, the plan.
struct BidOutputs {
    const Study& study;
    const bid::BidEvidence& evidence;
    const bid::BidOptions& options;
    std::string compare_by;               // the column the comparison groups came from ("" for all areas)
    std::vector<std::string> imd_decile;  // per area ("" where not given)
    const design::DesignOutModel* model = nullptr; // with asset layers
    const design::DesignOutPlan* plan = nullptr;
    const bid::TargetStudy* top = nullptr;
    std::vector<size_t> plan_shown;       // candidates of the plan table (recommended())
    std::string costs_path;
    std::optional<double> budget;          // --budget, also when no plan could be made
    std::string command_line;
    const bid::TargetStreets* streets = nullptr; // with --streets
};

/// "2 LSOAs (E01000001, E01000002), 2,179 residents, 71 neighbourhood crimes in 12 months, 3.5x
/// the all-areas rate, hot at 99 % (Gi*) in 2 of 2 LSOAs".
std::string target_reason(const BidOutputs& o, size_t k);
/// "the 12 months 2023-01 to 2023-12 against the 12 before (2022-01 to 2022-12)", or the halves.
std::string change_rule(const bid::BidEvidence& e);
/// "12 months (2023-01 to 2023-12)".
std::string months_analysed(const bid::BidEvidence& e);

Table bid_areas_table(const BidOutputs& o);
Table target_areas_table(const BidOutputs& o);
/// The top candidate's interventions (target_interventions). It points into the plan.
Table plan_table(const BidOutputs& o);
/// The top candidate's street segments, busiest first (target_streets; with --streets). It points
/// into the streets.
Table target_streets_table(const BidOutputs& o);
/// month, crime_type, target and comparison counts and rates per 1,000.
std::string monthly_csv(const BidOutputs& o);
/// The evidence pack: one self-contained HTML file.
std::string bid_report_html(const BidOutputs& o);

} // namespace safer::layers
