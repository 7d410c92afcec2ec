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
    std::optional<double> national_rate;  // --national-rate: the group per 1,000 residents a year
    std::string national_label = "England and Wales";
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

/// "Bristol 032B (E01014540)", or "Bristol 032A and Bristol 032B (E01014539, E01014540)".
std::string target_place(const BidOutputs& o, size_t k);
/// "Broadmead, Union Street and The Horsefair": where most of its incidents were recorded.
std::string target_streets(const bid::Target& t, size_t n = 3);
/// A rate of the months analysed per 1,000 residents, as a rate a year.
double annual_rate(const bid::BidEvidence& e, double rate);
/// "per 1,000 residents a year", or with "(annualised from the 6 months analysed)".
std::string annual_words(const bid::BidEvidence& e);
/// "4.2 times the Bristol, City of rate (29.4), 12.5 times the rate across all 1,005 areas of the
/// input (9.8) and a rate in the top 0.2 % (99.8th percentile) of the 1,005 areas of the input with
/// residents (99.8 % of them have a rate at or below it)", and the national rate where given.
std::string comparison_words(const BidOutputs& o, size_t k);
/// "Bristol 032B (E01014540), around Broadmead, Union Street and The Horsefair: 3,941 residents in
/// 1 LSOA; 486 incidents of neighbourhood crime in 12 months (123.3 per 1,000 residents a year),
/// 4.2 times ...; hot at 99 % (Gi*) in its LSOA".
std::string target_reason(const BidOutputs& o, size_t k);
/// "486 in 2021-10 to 2022-03 against 402 in 2021-04 to 2021-09: up 21 % (exact test p = 0.006)",
/// with a caveat under bid::small_count.
std::string change_words(const bid::BidEvidence& e, double before, double after, double p);
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
