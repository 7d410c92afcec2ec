#include "layers/site_reader.hpp"

#include <fmt/core.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <cpl_vsi.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "engine/errors.hpp"
#include "engine/text.hpp"
#include "layers/area_reader.hpp"
#include "layers/gdal_session.hpp"

namespace safer::layers {

namespace {

bool looks_like_text(const std::string& a) {
    const std::string t = lower_trim(a);
    return t.starts_with("polygon") || t.starts_with("multipolygon") || t.starts_with("{");
}

// The coordinates' range decides lon/lat or the working CRS.
bool within_lonlat(const OGRGeometry& g) {
    OGREnvelope e;
    g.getEnvelope(&e);
    return e.MinX >= -180 && e.MaxX <= 180 && e.MinY >= -90 && e.MaxY <= 90;
}

} // namespace

Areas read_sites(const std::string& argument, const std::string& id_field, const std::string& working_crs, SiteReport& report,
                 Progress& progress, const char* option) {
    ensure_gdal();
    AreaOptions options;
    options.working_crs = working_crs;
    options.codes_optional = true;
    options.code_field = id_field;
    if (!looks_like_text(argument)) {
        if (!std::filesystem::exists(argument))
            throw InputError(fmt::format("{}: no such file ({} takes a polygon file, WKT such as 'POLYGON((...))', or a GeoJSON geometry)", argument, option));
        report.source = argument;
        AreaReport ar;
        Areas sites = read_areas(argument, options, ar, progress);
        report.id_field = ar.code_field;
        report.repaired = ar.repaired;
        report.crs = "as declared by the file";
        return sites;
    }
    const bool json = lower_trim(argument).starts_with("{");
    report.source = json ? "command line (GeoJSON)" : "command line (WKT)";
    OGRGeometry* raw = nullptr;
    if (json) {
        raw = OGRGeometryFactory::createFromGeoJson(argument.c_str());
    } else if (OGRGeometryFactory::createFromWkt(argument.c_str(), nullptr, &raw) != OGRERR_NONE) {
        raw = nullptr;
    }
    std::unique_ptr<OGRGeometry> g(raw);
    if (!g) throw InputError(fmt::format("{}: cannot parse '{}' as {}", option, argument.substr(0, 80), json ? "a GeoJSON geometry" : "WKT"));
    const auto type = wkbFlatten(g->getGeometryType());
    if (type != wkbPolygon && type != wkbMultiPolygon)
        throw InputError(fmt::format("{}: the geometry is a {}, not a polygon", option, g->getGeometryName()));
    report.crs = within_lonlat(*g) ? "EPSG:4326" : working_crs;
    // Through a one-feature GeoJSON in memory, so the site is read, reprojected and repaired
    // exactly as a site file is.
    OGRSpatialReference srs;
    srs.SetFromUserInput(report.crs.c_str());
    const char* auth = srs.GetAuthorityCode(nullptr);
    char* geojson = g->exportToJson();
    const std::string doc = fmt::format(
        "{{\"type\":\"FeatureCollection\",\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"urn:ogc:def:crs:EPSG::{}\"}}}},"
        "\"features\":[{{\"type\":\"Feature\",\"properties\":{{\"site\":\"site 1\"}},\"geometry\":{}}}]}}",
        report.crs == "EPSG:4326" ? "4326" : (auth ? auth : "27700"), geojson);
    CPLFree(geojson);
    static std::atomic<int> serial{0};
    const std::string path = fmt::format("/vsimem/safer-site-{}-{}.geojson", ::getpid(), serial++);
    VSILFILE* f = VSIFileFromMemBuffer(path.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(doc.data())), doc.size(), FALSE);
    VSIFCloseL(f);
    options.code_field = "site";
    AreaReport ar;
    Areas sites;
    try {
        sites = read_areas(path, options, ar, progress);
    } catch (...) {
        VSIUnlink(path.c_str());
        throw;
    }
    VSIUnlink(path.c_str());
    report.id_field = "(command line)";
    report.repaired = ar.repaired;
    return sites;
}

} // namespace safer::layers
