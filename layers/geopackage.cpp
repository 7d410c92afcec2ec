#include "layers/geopackage.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <gdal_priv.h>
#include <tbb/parallel_for.h>
#include <gdal_utils.h>
#include <ogrsf_frmts.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <future>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>

#include "engine/errors.hpp"
#include "engine/periods.hpp"
#include "engine/text.hpp"
#include "layers/crs.hpp"
#include "layers/gdal_session.hpp"
#include "layers/coverage_tiles.hpp"
#include "layers/gpkg_schema.hpp"
#include "layers/interrupt.hpp"
#include "layers/output_files.hpp"
#include "layers/postgis.hpp"
#include "layers/qgis_project.hpp"
#include "layers/qgis_styles.hpp"
#include "layers/raster.hpp"
#include "layers/sqlite_rows.hpp"

namespace safer::layers {

namespace fs = std::filesystem;

namespace {

// Why a write failed, in one line: when the output's disk is (nearly) full, that alone (SQLite
// then often reports a later symptom, "no such table", inside a statement thousands of characters
// long); otherwise GDAL's message, cut to a readable length.
std::string write_failure(const std::string& path) {
    std::error_code ec;
    const fs::path dir = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : fs::path(".");
    const fs::space_info space = fs::space(dir, ec);
    if (!ec && space.available < (1u << 20))
        return fmt::format("the disk is full ({} has {} KiB free); nothing was replaced", dir.string(), space.available >> 10);
    std::string message = gdal_message();
    if (message.size() > 300) message = message.substr(0, 300) + "...";
    return message;
}

struct Transaction {
    OGRLayer* layer;
    const std::string& path;
    size_t pending = 0;
    explicit Transaction(OGRLayer* l, const std::string& p) : layer(l), path(p) { start(); }
    void start() {
        if (layer->StartTransaction() != OGRERR_NONE)
            throw IoError(fmt::format("{}: cannot start writing layer {}: {}", path, layer->GetName(), gdal_message()));
    }
    void created() {
        if (++pending == 200000) {
            commit();
            start();
        }
    }
    void commit() {
        if (layer->CommitTransaction() != OGRERR_NONE)
            throw IoError(fmt::format("{}: writing layer {} failed: {}", path, layer->GetName(), write_failure(path)));
        pending = 0;
    }
};

} // namespace

struct GeoPackageWriter::Impl {
    std::string path;
    std::string temp;
    std::string working_crs;
    bool overwrite;
    OGRSpatialReference srs;
    GDALDatasetUniquePtr ds;
    bool committed = false;
    std::unique_ptr<InterruptCleanup> cleanup; // removes `temp` if the run is interrupted
    std::vector<BulkRows> bulk; // attribute tables GDAL created empty; rows go in at commit()
    std::optional<PostgisTarget> postgis; // -o PG:...: `temp` is a GeoPackage in the temporary folder, copied at commit()
    GeoPackageExtras extras;              // field descriptions, style hints and the run's metadata, added at commit()
    std::vector<float> raster_sample;     // cells of every raster layer, for the rasters' QGIS style
    std::string raster_units;
    // The rasters' style, worked out from raster_sample on another thread while the layers after
    // the rasters are written (its selections were most of the finishing step).
    std::future<std::string> raster_style;
    std::jthread writeback; // start_writeback's: the flush before the rename waits for what it started
    // A raster's tiles, encoded on the other cores while the layers after it and the attribute
    // tables are written (one core would otherwise idle there); put in by insert_pending_tiles()
    // before the next raster or at commit(). At most one raster's are held at a time.
    struct PendingTiles {
        std::string table, label;
        int64_t zoom = 0;
        std::future<std::vector<CoverageTile>> tiles;
    };
    std::optional<PendingTiles> pending_tiles;
    void insert_pending_tiles() {
        if (!pending_tiles) return;
        PendingTiles p = std::move(*pending_tiles);
        pending_tiles.reset();
        const std::vector<CoverageTile> tiles = p.tiles.get();
        if (progress) progress->begin(p.label, tiles.size());
        insert_coverage_tiles(temp, p.table, p.zoom, tiles, progress);
        if (progress) progress->end();
        writeback = start_writeback(temp); // the tiles are most of the file: to the disk while the rest is written
    }
    const OutputFormat* format = nullptr; // what `path` is written as
    std::string main_layer;               // a one-layer format's layer (empty: the first with geometry)
    std::string project;                  // the QGIS project's path ("" for none)
    Progress* progress = nullptr;
    // For QGIS's temporal controller: rasters' months, vector layers' date fields, the span of all.
    std::map<std::string, std::pair<std::string, std::string>> raster_times, field_times;
    std::optional<Month> time_first, time_after;
    int time_step = 0;
    struct ExtraRaster {
        std::string path, name, description, qml;
        Extent extent;
    };
    std::vector<ExtraRaster> extra_rasters;

    void span(Month first, Month after, int step) {
        time_first = time_first ? std::min(*time_first, first) : first;
        time_after = time_after ? std::max(*time_after, after) : after;
        time_step = step;
    }
    std::map<std::string, std::string> appended; // layers written by append_table, with the shape of their table

    OGRLayer* create(const char* name, OGRwkbGeometryType type, const char* description, bool spatial_index = true) {
        char** options = nullptr;
        options = CSLSetNameValue(options, "DESCRIPTION", description);
        if (!spatial_index) options = CSLSetNameValue(options, "SPATIAL_INDEX", "NO"); // built in bulk at commit()
        if (type != wkbNone) options = CSLSetNameValue(options, "GEOMETRY_NAME", "geom");
        OGRLayer* layer = ds->CreateLayer(name, type == wkbNone ? nullptr : &srs, type, options);
        CSLDestroy(options);
        if (!layer) throw IoError(fmt::format("{}: cannot create layer {}: {}", path, name, gdal_message()));
        return layer;
    }

    /// A field, with its description for gpkg_data_columns (default: the design's description of
    /// fields of that name, qgis::known_field_description).
    void field(OGRLayer* layer, const char* name, OGRFieldType type, const std::string& description = {}, OGRFieldSubType sub = OFSTNone) {
        OGRFieldDefn defn(name, type);
        defn.SetSubType(sub);
        if (layer->CreateField(&defn) != OGRERR_NONE)
            throw IoError(fmt::format("{}: cannot create field {}.{}: {}", path, layer->GetName(), name, gdal_message()));
        std::string text = description.empty() ? qgis::known_field_description(name) : description;
        if (!text.empty()) extras.fields.push_back(FieldNote{layer->GetName(), name, std::move(text)});
    }

    /// A layer for `table`, with its fields and their descriptions.
    OGRLayer* create_table(const Table& table);
    /// The rows of `table`, in one transaction (committed every 200,000 features).
    void add_rows(OGRLayer* layer, const Table& table);

    void add(OGRLayer* layer, OGRFeature& feature, Transaction& tx) {
        if (layer->CreateFeature(&feature) != OGRERR_NONE)
            throw IoError(fmt::format("{}: writing layer {} failed: {}", path, layer->GetName(), write_failure(path)));
        tx.created();
        if (progress && tx.pending % 1024 == 0) progress->advance(1024);
    }
    void begin_layer(const std::string& name, size_t rows) {
        if (progress) progress->begin(fmt::format("writing layer {} ({} feature{})", name, rows, rows == 1 ? "" : "s"), rows);
    }
    void end_layer() {
        if (progress) progress->end();
    }

    void commit_geopackage(const FinishedGeoPackage& finished, const std::string& raster_qml);
    void commit_other_format(const FinishedGeoPackage& finished);
    std::string project_qgs(const FinishedGeoPackage& finished, const std::string& raster_qml) const;
};

GeoPackageWriter::GeoPackageWriter(std::string path, bool overwrite, std::string working_crs)
    : GeoPackageWriter(OutputPath{"-o", std::move(path), OutputKind::geopackage}, overwrite, std::move(working_crs)) {}

GeoPackageWriter::GeoPackageWriter(const OutputPath& output, bool overwrite, std::string working_crs, Progress* progress)
    : m_impl(std::make_unique<Impl>()) {
    ensure_gdal();
    const std::string& path = output.path;
    m_impl->format = output_format(path, output.format);
    if (!m_impl->format) throw UsageError(fmt::format("{} {}: not a format safer writes; name it for one of {}", output.option, path, output_formats_text()));
    check_output_path(path, overwrite);
    m_impl->overwrite = overwrite;
    m_impl->working_crs = working_crs;
    m_impl->main_layer = output.main_layer;
    m_impl->progress = progress;
    m_impl->extras.title = fs::path(path).filename().string();
    static std::atomic<unsigned> counter{0};
    if (m_impl->format->is_postgis()) {
        // The layers are built as a GeoPackage in the temporary folder and copied at commit().
        m_impl->postgis = parse_postgis_target(path);
        m_impl->path = m_impl->postgis->display;
        m_impl->extras.title = "schema " + m_impl->postgis->schema;
        m_impl->temp = (fs::path(process_temp_dir()) / fmt::format("postgis-{}.gpkg", counter++)).string();
    } else if (!m_impl->format->is_geopackage()) {
        // Likewise for the one-layer formats: their layer is translated from it at commit().
        m_impl->path = path;
        m_impl->temp = (fs::path(process_temp_dir()) / fmt::format("layers-{}.gpkg", counter++)).string();
    } else {
        m_impl->path = path;
        m_impl->temp = temporary_path(m_impl->path);
        if (output.project) m_impl->project = project_path(m_impl->path);
    }
    remove_quietly(m_impl->temp);
    m_impl->cleanup = std::make_unique<InterruptCleanup>(m_impl->temp);
    if (m_impl->srs.SetFromUserInput(working_crs.c_str()) != OGRERR_NONE)
        throw UsageError(fmt::format("unknown working CRS '{}'", working_crs));
    m_impl->srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    if (!driver) throw IoError("GDAL's GPKG driver is not available");
    clear_gdal_error();
    m_impl->ds.reset(driver->Create(m_impl->temp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!m_impl->ds) throw IoError(fmt::format("{}: cannot create the GeoPackage: {}", m_impl->path, gdal_message()));
}

GeoPackageWriter::~GeoPackageWriter() {
    if (!m_impl->committed) {
        m_impl->ds.reset();
        remove_quietly(m_impl->temp);
    }
}

std::vector<std::string> label_groups(const std::vector<CrimeGroup>& groups, const CrimeTypes& types) {
    const GroupMembership membership(groups, types);
    std::vector<std::string> label(types.size(), "other");
    for (size_t t = 0; t < types.size(); ++t)
        for (size_t g = 0; g < groups.size(); ++g)
            if (!groups[g].all_types && membership.contains(g, static_cast<CrimeTypeId>(t))) {
                label[t] = groups[g].name;
                break;
            }
    return label;
}

void GeoPackageWriter::write_incidents(const Incidents& in, const CrimeTypes& types, const std::vector<CrimeGroup>& groups,
                                       const std::vector<int32_t>& area_of, const Areas* areas) {
    if (!in.has_text()) throw std::logic_error("write_incidents: the incidents were read without their text columns");
    Impl& w = *m_impl;
    OGRLayer* layer = w.create("incidents", wkbPoint, "Incidents used, in the working CRS, one per police.uk row", false);
    w.field(layer, "month", OFTString, "Month of the incident, YYYY-MM");
    w.field(layer, "crime_type", OFTString, "police.uk crime type");
    w.field(layer, "crime_group", OFTString, "The first of neighbourhood, acquisitive, violence, asb, damage that holds the type; other if none");
    w.field(layer, "crime_id", OFTString, "police.uk Crime ID (none for anti-social behaviour)");
    w.field(layer, "location", OFTString, "police.uk Location: the map point the incident was snapped to");
    w.field(layer, "lsoa_code_source", OFTString, "police.uk's own LSOA code for the incident");
    w.field(layer, "outcome", OFTString, "police.uk Last outcome category");
    w.field(layer, "area_code", OFTString, "Code of the area the incident falls in (safer's assignment; safer areas --incidents)");
    w.field(layer, "source_line", OFTInteger64, "Line of the source file the incident was read from");
    // The rows go in at commit() through one prepared statement and the R-tree is built from the
    // points then (sqlite_rows): OGR's feature by feature took 330 s for 10 million rows.
    std::vector<std::string> group_label = label_groups(groups, types);
    std::vector<std::string> type_name(types.size());
    for (size_t t = 0; t < types.size(); ++t) type_name[t] = std::string(types.name(static_cast<CrimeTypeId>(t)));
    std::vector<std::string> columns{"month", "crime_type", "crime_group", "crime_id", "location", "lsoa_code_source", "outcome", "area_code", "source_line", "geom"};
    const bool with_areas = !area_of.empty() && areas;
    w.bulk.push_back(BulkRows{"incidents", std::move(columns), in.size(),
                              [&in, &area_of, areas, with_areas, type_name = std::move(type_name), group_label = std::move(group_label)](size_t i, RowValues& v) {
                                  v.text(0, in.month[i].str());
                                  v.text(1, type_name[in.type[i]]);
                                  v.text(2, group_label[in.type[i]]);
                                  const auto set_text = [&](int f, std::string_view text) {
                                      if (text.empty()) v.null(f);
                                      else v.text(f, text);
                                  };
                                  set_text(3, in.crime_id[i]);
                                  set_text(4, in.location[i]);
                                  set_text(5, in.lsoa_code_source[i]);
                                  set_text(6, in.outcome[i]);
                                  if (with_areas && area_of[i] >= 0) v.text(7, areas->code[static_cast<size_t>(area_of[i])]);
                                  else v.null(7);
                                  v.integer(8, static_cast<int64_t>(in.line[i]));
                                  v.point(9, in.x[i], in.y[i]);
                              },
                              "geom", [&in](size_t i) { return std::pair<double, double>(in.x[i], in.y[i]); }});
}

void GeoPackageWriter::write_rejects(const Rejects& rejects, const std::vector<std::string>& sources) {
    Impl& w = *m_impl;
    OGRLayer* layer = w.create("rejects", wkbNone, "Rows read but not used: file, line and reason");
    w.field(layer, "file", OFTString, "File the row was read from");
    w.field(layer, "line", OFTInteger64, "Line of the file (1 is the header), or feature number of an OGR layer");
    w.field(layer, "reason", OFTString, "Why the row was not used (README: Every row accounted for)");
    w.field(layer, "detail", OFTString, "What was wrong, with the value found");
    w.bulk.push_back(BulkRows{"rejects", {"file", "line", "reason", "detail"}, rejects.total(),
                              [items = rejects.items(), sources](size_t i, RowValues& v) {
                                  const Reject& r = items[i];
                                  v.text(0, sources[r.source]);
                                  v.integer(1, static_cast<int64_t>(r.line));
                                  v.text(2, reason_code(r.reason));
                                  v.text(3, r.detail);
                              }, {}, {}});
}

void GeoPackageWriter::write_area_months(const Areas& areas, const std::vector<AreaMonthCount>& rows, const std::vector<CrimeGroup>& groups) {
    Impl& w = *m_impl;
    OGRLayer* layer = w.create("area_months", wkbNone, "Incidents by area, month and crime group (non-zero counts)");
    w.field(layer, "code", OFTString, "Area code");
    w.field(layer, "month", OFTString, "Month, YYYY-MM");
    w.field(layer, "crime_group", OFTString, "Crime group");
    w.field(layer, "count", OFTInteger64, "Incidents of the group in the area that month (rows with 0 are left out)");
    std::vector<std::string> group_names;
    for (const CrimeGroup& g : groups) group_names.push_back(g.name);
    w.bulk.push_back(BulkRows{"area_months", {"code", "month", "crime_group", "count"}, rows.size(),
                              [rows, codes = areas.code, group_names](size_t i, RowValues& v) {
                                  const AreaMonthCount& r = rows[i];
                                  v.text(0, codes[static_cast<size_t>(r.area)]);
                                  v.text(1, r.month.str());
                                  v.text(2, group_names[r.group]);
                                  v.integer(3, static_cast<int64_t>(r.count));
                              }, {}, {}});
}

void GeoPackageWriter::write_raster(const std::string& name, const std::string& description, const Grid& grid,
                                    const std::vector<float>& values, float nodata) {
    Impl& w = *m_impl;
    // GDAL adds a raster table to an existing GeoPackage only through a new Create with
    // APPEND_SUBDATASET, so the vector handle is closed around it and opened again.
    clear_gdal_error();
    w.ds.reset();
    if (CPLGetLastErrorType() >= CE_Failure) throw IoError(fmt::format("{}: writing the GeoPackage failed: {}", w.path, write_failure(w.path)));
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    char** options = nullptr;
    options = CSLSetNameValue(options, "APPEND_SUBDATASET", "YES");
    options = CSLSetNameValue(options, "RASTER_TABLE", name.c_str());
    options = CSLSetNameValue(options, "RASTER_DESCRIPTION", description.c_str());
    options = CSLSetNameValue(options, "TILE_FORMAT", "TIFF"); // Float32 values, losslessly
    GDALDatasetUniquePtr raster(driver->Create(w.temp.c_str(), static_cast<int>(grid.nx), static_cast<int>(grid.ny), 1, GDT_Float32, options));
    CSLDestroy(options);
    if (!raster) throw IoError(fmt::format("{}: cannot add raster {}: {}", w.path, name, gdal_message()));
    const std::string where = fmt::format("{} (raster {})", w.path, name);
    georeference_float_band(*raster, grid, nodata, w.working_crs, where);
    clear_gdal_error();
    raster.reset(); // the table and its tile matrix, with no tile yet
    if (CPLGetLastErrorType() >= CE_Failure) throw IoError(fmt::format("{}: writing raster {} failed: {}", w.path, name, write_failure(w.path)));
    // The tiles in parallel (coverage_tiles), into the tile matrix GDAL made; should GDAL ever
    // make one the grid does not fit, GDAL writes them itself.
    w.insert_pending_tiles(); // an earlier raster's, while the file is closed to GDAL
    const std::optional<TileMatrix> matrix = finest_tile_matrix(w.temp, name);
    if (matrix && matrix->tiles == 0 && tiles_align(*matrix, grid)) {
        const int tile_size = static_cast<int>(matrix->tile_width);
        w.pending_tiles = Impl::PendingTiles{name, fmt::format("writing raster {} ({} x {} cells)", name, grid.nx, grid.ny), matrix->zoom,
                                             std::async(std::launch::async, [grid, cells = &values, nodata, tile_size] {
                                                 return encode_coverage_tiles(grid, *cells, nodata, tile_size);
                                             })};
    } else {
        char** open_options = CSLSetNameValue(nullptr, "TABLE", name.c_str());
        raster.reset(GDALDataset::Open(w.temp.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE, nullptr, open_options));
        CSLDestroy(open_options);
        if (!raster) throw IoError(fmt::format("{}: cannot reopen raster {}: {}", w.path, name, gdal_message()));
        if (w.progress) w.progress->begin(fmt::format("writing raster {} ({} x {} cells)", name, grid.nx, grid.ny), 1000);
        GDALRasterIOExtraArg extra;
        INIT_RASTERIO_EXTRA_ARG(extra);
        extra.pfnProgress = gdal_progress;
        extra.pProgressData = w.progress;
        if (raster->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, static_cast<int>(grid.nx), static_cast<int>(grid.ny), const_cast<float*>(values.data()),
                                               static_cast<int>(grid.nx), static_cast<int>(grid.ny), GDT_Float32, 0, 0, &extra) != CE_None)
            throw IoError(fmt::format("{}: writing the raster failed: {}", where, gdal_message()));
        clear_gdal_error();
        raster.reset();
        if (CPLGetLastErrorType() >= CE_Failure) throw IoError(fmt::format("{}: writing raster {} failed: {}", w.path, name, write_failure(w.path)));
        w.end_layer();
    }
    w.ds.reset(GDALDataset::Open(w.temp.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
    if (!w.ds) throw IoError(fmt::format("{}: cannot reopen the GeoPackage after adding raster {}: {}", w.path, name, gdal_message()));
    // QGIS 3.22 reads no style for a GeoPackage raster from layer_styles, only the .qml file
    // beside the GeoPackage, which serves every raster in it: its colour stops come from all.
    qgis::sample_cells(values, nodata, 1u << 18, w.raster_sample);
    if (w.raster_units.empty()) w.raster_units = description;
    if (w.raster_style.valid()) w.raster_style.wait(); // an earlier raster's: the style covers all of them
    w.raster_style = std::async(std::launch::async, [sample = w.raster_sample, units = w.raster_units]() mutable {
        return qgis::density_raster_qml(std::move(sample), units);
    });
}

void GeoPackageWriter::write_kde_classes(const std::string& name, const std::string& description, const std::vector<ClassSurface>& surfaces) {
    Impl& w = *m_impl;
    OGRLayer* layer = w.create(name.c_str(), wkbMultiPolygon, description.c_str());
    w.field(layer, "period", OFTString, "all, or the month (YYYY-MM) or quarter (YYYY-Qn) of the surface with --by");
    w.field(layer, "class", OFTString, "top 1 %, top 5 % or top 10 % of the cells with a value");
    w.field(layer, "top_pct", OFTInteger, "1, 5 or 10: the class's share of the cells with a value (classes nest)");
    w.field(layer, "threshold", OFTReal, "Density at the class's edge: the value of the ceil(p N / 100)-th highest cell");
    w.field(layer, "cells", OFTInteger64, "Cells in the class");
    w.field(layer, "area_km2", OFTReal, "Area of the class, square kilometres");
    w.field(layer, "incidents", OFTReal, "Incidents (total weight) in the class's cells");
    w.field(layer, "incident_share", OFTReal, "Share of the incidents in cells with a value that are in the class, 0..1");
    // By month or quarter: each feature's dates, for QGIS's temporal controller.
    std::optional<PeriodSpan> all;
    bool timed = !surfaces.empty();
    for (const ClassSurface& s : surfaces) {
        const std::optional<PeriodSpan> span = period_span(s.period);
        timed = timed && span.has_value();
        if (span) all = all ? PeriodSpan{std::min(all->first, span->first), std::max(all->after, span->after)} : *span;
    }
    if (timed) {
        w.field(layer, "period_start", OFTString, "First day of the period, YYYY-MM-DD (QGIS's temporal controller shows the feature from then)");
        w.field(layer, "period_end", OFTString, "First day after the period, YYYY-MM-DD (shown until then)");
        const std::optional<PeriodSpan> first = period_span(surfaces.front().period);
        w.field_times[name] = {"period_start", "period_end"};
        w.span(all->first, all->after, first->after.index - first->first.index);
    }
    w.begin_layer(name, surfaces.size() * 3);
    // Each class's outline traced on any core, then written in order.
    std::vector<std::unique_ptr<OGRGeometry>> outline(surfaces.size() * 3);
    tbb::parallel_for(size_t{0}, outline.size(), [&](size_t k) {
        const ClassSurface& s = surfaces[k / 3];
        if (k % 3 >= s.hotspots->classes.size()) return;
        const kde::HotspotClass& c = s.hotspots->classes[k % 3];
        if (c.cells == 0) return;
        std::vector<uint8_t> mask(s.hotspots->cell_class.size());
        for (size_t i = 0; i < mask.size(); ++i) {
            const uint8_t cls = s.hotspots->cell_class[i];
            mask[i] = cls != 0 && cls <= c.percent;
        }
        outline[k] = polygonize(*s.grid, mask);
    });
    Transaction tx(layer, w.path);
    OGRFeature feature(layer->GetLayerDefn());
    for (size_t si = 0; si < surfaces.size(); ++si) {
        const ClassSurface& s = surfaces[si];
        for (size_t ci = 0; ci < s.hotspots->classes.size(); ++ci) {
            const kde::HotspotClass& c = s.hotspots->classes[ci];
            std::unique_ptr<OGRGeometry> g = std::move(outline[si * 3 + ci]);
            if (!g) continue;
            feature.SetFID(OGRNullFID);
            feature.SetField(0, s.period.c_str());
            feature.SetField(1, fmt::format("top {} %", c.percent).c_str());
            feature.SetField(2, c.percent);
            feature.SetField(3, static_cast<double>(c.threshold));
            feature.SetField(4, static_cast<GIntBig>(c.cells));
            feature.SetField(5, c.area_m2 / 1e6);
            feature.SetField(6, c.weight);
            feature.SetField(7, c.share);
            if (timed) {
                const PeriodSpan span = *period_span(s.period);
                feature.SetField(8, first_day(span.first).c_str());
                feature.SetField(9, first_day(span.after).c_str());
            }
            feature.SetGeometryDirectly(g.release());
            w.add(layer, feature, tx);
        }
        if (w.progress) w.progress->advance(3);
    }
    tx.commit();
    w.end_layer();
}

namespace {

OGRwkbGeometryType layer_type(const Table& t) {
    return t.geometry_kind == GeometryKind::point ? wkbPoint
           : t.geometry_kind == GeometryKind::line ? wkbMultiLineString
           : t.geometry_kind == GeometryKind::polygon ? wkbMultiPolygon
                                                      : wkbNone;
}

void check_table(const Table& t) {
    const size_t rows = t.rows();
    for (const Column& c : t.columns)
        if (c.size() != rows) throw std::logic_error(fmt::format("table {}: column {} has {} rows, not {}", t.name, c.name, c.size(), rows));
    if (t.geometry_kind != GeometryKind::none && t.geometry.size() != rows)
        throw std::logic_error(fmt::format("table {}: {} geometries for {} rows", t.name, t.geometry.size(), rows));
}

/// The shape of a table's layer: its geometry and its columns' names and types, in order.
std::string table_signature(const Table& t) {
    std::string s = fmt::format("{}", static_cast<int>(t.geometry_kind));
    for (const Column& c : t.columns) s += fmt::format(",{}:{}", c.name, static_cast<int>(c.type));
    return s;
}

} // namespace

OGRLayer* GeoPackageWriter::Impl::create_table(const Table& t) {
    OGRLayer* layer = create(t.name.c_str(), layer_type(t), t.description.c_str());
    for (const Column& c : t.columns)
        field(layer, c.name.c_str(), c.type == Column::Type::integer ? OFTInteger64 : c.type == Column::Type::real ? OFTReal : OFTString, c.description);
    return layer;
}

void GeoPackageWriter::Impl::add_rows(OGRLayer* layer, const Table& t) {
    const OGRwkbGeometryType type = layer_type(t);
    Transaction tx(layer, path);
    OGRFeature feature(layer->GetLayerDefn());
    GEOSContextHandle_t ctx = geos::context();
    for (size_t i = 0; i < t.rows(); ++i) {
        feature.SetFID(OGRNullFID);
        for (size_t k = 0; k < t.columns.size(); ++k) {
            const Column& c = t.columns[k];
            const int f = static_cast<int>(k);
            if (c.is_null(i)) feature.SetFieldNull(f);
            else if (c.type == Column::Type::integer) feature.SetField(f, static_cast<GIntBig>(c.integers[i]));
            else if (c.type == Column::Type::real) feature.SetField(f, c.reals[i]);
            else feature.SetField(f, to_utf8(c.texts[i]).c_str());
        }
        OGRGeometry* geometry = nullptr;
        if (type == wkbNone) {
            // an attribute table: no geometry
        } else if (const GEOSGeometry* g = t.geometry[i]; g && type == wkbPoint && GEOSGeomTypeId_r(ctx, g) == GEOS_POINT && !GEOSisEmpty_r(ctx, g)) {
            // Points straight from their coordinates, without the WKB round trip below
            // (site_incidents can hold millions).
            double x = 0, y = 0;
            GEOSGeomGetX_r(ctx, g, &x);
            GEOSGeomGetY_r(ctx, g, &y);
            geometry = new OGRPoint(x, y);
        } else if (g) {
            size_t size = 0;
            unsigned char* wkb = GEOSGeomToWKB_buf_r(ctx, g, &size);
            OGRGeometryFactory::createFromWkb(wkb, nullptr, &geometry, size);
            GEOSFree_r(ctx, wkb);
            if (!geometry) throw IoError(fmt::format("{}: cannot convert the geometry of row {} of {}", path, i + 1, t.name));
            if (type == wkbMultiPolygon) geometry = OGRGeometryFactory::forceToMultiPolygon(geometry);
            else if (type == wkbMultiLineString) geometry = OGRGeometryFactory::forceToMultiLineString(geometry);
        }
        feature.SetGeometryDirectly(geometry);
        add(layer, feature, tx);
    }
    tx.commit();
}

void GeoPackageWriter::write_table(const Table& t) {
    Impl& w = *m_impl;
    check_table(t);
    OGRLayer* layer = w.create_table(t);
    if (t.geometry_kind == GeometryKind::none) {
        std::vector<std::string> names;
        for (const Column& c : t.columns) names.push_back(c.name);
        w.bulk.push_back(BulkRows{t.name, names, t.rows(), [columns = t.columns](size_t i, RowValues& v) {
                                      for (size_t k = 0; k < columns.size(); ++k) {
                                          const Column& c = columns[k];
                                          const int f = static_cast<int>(k);
                                          if (c.is_null(i)) v.null(f);
                                          else if (c.type == Column::Type::integer) v.integer(f, c.integers[i]);
                                          else if (c.type == Column::Type::real) v.real(f, c.reals[i]);
                                          else v.text(f, c.texts[i]);
                                      }
                                  }, {}, {}});
        return;
    }
    w.begin_layer(t.name, t.rows());
    w.add_rows(layer, t);
    w.end_layer();
}

void GeoPackageWriter::append_table(const Table& t) {
    Impl& w = *m_impl;
    check_table(t);
    const std::string signature = table_signature(t);
    OGRLayer* layer = nullptr;
    if (const auto it = w.appended.find(t.name); it != w.appended.end()) {
        if (it->second != signature)
            throw std::logic_error(fmt::format("table {}: appended with other columns or geometry than its layer has", t.name));
        layer = w.ds->GetLayerByName(t.name.c_str()); // looked up each time: adding a raster reopens the dataset
        if (!layer) throw IoError(fmt::format("{}: layer {} is no longer there: {}", w.path, t.name, gdal_message()));
    } else {
        if (w.ds->GetLayerByName(t.name.c_str())) throw std::logic_error(fmt::format("table {}: written already, not by append_table", t.name));
        layer = w.create_table(t);
        w.appended.emplace(t.name, signature);
    }
    // No stage of its own: the command appending batches shows its progress (safer site: the
    // sites reviewed and written), and a stage begun here would end that one.
    Progress* const progress = std::exchange(w.progress, nullptr);
    try {
        w.add_rows(layer, t);
    } catch (...) {
        w.progress = progress;
        throw;
    }
    w.progress = progress;
}

void GeoPackageWriter::prefer_style_field(const std::string& layer, const std::string& field) { m_impl->extras.style_fields[layer] = field; }

void GeoPackageWriter::set_time_range(const std::string& layer, Month first, Month after, int step_months) {
    m_impl->raster_times[layer] = {first_day(first), first_day(after)};
    m_impl->span(first, after, step_months);
}

void GeoPackageWriter::set_time_fields(const std::string& layer, const std::string& start_field, const std::string& end_field, Month first, Month after,
                                       int step_months) {
    m_impl->field_times[layer] = {start_field, end_field};
    m_impl->span(first, after, step_months);
}

void GeoPackageWriter::add_project_raster(const std::string& path, const std::string& name, const std::string& description, const std::string& style_qml,
                                          const Extent& extent) {
    m_impl->extra_rasters.push_back({path, name, description, style_qml, extent});
}

void GeoPackageWriter::set_project_path(const std::string& path) { m_impl->project = path; }

void GeoPackageWriter::set_metadata(const std::string& key, const std::string& value) {
    m_impl->ds->SetMetadataItem(key.c_str(), value.c_str()); // GDAL's own gpkg_metadata row, read by gdalinfo and ogrinfo
    m_impl->extras.run.emplace_back(key, value);             // and the ISO 19139 lineage record, at commit()
}

void GeoPackageWriter::record(const RunRecord& run) {
    nlohmann::ordered_json sha256 = nlohmann::ordered_json::object();
    for (const auto& [file, digest] : run.inputs) sha256[file] = digest;
    set_metadata("SAFER_VERSION", SAFER_VERSION);
    set_metadata("SAFER_COMMAND", run.command_line);
    set_metadata("SAFER_PARAMETERS", run.parameters_json);
    set_metadata("SAFER_INPUT_SHA256", sha256.dump());
    if (!run.project_file.empty()) { // safer run: the project file whole, so the run can be repeated from the output alone
        set_metadata("SAFER_PROJECT_FILE", run.project_file);
        set_metadata("SAFER_PROJECT_SHA256", run.project_sha256);
        set_metadata("SAFER_PROJECT_JOB", run.job);
        set_metadata("SAFER_PROJECT", run.project_text);
    }
}

namespace {

/// "MULTIPOLYGON" -> "MultiPolygon", as QGIS names WKB types.
std::string wkb_name(const std::string& gpkg_type) {
    static const std::map<std::string, std::string> names = {
        {"POINT", "Point"}, {"MULTIPOINT", "MultiPoint"}, {"LINESTRING", "LineString"}, {"MULTILINESTRING", "MultiLineString"},
        {"POLYGON", "Polygon"}, {"MULTIPOLYGON", "MultiPolygon"}, {"GEOMETRY", "Unknown"}};
    const auto it = names.find(gpkg_type);
    return it == names.end() ? "Unknown" : it->second;
}

qgis::Shape shape_of(const std::string& gpkg_type) {
    if (gpkg_type.find("POINT") != std::string::npos) return qgis::Shape::point;
    if (gpkg_type.find("LINE") != std::string::npos) return qgis::Shape::line;
    return gpkg_type.empty() ? qgis::Shape::none : qgis::Shape::polygon;
}

/// `path` as the project beside it refers to it: "./demo.gpkg", or relative to the project's folder.
std::string relative_source(const std::string& path, const std::string& project) {
    std::error_code ec;
    const fs::path dir = fs::absolute(fs::path(project), ec).parent_path();
    fs::path rel = fs::absolute(fs::path(path), ec).lexically_relative(dir);
    if (rel.empty()) rel = fs::absolute(fs::path(path), ec);
    const std::string text = rel.generic_string();
    return rel.is_absolute() || text.starts_with("..") ? text : "./" + text;
}

} // namespace

std::string GeoPackageWriter::Impl::project_qgs(const FinishedGeoPackage& finished, const std::string& raster_qml) const {
    qgis::Project p;
    p.title = fs::path(project).stem().string();
    p.crs = working_crs;
    const std::string file = relative_source(path, project);
    for (const Impl::ExtraRaster& r : extra_rasters) {
        qgis::ProjectLayer l;
        l.name = r.name;
        l.source = relative_source(r.path, project);
        l.provider = "gdal";
        l.kind = qgis::ProjectLayer::Kind::raster;
        l.style_qml = r.qml;
        l.description = r.description;
        if (!r.extent.empty()) l.extent = r.extent;
        p.layers.push_back(std::move(l));
    }
    for (const ContentsLayer& c : finished.layers) {
        qgis::ProjectLayer l;
        l.name = c.name;
        // The description, and each field's alias, name and description: QGIS 3.22 on GDAL 3.6
        // shows no field description of a GeoPackage, so the Information tab lists them.
        const auto abstract = finished.abstracts.find(c.name);
        l.description = abstract != finished.abstracts.end() ? abstract->second : c.description;
        if (c.has_extent && c.min_x <= c.max_x) l.extent = Extent{c.min_x, c.min_y, c.max_x, c.max_y};
        if (c.data_type == "2d-gridded-coverage") {
            l.kind = qgis::ProjectLayer::Kind::raster;
            l.source = fmt::format("GPKG:{}:{}", file, c.name);
            l.provider = "gdal";
            l.style_qml = raster_qml;
            if (const auto t = raster_times.find(c.name); t != raster_times.end()) l.time_start = t->second.first, l.time_end = t->second.second;
        } else {
            l.kind = c.data_type == "features" ? qgis::ProjectLayer::Kind::vector : qgis::ProjectLayer::Kind::table;
            l.source = fmt::format("{}|layername={}", file, c.name);
            l.provider = "ogr";
            l.shape = shape_of(c.geometry_type);
            l.wkb_type = wkb_name(c.geometry_type);
            if (const WrittenStyle* s = finished.default_style(c.name)) l.style_qml = s->style.qml;
            if (const auto t = finished.table_styles.find(c.name); t != finished.table_styles.end()) l.style_qml = t->second;
            if (const auto t = field_times.find(c.name); t != field_times.end()) l.start_field = t->second.first, l.end_field = t->second.second;
        }
        p.layers.push_back(std::move(l));
    }
    if (time_first && time_after && time_step > 0) {
        p.time_start = first_day(*time_first);
        p.time_end = first_day(*time_after);
        p.time_step_months = time_step;
    }
    return qgis::project_qgs(p);
}

void GeoPackageWriter::Impl::commit_geopackage(const FinishedGeoPackage& finished, const std::string& raster_qml) {
    if (!raster_qml.empty()) qgis::write_sidecar_style(path, raster_qml);
    StagedFiles staged(overwrite);
    staged.adopt(path, temp);
    if (!project.empty()) {
        if (progress) progress->begin(fmt::format("writing the QGIS project {}", project), 0);
        const std::string qgs = project_qgs(finished, raster_qml);
        const std::string project_temp = temporary_path(project);
        qgis::write_qgz(project_temp, project, fs::path(project).stem().string() + ".qgs", qgs);
        staged.adopt(project, project_temp);
        if (progress) progress->end();
    }
    // An existing output is replaced only when no other process holds it locked for writing.
    std::optional<ReplaceLock> lock;
    if (overwrite) lock.emplace(path);
    staged.commit();
}

void GeoPackageWriter::Impl::commit_other_format(const FinishedGeoPackage& finished) {
    std::string layer = main_layer;
    for (const ContentsLayer& c : finished.layers)
        if (layer.empty() && c.data_type == "features") layer = c.name;
    if (layer.empty()) throw IoError(fmt::format("{}: this command wrote no layer with geometry for {} to hold", path, format->name));
    // Written in the temporary folder under its final name (GDAL's CSV and Shapefile drivers go
    // by the extension), then each file is copied beside its final path and moved into place.
    const fs::path staging = fs::path(process_temp_dir()) / fmt::format("{}-{}", format->driver == "ESRI Shapefile" ? "shp" : "out", fs::path(temp).stem().string());
    std::error_code ec;
    fs::remove_all(staging, ec);
    fs::create_directories(staging, ec);
    // GDAL's FlatGeobuf, CSV and Shapefile drivers take a name without their extension for a
    // folder of layers, so the file is written under the format's own extension (whatever -o with
    // --format calls it) and copied to -o's name.
    const std::string staged_file = (staging / (fs::path(path).stem().string() + format->extensions.front())).string();
    if (progress) progress->begin(fmt::format("writing {} ({}, layer {})", path, format->name, layer), 1000);
    GDALDatasetUniquePtr source(GDALDataset::Open(temp.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    if (!source) throw IoError(fmt::format("{}: cannot reopen the layers to translate: {}", path, gdal_message()));
    CPLStringList args;
    for (const char* a : {"-f", format->driver.c_str()}) args.AddString(a);
    if (format->driver == "CSV") args.AddString("-lco"), args.AddString("GEOMETRY=AS_WKT");
    if (format->driver == "ESRI Shapefile") args.AddString("-lco"), args.AddString("ENCODING=UTF-8");
    args.AddString(layer.c_str());
    GDALVectorTranslateOptions* options = GDALVectorTranslateOptionsNew(args.List(), nullptr);
    GDALVectorTranslateOptionsSetProgress(options, gdal_progress, progress);
    GDALDatasetH in = GDALDataset::ToHandle(source.get());
    int usage_error = 0;
    clear_gdal_error();
    GDALDatasetUniquePtr out(GDALDataset::FromHandle(GDALVectorTranslate(staged_file.c_str(), nullptr, 1, &in, options, &usage_error)));
    GDALVectorTranslateOptionsFree(options);
    if (!out) throw IoError(fmt::format("{}: writing {} failed: {}", path, format->name, write_failure(staged_file)));
    // The names the format kept (Shapefile cuts them to 10 characters), for the style.
    std::map<std::string, std::string> renamed;
    OGRLayer* written = out->GetLayer(0);
    OGRLayer* original = source->GetLayerByName(layer.c_str());
    if (written && original && written->GetLayerDefn()->GetFieldCount() == original->GetLayerDefn()->GetFieldCount())
        for (int i = 0; i < written->GetLayerDefn()->GetFieldCount(); ++i) {
            const std::string before = original->GetLayerDefn()->GetFieldDefn(i)->GetNameRef();
            const std::string after = written->GetLayerDefn()->GetFieldDefn(i)->GetNameRef();
            if (before != after) renamed[before] = after;
        }
    clear_gdal_error();
    out.reset();
    if (CPLGetLastErrorType() >= CE_Failure) throw IoError(fmt::format("{}: finishing the {} failed: {}", path, format->name, write_failure(staged_file)));
    if (progress) progress->end();
    StagedFiles staged(overwrite);
    const auto adopt_copy = [&](const std::string& from, const std::string& to) {
        const std::string t = temporary_path(to);
        fs::copy_file(from, t, fs::copy_options::overwrite_existing, ec);
        if (ec) {
            fs::remove(t, ec);
            throw IoError(fmt::format("{}: cannot write: {}", to, write_failure(to)));
        }
        staged.adopt(to, t);
    };
    adopt_copy(staged_file, path);
    for (const std::string& ext : format->companions) {
        const fs::path from = fs::path(staged_file).replace_extension(ext);
        if (fs::exists(from, ec)) adopt_copy(from.string(), (fs::path(path).replace_extension(ext)).string());
    }
    if (const WrittenStyle* s = finished.default_style(layer)) staged.stage(style_path(path), qgis::rename_fields(s->style.qml, renamed));
    staged.commit();
    fs::remove_all(staging, ec);
}

void GeoPackageWriter::commit() {
    Impl& w = *m_impl;
    clear_gdal_error();
    w.ds.reset(); // closes the file; GDAL 3.6 reports a failure only through the error state
    if (CPLGetLastErrorType() >= CE_Failure)
        throw IoError(fmt::format("{}: finishing the GeoPackage failed: {}", w.path, write_failure(w.path)));
    insert_rows(w.temp, w.bulk, w.progress); // while a raster's tiles may still be encoded
    w.bulk.clear();
    w.insert_pending_tiles();
    if (w.progress) w.progress->begin(fmt::format("finishing {}: descriptions, QGIS styles, metadata", w.path), 0);
    const FinishedGeoPackage finished = finish_geopackage(w.temp, w.extras);
    if (w.progress) w.progress->end();
    if (w.postgis) {
        publish_to_postgis(w.temp, *w.postgis, w.overwrite, w.extras.run);
        remove_quietly(w.temp);
    } else if (!w.format->is_geopackage()) {
        w.commit_other_format(finished);
        remove_quietly(w.temp);
    } else {
        const std::string raster_qml = w.raster_style.valid() ? w.raster_style.get() : "";
        w.commit_geopackage(finished, raster_qml);
    }
    w.committed = true;
    w.cleanup.reset();
}

} // namespace safer::layers
