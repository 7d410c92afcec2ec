#pragma once
// Parsers of option values that are more than a number: each throws UsageError naming the
// option and what it expects.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "engine/accuracy.hpp"
#include "engine/hotspot_study.hpp"
#include "engine/month.hpp"

namespace safer::tools {

/// --bandwidth/--cell: metres, or "auto" (empty).
std::optional<double> parse_length(const std::string& text, const char* option);
/// --weights: distance:METRES, knn:K (1..1000), queen or rook; "" for the default.
hotspots::WeightsSpec parse_weights(const std::string& text);
/// --methods: kde:METRES, kde:auto, gistar:METRES, areas or counts.
accuracy::Method parse_method(const std::string& text);
/// --train/--test: YYYY-MM:YYYY-MM (first and last month, inclusive; YYYY-MM alone is one month).
MonthWindow parse_month_span(const std::string& text, const char* option);
/// --coverage: percentages of the study area, each more than 0 and at most 100, as shares.
std::vector<double> parse_coverages(const std::vector<std::string>& texts, const char* option);
/// --candidates: bandwidths in metres, each more than 0.
std::vector<double> parse_lengths(const std::vector<std::string>& texts, const char* option);

/// The check of --budget: a number of GBP, 0 or more.
CLI::Validator budget_check();

} // namespace safer::tools
