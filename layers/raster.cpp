#include "layers/raster.hpp"

#include <fmt/core.h>
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <unistd.h>

#include <filesystem>

#include "engine/errors.hpp"
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

std::unique_ptr<OGRGeometry> polygonize(const Grid& grid, const std::vector<uint8_t>& mask) {
    ensure_gdal();
    GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
    GDALDriver* memory = GetGDALDriverManager()->GetDriverByName("Memory");
    if (!mem || !memory) throw IoError("GDAL's MEM and Memory drivers are not available");
    GDALDatasetUniquePtr raster(mem->Create("", static_cast<int>(grid.nx), static_cast<int>(grid.ny), 1, GDT_Byte, nullptr));
    GDALDatasetUniquePtr vector(memory->Create("", 0, 0, 0, GDT_Unknown, nullptr));
    if (!raster || !vector) throw IoError(fmt::format("cannot make in-memory datasets to polygonise: {}", gdal_message()));
    double transform[6] = {grid.x0, grid.cell, 0, grid.y0, 0, -grid.cell};
    raster->SetGeoTransform(transform);
    GDALRasterBand* band = raster->GetRasterBand(1);
    if (band->RasterIO(GF_Write, 0, 0, static_cast<int>(grid.nx), static_cast<int>(grid.ny), const_cast<uint8_t*>(mask.data()),
                       static_cast<int>(grid.nx), static_cast<int>(grid.ny), GDT_Byte, 0, 0, nullptr) != CE_None)
        throw IoError(fmt::format("polygonise: cannot fill the mask: {}", gdal_message()));
    OGRLayer* layer = vector->CreateLayer("cells", nullptr, wkbPolygon, nullptr);
    OGRFieldDefn value("value", OFTInteger);
    layer->CreateField(&value);
    // The band is its own mask: cells of 0 make no polygon.
    if (GDALPolygonize(band, band, layer, 0, nullptr, nullptr, nullptr) != CE_None)
        throw IoError(fmt::format("polygonise failed: {}", gdal_message()));
    auto multi = std::make_unique<OGRMultiPolygon>();
    for (auto& feature : *layer)
        if (OGRGeometry* g = feature->StealGeometry()) multi->addGeometryDirectly(g);
    if (multi->IsEmpty()) return nullptr;
    if (!multi->IsValid()) {
        std::unique_ptr<OGRGeometry> valid(multi->MakeValid());
        if (!valid) throw IoError("polygonise: the cell polygons are invalid and cannot be repaired");
        return std::unique_ptr<OGRGeometry>(OGRGeometryFactory::forceToMultiPolygon(valid.release()));
    }
    return multi;
}

} // namespace safer::layers
