#pragma once
// The polygoniser safer used before engine/mask_polygons: GDALPolygonize (4-connected) into an
// in-memory layer, then GEOS's IsValid and MakeValid. Kept as the peer the tests and the
// benchmark compare with; not used by safer itself.
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "engine/grid.hpp"
#include "layers/gdal_session.hpp"

namespace safer::test {

/// Every polygon GDALPolygonize makes of the non-zero cells of `mask`, as it makes them (no
/// repair), in a MultiPolygon; null when no cell is set.
inline std::unique_ptr<OGRMultiPolygon> gdal_polygons(const Grid& grid, const std::vector<uint8_t>& mask) {
    layers::ensure_gdal();
    GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
    GDALDriver* memory = GetGDALDriverManager()->GetDriverByName("Memory");
    if (!mem || !memory) throw std::runtime_error("GDAL's MEM and Memory drivers are not available");
    GDALDatasetUniquePtr raster(mem->Create("", static_cast<int>(grid.nx), static_cast<int>(grid.ny), 1, GDT_Byte, nullptr));
    GDALDatasetUniquePtr vector(memory->Create("", 0, 0, 0, GDT_Unknown, nullptr));
    if (!raster || !vector) throw std::runtime_error("cannot make in-memory datasets to polygonise");
    double transform[6] = {grid.x0, grid.cell, 0, grid.y0, 0, -grid.cell};
    raster->SetGeoTransform(transform);
    GDALRasterBand* band = raster->GetRasterBand(1);
    if (band->RasterIO(GF_Write, 0, 0, static_cast<int>(grid.nx), static_cast<int>(grid.ny), const_cast<uint8_t*>(mask.data()),
                       static_cast<int>(grid.nx), static_cast<int>(grid.ny), GDT_Byte, 0, 0, nullptr) != CE_None)
        throw std::runtime_error("polygonise: cannot fill the mask");
    OGRLayer* layer = vector->CreateLayer("cells", nullptr, wkbPolygon, nullptr);
    OGRFieldDefn value("value", OFTInteger);
    layer->CreateField(&value);
    // The band is its own mask: cells of 0 make no polygon.
    if (GDALPolygonize(band, band, layer, 0, nullptr, nullptr, nullptr) != CE_None) throw std::runtime_error("GDALPolygonize failed");
    auto multi = std::make_unique<OGRMultiPolygon>();
    for (auto& feature : *layer)
        if (OGRGeometry* g = feature->StealGeometry()) multi->addGeometryDirectly(g);
    if (multi->IsEmpty()) return nullptr;
    return multi;
}

/// safer's old `layers::polygonize`: GDALPolygonize, then MakeValid when GEOS finds the result
/// invalid.
inline std::unique_ptr<OGRGeometry> gdal_polygonize(const Grid& grid, const std::vector<uint8_t>& mask) {
    std::unique_ptr<OGRMultiPolygon> multi = gdal_polygons(grid, mask);
    if (!multi) return nullptr;
    if (!multi->IsValid()) {
        std::unique_ptr<OGRGeometry> valid(multi->MakeValid());
        if (!valid) throw std::runtime_error("polygonise: the cell polygons are invalid and cannot be repaired");
        return std::unique_ptr<OGRGeometry>(OGRGeometryFactory::forceToMultiPolygon(valid.release()));
    }
    return multi;
}

} // namespace safer::test
