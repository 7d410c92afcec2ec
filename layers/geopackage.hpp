#pragma once
// Writing results: GeoPackage layers (and CSV tables), atomically.
#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "engine/area_stats.hpp"
#include "engine/areas.hpp"
#include "engine/crime_types.hpp"
#include "engine/incidents.hpp"
#include "engine/kde.hpp"
#include "engine/month.hpp"
#include "engine/progress.hpp"
#include "engine/rejects.hpp"
#include "layers/output_files.hpp"
#include "layers/table.hpp"

namespace safer::layers {

/// A GeoPackage written to a temporary file beside the final path and renamed into place by
/// commit(), so the final path holds either the previous file or the complete new one. A writer
/// destroyed without commit() removes its temporary file. `path` may also be a PostgreSQL
/// connection, PG:"dbname=... host=... active_schema=S": the same layers then go into schema S.
/// What made an output: recorded in its metadata and shown in reports.
struct RunRecord {
    std::string command_line;                                 // as typed, passwords hidden
    std::vector<std::pair<std::string, std::string>> inputs; // each file read, with its SHA-256
    std::string parameters_json;
    /// Under safer run: the project file (its path, SHA-256 and text) and the job's name.
    std::string project_file, project_sha256, project_text, job;
};

/// The layers go to `output.path` in its format (output_format: a GeoPackage, PostGIS, or a
/// one-layer format such as FlatGeobuf, which gets the main layer and a .qml style beside it);
/// they are always built as a GeoPackage first, so every format gets the same tables, styles and
/// checks. A GeoPackage gets its QGIS project (.qgz) beside it, moved into place with it.
/// `progress`, if given, shows each layer's write with its percentage.
class GeoPackageWriter {
public:
    GeoPackageWriter(const OutputPath& output, bool overwrite, std::string working_crs, Progress* progress = nullptr);
    /// A GeoPackage or PostGIS output named by `path`, with no progress shown.
    GeoPackageWriter(std::string path, bool overwrite, std::string working_crs);
    ~GeoPackageWriter();
    GeoPackageWriter(const GeoPackageWriter&) = delete;
    GeoPackageWriter& operator=(const GeoPackageWriter&) = delete;

    /// `area_of` may be empty (ingest: no areas); `areas` then may be null. The rows are written
    /// at commit(), so `incidents`, `area_of` and `areas` must live until then.
    void write_incidents(const Incidents& incidents, const CrimeTypes& types, const std::vector<CrimeGroup>& groups,
                         const std::vector<int32_t>& area_of, const Areas* areas);
    void write_rejects(const Rejects& rejects, const std::vector<std::string>& sources);
    void write_area_months(const Areas& areas, const std::vector<AreaMonthCount>& rows, const std::vector<CrimeGroup>& groups);
    /// A Float32 raster layer (GeoPackage 2D gridded coverage, TIFF tiles), row 0 north. Its tiles
    /// are encoded meanwhile from `values` itself (no copy: a national grid is hundreds of MB), so
    /// `values` must stay alive and unchanged until the next write_raster() or commit().
    void write_raster(const std::string& name, const std::string& description, const Grid& grid,
                      const std::vector<float>& values, float nodata);
    /// The hotspot-class polygons of density surfaces: one feature per class (top 1, 5, 10 %) and
    /// period, each the union of the class's cells (nested: top 5 % includes top 1 %).
    struct ClassSurface {
        std::string period; // "all", "2023-04", "2023-Q2"
        const Grid* grid;
        const kde::Hotspots* hotspots;
    };
    void write_kde_classes(const std::string& name, const std::string& description, const std::vector<ClassSurface>& surfaces);
    /// Any result table: features (point, line or polygon layers, written as multi-geometries for
    /// polygons and lines) through OGR, attribute-only tables by bulk SQLite insert.
    void write_table(const Table& table);
    /// Adds the rows of `table` to its layer: the first call for a name creates the layer (its
    /// description, fields and field descriptions, once), later calls add rows, and must bring the
    /// same columns (std::logic_error otherwise, and for a name written by write_table). A command
    /// can so write a layer in batches and let each go once written (safer site). Rows go through
    /// OGR, each call in its own transaction, attribute tables included. It shows no progress stage
    /// of its own: the command appending shows one over all its batches.
    void append_table(const Table& table);
    /// The field the default QGIS style of `layer` shows (the chooser in qgis_styles decides the
    /// style's kind from the field and puts its own choices after it).
    void prefer_style_field(const std::string& layer, const std::string& field);
    /// For QGIS's temporal controller: raster `layer` shows the months [first, after); the
    /// project steps through the months by `step_months` (1 by month, 3 by quarter).
    void set_time_range(const std::string& layer, Month first, Month after, int step_months);
    /// For QGIS's temporal controller: each feature of `layer` shows from the date in
    /// `start_field` until the one in `end_field` (ISO dates as text, the end excluded); the
    /// layer spans the months [first, after).
    void set_time_fields(const std::string& layer, const std::string& start_field, const std::string& end_field, Month first, Month after,
                         int step_months);
    /// A raster file that belongs to this output (safer kde -o OUT.tif beside its classes
    /// GeoPackage): the QGIS project shows it too, styled by `style_qml`.
    void add_project_raster(const std::string& path, const std::string& name, const std::string& description, const std::string& style_qml,
                            const Extent& extent);
    /// Where the QGIS project goes: beside the GeoPackage by default (project_path); "" for none.
    void set_project_path(const std::string& path);
    /// Recorded in the GeoPackage metadata (gpkg_metadata): GDAL's metadata items and an ISO 19139
    /// lineage record built from SAFER_VERSION, SAFER_COMMAND, SAFER_PARAMETERS, SAFER_INPUT_SHA256.
    void set_metadata(const std::string& key, const std::string& value);
    /// The run's record: the command line (passwords hidden), safer's version, the parameters and
    /// each input file's SHA-256, as metadata items (set_metadata).
    void record(const RunRecord& run);
    /// Finishes the output: field descriptions (gpkg_data_columns), default QGIS styles
    /// (layer_styles; a .qml beside the GeoPackage for its rasters) and the lineage metadata, then
    /// renames it into place with its QGIS project, or, for a PG: output, copies it into the schema
    /// in one transaction (layers/postgis.hpp), or writes the main layer in the output's format
    /// (GDAL's VectorTranslate) with its style beside it.
    void commit();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// The crime group each type is labelled with in the `incidents` layer: the first of the groups
/// (in their given order) that holds it, leaving out the catch-all "all"; "other" when none does.
std::vector<std::string> label_groups(const std::vector<CrimeGroup>& groups, const CrimeTypes& types);

} // namespace safer::layers
