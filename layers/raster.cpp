#include "layers/raster.hpp"

#include <fmt/core.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "engine/errors.hpp"
#include "engine/mask_polygons.hpp"
#include "layers/gdal_session.hpp"
#include "layers/geopackage.hpp"
#include "layers/interrupt.hpp"

namespace safer::layers {

namespace fs = std::filesystem;

void georeference_float_band(GDALDataset& ds, const Grid& grid, float nodata, const std::string& working_crs, const std::string& where) {
    double transform[6] = {grid.x0, grid.cell, 0, grid.y0, 0, -grid.cell};
    OGRSpatialReference srs;
    if (srs.SetFromUserInput(working_crs.c_str()) != OGRERR_NONE) throw UsageError(fmt::format("unknown working CRS '{}'", working_crs));
    GDALRasterBand* band = ds.GetRasterBand(1);
    // The CRS first: GDAL's GPKG driver derives its tile matrix set from it when the
    // geotransform is set.
    if (ds.SetSpatialRef(&srs) != CE_None) throw IoError(fmt::format("{}: cannot set the raster's CRS: {}", where, gdal_message()));
    if (ds.SetGeoTransform(transform) != CE_None)
        throw IoError(fmt::format("{}: cannot set the raster's geotransform: {}", where, gdal_message()));
    // GDAL 3.6's GPKG driver can report failure from SetNoDataValue on a Float32 coverage while
    // recording the value all the same, so what counts is the value read back.
    band->SetNoDataValue(nodata);
    int has_nodata = 0;
    if (band->GetNoDataValue(&has_nodata) != static_cast<double>(nodata) || !has_nodata)
        throw IoError(fmt::format("{}: cannot set the raster's nodata value: {}", where, gdal_message()));
}

void fill_float_band(GDALDataset& ds, const Grid& grid, const std::vector<float>& values, float nodata,
                     const std::string& working_crs, const std::string& where, Progress* progress) {
    georeference_float_band(ds, grid, nodata, working_crs, where);
    GDALRasterBand* band = ds.GetRasterBand(1);
    clear_gdal_error();
    GDALRasterIOExtraArg extra;
    INIT_RASTERIO_EXTRA_ARG(extra);
    extra.pfnProgress = gdal_progress;
    extra.pProgressData = progress;
    if (band->RasterIO(GF_Write, 0, 0, static_cast<int>(grid.nx), static_cast<int>(grid.ny), const_cast<float*>(values.data()),
                       static_cast<int>(grid.nx), static_cast<int>(grid.ny), GDT_Float32, 0, 0, &extra) != CE_None)
        throw IoError(fmt::format("{}: writing the raster failed: {}", where, gdal_message()));
}

void write_geotiff(StagedFiles* staged, const std::string& path, bool overwrite, const std::string& working_crs, const Grid& grid,
                   const std::vector<float>& values, float nodata, const MetadataItems& metadata, Progress* progress) {
    ensure_gdal();
    check_output_path(path, overwrite);
    const std::string temp = temporary_path(path);
    const InterruptCleanup cleanup(temp);
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
    if (!driver) throw IoError("GDAL's GTiff driver is not available");
    char** options = nullptr;
    options = CSLSetNameValue(options, "TILED", "YES");
    options = CSLSetNameValue(options, "COMPRESS", "DEFLATE");
    options = CSLSetNameValue(options, "PREDICTOR", "3");
    options = CSLSetNameValue(options, "BIGTIFF", "IF_SAFER");
    clear_gdal_error();
    GDALDatasetUniquePtr ds(driver->Create(temp.c_str(), static_cast<int>(grid.nx), static_cast<int>(grid.ny), 1, GDT_Float32, options));
    CSLDestroy(options);
    std::error_code ec;
    try {
        if (!ds) throw IoError(fmt::format("{}: cannot create the GeoTIFF: {}", path, gdal_message()));
        fill_float_band(*ds, grid, values, nodata, working_crs, path, progress);
        for (const auto& [key, value] : metadata) ds->SetMetadataItem(key.c_str(), value.c_str());
        clear_gdal_error();
        ds.reset();
        if (CPLGetLastErrorType() >= CE_Failure) throw IoError(fmt::format("{}: finishing the GeoTIFF failed: {}", path, gdal_message()));
        if (staged) staged->adopt(path, temp);
        else rename_into_place(temp, path, overwrite);
    } catch (...) {
        ds.reset();
        fs::remove(temp, ec);
        throw;
    }
}

namespace {

OGRLinearRing* ogr_ring(const CellRing& ring) {
    // A closed ring of a rectangle has 5 points; fewer, or an open one, is a bug in the tracer.
    if (ring.size() < 5 || ring.x.front() != ring.x.back() || ring.y.front() != ring.y.back())
        throw std::logic_error("polygonise: a degenerate ring");
    auto r = std::make_unique<OGRLinearRing>();
    r->setPoints(static_cast<int>(ring.size()), ring.x.data(), ring.y.data());
    return r.release();
}

} // namespace

std::unique_ptr<OGRGeometry> polygonize(const Grid& grid, const std::vector<uint8_t>& mask) {
    const std::vector<CellPolygon> polygons = mask_polygons(grid, mask);
    if (polygons.empty()) return nullptr;
    auto multi = std::make_unique<OGRMultiPolygon>();
    for (const CellPolygon& p : polygons) {
        auto polygon = std::make_unique<OGRPolygon>();
        polygon->addRingDirectly(ogr_ring(p.outer));
        for (const CellRing& hole : p.holes) polygon->addRingDirectly(ogr_ring(hole));
        multi->addGeometryDirectly(polygon.release());
    }
    return multi;
}

} // namespace safer::layers
