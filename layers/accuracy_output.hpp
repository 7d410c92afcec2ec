#pragma once
// Writing how well hotspot methods predict (safer accuracy): the accuracy table as a layer and a
// CSV, the warnings where the defaults mislead, and the HTML report
// (layers/templates/accuracy_report.mustache).
#include <string>
#include <vector>

#include "engine/accuracy.hpp"
#include "engine/hotspot_study.hpp"
#include "layers/study.hpp"
#include "layers/table.hpp"

namespace safer::layers {

struct AccuracyOutputs {
    const Study& study;
    const accuracy::AccuracyResult& result;
    const accuracy::AccuracyOptions& options;
    std::string selection; // what is counted, in a sentence: "Burglary", "all crime" (CrimeSelection::Chosen::phrase)
    std::string areas_path;
    std::string command_line;
};

/// "kde:250", "kde:auto", "gistar:200", "areas", "counts": the method column of the CSV.
std::string method_code(const accuracy::Method& m);
/// "quartic kernel density, 250 m bandwidth", ...
std::string method_words(const accuracy::MethodScores& m);

/// The layer accuracy: one row per method and coverage.
Table accuracy_table(const AccuracyOutputs& o);
/// The CSV: method,coverage,hit_rate,pai,pei,rri (coverage and hit rate in percent).
std::string accuracy_csv(const accuracy::AccuracyResult& r);
/// Where the defaults mislead: a bandwidth too broad for the incidents or the study area, a Gi*
/// grid that is mostly empty cells, a study area that is the incidents' bounding box.
std::vector<std::string> accuracy_warnings(const AccuracyOutputs& o);
/// "At 5 % of the area, kde:250 predicted best: 41.2 % of the test incidents, PAI 8.2 ..."
std::vector<std::string> accuracy_findings(const accuracy::AccuracyResult& r);
/// The report: one self-contained HTML file.
std::string accuracy_report_html(const AccuracyOutputs& o);

} // namespace safer::layers
