#include "layers/gpkg_schema.hpp"

#include <fmt/core.h>
#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "engine/errors.hpp"
#include "layers/xml.hpp"

namespace safer::layers {

void SqliteClose::operator()(sqlite3* db) const noexcept { sqlite3_close(db); }
void SqliteFinalize::operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }

std::string sql_identifier(const std::string& name) {
    std::string q = "\"";
    for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

namespace {

using Statement = SqliteStatement;

/// Opens `path` read-write. The handle is owned even when the open fails (SQLite allocates one
/// to carry the error message).
SqliteConnection open_connection(const std::string& path, int& rc) {
    sqlite3* db = nullptr;
    rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    return SqliteConnection(db);
}


/// An open SQLite connection whose failures throw IoError naming the GeoPackage.
class Db {
public:
    explicit Db(const std::string& path) : m_path(path) {
        int rc = SQLITE_OK;
        m_db = open_connection(path, rc);
        if (rc != SQLITE_OK)
            throw IoError(fmt::format("{}: cannot open the GeoPackage to finish it: {}", path, m_db ? sqlite3_errmsg(m_db.get()) : "cannot open"));
    }

    IoError fail(const std::string& what) const { return IoError(fmt::format("{}: {}: {}", m_path, what, sqlite3_errmsg(m_db.get()))); }
    void exec(const std::string& sql) const {
        if (sqlite3_exec(m_db.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) throw fail(sql.substr(0, 80));
    }
    Statement prepare(const std::string& sql) const {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(m_db.get(), sql.c_str(), -1, &s, nullptr) != SQLITE_OK) throw fail("cannot prepare " + sql.substr(0, 80));
        return Statement(s);
    }
    bool table_exists(const std::string& name) const {
        Statement q = prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
        sqlite3_bind_text(q.get(), 1, name.c_str(), -1, SQLITE_TRANSIENT);
        return sqlite3_step(q.get()) == SQLITE_ROW;
    }
    /// Runs a statement with text (or NULL, for nullopt) parameters.
    void run(const std::string& sql, const std::vector<std::optional<std::string>>& params) const {
        Statement s = prepare(sql);
        for (size_t i = 0; i < params.size(); ++i) {
            const int k = static_cast<int>(i) + 1;
            if (params[i]) sqlite3_bind_text(s.get(), k, params[i]->data(), static_cast<int>(params[i]->size()), SQLITE_TRANSIENT);
            else sqlite3_bind_null(s.get(), k);
        }
        if (sqlite3_step(s.get()) != SQLITE_DONE) throw fail("cannot run " + sql.substr(0, 80));
    }
    sqlite3* get() const { return m_db.get(); }
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
    SqliteConnection m_db;
};

std::string text_column(sqlite3_stmt* s, int i) {
    const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return t ? t : "";
}

class SqliteValues : public qgis::LayerValues {
public:
    SqliteValues(const Db& db, std::string table) : m_db(db), m_table(std::move(table)) {}
    std::vector<double> sorted_numbers(const std::string& field) const override {
        Statement q = m_db.prepare(fmt::format("SELECT {0} FROM {1} WHERE typeof({0}) IN ('integer', 'real') ORDER BY {0}", sql_identifier(field), sql_identifier(m_table)));
        std::vector<double> v;
        while (sqlite3_step(q.get()) == SQLITE_ROW) v.push_back(sqlite3_column_double(q.get(), 0));
        return v;
    }
    std::vector<std::string> distinct(const std::string& field, size_t limit) const override {
        Statement q = m_db.prepare(fmt::format("SELECT DISTINCT CAST({0} AS TEXT) FROM {1} WHERE {0} IS NOT NULL ORDER BY 1 LIMIT {2}",
                                               sql_identifier(field), sql_identifier(m_table), limit));
        std::vector<std::string> v;
        while (sqlite3_step(q.get()) == SQLITE_ROW) v.push_back(text_column(q.get(), 0));
        return v;
    }

private:
    const Db& m_db;
    std::string m_table;
};

struct LayerRow {
    qgis::LayerInfo info;
    std::string geometry_column;
    std::string description;
};

qgis::Shape shape_of(std::string type) {
    for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (type.find("POINT") != std::string::npos) return qgis::Shape::point;
    if (type.find("LINE") != std::string::npos || type.find("CURVE") != std::string::npos) return qgis::Shape::line;
    return qgis::Shape::polygon;
}

/// The feature layers, or with `tables` the tables without geometry, with their fields.
std::vector<LayerRow> vector_layers(const Db& db, const std::vector<FieldNote>& notes, bool tables = false) {
    std::vector<LayerRow> layers;
    Statement q = db.prepare(tables ? "SELECT c.table_name, '', '', coalesce(c.description, '') FROM gpkg_contents c WHERE c.data_type = 'attributes' "
                                      "AND c.table_name <> 'layer_styles' ORDER BY c.rowid"
                                    : "SELECT c.table_name, g.column_name, g.geometry_type_name, coalesce(c.description, '') FROM gpkg_contents c "
                                      "JOIN gpkg_geometry_columns g ON g.table_name = c.table_name WHERE c.data_type = 'features' ORDER BY c.rowid");
    while (sqlite3_step(q.get()) == SQLITE_ROW) {
        LayerRow row;
        row.info.name = text_column(q.get(), 0);
        row.info.description = text_column(q.get(), 3);
        row.geometry_column = text_column(q.get(), 1);
        row.info.shape = tables ? qgis::Shape::none : shape_of(text_column(q.get(), 2));
        row.description = text_column(q.get(), 3);
        layers.push_back(std::move(row));
    }
    for (LayerRow& row : layers) {
        Statement columns = db.prepare(fmt::format("PRAGMA table_info({})", sql_identifier(row.info.name)));
        while (sqlite3_step(columns.get()) == SQLITE_ROW) {
            qgis::Field f;
            f.name = text_column(columns.get(), 1);
            std::string type = text_column(columns.get(), 2);
            for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            const bool primary = sqlite3_column_int(columns.get(), 5) != 0;
            if (primary || f.name == row.geometry_column) continue;
            f.integer = type.find("INT") != std::string::npos;
            f.numeric = f.integer || type == "REAL" || type == "FLOAT" || type == "DOUBLE";
            for (const FieldNote& n : notes)
                if (n.table == row.info.name && n.column == f.name) f.description = n.description;
            row.info.fields.push_back(std::move(f));
        }
    }
    return layers;
}

// ---- gpkg_data_columns ---------------------------------------------------------------------------

void write_data_columns(const Db& db, const std::vector<FieldNote>& notes) {
    if (notes.empty()) return;
    if (!db.table_exists("gpkg_data_columns"))
        db.exec("CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, "
                "description TEXT, mime_type TEXT, constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
                "CONSTRAINT gdc_tn UNIQUE (table_name, name))");
    if (!db.table_exists("gpkg_data_column_constraints"))
        db.exec("CREATE TABLE gpkg_data_column_constraints (constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT, "
                "min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, description TEXT, "
                "CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))");
    for (const char* table : {"gpkg_data_columns", "gpkg_data_column_constraints"})
        db.run("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) SELECT ?, NULL, 'gpkg_schema', "
               "'http://www.geopackage.org/spec121/#extension_schema', 'read-write' WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions "
               "WHERE table_name = ? AND extension_name = 'gpkg_schema')",
               {table, table});
    // The description only: GDAL reads `name` as the field's alias, which QGIS would then show
    // in place of the field name.
    for (const FieldNote& n : notes)
        db.run("INSERT INTO gpkg_data_columns (table_name, column_name, description) VALUES (?, ?, ?) "
               "ON CONFLICT (table_name, column_name) DO UPDATE SET description = excluded.description",
               {n.table, n.column, n.description});
}

// ---- layer_styles --------------------------------------------------------------------------------

void create_layer_styles(const Db& db) {
    if (db.table_exists("layer_styles")) return;
    // As QGIS creates it in a GeoPackage (through GDAL): registered as an attribute table, with
    // GDAL's feature-count triggers.
    db.exec("CREATE TABLE \"layer_styles\" ( \"id\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"f_table_catalog\" TEXT(256), "
            "\"f_table_schema\" TEXT(256), \"f_table_name\" TEXT(256), \"f_geometry_column\" TEXT(256), \"styleName\" TEXT(30), "
            "\"styleQML\" TEXT, \"styleSLD\" TEXT, \"useAsDefault\" BOOLEAN, \"description\" TEXT, \"owner\" TEXT(30), \"ui\" TEXT(30), "
            "\"update_time\" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))");
    db.exec("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) VALUES ('layer_styles', "
            "'attributes', 'layer_styles', 'Default QGIS styles of the layers (QML)', strftime('%Y-%m-%dT%H:%M:%fZ','now'), 0)");
    if (db.table_exists("gpkg_ogr_contents")) {
        db.exec("INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES ('layer_styles', 0)");
        db.exec("CREATE TRIGGER \"trigger_insert_feature_count_layer_styles\" AFTER INSERT ON \"layer_styles\" BEGIN UPDATE gpkg_ogr_contents "
                "SET feature_count = feature_count + 1 WHERE lower(table_name) = lower('layer_styles'); END");
        db.exec("CREATE TRIGGER \"trigger_delete_feature_count_layer_styles\" AFTER DELETE ON \"layer_styles\" BEGIN UPDATE gpkg_ogr_contents "
                "SET feature_count = feature_count - 1 WHERE lower(table_name) = lower('layer_styles'); END");
    }
}

std::vector<WrittenStyle> write_styles(const Db& db, const GeoPackageExtras& extras) {
    std::vector<WrittenStyle> written;
    for (LayerRow& layer : vector_layers(db, extras.fields)) {
        if (const auto f = extras.style_fields.find(layer.info.name); f != extras.style_fields.end()) layer.info.preferred_field = f->second;
        const SqliteValues values(db, layer.info.name);
        std::vector<qgis::Style> styles = qgis::vector_styles(layer.info, values);
        for (size_t i = 0; i < styles.size(); ++i)
            written.push_back(WrittenStyle{layer.info.name, layer.geometry_column, std::move(styles[i]), i == 0});
    }
    if (written.empty()) return written;
    create_layer_styles(db);
    for (const WrittenStyle& w : written) {
        db.run("DELETE FROM layer_styles WHERE f_table_name = ? AND f_geometry_column = ? AND styleName = ?",
               {w.table, w.geometry_column, w.style.name});
        db.run("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
               "useAsDefault, description, owner, ui) VALUES ('', '', ?, ?, ?, ?, NULL, ?, ?, '', NULL)",
               {w.table, w.geometry_column, w.style.name, w.style.qml, w.is_default ? "1" : "0", w.style.description});
    }
    return written;
}

// ---- gpkg_metadata -------------------------------------------------------------------------------

std::string utc_now() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

/// An ISO 19115 record (ISO 19139 XML) of the GeoPackage: its layers, CRS and lineage.
std::string iso_metadata(const Db& db, const GeoPackageExtras& extras) {
    std::string version, command, parameters, others;
    nlohmann::json inputs = nlohmann::json::object();
    for (const auto& [key, value] : extras.run) {
        if (key == "SAFER_VERSION") version = value;
        else if (key == "SAFER_COMMAND") command = value;
        else if (key == "SAFER_PARAMETERS") parameters = value;
        else if (key == "SAFER_INPUT_SHA256") inputs = nlohmann::json::parse(value, nullptr, false);
        else others += fmt::format("\n{}: {}", key, value);
    }
    std::string abstract = "Layers:";
    std::string crs;
    {
        Statement q = db.prepare("SELECT c.table_name, c.data_type, coalesce(c.description, ''), s.organization, s.organization_coordsys_id "
                                 "FROM gpkg_contents c LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = c.srs_id "
                                 "WHERE c.table_name <> 'layer_styles' ORDER BY c.rowid");
        while (sqlite3_step(q.get()) == SQLITE_ROW) {
            abstract += fmt::format("\n{} ({}): {}", text_column(q.get(), 0), text_column(q.get(), 1), text_column(q.get(), 2));
            const std::string org = text_column(q.get(), 3);
            if (crs.empty() && !org.empty() && org != "NONE") crs = fmt::format("{}:{}", org, sqlite3_column_int(q.get(), 4));
        }
    }
    const std::string now = utc_now();
    const auto character_string = [](xml::Element parent, std::string_view text) { parent.child("gco:CharacterString", text); };
    const auto date_time = [&](xml::Element parent) { parent.child("gco:DateTime", now); };
    const auto code = [](xml::Element parent, const char* list, const char* value) {
        parent.child(fmt::format("gmd:{}", list), value)
            .attribute("codeList", fmt::format("http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#{}", list))
            .attribute("codeListValue", value);
    };

    xml::Document doc("gmd:MD_Metadata", xml::Prolog{true, {}, {}});
    xml::Element md = doc.root();
    md.attribute("xmlns:gmd", "http://www.isotc211.org/2005/gmd").attribute("xmlns:gco", "http://www.isotc211.org/2005/gco");
    character_string(md.child("gmd:language"), "eng");
    code(md.child("gmd:hierarchyLevel"), "MD_ScopeCode", "dataset");
    md.child("gmd:contact").attribute("gco:nilReason", "unknown");
    date_time(md.child("gmd:dateStamp"));
    character_string(md.child("gmd:metadataStandardName"), "ISO 19115:2003/19139");
    if (!crs.empty())
        character_string(md.child("gmd:referenceSystemInfo").child("gmd:MD_ReferenceSystem").child("gmd:referenceSystemIdentifier")
                             .child("gmd:RS_Identifier").child("gmd:code"),
                         crs);

    xml::Element identification = md.child("gmd:identificationInfo").child("gmd:MD_DataIdentification");
    xml::Element citation = identification.child("gmd:citation").child("gmd:CI_Citation");
    character_string(citation.child("gmd:title"), extras.title);
    xml::Element created = citation.child("gmd:date").child("gmd:CI_Date");
    date_time(created.child("gmd:date"));
    code(created.child("gmd:dateType"), "CI_DateTypeCode", "creation");
    character_string(identification.child("gmd:abstract"), abstract);
    character_string(identification.child("gmd:language"), "eng");

    xml::Element quality = md.child("gmd:dataQualityInfo").child("gmd:DQ_DataQuality");
    code(quality.child("gmd:scope").child("gmd:DQ_Scope").child("gmd:level"), "MD_ScopeCode", "dataset");
    xml::Element lineage = quality.child("gmd:lineage").child("gmd:LI_Lineage");
    character_string(lineage.child("gmd:statement"), fmt::format("Written by safer {} from the inputs listed, whose SHA-256 digests are given", version));
    xml::Element step = lineage.child("gmd:processStep").child("gmd:LI_ProcessStep");
    character_string(step.child("gmd:description"), fmt::format("Command line: {}", command));
    character_string(step.child("gmd:rationale"), fmt::format("Parameters (JSON): {}{}", parameters, others));
    date_time(step.child("gmd:dateTime"));
    if (inputs.is_object())
        for (const auto& [file, digest] : inputs.items())
            character_string(lineage.child("gmd:source").child("gmd:LI_Source").child("gmd:description"),
                             fmt::format("{} (SHA-256 {})", file, digest.is_string() ? digest.get<std::string>() : digest.dump()));
    return doc.str();
}

void write_metadata(const Db& db, const GeoPackageExtras& extras) {
    if (extras.run.empty()) return;
    if (!db.table_exists("gpkg_metadata")) {
        db.exec("CREATE TABLE gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, md_scope TEXT NOT NULL DEFAULT 'dataset', "
                "md_standard_uri TEXT NOT NULL, mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')");
        db.exec("CREATE TABLE gpkg_metadata_reference (reference_scope TEXT NOT NULL, table_name TEXT, column_name TEXT, row_id_value INTEGER, "
                "timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT NULL, md_parent_id INTEGER, "
                "CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id), "
                "CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id))");
    }
    for (const char* table : {"gpkg_metadata", "gpkg_metadata_reference"})
        db.run("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) SELECT ?, NULL, 'gpkg_metadata', "
               "'http://www.geopackage.org/spec120/#extension_metadata', 'read-write' WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions "
               "WHERE table_name = ? AND extension_name = 'gpkg_metadata')",
               {table, table});
    db.run("INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) VALUES ('dataset', 'http://www.isotc211.org/2005/gmd', "
           "'text/xml', ?)",
           {iso_metadata(db, extras)});
    db.exec("INSERT INTO gpkg_metadata_reference (reference_scope, table_name, column_name, row_id_value, md_file_id) VALUES ('geopackage', "
            "NULL, NULL, NULL, last_insert_rowid())");
}

} // namespace

const WrittenStyle* FinishedGeoPackage::default_style(const std::string& layer) const {
    for (const WrittenStyle& s : styles)
        if (s.table == layer && s.is_default) return &s;
    return nullptr;
}

namespace {

std::vector<ContentsLayer> contents(const Db& db) {
    std::vector<ContentsLayer> layers;
    Statement q = db.prepare("SELECT c.table_name, c.data_type, coalesce(g.geometry_type_name, ''), coalesce(c.description, ''), c.min_x, c.min_y, "
                             "c.max_x, c.max_y FROM gpkg_contents c LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
                             "WHERE c.table_name <> 'layer_styles' ORDER BY c.rowid");
    while (sqlite3_step(q.get()) == SQLITE_ROW) {
        ContentsLayer l;
        l.name = text_column(q.get(), 0);
        l.data_type = text_column(q.get(), 1);
        l.geometry_type = text_column(q.get(), 2);
        l.description = text_column(q.get(), 3);
        l.has_extent = sqlite3_column_type(q.get(), 4) != SQLITE_NULL && sqlite3_column_type(q.get(), 7) != SQLITE_NULL;
        if (l.has_extent) {
            l.min_x = sqlite3_column_double(q.get(), 4), l.min_y = sqlite3_column_double(q.get(), 5);
            l.max_x = sqlite3_column_double(q.get(), 6), l.max_y = sqlite3_column_double(q.get(), 7);
        }
        layers.push_back(std::move(l));
    }
    return layers;
}

} // namespace

FinishedGeoPackage finish_geopackage(const std::string& path, const GeoPackageExtras& extras) {
    Db db(path);
    // A temporary file that is renamed into place only when complete: a crash loses nothing a
    // journal would keep.
    db.exec("PRAGMA journal_mode=OFF");
    db.exec("PRAGMA synchronous=OFF");
    db.exec("BEGIN");
    write_data_columns(db, extras.fields);
    FinishedGeoPackage finished;
    finished.styles = write_styles(db, extras);
    for (const LayerRow& table : vector_layers(db, extras.fields, true)) {
        finished.table_styles[table.info.name] = qgis::table_qml(table.info);
        finished.abstracts[table.info.name] = qgis::layer_abstract(table.info);
    }
    for (const LayerRow& layer : vector_layers(db, extras.fields)) finished.abstracts[layer.info.name] = qgis::layer_abstract(layer.info);
    write_metadata(db, extras);
    db.exec("COMMIT");
    finished.layers = contents(db);
    return finished;
}

ReplaceLock::ReplaceLock(const std::string& path, int wait_ms) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return;
    // A GeoPackage in WAL mode that a program has open (QGIS switches to WAL when editing) has its
    // -wal and -shm files beside it, found by name: a new file renamed into place would inherit
    // them, and the other program's writes, and be corrupted.
    if (std::filesystem::exists(path + "-wal", ec) || std::filesystem::exists(path + "-shm", ec))
        throw IoError(fmt::format("{}: the GeoPackage is open in another program that may write it ({}-wal is beside it: QGIS editing a "
                                  "layer, for one); stop editing or close it there and run again. The file is unchanged. (If no "
                                  "program has it open, sqlite3 '{}' 'PRAGMA journal_mode=DELETE' clears them.)",
                                  path, std::filesystem::path(path).filename().string(), path));
    int rc = SQLITE_OK;
    SqliteConnection db = open_connection(path, rc);
    if (rc != SQLITE_OK) return; // not ours to judge: the rename replaces it
    sqlite3_busy_timeout(db.get(), wait_ms);
    rc = sqlite3_exec(db.get(), "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        throw IoError(fmt::format("{}: the GeoPackage is locked by another process (QGIS editing a layer, or another program writing it); "
                                  "finish or close it there and run again. The file is unchanged",
                                  path));
    if (rc != SQLITE_OK) return; // not an SQLite file, or unreadable: the rename replaces it all the same
    m_db = std::move(db);
}

ReplaceLock::~ReplaceLock() {
    if (m_db) sqlite3_exec(m_db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

} // namespace safer::layers
