#pragma once
// Writing density surfaces (safer kde): raster layers (or a GeoTIFF with its QGIS style beside
// it), the polygons of their hotspot classes, and the words that describe them.
#include <string>
#include <vector>

#include "engine/accuracy.hpp"
#include "engine/density_map.hpp"
#include "layers/geopackage.hpp"

namespace safer::layers {

class StagedFiles;

/// "incidents per km2", "sum of kernel shapes (QGIS raw)", "probability density per m2".
std::string density_units_text(kde::Units units);
/// "Kernel density of burglary: quartic kernel, bandwidth 250.0 m, cell 10 m, incidents per km2".
std::string density_description(const kde::DensityMap& map, const std::string& selection, bool edge_correct);
/// The rasters of `map` into `writer` as `layer` (or `layer_<period>` for each period with
/// `by`), and the hotspot classes of every period as `layer_classes`.
void write_density(GeoPackageWriter& writer, const kde::DensityMap& map, const std::string& layer, const std::string& description,
                   const std::string& selection, PeriodKind by, bool rasters = true);
/// The single surface of `map` as a GeoTIFF (moved into place by `staged`, with the command's
/// other outputs), with its QGIS style (.qml) beside it.
void write_density_geotiff(StagedFiles* staged, const std::string& path, bool overwrite, const std::string& working_crs, const kde::DensityMap& map,
                           const std::string& description, const RunRecord& run);
/// The broad-bandwidth warning of a density surface, or "" when the bandwidth is not broad
/// (kde::BandwidthScale's limits). `what` names it: "the bandwidth", "kde:auto's bandwidth".
std::string broad_bandwidth_warning(const kde::BandwidthScale& s, const std::string& what);
/// What kde --bandwidth predictive chose and why, one line each.
std::vector<std::string> bandwidth_choice_text(const accuracy::BandwidthChoice& c, Month holdout_from, Month holdout_to);
/// A warning when the chosen candidate's flagged cells held nearly every held-out incident (90 %
/// or more), so that the candidates could hardly be told apart; "" otherwise.
std::string saturated_choice_warning(const accuracy::BandwidthChoice& c);
/// "top 1% of cells (0.12 km2) hold 10.5 % of incidents; ..." for each class of `hotspots`.
std::string hotspot_classes_text(const kde::Hotspots& hotspots);

} // namespace safer::layers
