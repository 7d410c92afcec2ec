#pragma once
// The tiles of a Float32 GeoPackage raster (the tiled gridded coverage extension, OGC 17-066r1,
// TIFF encoding), encoded here in parallel instead of by GDAL's GPKG driver, which encodes them
// one at a time on one core (most of safer kde's raster writing). GDAL still creates the raster
// table and its metadata; each tile is the TIFF the driver would write (GDAL's GTiff driver, one
// strip) with the driver's statistics, and the driver reads them back as its own. The driver
// compresses every tile with LZW; here a tile is compressed only where that makes it smaller (most
// density tiles it makes larger), as the extension allows: uncompressed or LZW (requirement
// gpkg_2d_gridded_coverage#18, as GDAL's validate_gpkg checks it).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/grid.hpp"

namespace safer {
class Progress;
}

namespace safer::layers {

struct CoverageTile {
    int64_t column = 0, row = 0; // in the tile matrix, row 0 at the top
    std::vector<unsigned char> tiff;
    // Over the tile's cells other than nodata (GDAL's gpkg_2d_gridded_tile_ancillary values:
    // min, max, and the mean and population standard deviation by Welford's recurrence).
    double min = 0, max = 0, mean = 0, std_dev = 0;
};

/// The grid's values cut into tiles of `tile_size` cells from its top-left corner, padded with
/// `nodata`; a tile with no value other than nodata is left out, as GDAL leaves it out. In
/// row-major order. `progress`, if given, is advanced by one a tile.
std::vector<CoverageTile> encode_coverage_tiles(const Grid& grid, const std::vector<float>& values, float nodata, int tile_size,
                                                Progress* progress = nullptr);

/// The finest tile matrix of a raster table, as GDAL recorded it.
struct TileMatrix {
    int64_t zoom = 0, width = 0, height = 0;
    int64_t tile_width = 0, tile_height = 0;
    double pixel_x = 0, pixel_y = 0;
    double min_x = 0, max_y = 0; // the tile matrix set's top-left corner
    int64_t tiles = 0;           // tiles already in the table
};
/// Of raster table `table` in the closed GeoPackage `path`; nullopt if it has none.
std::optional<TileMatrix> finest_tile_matrix(const std::string& path, const std::string& table);

/// True when the grid's cells are the tile matrix's (same corner and cell size, to a millionth of
/// a cell), so that its tile (c, r) holds cells from column c * tile_width and row r * tile_height.
bool tiles_align(const TileMatrix& m, const Grid& grid);

/// Adds the tiles (ids 1, 2, ... in order) and their gpkg_2d_gridded_tile_ancillary rows to an
/// empty raster table of the closed GeoPackage `path`, in one transaction. `progress`, if given,
/// is advanced by one a tile.
void insert_coverage_tiles(const std::string& path, const std::string& table, int64_t zoom, const std::vector<CoverageTile>& tiles,
                           Progress* progress = nullptr);

} // namespace safer::layers
