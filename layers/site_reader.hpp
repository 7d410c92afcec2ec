#pragma once
// Planning red-line sites: polygons from any OGR source, or one polygon typed on the command line
// as WKT or a GeoJSON geometry.
#include <string>
#include <vector>

#include "engine/areas.hpp"
#include "engine/progress.hpp"

namespace safer::layers {

struct SiteReport {
    std::string source;                // the file, or "command line (WKT)" / "(GeoJSON)"
    std::string crs;                   // the CRS the site was given in
    std::string id_field;              // the field naming sites, or "(feature number)"
    std::vector<std::string> repaired; // sites made valid with GEOS MakeValid
};

/// Every polygon of the source, reprojected to the working CRS and repaired if invalid. Text
/// (WKT starting POLYGON/MULTIPOLYGON, or a GeoJSON geometry) is taken as lon/lat (EPSG:4326)
/// when every coordinate is within ±180, ±90, else as the working CRS. Sites are named by
/// `id_field` (or a detected code/name field), else numbered "000001", ... in reading order.
/// `option` names the option in messages (--site, --target, ...).
Areas read_sites(const std::string& argument, const std::string& id_field, const std::string& working_crs, SiteReport& report,
                 Progress& progress, const char* option = "--site");

} // namespace safer::layers
