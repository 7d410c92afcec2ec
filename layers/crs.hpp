#pragma once
// Coordinate reference systems through PROJ: batched, parallel transforms and areas of use.
#include <memory>
#include <string>
#include <vector>

class OGRLayer;
class OGRCoordinateTransformation;

namespace safer {
class Progress;
}

namespace safer::layers {

/// A lon/lat box in degrees.
struct AreaOfUse {
    double west = -180, south = -90, east = 180, north = 90;
    bool contains(double lon, double lat) const { return lon >= west && lon <= east && lat >= south && lat <= north; }
};

/// Transforms points between two CRSs in GIS axis order (x = easting or longitude). PROJ picks
/// the most accurate operation it has; for EPSG:4326 to EPSG:27700 without the OSTN15 grid
/// (Debian's proj-data lacks it) that is the EPSG:1314 Helmert transformation, good to about 2 m,
/// well inside police.uk's own anonymisation (points snapped to street map points).
class CrsTransform {
public:
    CrsTransform(const std::string& from, const std::string& to);
    ~CrsTransform();
    CrsTransform(const CrsTransform&) = delete;
    CrsTransform& operator=(const CrsTransform&) = delete;

    /// In place, in parallel batches; a point PROJ cannot transform becomes NaN. `progress`, if
    /// given, is advanced by the points done.
    void transform(std::vector<double>& x, std::vector<double>& y, Progress* progress = nullptr) const;
    /// The operation PROJ chose for the first point transformed, e.g. "Inverse of ... + ...".
    const std::string& operation() const { return m_operation; }

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    mutable std::string m_operation;
};

/// Throws InputError if PROJ does not know `crs`.
void check_crs(const std::string& crs, const std::string& what);
/// Throws UsageError unless `crs` is a projected CRS in metres, as the analysis needs.
void check_working_crs(const std::string& crs);
bool is_geographic(const std::string& crs);
AreaOfUse area_of_use(const std::string& crs);

/// The transformation of an OGR layer's features to `working_crs` (GIS axis order), from the
/// layer's own CRS or, when it has none, from `fallback_crs`. `crs` names the source CRS
/// ("EPSG:27700", or its name). Throws InputError naming `path` when the layer has no CRS and no
/// fallback is given (`hint` says which option gives one), or when the CRSs cannot be transformed.
struct LayerTransform {
    std::unique_ptr<OGRCoordinateTransformation> transform;
    std::string crs;
};
LayerTransform layer_transform(OGRLayer& layer, const std::string& path, const std::string& fallback_crs, const std::string& working_crs,
                               const std::string& hint);

} // namespace safer::layers
