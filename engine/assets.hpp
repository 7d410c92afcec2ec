#pragma once
// Guardianship assets as read (layers/asset_reader.hpp fills them): street lights, CCTV cameras,
// and line or polygon features (alley gates, paths and streets, building footprints), in the
// working CRS.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/geos.hpp"

namespace safer {

struct LightRecord {
    double x = 0, y = 0;
    std::optional<double> height, radius;
    uint64_t feature = 0;
};
struct CameraRecord {
    double x = 0, y = 0;
    std::optional<double> bearing, fov, range;
    std::string id;
    uint64_t feature = 0;
};
struct FeatureRecord {
    geos::Geometry geometry; // working CRS
    std::string kind;        // paths: alley, footway, ...; empty otherwise
    std::string name;
    std::string id;
    bool is_path = true;     // paths: false for a street (junctions only)
    uint64_t feature = 0;
};

/// The assets a command was given; a layer that was not given is `false` in `has_*` and empty.
struct AssetSet {
    bool has_lighting = false, has_cctv = false, has_gates = false, has_paths = false, has_streets = false, has_occluders = false;
    std::vector<LightRecord> lights;
    std::vector<CameraRecord> cameras;
    std::vector<FeatureRecord> gates;
    std::vector<FeatureRecord> paths; // paths and alleys (is_path), and streets that only make junctions
    std::vector<FeatureRecord> streets; // --streets: the street lines themselves (segments, junctions)
    std::vector<FeatureRecord> occluders;
    bool any() const { return has_lighting || has_cctv || has_paths; }
};

} // namespace safer
