#pragma once
// Parsers of option values that are more than a number: each throws UsageError naming the
// option and what it expects.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "engine/hotspot_study.hpp"

namespace safer::tools {

/// --bandwidth/--cell: metres, or "auto" (empty).
std::optional<double> parse_length(const std::string& text, const char* option);
/// --weights: distance:METRES, knn:K (1..1000), queen or rook; "" for the default.
hotspots::WeightsSpec parse_weights(const std::string& text);
/// The check of --budget: a number of GBP, 0 or more.
CLI::Validator budget_check();

} // namespace safer::tools
