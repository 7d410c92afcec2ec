#pragma once
// Writing hotspot statistics (safer hotspots): the units layer (hotspot_grid or hotspot_areas),
// the concentration and Lorenz tables, and the words that describe the weights and findings.
#include <string>
#include <vector>

#include "engine/areas.hpp"
#include "engine/hotspot_study.hpp"
#include "layers/table.hpp"

namespace safer::layers {

/// "distance band 600 m (default: 3 cells, the 29 cells whose centres are within 3 cells)", ...
std::string weights_text(const hotspots::WeightsUsed& w);
/// The units with their counts, Gi*, local Moran's I and, by period, emerging patterns. It points
/// into `r` and `areas`.
Table hotspot_units_table(const hotspots::HotspotResult& r, const Areas& areas, const hotspots::HotspotOptions& o, const std::string& selection);
/// The concentration figures and global Moran's I, one row a measure.
Table concentration_table(const hotspots::HotspotResult& r, const std::string& selection);
/// The Lorenz curve of incidents over units.
Table lorenz_table(const hotspots::HotspotResult& r);
/// The Lorenz curve of any concentration result, `units` naming them in the description.
Table lorenz_table(const hotspots::Concentration& c, const std::string& units);
/// What a reader should be told about the result: units without neighbours, periods where every
/// unit is the same, incidents in edge cells.
std::vector<std::string> hotspot_warnings(const hotspots::HotspotResult& r, const Areas& areas, const hotspots::HotspotOptions& o);
/// The summary lines printed at the end of a run.
std::vector<std::string> hotspot_summary(const hotspots::HotspotResult& r, const hotspots::HotspotOptions& o, const std::string& selection);

/// The zero-inflation warning of a Gi* grid, or "" unless most of its cells are empty. `masked`:
/// the grid is already limited to the areas; `how_to_mask` is the command's own advice otherwise.
std::string empty_grid_warning(size_t units, size_t empty_units, double cell, bool masked, const std::string& how_to_mask);

} // namespace safer::layers
