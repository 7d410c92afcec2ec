#pragma once
// Reading guardianship assets: street lights, CCTV cameras, alley gates, paths and alleys,
// streets and building footprints, from point CSVs (.csv, .csv.gz) or any OGR source, OSM
// (.osm, .osm.pbf) included, reprojected to the working CRS.
//
// OSM (GDAL's OSM driver): lights are `highway=street_lamp` nodes, cameras
// `man_made=surveillance` nodes (bearing from `camera:direction` or `direction`), gates
// `barrier=gate` nodes or ways, paths the `highway=footway|path|pedestrian|steps|cycleway|
// bridleway` ways and `highway=service` + `service=alley` ways (`service` is read from the
// driver's `other_tags` field); every other `highway` way is a street, which only makes
// junctions; footprints are `building=*` multipolygons.
//
// Other sources: every feature counts, except that a field `highway`, `man_made` or `barrier`
// holding another value leaves the feature out (counted): a layer of mixed street furniture
// keeps only its lights, cameras or gates. Lines with a `highway` field are classified as above;
// lines without one are all paths, their kind from `service`, `kind`, `type` or `class`.
//
// Fields, matched ignoring case (first found): see the candidates in asset_reader.cpp and the
// README. Bad values stop the run with the file, the line or feature and the reason: a bearing
// outside 0–360, a field of view of 0 or less (or over 360), a range, radius or height of 0 or
// less, a line of zero length, a geometry of the wrong kind.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/assets.hpp"
#include "engine/geos.hpp"

namespace safer::layers {

struct AssetOptions {
    std::string working_crs = "EPSG:27700";
    /// CRS of point CSVs and of layers that declare none. Empty: EPSG:4326 when the x column is
    /// named like a longitude, else EPSG:27700.
    std::string input_crs;
    std::string x_field, y_field; // point CSV coordinate columns (default: detect)
};

struct AssetReport {
    std::string path;
    std::string format;  // "point CSV", or the OGR driver name
    std::string crs;     // of the source
    std::string layer;   // the OGR layer read
    uint64_t features = 0; // read
    uint64_t used = 0;
    std::map<std::string, uint64_t> left_out; // reason -> count (another kind of feature, not working, ...)
    std::map<std::string, uint64_t> fields_used; // what was found where, e.g. "height from height_m" -> count
};

using safer::CameraRecord;
using safer::FeatureRecord;
using safer::LightRecord;

/// Street lights that work: points with optional height (m), radius (m) and working flag;
/// lights flagged not working are left out and counted.
std::vector<LightRecord> read_lights(const std::string& path, const AssetOptions& options, AssetReport& report);
/// CCTV cameras: points with optional bearing (compass degrees), field of view (degrees) and
/// range (m).
std::vector<CameraRecord> read_cameras(const std::string& path, const AssetOptions& options, AssetReport& report);
/// Alley gates: points or lines.
std::vector<FeatureRecord> read_gates(const std::string& path, const AssetOptions& options, AssetReport& report);
/// Paths and alleys (is_path) and, from the same source, streets (junctions only).
std::vector<FeatureRecord> read_paths(const std::string& path, const AssetOptions& options, AssetReport& report);
/// Streets: every line is a street (junctions only).
std::vector<FeatureRecord> read_streets(const std::string& path, const AssetOptions& options, AssetReport& report);
/// Building footprints (polygons) that block cameras' views.
std::vector<FeatureRecord> read_occluders(const std::string& path, const AssetOptions& options, AssetReport& report);

/// The value of `key` in an OSM `other_tags` hstore string ("k"=>"v","k2"=>"v2"), or "".
std::string hstore_value(const std::string& hstore, const std::string& key);

} // namespace safer::layers
