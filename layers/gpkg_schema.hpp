#pragma once
// What a GeoPackage needs beyond GDAL 3.6's layers for QGIS users and catalogue tools, added with
// SQLite once GDAL has closed the file:
//   - field descriptions in gpkg_data_columns (the GeoPackage schema extension; GDAL 3.6 writes
//     only aliases there);
//   - default QGIS styles in layer_styles, the table as QGIS itself creates it in a GeoPackage,
//     with f_table_catalog and f_table_schema '' (QGIS ignores rows with NULL there) and
//     f_geometry_column the layer's geometry column;
//   - the run's lineage (command line, parameters, version, SHA-256 of every input) as an ISO
//     19139 document in gpkg_metadata referenced from the whole GeoPackage. GDAL's own metadata
//     row (http://gdal.org, GDALMultiDomainMetadata) stays beside it for GDAL tools.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "layers/qgis_styles.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace safer::layers {

/// Closes an SQLite connection (sqlite3_close): the owner of every connection opened here.
struct SqliteClose {
    void operator()(sqlite3* db) const noexcept;
};
using SqliteConnection = std::unique_ptr<sqlite3, SqliteClose>;
/// Finalizes a prepared statement (sqlite3_finalize).
struct SqliteFinalize {
    void operator()(sqlite3_stmt* statement) const noexcept;
};
using SqliteStatement = std::unique_ptr<sqlite3_stmt, SqliteFinalize>;
/// A table or column name quoted for SQL: "name", with any " doubled.
std::string sql_identifier(const std::string& name);

struct FieldNote {
    std::string table;
    std::string column;
    std::string description;
};

struct GeoPackageExtras {
    std::vector<FieldNote> fields;
    /// The run's metadata items as GeoPackageWriter::set_metadata received them (SAFER_COMMAND,
    /// SAFER_PARAMETERS, SAFER_VERSION, SAFER_INPUT_SHA256, ...).
    std::vector<std::pair<std::string, std::string>> run;
    /// layer -> the field its default style should show.
    std::map<std::string, std::string> style_fields;
    /// The name the GeoPackage will have (its title in the metadata).
    std::string title;
};

/// A style as written to layer_styles.
struct WrittenStyle {
    std::string table;
    std::string geometry_column;
    qgis::Style style;
    bool is_default = false;
};

/// A layer of a finished GeoPackage, as gpkg_contents lists it.
struct ContentsLayer {
    std::string name;
    std::string data_type;     // features, attributes, 2d-gridded-coverage
    std::string geometry_type; // features: MULTIPOLYGON, POINT, ...
    std::string description;
    bool has_extent = false;
    double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
};

struct FinishedGeoPackage {
    std::vector<ContentsLayer> layers; // in the order written, layer_styles left out
    std::vector<WrittenStyle> styles;  // every style of every vector layer, each layer's default first
    std::map<std::string, std::string> table_styles; // tables without geometry: their fields' aliases (qgis::table_qml)
    std::map<std::string, std::string> abstracts;    // every table: its description and its fields' (qgis::layer_abstract)
    /// The default style of `layer`, or null.
    const WrittenStyle* default_style(const std::string& layer) const;
};

/// Adds data-column descriptions, styles for every vector layer (with each field's alias and
/// description, qgis::field_alias) and the lineage metadata to the closed GeoPackage at `path`,
/// in one SQLite transaction. Throws IoError naming the file.
FinishedGeoPackage finish_geopackage(const std::string& path, const GeoPackageExtras& extras);

/// Holds an exclusive SQLite lock on an existing GeoPackage while it is replaced, so that no
/// other process is writing it when it goes (QGIS editing a layer, another run). Throws IoError
/// naming the file if another process holds it locked for `wait_ms`, or has it open in WAL mode
/// (its -wal or -shm file is there, as while QGIS edits it). A path that does not exist or is not
/// an SQLite file takes no lock.
class ReplaceLock {
public:
    ReplaceLock(const std::string& path, int wait_ms = 2000);
    ~ReplaceLock();
    ReplaceLock(const ReplaceLock&) = delete;
    ReplaceLock& operator=(const ReplaceLock&) = delete;

private:
    SqliteConnection m_db; // null when no lock is held
};

} // namespace safer::layers
