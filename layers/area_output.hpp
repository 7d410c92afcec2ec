#pragma once
// The `areas` layer (counts, rates, ratios, ranks and percentiles of each crime group by area),
// as `safer areas` and `safer bid` write it, to a GeoPackage and as CSV.
#include <string>
#include <vector>

#include "engine/area_stats.hpp"
#include "engine/areas.hpp"
#include "layers/table.hpp"

namespace safer::layers {

/// code, name, population, households and, for each group G, G_count, G_rate, G_ratio, G_rank and
/// G_pct, with their field descriptions. The table points into `areas`' geometry.
Table areas_table(const Areas& areas, const std::vector<GroupColumns>& stats, std::string description);

} // namespace safer::layers
