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
//   [crime_costs]                   # what one crime costs society, for the value of a plan
//   source = "Heeks et al. (2018), The economic and social costs of crime, 2nd ed., Table 1"
//   "Robbery" = 11320               # GBP, or a range for a police.uk type that covers several
//   "Vehicle crime" = [870, 10290]  # of the Home Office's categories (theft from / of a vehicle)
//
// Every key is optional; a key or table name that is not one of these is an error (so a typo
// cannot silently leave a default in place).
#include <string>
#include <vector>

#include "engine/interventions.hpp"

namespace safer::layers {

/// Reads `path` over `table`. Throws InputError naming the file, the key and the problem.
void read_interventions(const std::string& path, std::vector<plan::InterventionSpec>& table);
/// The [crime_costs] table of `path` (empty when it has none), and its `source`. Crime types must
/// be police.uk's.
std::vector<plan::CrimeCost> read_crime_costs(const std::string& path, std::string& source);

/// The table as TOML, as read_interventions reads it (for the README and --costs templates).
std::string interventions_toml(const std::vector<plan::InterventionSpec>& table);

} // namespace safer::layers
