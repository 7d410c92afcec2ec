#pragma once
// Counts, rates, ratios, ranks and percentiles of crime groups by area.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/areas.hpp"
#include "engine/crime_types.hpp"
#include "engine/incidents.hpp"

namespace safer {

/// One crime group's columns over the areas (indexes as in Areas). NaN or 0 mean "none":
/// rate, ratio and percentile are NaN, and rank 0, where they cannot be computed.
struct GroupColumns {
    std::string group;
    std::vector<uint64_t> count;
    std::vector<double> rate;  // per 1,000 residents: 1000 * count / population
    std::vector<double> ratio; // rate / comparison_rate
    std::vector<int32_t> rank; // 1 = highest rate (highest count when no area has a population)
    std::vector<double> pct;   // 100 * (ranked areas with a value <= this one) / ranked areas
    uint64_t total = 0;        // incidents of the group in any area
    double comparison_rate = 0; // 1000 * sum(count) / sum(population), over areas with a population
};

/// Per-area statistics for every group. `area_of[i]` is incident i's area or no_area.
/// Ranks are competition ranks (ties share the best rank, "1224"), so they are deterministic.
std::vector<GroupColumns> summarise_areas(const Areas& areas, const std::vector<CrimeGroup>& groups,
                                          const GroupMembership& membership, const Incidents& incidents,
                                          const std::vector<int32_t>& area_of);

/// Competition ranks of `value` (1 = highest; ties share the best rank, "1224"); 0 for NaN.
std::vector<int64_t> competition_ranks(const std::vector<double>& value);

struct AreaMonthCount {
    int32_t area;
    Month month;
    uint16_t group;
    uint64_t count;
};

/// Non-zero counts by area, month and group, ordered by area, month, group.
std::vector<AreaMonthCount> count_area_months(const Incidents& incidents, const std::vector<int32_t>& area_of,
                                              const GroupMembership& membership);

} // namespace safer
