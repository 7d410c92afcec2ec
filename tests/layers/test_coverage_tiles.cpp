// GeoPackage rasters whose tiles safer encodes in parallel (layers/coverage_tiles): the file must
// hold what GDAL's GPKG driver writes for the same grid when it writes the tiles itself, tile for
// tile and statistic for statistic, and GDAL must read every cell back.
#include <catch2/catch.hpp>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/grid.hpp"
#include "layers/coverage_tiles.hpp"
#include "layers/gdal_session.hpp"
#include "layers/geopackage.hpp"

using namespace safer;
using namespace safer::layers;

namespace {

constexpr float nodata = -9999.0f;

std::vector<std::string> rows_of(GDALDataset& ds, const std::string& sql) {
    OGRLayer* result = ds.ExecuteSQL(sql.c_str(), nullptr, "SQLITE");
    REQUIRE(result);
    std::vector<std::string> out;
    while (OGRFeatureUniquePtr f{result->GetNextFeature()}) {
        std::string row;
        for (int i = 0; i < f->GetFieldCount(); ++i) row += std::string(i ? "|" : "") + (f->IsFieldSetAndNotNull(i) ? f->GetFieldAsString(i) : "NULL");
        out.push_back(row);
    }
    ds.ReleaseResultSet(result);
    return out;
}

/// The grid written by GDAL's own GPKG driver: the reference.
void write_with_gdal(const std::string& path, const Grid& grid, const std::vector<float>& values) {
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    char** options = nullptr;
    options = CSLSetNameValue(options, "RASTER_TABLE", "surface");
    options = CSLSetNameValue(options, "TILE_FORMAT", "TIFF");
    GDALDatasetUniquePtr ds(driver->Create(path.c_str(), static_cast<int>(grid.nx), static_cast<int>(grid.ny), 1, GDT_Float32, options));
    CSLDestroy(options);
    REQUIRE(ds);
    double transform[6] = {grid.x0, grid.cell, 0, grid.y0, 0, -grid.cell};
    OGRSpatialReference srs;
    srs.importFromEPSG(27700);
    REQUIRE(ds->SetSpatialRef(&srs) == CE_None);
    REQUIRE(ds->SetGeoTransform(transform) == CE_None);
    ds->GetRasterBand(1)->SetNoDataValue(nodata);
    REQUIRE(ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, static_cast<int>(grid.nx), static_cast<int>(grid.ny), const_cast<float*>(values.data()),
                                           static_cast<int>(grid.nx), static_cast<int>(grid.ny), GDT_Float32, 0, 0, nullptr) == CE_None);
}

} // namespace

TEST_CASE("GeoPackage raster: tiles encoded in parallel are GDAL's own, and read back cell for cell", "[geopackage][raster]") {
    ensure_gdal();
    std::string dir_template = (std::filesystem::temp_directory_path() / "safer-tiles-XXXXXX").string();
    REQUIRE(mkdtemp(dir_template.data()));
    const std::filesystem::path dir = dir_template;
    // 600 x 530 cells: three tiles across, three down, the last of each partial; the north-east
    // tile is nodata throughout (as outside a study area), so neither writer stores it.
    Grid grid;
    grid.x0 = 350012.5, grid.y0 = 180000, grid.cell = 25, grid.nx = 600, grid.ny = 530;
    std::vector<float> values(grid.cells());
    std::mt19937 random(7);
    std::uniform_real_distribution<float> uniform(0.0f, 900.0f);
    for (int64_t r = 0; r < grid.ny; ++r)
        for (int64_t c = 0; c < grid.nx; ++c) {
            const bool outside = (r < 256 && c >= 512) || (r + c) % 97 == 0;
            values[grid.index(r, c)] = outside ? nodata : (c % 7 == 0 ? 0.0f : uniform(random));
        }
    const std::string ours = (dir / "ours.gpkg").string(), theirs = (dir / "gdal.gpkg").string();
    {
        GeoPackageWriter writer(ours, false, "EPSG:27700");
        writer.write_raster("surface", "A test surface", grid, values, nodata);
        writer.commit();
    }
    write_with_gdal(theirs, grid, values);

    GDALDatasetUniquePtr a(GDALDataset::Open(ours.c_str(), GDAL_OF_VECTOR | GDAL_OF_RASTER));
    GDALDatasetUniquePtr b(GDALDataset::Open(theirs.c_str(), GDAL_OF_VECTOR | GDAL_OF_RASTER));
    REQUIRE(a);
    REQUIRE(b);
    // Eight tiles of nine: the all-nodata one is left out by both.
    const std::string tiles = "SELECT id, zoom_level, tile_column, tile_row, hex(tile_data) FROM surface ORDER BY id";
    const std::vector<std::string> our_tiles = rows_of(*a, tiles), gdal_tiles = rows_of(*b, tiles);
    CHECK(our_tiles.size() == 8);
    CHECK(our_tiles == gdal_tiles);
    // Statistics to the last digit GDAL prints (it computes them the same way, in the same order).
    const std::string stats = "SELECT tpudt_name, tpudt_id, scale, offset, min, max, printf('%.15g', mean), printf('%.15g', std_dev) "
                              "FROM gpkg_2d_gridded_tile_ancillary ORDER BY tpudt_id";
    CHECK(rows_of(*a, stats) == rows_of(*b, stats));
    CHECK(rows_of(*a, "SELECT zoom_level, matrix_width, matrix_height, pixel_x_size FROM gpkg_tile_matrix WHERE table_name = 'surface' ORDER BY zoom_level") ==
          rows_of(*b, "SELECT zoom_level, matrix_width, matrix_height, pixel_x_size FROM gpkg_tile_matrix WHERE table_name = 'surface' ORDER BY zoom_level"));
    // A tile's statistics by hand: the south-west tile (column 0, row 2) holds rows 512..529.
    {
        double sum = 0, lo = 1e30, hi = -1e30;
        size_t n = 0;
        for (int64_t r = 512; r < grid.ny; ++r)
            for (int64_t c = 0; c < 256; ++c) {
                const float v = values[grid.index(r, c)];
                if (v == nodata) continue;
                sum += v, lo = std::min<double>(lo, v), hi = std::max<double>(hi, v), ++n;
            }
        const std::vector<std::string> row =
            rows_of(*a, "SELECT printf('%.17g', t.min), printf('%.17g', t.max), printf('%.17g', t.mean) FROM gpkg_2d_gridded_tile_ancillary t JOIN surface s ON s.id = t.tpudt_id WHERE s.tile_column = 0 AND s.tile_row = 2");
        REQUIRE(row.size() == 1);
        double min = 0, max = 0, mean = 0;
        REQUIRE(std::sscanf(row[0].c_str(), "%lf|%lf|%lf", &min, &max, &mean) == 3);
        CHECK(min == lo);
        CHECK(max == hi);
        CHECK(mean == Approx(sum / static_cast<double>(n)).epsilon(1e-12));
    }
    a.reset();
    // Every cell read back by GDAL's raster driver.
    GDALDatasetUniquePtr raster(GDALDataset::Open(ours.c_str(), GDAL_OF_RASTER));
    REQUIRE(raster);
    REQUIRE(raster->GetRasterXSize() == 600);
    REQUIRE(raster->GetRasterYSize() == 530);
    std::vector<float> back(grid.cells());
    REQUIRE(raster->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, 600, 530, back.data(), 600, 530, GDT_Float32, 0, 0, nullptr) == CE_None);
    size_t differ = 0;
    for (size_t i = 0; i < back.size(); ++i) differ += back[i] != values[i];
    CHECK(differ == 0);
    double transform[6];
    REQUIRE(raster->GetGeoTransform(transform) == CE_None);
    CHECK(transform[0] == grid.x0);
    CHECK(transform[3] == grid.y0);
    CHECK(transform[1] == grid.cell);
    raster.reset();
    b.reset();
    std::filesystem::remove_all(dir);
}

TEST_CASE("GeoPackage raster: tiles_align takes only a tile matrix whose cells are the grid's (others are left to GDAL)", "[geopackage][raster]") {
    Grid grid;
    grid.x0 = 1000, grid.y0 = 2000, grid.cell = 10, grid.nx = 300, grid.ny = 200;
    TileMatrix m;
    m.zoom = 2, m.width = 2, m.height = 1, m.tile_width = m.tile_height = 256, m.pixel_x = m.pixel_y = 10, m.min_x = 1000, m.max_y = 2000;
    CHECK(tiles_align(m, grid));
    TileMatrix shifted = m;
    shifted.min_x = 995; // half a cell west: tiles would cut cells
    CHECK_FALSE(tiles_align(shifted, grid));
    TileMatrix coarser = m;
    coarser.pixel_x = coarser.pixel_y = 20;
    CHECK_FALSE(tiles_align(coarser, grid));
    TileMatrix narrow = m;
    narrow.width = 1; // 256 cells across for 300
    CHECK_FALSE(tiles_align(narrow, grid));
}
