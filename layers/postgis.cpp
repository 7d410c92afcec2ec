#include "layers/postgis.hpp"

#include "layers/gpkg_schema.hpp"

#include <fmt/core.h>
#include <gdal_priv.h>
#include <libpq-fe.h>
#include <ogrsf_frmts.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <regex>

#include "engine/errors.hpp"
#include "layers/gdal_session.hpp"

namespace safer::layers {

namespace {

// ---- Connection strings -------------------------------------------------------------------------

struct Pair {
    std::string key, value;
};

/// libpq's keyword = value syntax: values bare or single-quoted with \' and \\ escapes.
std::vector<Pair> tokenize(std::string_view text, const std::string& whole) {
    std::vector<Pair> pairs;
    size_t i = 0;
    const auto skip_space = [&] {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    };
    while (true) {
        skip_space();
        if (i >= text.size()) break;
        const size_t key_start = i;
        while (i < text.size() && text[i] != '=' && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        std::string key(text.substr(key_start, i - key_start));
        skip_space();
        if (i >= text.size() || text[i] != '=')
            throw UsageError(fmt::format("{}: expected keyword=value pairs (e.g. PG:\"dbname=crime host=localhost\"); '{}' has no value",
                                         hide_passwords(whole), key));
        ++i;
        skip_space();
        std::string value;
        if (i < text.size() && text[i] == '\'') {
            ++i;
            bool closed = false;
            while (i < text.size()) {
                if (text[i] == '\\' && i + 1 < text.size()) value += text[i + 1], i += 2;
                else if (text[i] == '\'') {
                    closed = true;
                    ++i;
                    break;
                } else value += text[i++];
            }
            if (!closed) throw UsageError(fmt::format("{}: a quote is never closed", hide_passwords(whole)));
        } else {
            while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) value += text[i++];
        }
        for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        pairs.push_back(Pair{std::move(key), std::move(value)});
    }
    return pairs;
}

std::string quote_value(const std::string& v) {
    std::string q = "'";
    for (char c : v) {
        if (c == '\'' || c == '\\') q += '\\';
        q += c;
    }
    return q + "'";
}

std::string identifier(const std::string& name) {
    std::string q = "\"";
    for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

// ---- libpq handles ------------------------------------------------------------------------------

struct ClearResult {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ClearResult>;

std::string trimmed(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

class Connection {
public:
    explicit Connection(const PostgisTarget& target) : m_target(target) {
        m_conn = PQconnectdb(target.conninfo.c_str());
        if (!m_conn) throw IoError(fmt::format("{}: cannot connect: out of memory", target.display));
        if (PQstatus(m_conn) != CONNECTION_OK) {
            std::string message = trimmed(PQerrorMessage(m_conn));
            PQfinish(m_conn);
            m_conn = nullptr;
            if (message.find("timeout expired") != std::string::npos)
                message += " (no answer within connect_timeout seconds, 10 unless the connection string sets it)";
            throw IoError(fmt::format("cannot connect to the database ({}): {}", target.display, message));
        }
        PQsetNoticeProcessor(m_conn, [](void*, const char*) {}, nullptr); // NOTICEs of DROP ... CASCADE are not news
    }
    ~Connection() { PQfinish(m_conn); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    IoError fail(const std::string& what) const {
        return IoError(fmt::format("{} (schema {}): {}: {}", m_target.display, m_target.schema, what, trimmed(PQerrorMessage(m_conn))));
    }
    /// Runs `sql` with text parameters (nullopt: NULL); throws IoError saying `what` failed.
    Result exec(const std::string& sql, const std::vector<std::optional<std::string>>& params = {}, const std::string& what = {}) const {
        std::vector<const char*> values;
        for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
        Result r(PQexecParams(m_conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
        const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw fail(what.empty() ? sql.substr(0, 100) : what);
        return r;
    }
    std::optional<std::string> value(const std::string& sql, const std::vector<std::optional<std::string>>& params = {}) const {
        Result r = exec(sql, params);
        if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return std::nullopt;
        return std::string(PQgetvalue(r.get(), 0, 0));
    }
    /// COPY ... FROM STDIN in text format; `rows` feeds it (returns false when done).
    template <class Rows>
    void copy_in(const std::string& sql, Rows rows, const std::string& what) const {
        Result start(PQexec(m_conn, sql.c_str()));
        if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) throw fail(what);
        std::string buffer;
        const auto flush = [&] {
            if (!buffer.empty() && PQputCopyData(m_conn, buffer.data(), static_cast<int>(buffer.size())) != 1) throw fail(what);
            buffer.clear();
        };
        while (rows(buffer))
            if (buffer.size() > (1u << 20)) flush();
        flush();
        if (PQputCopyEnd(m_conn, nullptr) != 1) throw fail(what);
        Result end(PQgetResult(m_conn));
        if (!end || PQresultStatus(end.get()) != PGRES_COMMAND_OK) throw fail(what);
        while (Result more{PQgetResult(m_conn)}) {
        }
    }
    /// `text` as an SQL string literal.
    std::string literal(const std::string& text) const {
        char* escaped = PQescapeLiteral(m_conn, text.c_str(), text.size());
        if (!escaped) throw fail("cannot quote a comment");
        std::string out(escaped);
        PQfreemem(escaped);
        return out;
    }

private:
    const PostgisTarget& m_target;
    PGconn* m_conn = nullptr;
};

/// The comment safer puts on every schema it writes; --overwrite replaces only such schemas.
constexpr std::string_view schema_marker = "safer output";

/// UsageError if the schema exists and may not be replaced; true if it exists.
bool check_schema(const Connection& c, const PostgisTarget& t, bool overwrite) {
    Result r = c.exec("SELECT coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace WHERE nspname = $1", {t.schema});
    if (PQntuples(r.get()) == 0) return false;
    if (!overwrite)
        throw UsageError(fmt::format("{}: schema '{}' already exists; pass --overwrite to replace it, or choose another --schema", t.display, t.schema));
    const std::string comment = PQgetvalue(r.get(), 0, 0);
    if (comment.rfind(schema_marker, 0) != 0)
        throw UsageError(fmt::format("{}: schema '{}' exists and safer did not write it, so --overwrite will not replace it (safer replaces "
                                     "a schema whole); choose another --schema",
                                     t.display, t.schema));
    return true;
}

// ---- Copying layers -----------------------------------------------------------------------------

/// Length of the valid UTF-8 sequence at text[i], or 0.
size_t utf8_length(std::string_view text, size_t i) {
    const auto b = static_cast<unsigned char>(text[i]);
    const size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > text.size()) return 0;
    for (size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(text[i + k]) >> 6) != 2) return 0;
    return n;
}

/// A text value for COPY's text format. Bytes that are not UTF-8 (a raw line of a file in another
/// encoding, quoted in a reject's detail) become U+FFFD: the database would refuse the copy.
void copy_escaped(std::string& out, std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        const char c = text[i];
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: {
            const size_t n = utf8_length(text, i);
            if (n == 0) {
                out += "\xEF\xBF\xBD";
                ++i;
            } else {
                out.append(text.substr(i, n));
                i += n;
            }
            continue;
        }
        }
        ++i;
    }
}

void append_hex(std::string& out, const unsigned char* bytes, size_t n) {
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
}

const char* postgis_type(OGRwkbGeometryType type) {
    switch (wkbFlatten(type)) {
    case wkbPoint: return "Point";
    case wkbLineString: return "LineString";
    case wkbPolygon: return "Polygon";
    case wkbMultiPoint: return "MultiPoint";
    case wkbMultiLineString: return "MultiLineString";
    case wkbMultiPolygon: return "MultiPolygon";
    case wkbGeometryCollection: return "GeometryCollection";
    default: return "Geometry";
    }
}

int srid_of(const OGRSpatialReference* srs) {
    if (!srs) return 0;
    const char* code = srs->GetAuthorityCode(nullptr);
    const char* name = srs->GetAuthorityName(nullptr);
    return code && name && std::strcmp(name, "EPSG") == 0 ? std::atoi(code) : 0;
}

struct Notes {
    std::string description;
    std::vector<std::pair<std::string, std::string>> fields;
};

void comment_on(const Connection& c, const std::string& table, const Notes& notes) {
    if (!notes.description.empty()) c.exec(fmt::format("COMMENT ON TABLE {} IS {}", table, c.literal(notes.description)));
    for (const auto& [column, text] : notes.fields)
        c.exec(fmt::format("COMMENT ON COLUMN {}.{} IS {}", table, identifier(column), c.literal(text)));
}

void copy_vector(const Connection& c, const std::string& schema, OGRLayer& layer, const Notes& notes) {
    OGRFeatureDefn* defn = layer.GetLayerDefn();
    const std::string name = layer.GetName();
    const std::string table = identifier(schema) + "." + identifier(name);
    const bool spatial = layer.GetGeomType() != wkbNone;
    std::string columns = "fid bigint PRIMARY KEY";
    std::string names = "fid";
    for (int i = 0; i < defn->GetFieldCount(); ++i) {
        const OGRFieldDefn* f = defn->GetFieldDefn(i);
        const char* type = f->GetType() == OFTInteger ? "integer" : f->GetType() == OFTInteger64 ? "bigint" : f->GetType() == OFTReal ? "double precision" : "text";
        columns += fmt::format(", {} {}", identifier(f->GetNameRef()), type);
        names += ", " + identifier(f->GetNameRef());
    }
    const int srid = srid_of(layer.GetSpatialRef());
    if (spatial) {
        columns += fmt::format(", geom geometry({}, {})", postgis_type(layer.GetGeomType()), srid);
        names += ", geom";
    }
    c.exec(fmt::format("CREATE TABLE {} ({})", table, columns), {}, "cannot create table " + name);
    layer.ResetReading();
    std::vector<unsigned char> wkb;
    c.copy_in(
        fmt::format("COPY {} ({}) FROM STDIN", table, names),
        [&](std::string& out) {
            OGRFeatureUniquePtr feature(layer.GetNextFeature());
            if (!feature) return false;
            out += std::to_string(feature->GetFID());
            for (int i = 0; i < defn->GetFieldCount(); ++i) {
                out += '\t';
                if (!feature->IsFieldSetAndNotNull(i)) {
                    out += "\\N";
                    continue;
                }
                switch (defn->GetFieldDefn(i)->GetType()) {
                case OFTInteger:
                case OFTInteger64: out += std::to_string(feature->GetFieldAsInteger64(i)); break;
                case OFTReal: {
                    const double v = feature->GetFieldAsDouble(i);
                    out += std::isnan(v) ? std::string("NaN") : std::isinf(v) ? std::string(v > 0 ? "Infinity" : "-Infinity") : fmt::format("{}", v);
                    break;
                }
                default: copy_escaped(out, feature->GetFieldAsString(i));
                }
            }
            if (spatial) {
                out += '\t';
                const OGRGeometry* g = feature->GetGeometryRef();
                if (!g) out += "\\N";
                else {
                    // EWKB: the ISO WKB of a 2D geometry with the SRID flag and SRID after the type.
                    wkb.resize(static_cast<size_t>(g->WkbSize()));
                    g->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
                    uint32_t type = 0;
                    std::memcpy(&type, wkb.data() + 1, 4);
                    type |= 0x20000000u;
                    const auto s = static_cast<uint32_t>(srid);
                    unsigned char header[9];
                    header[0] = 1;
                    std::memcpy(header + 1, &type, 4);
                    std::memcpy(header + 5, &s, 4);
                    append_hex(out, header, 9);
                    append_hex(out, wkb.data() + 5, wkb.size() - 5);
                }
            }
            out += '\n';
            return true;
        },
        "copying layer " + name);
    if (spatial) c.exec(fmt::format("CREATE INDEX ON {} USING GIST (geom)", table), {}, "cannot index layer " + name);
    comment_on(c, table, notes);
}

void copy_raster(const Connection& c, const std::string& schema, const std::string& gpkg, const std::string& name, const Notes& notes) {
    if (!c.value("SELECT 1 FROM pg_type WHERE typname = 'raster'"))
        throw IoError(fmt::format("cannot write raster layer {}: the database has no PostGIS raster type; run CREATE EXTENSION postgis_raster "
                                  "(PostGIS 3 keeps rasters in an extension of their own), or write rasters to a GeoPackage",
                                  name));
    clear_gdal_error();
    GDALDatasetUniquePtr ds(GDALDataset::Open(fmt::format("GPKG:{}:{}", gpkg, name).c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    if (!ds) throw IoError(fmt::format("{}: cannot read back raster {}: {}", gpkg, name, gdal_message()));
    double gt[6];
    if (ds->GetGeoTransform(gt) != CE_None) throw IoError(fmt::format("{}: raster {} has no geotransform", gpkg, name));
    GDALRasterBand* band = ds->GetRasterBand(1);
    int has_nodata = 0;
    const auto nodata = static_cast<float>(band->GetNoDataValue(&has_nodata));
    const int srid = srid_of(ds->GetSpatialRef());
    const int nx = ds->GetRasterXSize(), ny = ds->GetRasterYSize();
    const std::string table = identifier(schema) + "." + identifier(name);
    c.exec(fmt::format("CREATE TABLE {} (rid integer PRIMARY KEY, rast raster)", table), {}, "cannot create raster table " + name);
    constexpr int tile = 256;
    const int tiles_x = (nx + tile - 1) / tile, tiles_y = (ny + tile - 1) / tile;
    int next = 0;
    std::vector<float> cells;
    std::vector<unsigned char> wkb;
    c.copy_in(
        fmt::format("COPY {} (rid, rast) FROM STDIN", table),
        [&](std::string& out) {
            if (next == tiles_x * tiles_y) return false;
            const int tx = next % tiles_x, ty = next / tiles_x;
            const int x0 = tx * tile, y0 = ty * tile;
            const int w = std::min(tile, nx - x0), h = std::min(tile, ny - y0);
            cells.resize(static_cast<size_t>(w) * static_cast<size_t>(h));
            if (band->RasterIO(GF_Read, x0, y0, w, h, cells.data(), w, h, GDT_Float32, 0, 0, nullptr) != CE_None)
                throw IoError(fmt::format("{}: cannot read raster {}: {}", gpkg, name, gdal_message()));
            // PostGIS raster WKB (little-endian): header, then one band of 32-bit floats.
            wkb.clear();
            const auto put = [&](const void* p, size_t n) {
                const auto* b = static_cast<const unsigned char*>(p);
                wkb.insert(wkb.end(), b, b + n);
            };
            const uint8_t endian = 1;
            const uint16_t version = 0, bands = 1;
            const double header[6] = {gt[1], gt[5], gt[0] + x0 * gt[1] + y0 * gt[2], gt[3] + x0 * gt[4] + y0 * gt[5], gt[2], gt[4]};
            const auto srid32 = static_cast<int32_t>(srid);
            const auto width = static_cast<uint16_t>(w), height = static_cast<uint16_t>(h);
            put(&endian, 1), put(&version, 2), put(&bands, 2), put(header, sizeof header), put(&srid32, 4), put(&width, 2), put(&height, 2);
            bool all_nodata = has_nodata != 0;
            if (has_nodata)
                for (float v : cells)
                    if (v != nodata) {
                        all_nodata = false;
                        break;
                    }
            const uint8_t pixtype = 10 /* 32BF */ | (has_nodata ? 0x40 : 0) | (all_nodata ? 0x20 : 0);
            put(&pixtype, 1);
            const float nd = has_nodata ? nodata : 0.0f;
            put(&nd, 4);
            put(cells.data(), cells.size() * sizeof(float));
            out += std::to_string(next + 1);
            out += '\t';
            append_hex(out, wkb.data(), wkb.size());
            out += '\n';
            ++next;
            return true;
        },
        "copying raster " + name);
    c.exec("SELECT AddRasterConstraints($1::name, $2::name, 'rast'::name)", {schema, name}, "cannot register raster " + name);
    c.exec(fmt::format("CREATE INDEX ON {} USING GIST (ST_ConvexHull(rast))", table), {}, "cannot index raster " + name);
    comment_on(c, table, notes);
}

// ---- Reading the finished GeoPackage -----------------------------------------------------------------

struct GpkgContents {
    struct Layer {
        std::string name, type;
        Notes notes;
    };
    std::vector<Layer> layers;
    struct StyleRow {
        std::string table, geometry_column, name, qml, description;
        bool is_default;
    };
    std::vector<StyleRow> styles;
};

GpkgContents read_contents(const std::string& path) {
    sqlite3* raw = nullptr;
    const int opened = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    const SqliteConnection db(raw); // owned even when the open fails
    if (opened != SQLITE_OK) throw IoError(fmt::format("{}: cannot read the GeoPackage to copy it", path));
    const auto query = [&](const char* sql, auto row) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db.get(), sql, -1, &s, nullptr) != SQLITE_OK) return; // an optional table that is not there
        const SqliteStatement statement(s);
        const auto text = [&](int i) {
            const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
            return std::string(t ? t : "");
        };
        while (sqlite3_step(s) == SQLITE_ROW) row(text, s);
    };
    GpkgContents out;
    query("SELECT table_name, data_type, coalesce(description, '') FROM gpkg_contents WHERE table_name <> 'layer_styles' ORDER BY rowid",
          [&](auto text, sqlite3_stmt*) { out.layers.push_back({text(0), text(1), Notes{text(2), {}}}); });
    query("SELECT table_name, column_name, description FROM gpkg_data_columns WHERE description IS NOT NULL AND description <> ''",
          [&](auto text, sqlite3_stmt*) {
              for (auto& l : out.layers)
                  if (l.name == text(0)) l.notes.fields.emplace_back(text(1), text(2));
          });
    query("SELECT f_table_name, f_geometry_column, styleName, styleQML, coalesce(description, ''), useAsDefault FROM layer_styles ORDER BY id",
          [&](auto text, sqlite3_stmt* s) {
              out.styles.push_back({text(0), text(1), text(2), text(3), text(4), sqlite3_column_int(s, 5) != 0});
          });
    return out;
}

std::atomic<unsigned> g_staging_counter{0};

} // namespace

bool is_postgis_target(std::string_view output) {
    return output.size() >= 3 && (output[0] == 'P' || output[0] == 'p') && (output[1] == 'G' || output[1] == 'g') && output[2] == ':';
}

std::string hide_passwords(std::string text) {
    static const std::regex keyword(R"((password\s*=\s*)('(\\.|[^'])*'|\S+))", std::regex::icase);
    static const std::regex uri(R"((postgres(ql)?://[^:/@\s]*:)[^@\s]*@)", std::regex::icase);
    text = std::regex_replace(text, keyword, "$1***");
    return std::regex_replace(text, uri, "$1***@");
}

PostgisTarget parse_postgis_target(const std::string& output) {
    if (!is_postgis_target(output)) throw UsageError(fmt::format("{}: not a PostgreSQL connection (PG:...)", output));
    std::string_view rest = std::string_view(output).substr(3);
    while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
    std::string uri;
    if (rest.rfind("postgresql://", 0) == 0 || rest.rfind("postgres://", 0) == 0) {
        const size_t end = std::min(rest.find_first_of(" \t"), rest.size());
        uri = std::string(rest.substr(0, end));
        rest.remove_prefix(end);
    }
    PostgisTarget t;
    std::vector<Pair> pairs;
    for (Pair& p : tokenize(rest, output)) {
        if (p.key == "active_schema") t.schema = p.value;
        else if (p.key == "schemas") {
            if (t.schema.empty()) t.schema = p.value.substr(0, p.value.find(','));
        } else if (p.key == "tables" || p.key == "list_all_tables") {
        } else pairs.push_back(std::move(p));
    }
    bool has_timeout = false;
    std::string conninfo = uri;
    for (const Pair& p : pairs) {
        has_timeout = has_timeout || p.key == "connect_timeout";
        conninfo += fmt::format("{}{}={}", conninfo.empty() ? "" : " ", p.key, quote_value(p.value));
    }
    if (!has_timeout && uri.find("connect_timeout") == std::string::npos) conninfo += std::string(conninfo.empty() ? "" : " ") + "connect_timeout=10";
    const bool has_encoding = std::any_of(pairs.begin(), pairs.end(), [](const Pair& p) { return p.key == "client_encoding"; });
    if (!has_encoding) conninfo += " client_encoding=UTF8"; // safer's text; the server converts it to the database's encoding
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (!options) {
        std::string message = error ? trimmed(error) : "cannot parse it";
        PQfreemem(error);
        throw UsageError(fmt::format("{}: {}", hide_passwords(output), message));
    }
    PQconninfoFree(options);
    // As the user wrote it, without the password.
    std::string display = hide_passwords(uri);
    for (const Pair& p : pairs)
        if (p.key != "password") display += fmt::format("{}{}={}", display.empty() ? "" : " ", p.key, p.value);
    t.conninfo = conninfo;
    t.display = "PG:" + display;
    if (t.schema.empty()) throw UsageError(fmt::format("{}: no schema named: pass --schema NAME", t.display));
    check_schema_name(t.schema);
    return t;
}

void check_schema_name(const std::string& schema) {
    static const std::regex pattern("[a-z_][a-z0-9_]{0,39}");
    if (!std::regex_match(schema, pattern))
        throw UsageError(fmt::format("--schema '{}': use lower-case letters, digits and _ (starting with a letter or _; at most 40 characters)", schema));
    if (schema == "public" || schema == "information_schema" || schema.rfind("pg_", 0) == 0 || schema == "topology" || schema == "tiger")
        throw UsageError(fmt::format("--schema {}: safer writes a schema of its own and replaces it whole; choose another name", schema));
}

void check_postgis_target(const PostgisTarget& target, bool overwrite) {
    const Connection c(target);
    if (!c.value("SELECT extversion FROM pg_extension WHERE extname = 'postgis'"))
        throw IoError(fmt::format("{}: PostGIS is not installed in this database; run CREATE EXTENSION postgis (as a user allowed to)", target.display));
    if (c.value("SELECT has_database_privilege(current_database(), 'CREATE')") != std::optional<std::string>("t"))
        throw IoError(fmt::format("{}: user {} may not create schemas in this database", target.display, c.value("SELECT current_user").value_or("?")));
    check_schema(c, target, overwrite);
}

void publish_to_postgis(const std::string& gpkg, const PostgisTarget& target, bool overwrite,
                        const std::vector<std::pair<std::string, std::string>>& run) {
    ensure_gdal();
    const GpkgContents contents = read_contents(gpkg);
    const Connection c(target);
    c.exec("BEGIN");
    c.exec("SET LOCAL client_min_messages = warning");
    const std::string staging = fmt::format("safer_staging_{}_{}", ::getpid(), g_staging_counter++);
    c.exec("CREATE SCHEMA " + identifier(staging), {}, "cannot create a staging schema");

    clear_gdal_error();
    GDALDatasetUniquePtr ds(GDALDataset::Open(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    if (!ds) throw IoError(fmt::format("{}: cannot read back the GeoPackage: {}", gpkg, gdal_message()));
    for (const GpkgContents::Layer& l : contents.layers) {
        if (l.type == "2d-gridded-coverage") {
            copy_raster(c, staging, gpkg, l.name, l.notes);
            continue;
        }
        OGRLayer* layer = ds->GetLayerByName(l.name.c_str());
        if (!layer) throw IoError(fmt::format("{}: cannot read back layer {}: {}", gpkg, l.name, gdal_message()));
        copy_vector(c, staging, *layer, l.notes);
    }
    ds.reset();

    std::string version, command;
    c.exec(fmt::format("CREATE TABLE {}.run_metadata (key text PRIMARY KEY, value text)", identifier(staging)));
    for (const auto& [key, value] : run) {
        if (key == "SAFER_VERSION") version = value;
        if (key == "SAFER_COMMAND") command = value;
        c.exec(fmt::format("INSERT INTO {}.run_metadata (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           identifier(staging)),
               {key, value});
    }
    comment_on(c, identifier(staging) + ".run_metadata",
               Notes{"The run that wrote this schema: command line, parameters (JSON), version, SHA-256 of each input (JSON)",
                     {{"key", "SAFER_COMMAND, SAFER_PARAMETERS, SAFER_VERSION, SAFER_INPUT_SHA256, ..."}, {"value", "The item's value"}}});

    // The swap: one run at a time per schema; the previous schema goes only now, in this transaction.
    c.exec("SELECT pg_advisory_xact_lock(hashtext($1))", {"safer schema " + target.schema});
    if (check_schema(c, target, overwrite)) c.exec("DROP SCHEMA " + identifier(target.schema) + " CASCADE", {}, "cannot drop the previous schema");
    c.exec(fmt::format("ALTER SCHEMA {} RENAME TO {}", identifier(staging), identifier(target.schema)), {}, "cannot put the new schema in place");
    c.exec(fmt::format("COMMENT ON SCHEMA {} IS {}", identifier(target.schema),
                       c.literal(fmt::format("{} of safer {}: {}", schema_marker, version, command))));

    // Styles, where QGIS looks for them. `type` NULL: QGIS 3.22 matches it against the layer's
    // geometry type name, or NULL. A database where this user may not write layer_styles still
    // gets the layers.
    if (!contents.styles.empty()) {
        c.exec("SAVEPOINT styles");
        try {
            c.exec("CREATE TABLE IF NOT EXISTS layer_styles (id SERIAL PRIMARY KEY, f_table_catalog varchar, f_table_schema varchar, "
                   "f_table_name varchar, f_geometry_column varchar, styleName text, styleQML xml, styleSLD xml, useAsDefault boolean, "
                   "description text, owner varchar(63) DEFAULT CURRENT_USER, ui xml, update_time timestamp DEFAULT CURRENT_TIMESTAMP, type varchar)");
            c.exec("DELETE FROM layer_styles WHERE f_table_catalog = current_database() AND f_table_schema = $1", {target.schema});
            for (const auto& s : contents.styles)
                c.exec("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML, "
                       "useAsDefault, description, type) VALUES (current_database(), $1, $2, $3, $4, XMLPARSE(DOCUMENT $5), $6, $7, NULL)",
                       {target.schema, s.table, s.geometry_column, s.name, s.qml, s.is_default ? "true" : "false", s.description},
                       "cannot store the QGIS style of " + s.table);
            c.exec("RELEASE SAVEPOINT styles");
        } catch (const IoError& e) {
            c.exec("ROLLBACK TO SAVEPOINT styles");
            fmt::print(stderr, "safer: warning: the layers are written without their QGIS styles: {}\n", e.what());
        }
    }
    c.exec("COMMIT", {}, "cannot commit");
}

} // namespace safer::layers
