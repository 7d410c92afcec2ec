#include "layers/coverage_tiles.hpp"

#include <cpl_vsi.h>
#include <fmt/core.h>
#include <gdal_priv.h>
#include <sqlite3.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>

#include "engine/errors.hpp"
#include "engine/progress.hpp"
#include "layers/gdal_session.hpp"
#include "layers/gpkg_schema.hpp"
#include "layers/sqlite_rows.hpp"

namespace safer::layers {

namespace {

std::atomic<uint64_t> tile_serial{0};

/// One tile's cells as a TIFF, through GDAL's MEM and GTiff drivers as GDAL's GPKG driver does it
/// (CreateCopy, one strip of the whole tile), LZW-compressed or not.
std::vector<unsigned char> encode_tiff(std::vector<float>& cells, int size, bool lzw) {
    GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
    GDALDriver* gtiff = GetGDALDriverManager()->GetDriverByName("GTiff");
    if (!mem || !gtiff) throw IoError("GDAL's MEM and GTiff drivers are not available");
    GDALDatasetUniquePtr source(mem->Create("", size, size, 1, GDT_Float32, nullptr));
    if (!source || source->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, size, size, cells.data(), size, size, GDT_Float32, 0, 0, nullptr) != CE_None)
        throw IoError(fmt::format("cannot hold a raster tile in memory: {}", gdal_message()));
    const std::string name = fmt::format("/vsimem/safer-tile-{}-{}.tif", getpid(), tile_serial++);
    char** options = nullptr;
    options = CSLSetNameValue(options, "_INTERNAL_DATASET", "YES");
    if (lzw) options = CSLSetNameValue(options, "COMPRESS", "LZW");
    options = CSLSetNameValue(options, "BLOCKYSIZE", std::to_string(size).c_str());
    GDALDatasetUniquePtr tiff(gtiff->CreateCopy(name.c_str(), source.get(), FALSE, options, nullptr, nullptr));
    CSLDestroy(options);
    if (!tiff) throw IoError(fmt::format("cannot encode a raster tile: {}", gdal_message()));
    tiff.reset();
    vsi_l_offset bytes = 0;
    GByte* data = VSIGetMemFileBuffer(name.c_str(), &bytes, TRUE);
    std::vector<unsigned char> out(data, data + bytes);
    CPLFree(data);
    VSIUnlink(name.c_str());
    return out;
}

/// Whether LZW makes this tile smaller. LZW finds no repeated byte strings among distinct Float32
/// values: a dense density tile came out 6-8 % larger than its 256 KiB of cells (and took most of
/// kde's raster writing to encode), while a tile with runs of equal cells (zero away from any
/// incident, nodata beyond the grid's edge) shrinks to a fraction. A cell equal to the one before
/// it costs LZW almost nothing and any other about 1.08 of its 4 bytes, so LZW pays when more
/// than about 7 % of cells repeat; it is chosen from one cell in eight (12.5 %) for a margin.
bool lzw_pays(const std::vector<float>& cells) {
    size_t repeats = 0;
    for (size_t i = 1; i < cells.size(); ++i) repeats += std::memcmp(&cells[i], &cells[i - 1], sizeof(float)) == 0;
    return repeats * 8 >= cells.size();
}

} // namespace

std::vector<CoverageTile> encode_coverage_tiles(const Grid& grid, const std::vector<float>& values, float nodata, int tile_size, Progress* progress) {
    if (values.size() != grid.cells()) throw std::invalid_argument("encode_coverage_tiles: values and grid differ in size");
    ensure_gdal();
    const int64_t size = tile_size;
    const int64_t columns = (grid.nx + size - 1) / size, rows = (grid.ny + size - 1) / size;
    std::vector<std::optional<CoverageTile>> tiles(static_cast<size_t>(columns * rows));
    tbb::parallel_for(size_t{0}, tiles.size(), [&](size_t k) {
        const int64_t tr = static_cast<int64_t>(k) / columns, tc = static_cast<int64_t>(k) % columns;
        std::vector<float> cells(static_cast<size_t>(size * size), nodata);
        const int64_t width = std::min(size, grid.nx - tc * size), height = std::min(size, grid.ny - tr * size);
        for (int64_t r = 0; r < height; ++r) {
            const float* from = values.data() + grid.index(tr * size + r, tc * size);
            std::copy(from, from + width, cells.begin() + r * size);
        }
        // GDAL's statistics: every cell but nodata, float min and max, Welford's mean and M2.
        CoverageTile t;
        t.column = tc, t.row = tr;
        float lo = 0, hi = 0;
        double mean = 0, m2 = 0;
        int64_t valid = 0;
        for (const float v : cells) {
            if (static_cast<double>(v) == static_cast<double>(nodata)) continue;
            lo = valid == 0 ? v : std::min(lo, v);
            hi = valid == 0 ? v : std::max(hi, v);
            ++valid;
            const double delta = static_cast<double>(v) - mean;
            mean += delta / static_cast<double>(valid);
            m2 += delta * (static_cast<double>(v) - mean);
        }
        if (valid > 0) {
            t.min = lo, t.max = hi, t.mean = mean, t.std_dev = std::sqrt(m2 / static_cast<double>(valid));
            t.tiff = encode_tiff(cells, tile_size, lzw_pays(cells));
            tiles[k] = std::move(t);
        }
        if (progress) progress->advance(1);
    });
    std::vector<CoverageTile> out;
    for (auto& t : tiles)
        if (t) out.push_back(std::move(*t));
    return out;
}

std::optional<TileMatrix> finest_tile_matrix(const std::string& path, const std::string& table) {
    sqlite3* raw = nullptr;
    const int opened = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    SqliteConnection db(raw);
    if (opened != SQLITE_OK) throw IoError(fmt::format("{}: cannot open the GeoPackage: {}", path, db ? sqlite3_errmsg(db.get()) : "out of memory"));
    const auto query = [&](const char* sql) {
        sqlite3_stmt* q = nullptr;
        if (sqlite3_prepare_v2(db.get(), sql, -1, &q, nullptr) != SQLITE_OK)
            throw IoError(fmt::format("{}: reading the tile matrix of {} failed: {}", path, table, sqlite3_errmsg(db.get())));
        sqlite3_bind_text(q, 1, table.c_str(), -1, SQLITE_TRANSIENT);
        return SqliteStatement(q);
    };
    TileMatrix m;
    auto set = query("SELECT min_x, max_y FROM gpkg_tile_matrix_set WHERE lower(table_name) = lower(?)");
    if (sqlite3_step(set.get()) != SQLITE_ROW) return std::nullopt;
    m.min_x = sqlite3_column_double(set.get(), 0);
    m.max_y = sqlite3_column_double(set.get(), 1);
    auto level = query("SELECT zoom_level, matrix_width, matrix_height, tile_width, tile_height, pixel_x_size, pixel_y_size FROM gpkg_tile_matrix "
                       "WHERE lower(table_name) = lower(?) ORDER BY zoom_level DESC LIMIT 1");
    if (sqlite3_step(level.get()) != SQLITE_ROW) return std::nullopt;
    m.zoom = sqlite3_column_int64(level.get(), 0);
    m.width = sqlite3_column_int64(level.get(), 1);
    m.height = sqlite3_column_int64(level.get(), 2);
    m.tile_width = sqlite3_column_int64(level.get(), 3);
    m.tile_height = sqlite3_column_int64(level.get(), 4);
    m.pixel_x = sqlite3_column_double(level.get(), 5);
    m.pixel_y = sqlite3_column_double(level.get(), 6);
    sqlite3_stmt* q = nullptr;
    const std::string count = "SELECT count(*) FROM " + sql_identifier(table);
    if (sqlite3_prepare_v2(db.get(), count.c_str(), -1, &q, nullptr) != SQLITE_OK) return std::nullopt;
    SqliteStatement tiles(q);
    if (sqlite3_step(q) != SQLITE_ROW) return std::nullopt;
    m.tiles = sqlite3_column_int64(q, 0);
    return m;
}

bool tiles_align(const TileMatrix& m, const Grid& grid) {
    const double tolerance = grid.cell * 1e-6;
    return m.tile_width > 0 && m.tile_width == m.tile_height && std::abs(m.pixel_x - grid.cell) <= tolerance &&
           std::abs(m.pixel_y - grid.cell) <= tolerance && std::abs(m.min_x - grid.x0) <= tolerance && std::abs(m.max_y - grid.y0) <= tolerance &&
           m.width * m.tile_width >= grid.nx && m.height * m.tile_height >= grid.ny;
}

void insert_coverage_tiles(const std::string& path, const std::string& table, int64_t zoom, const std::vector<CoverageTile>& tiles,
                           Progress* progress) {
    BulkRows data{table, {"id", "zoom_level", "tile_column", "tile_row", "tile_data"}, tiles.size(),
                  [&](size_t i, RowValues& v) {
                      const CoverageTile& t = tiles[i];
                      if (progress) progress->advance(1);
                      v.integer(0, static_cast<int64_t>(i + 1));
                      v.integer(1, zoom);
                      v.integer(2, t.column);
                      v.integer(3, t.row);
                      v.blob(4, t.tiff);
                  },
                  {}, {}};
    BulkRows ancillary{"gpkg_2d_gridded_tile_ancillary", {"tpudt_name", "tpudt_id", "scale", "offset", "min", "max", "mean", "std_dev"}, tiles.size(),
                       [&](size_t i, RowValues& v) {
                           const CoverageTile& t = tiles[i];
                           v.text(0, table);
                           v.integer(1, static_cast<int64_t>(i + 1));
                           v.real(2, 1.0);
                           v.real(3, 0.0);
                           v.real(4, t.min);
                           v.real(5, t.max);
                           v.real(6, t.mean);
                           v.real(7, t.std_dev);
                       },
                       {}, {}};
    insert_rows(path, {std::move(data), std::move(ancillary)});
}

} // namespace safer::layers
