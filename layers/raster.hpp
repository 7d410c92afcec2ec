#pragma once
// Rasters out (GeoTIFF, and the grids behind GeoPackage raster layers) and cells to polygons.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/grid.hpp"

class OGRGeometry;
class GDALDataset;

namespace safer {
class Progress;
}

namespace safer::layers {

class StagedFiles;

using MetadataItems = std::vector<std::pair<std::string, std::string>>;

/// Sets the geotransform, CRS and nodata of a Float32 raster of the grid's size (no values).
void georeference_float_band(GDALDataset& ds, const Grid& grid, float nodata, const std::string& working_crs, const std::string& where);

/// Writes one Float32 band (row 0 north) into `ds`, which must have the grid's size: geotransform,
/// CRS, nodata and values. Throws IoError naming `where`. `progress`, if given, is told the share
/// written through GDAL's progress callback (a stage of 1000 the caller began).
void fill_float_band(GDALDataset& ds, const Grid& grid, const std::vector<float>& values, float nodata,
                     const std::string& working_crs, const std::string& where, Progress* progress = nullptr);

/// A single-band Float32 GeoTIFF (tiled, DEFLATE with the floating-point predictor), written to
/// a temporary file and renamed into place, or, with `staged`, handed to it to move with the
/// command's other outputs; `metadata` goes into the GDAL metadata.
void write_geotiff(StagedFiles* staged, const std::string& path, bool overwrite, const std::string& working_crs, const Grid& grid,
                   const std::vector<float>& values, float nodata, const MetadataItems& metadata, Progress* progress = nullptr);

/// The cells whose `mask` is non-zero as one MultiPolygon in the grid's CRS, one polygon per
/// 4-connected component in row-major order of their first cells, valid by construction
/// (engine/mask_polygons: exact, outer rings counter-clockwise, holes clockwise); null when no
/// cell is set.
std::unique_ptr<OGRGeometry> polygonize(const Grid& grid, const std::vector<uint8_t>& mask);

} // namespace safer::layers
