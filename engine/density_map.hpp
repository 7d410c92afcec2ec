#pragma once
// The density surface of a selection of incidents (safer kde): one surface, or one per month or
// quarter on the same grid and bandwidth so that periods compare cell for cell, each with its
// top 1/5/10 % hotspot classes.
#include <string>
#include <vector>

#include "engine/incidents.hpp"
#include "engine/kde.hpp"
#include "engine/periods.hpp"
#include "engine/progress.hpp"

namespace safer::kde {

struct PeriodSurface {
    std::string period; // "all", "2023-04", "2023-Q2"
    std::vector<float> value;
    Hotspots hotspots;
    size_t incidents = 0;
};

struct DensityMap {
    Surface surface; // the grid, bandwidth and warnings (its values are in periods[0] without --by)
    std::vector<PeriodSurface> periods;
    size_t incidents = 0; // selected
    double total_weight = 0;
    BandwidthScale scale; // the bandwidth against the incidents' spacing and the study area's size
};

/// The selected incidents' density (kde::estimate) and, by period, the same surface of each
/// period's incidents, masked and edge-corrected as the whole. Throws InputError when nothing is
/// selected (as estimate does).
DensityMap density_map(const Incidents& in, const std::vector<uint8_t>& selected, PeriodKind by, const Options& options,
                       const StudyArea* study_area, Progress* progress);

} // namespace safer::kde
