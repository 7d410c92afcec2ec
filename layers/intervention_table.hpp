#pragma once
// The intervention table of `safer score --costs FILE`: effect sizes, costs and crime types, in
// TOML, over the built-in defaults (engine/interventions.cpp).
//
//   [lighting]                      # also: cctv, gating, target_hardening
//   effect = 0.21                   # share of the addressed crimes prevented, 0..1
//   effect_source = "..."
//   cost = 3000                     # GBP per unit
//   unit = "new street light"
//   cost_source = "..."
//   crime_types = ["Robbery", "Vehicle crime"]
//   label = "improved street lighting"
//
// Every key is optional; a key or table name that is not one of these is an error (so a typo
// cannot silently leave a default in place).
#include <string>
#include <vector>

#include "engine/interventions.hpp"

namespace safer::layers {

/// Reads `path` over `table`. Throws InputError naming the file, the key and the problem.
void read_interventions(const std::string& path, std::vector<plan::InterventionSpec>& table);

/// The table as TOML, as read_interventions reads it (for the README and --costs templates).
std::string interventions_toml(const std::vector<plan::InterventionSpec>& table);

} // namespace safer::layers
