// GeoPackage rasters whose tiles safer encodes in parallel (layers/coverage_tiles): the file must
// hold what GDAL's GPKG driver writes for the same grid when it writes the tiles itself, tile for
// tile and statistic for statistic (a tile LZW would enlarge is left uncompressed, the only
// difference), and GDAL must read every cell back.
#include <catch2/catch.hpp>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <stdlib.h>

#include <cmath>
#include <cpl_vsi.h>
#include <map>
#include <set>
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

/// A tile's TIFF decoded by GDAL: its cells and its compression ("" for none).
struct DecodedTile {
    std::vector<float> cells;
    std::string compression;
    size_t bytes = 0;
};
DecodedTile decode_tile(const std::vector<unsigned char>& blob) {
    const std::string name = "/vsimem/test-decode-tile.tif";
    VSILFILE* f = VSIFileFromMemBuffer(name.c_str(), const_cast<GByte*>(blob.data()), blob.size(), FALSE);
    REQUIRE(f);
    VSIFCloseL(f);
    DecodedTile out;
    out.bytes = blob.size();
    {
        GDALDatasetUniquePtr ds(GDALDataset::Open(name.c_str(), GDAL_OF_RASTER));
        REQUIRE(ds);
        REQUIRE(ds->GetRasterCount() == 1);
        REQUIRE(ds->GetRasterBand(1)->GetRasterDataType() == GDT_Float32);
        const char* c = ds->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE");
        out.compression = c ? c : "";
        const int nx = ds->GetRasterXSize(), ny = ds->GetRasterYSize();
        out.cells.resize(static_cast<size_t>(nx) * static_cast<size_t>(ny));
        REQUIRE(ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, nx, ny, out.cells.data(), nx, ny, GDT_Float32, 0, 0, nullptr) == CE_None);
    }
    VSIUnlink(name.c_str());
    return out;
}

/// Tiles by (column, row), read with SQLite's own blob functions through OGR.
std::map<std::pair<int, int>, std::vector<unsigned char>> tiles_of(GDALDataset& ds) {
    std::map<std::pair<int, int>, std::vector<unsigned char>> out;
    OGRLayer* result = ds.ExecuteSQL("SELECT tile_column, tile_row, tile_data FROM surface", nullptr, "SQLITE");
    REQUIRE(result);
    while (OGRFeatureUniquePtr f{result->GetNextFeature()}) {
        int bytes = 0;
        const GByte* data = f->GetFieldAsBinary(2, &bytes);
        out[{f->GetFieldAsInteger(0), f->GetFieldAsInteger(1)}] = std::vector<unsigned char>(data, data + bytes);
    }
    ds.ReleaseResultSet(result);
    return out;
}

} // namespace

TEST_CASE("GeoPackage raster: tiles encoded in parallel are GDAL's own, and read back cell for cell", "[geopackage][raster]") {
    ensure_gdal();
    std::string dir_template = (std::filesystem::temp_directory_path() / "safer-tiles-XXXXXX").string();
    REQUIRE(mkdtemp(dir_template.data()));
    const std::filesystem::path dir = dir_template;
    // 600 x 530 cells: three tiles across, three down, the last of each partial; the north-east
    // tile is nodata throughout (as outside a study area), so neither writer stores it. The
    // north-west tile's top half is zero (as away from any incident).
    Grid grid;
    grid.x0 = 350012.5, grid.y0 = 180000, grid.cell = 25, grid.nx = 600, grid.ny = 530;
    std::vector<float> values(grid.cells());
    std::mt19937 random(7);
    std::uniform_real_distribution<float> uniform(0.0f, 900.0f);
    for (int64_t r = 0; r < grid.ny; ++r)
        for (int64_t c = 0; c < grid.nx; ++c) {
            const bool outside = (r < 256 && c >= 512) || (r + c) % 97 == 0;
            values[grid.index(r, c)] = outside ? nodata : (c % 7 == 0 || (r < 128 && c < 256) ? 0.0f : uniform(random));
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
    // Eight tiles of nine: the all-nodata one is left out by both, at the same ids and places.
    const std::string tiles = "SELECT id, zoom_level, tile_column, tile_row FROM surface ORDER BY id";
    const std::vector<std::string> our_tiles = rows_of(*a, tiles), gdal_tiles = rows_of(*b, tiles);
    CHECK(our_tiles.size() == 8);
    CHECK(our_tiles == gdal_tiles);
    // GDAL compresses every tile with LZW. Worked out from the grid: the three whole tiles of
    // distinct random values (columns 0-1 of row 1, column 1 of row 0) have almost no cell equal
    // to the one before it, so LZW would enlarge them and they are stored uncompressed; the
    // half-zero tile and the five tiles padded with nodata past the grid's edge are LZW, byte for
    // byte GDAL's. Every tile holds GDAL's cells and is no larger than GDAL's.
    const auto ours_by_place = tiles_of(*a), gdal_by_place = tiles_of(*b);
    REQUIRE(ours_by_place.size() == 8);
    const std::set<std::pair<int, int>> uncompressed = {{1, 0}, {0, 1}, {1, 1}};
    for (const auto& [place, blob] : ours_by_place) {
        INFO("tile column " << place.first << ", row " << place.second);
        REQUIRE(gdal_by_place.count(place) == 1);
        const DecodedTile mine = decode_tile(blob), reference = decode_tile(gdal_by_place.at(place));
        CHECK(reference.compression == "LZW");
        CHECK(mine.cells == reference.cells);
        CHECK(mine.bytes <= reference.bytes);
        if (uncompressed.count(place)) {
            CHECK(mine.compression.empty());
            CHECK(mine.bytes < reference.bytes);
            CHECK(mine.bytes >= 256 * 256 * 4);
        } else {
            CHECK(mine.compression == "LZW");
            CHECK(blob == gdal_by_place.at(place));
        }
    }
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
