#pragma once
// Writing an evaluation (safer evaluate): the evaluation_areas, evaluation_months,
// synthetic_control_weights and evaluation_results layers, the results CSV, the words of every
// finding, and the report (layers/templates/evaluation_report).
#include <string>
#include <vector>

#include "engine/evaluation.hpp"
#include "layers/study.hpp"
#include "layers/table.hpp"

namespace safer::layers {

struct EvaluationOutputs {
    const Study& study;
    const evaluation::Evaluation& evaluation;
    const evaluation::EvaluationOptions& options;
    std::string crimes;             // what was evaluated, in words: "burglary", "neighbourhood crime"
    std::string crimes_noun;        // to count it: "burglary offences", "neighbourhood crimes"
    std::string crimes_description; // its types: "burglary, robbery, theft from the person, vehicle crime"
    std::string target_source;      // the target as given: a file, or "LSOAs E01..., ..."
    std::string control_source;     // the control as given, or "auto"
    std::string buffer_source;      // "250 m around the target", or the --buffer-area file
    std::string command_line;
};

/// The methods' rows: method, estimate, ci_low, ci_high, p_value, note (the CSV and the
/// evaluation_results table): before_after, wdq, wdd, did, synthetic_control.
Table evaluation_results_table(const EvaluationOutputs& o);
/// One feature per place: target, buffer, control, with its counts and exact test.
Table evaluation_areas_table(const EvaluationOutputs& o);
/// Month by month: target, buffer, control, the control scaled to the target, the synthetic control.
Table evaluation_months_table(const EvaluationOutputs& o);
/// The LSOAs the synthetic control drew on, with their share of it.
Table synthetic_weights_table(const EvaluationOutputs& o);

/// How the control was chosen, in one paragraph (also printed on stderr).
std::string control_choice_text(const EvaluationOutputs& o);
/// The answer in brief: the verdict, then the figures behind it, a sentence each.
std::vector<std::string> verdict_sentences(const EvaluationOutputs& o);
/// What should make a reader careful about this evaluation: few crimes, extra variation, a poor
/// synthetic fit, a control whose trend differs.
std::vector<std::string> caveats(const EvaluationOutputs& o);
/// What holds for every evaluation of this kind (regression to the mean).
std::string general_caution(const EvaluationOutputs& o);
/// The report: one printable, self-contained HTML file.
std::string evaluation_report_html(const EvaluationOutputs& o);

} // namespace safer::layers
