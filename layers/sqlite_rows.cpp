#include "layers/sqlite_rows.hpp"

#include "layers/gpkg_schema.hpp"

#include <fmt/core.h>
#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <cmath>
#include <memory>

#include "engine/errors.hpp"
#include "engine/text.hpp"

namespace safer::layers {

void RowValues::text(int column, std::string_view value) {
    if (!is_utf8(value)) { // GeoPackage text is UTF-8: bad bytes become U+FFFD
        const std::string fixed = to_utf8(value);
        sqlite3_bind_text(m_statement, m_base + column + 1, fixed.data(), static_cast<int>(fixed.size()), SQLITE_TRANSIENT);
        return;
    }
    sqlite3_bind_text(m_statement, m_base + column + 1, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
}
void RowValues::integer(int column, int64_t value) { sqlite3_bind_int64(m_statement, m_base + column + 1, value); }
void RowValues::real(int column, double value) {
    if (std::isnan(value))
        sqlite3_bind_null(m_statement, m_base + column + 1);
    else
        sqlite3_bind_double(m_statement, m_base + column + 1, value);
}
void RowValues::null(int column) { sqlite3_bind_null(m_statement, m_base + column + 1); }
void RowValues::blob(int column, const std::vector<unsigned char>& bytes) {
    sqlite3_bind_blob64(m_statement, m_base + column + 1, bytes.data(), bytes.size(), SQLITE_STATIC);
}
void RowValues::point(int column, double x, double y) {
    // GeoPackage 1.2 section 2.1.3: "GP", version 0, flags 0x01 (little-endian, no envelope, not
    // empty, standard), srs_id; then WKB: byte order 1, type 1 (Point), x, y.
    unsigned char blob[29] = {'G', 'P', 0, 0x01};
    std::memcpy(blob + 4, &m_srs_id, 4);
    blob[8] = 1;
    const uint32_t type = 1;
    std::memcpy(blob + 9, &type, 4);
    std::memcpy(blob + 13, &x, 8);
    std::memcpy(blob + 21, &y, 8);
    static_assert(std::endian::native == std::endian::little, "GeoPackage blobs are written little-endian");
    sqlite3_bind_blob(m_statement, m_base + column + 1, blob, sizeof blob, SQLITE_TRANSIENT);
}

namespace {


/// Position of cell (x, y) of a 65,536 x 65,536 grid along the Hilbert curve that fills it (the
/// classic xy2d: quadrant by quadrant, each rotated into place).
uint64_t hilbert_key(uint32_t x, uint32_t y) {
    uint64_t d = 0;
    for (uint32_t s = 1u << 15; s > 0; s >>= 1) {
        const uint32_t rx = (x & s) ? 1 : 0, ry = (y & s) ? 1 : 0;
        d += static_cast<uint64_t>(s) * s * ((3 * rx) ^ ry);
        if (ry == 0) { // rotate the quadrant
            if (rx == 1) x = 65535 - x, y = 65535 - y;
            std::swap(x, y);
        }
    }
    return d;
}

/// A bound of an R-tree cell as SQLite's rtree stores it: a 32-bit float rounded outwards.
float bound_down(double d) {
    const float f = static_cast<float>(d);
    return f > d ? std::nextafter(f, -std::numeric_limits<float>::infinity()) : f;
}
float bound_up(double d) {
    const float f = static_cast<float>(d);
    return f < d ? std::nextafter(f, std::numeric_limits<float>::infinity()) : f;
}

/// Writes a whole R-tree of points into the shadow tables of an empty SQLite rtree virtual table
/// (`name`_node, _rowid, _parent), packed bottom-up in `order` (Hilbert order): full leaves of
/// consecutive points, then full parents of consecutive nodes, the root last as node 1. The cell
/// and node layout is SQLite's (ext/rtree/rtree.c): a node is a blob of the table's node size,
/// the tree's depth in its first two bytes (root only), its number of cells in the next two, then
/// each cell as an 8-byte id and minx, maxx, miny, maxy as 4-byte floats, all big-endian. One
/// insert per point took 6 s a million; this takes a fraction of a second.
template <class Exec, class Single, class Fail>
void write_packed_rtree(sqlite3* db, const std::string& name, const std::vector<std::pair<double, double>>& at,
                        const std::vector<std::pair<uint64_t, uint32_t>>& order, int64_t first_fid, const Exec& exec, const Single& single, const Fail& fail) {
    const int64_t node_size = single(fmt::format("SELECT length(data) FROM {} WHERE nodeno = 1", sql_identifier(name + "_node")));
    const size_t capacity = static_cast<size_t>((node_size - 4) / 24);
    if (node_size < 4 + 24 * 4) throw fail("unexpected node size of the R-tree " + name);
    struct Cell {
        int64_t id;
        float box[4]; // minx, maxx, miny, maxy
    };
    struct Node {
        std::vector<Cell> cells;
        int64_t number = 0;
    };
    std::vector<std::vector<Node>> levels(1); // levels[0]: leaves
    for (size_t k = 0; k < order.size(); ++k) {
        if (levels[0].empty() || levels[0].back().cells.size() == capacity) levels[0].emplace_back();
        const auto [x, y] = at[order[k].second];
        levels[0].back().cells.push_back(Cell{first_fid + static_cast<int64_t>(order[k].second), {bound_down(x), bound_up(x), bound_down(y), bound_up(y)}});
    }
    while (levels.back().size() > 1) {
        std::vector<Node> parents;
        for (size_t c = 0; c < levels.back().size(); ++c) {
            if (parents.empty() || parents.back().cells.size() == capacity) parents.emplace_back();
            Cell cell{static_cast<int64_t>(c), {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                                                std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()}};
            for (const Cell& child : levels.back()[c].cells) {
                cell.box[0] = std::min(cell.box[0], child.box[0]), cell.box[1] = std::max(cell.box[1], child.box[1]);
                cell.box[2] = std::min(cell.box[2], child.box[2]), cell.box[3] = std::max(cell.box[3], child.box[3]);
            }
            parents.back().cells.push_back(cell); // id: the child's index in its level, numbered below
        }
        levels.push_back(std::move(parents));
    }
    // Node numbers: the root 1, then every other node, top level first.
    int64_t next = 1;
    for (size_t l = levels.size(); l-- > 0;)
        for (Node& node : levels[l]) node.number = next++;
    for (size_t l = 1; l < levels.size(); ++l)
        for (Node& node : levels[l])
            for (Cell& c : node.cells) c.id = levels[l - 1][static_cast<size_t>(c.id)].number;

    exec(fmt::format("DELETE FROM {}", sql_identifier(name + "_node")).c_str());
    const auto prepared = [&](const std::string& sql) {
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) throw fail("cannot write the R-tree " + name);
        return SqliteStatement(raw);
    };
    const auto step = [&](sqlite3_stmt* q) {
        if (sqlite3_step(q) != SQLITE_DONE) throw fail("writing the R-tree " + name + " failed");
        sqlite3_reset(q);
    };
    const auto put16 = [](unsigned char* p, uint32_t v) { p[0] = static_cast<unsigned char>(v >> 8), p[1] = static_cast<unsigned char>(v); };
    const auto put32 = [](unsigned char* p, uint32_t v) {
        for (int b = 0; b < 4; ++b) p[b] = static_cast<unsigned char>(v >> (24 - 8 * b));
    };
    const auto put64 = [](unsigned char* p, uint64_t v) {
        for (int b = 0; b < 8; ++b) p[b] = static_cast<unsigned char>(v >> (56 - 8 * b));
    };
    auto node_q = prepared(fmt::format("INSERT INTO {} (nodeno, data) VALUES (?, ?)", sql_identifier(name + "_node")));
    auto parent_q = prepared(fmt::format("INSERT INTO {} (nodeno, parentnode) VALUES (?, ?)", sql_identifier(name + "_parent")));
    auto rowid_q = prepared(fmt::format("INSERT INTO {} (rowid, nodeno) VALUES (?, ?)", sql_identifier(name + "_rowid")));
    std::vector<unsigned char> blob(static_cast<size_t>(node_size));
    for (size_t l = levels.size(); l-- > 0;)
        for (const Node& node : levels[l]) {
            std::fill(blob.begin(), blob.end(), 0);
            if (node.number == 1) put16(blob.data(), static_cast<uint32_t>(levels.size() - 1));
            put16(blob.data() + 2, static_cast<uint32_t>(node.cells.size()));
            unsigned char* p = blob.data() + 4;
            for (const Cell& c : node.cells) {
                put64(p, static_cast<uint64_t>(c.id));
                for (int k = 0; k < 4; ++k) put32(p + 8 + 4 * k, std::bit_cast<uint32_t>(c.box[k]));
                p += 24;
                if (l == 0) {
                    sqlite3_bind_int64(rowid_q.get(), 1, c.id);
                    sqlite3_bind_int64(rowid_q.get(), 2, node.number);
                    step(rowid_q.get());
                } else {
                    sqlite3_bind_int64(parent_q.get(), 1, c.id);
                    sqlite3_bind_int64(parent_q.get(), 2, node.number);
                    step(parent_q.get());
                }
            }
            sqlite3_bind_int64(node_q.get(), 1, node.number);
            sqlite3_bind_blob(node_q.get(), 2, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
            step(node_q.get());
        }
}

/// The R-tree of a point layer whose rows were just added (fids first_fid...), its triggers and
/// its gpkg_extensions row, as GDAL 3.6 writes them (GeoPackage 1.2, annex F.3), and the layer's
/// extent. The tree is packed whole (write_packed_rtree), each 32-bit bound rounded outwards as
/// SQLite's rtree rounds it, so every box holds its point.
template <class Exec, class Single, class Fail>
void build_rtree(sqlite3* db, const BulkRows& t, int64_t first_fid, const Exec& exec, const Single& single, const Fail& fail) {
    const std::string r = "rtree_" + t.table + "_" + t.rtree_column;
    const std::string R = sql_identifier(r), T = sql_identifier(t.table), G = sql_identifier(t.rtree_column);
    if (single(fmt::format("SELECT count(*) FROM sqlite_master WHERE name = '{}'", r)) != 0)
        throw std::logic_error("table " + t.table + ": an R-tree exists already (create the layer with SPATIAL_INDEX=NO)");
    if (single(fmt::format("SELECT count(*) FROM {} WHERE fid >= {}", T, first_fid)) != static_cast<int64_t>(t.rows) ||
        single(fmt::format("SELECT coalesce(max(fid), 0) FROM {}", T)) != first_fid + static_cast<int64_t>(t.rows) - 1)
        throw std::logic_error("table " + t.table + ": the new rows' feature ids are not consecutive");
    exec(fmt::format("CREATE VIRTUAL TABLE {} USING rtree(id, minx, maxx, miny, maxy)", R).c_str());
    double min_x = std::numeric_limits<double>::infinity(), min_y = min_x, max_x = -min_x, max_y = -min_x;
    std::vector<std::pair<double, double>> at(t.rows);
    for (size_t i = 0; i < t.rows; ++i) {
        at[i] = t.point_of(i);
        const auto [x, y] = at[i];
        min_x = std::min(min_x, x), max_x = std::max(max_x, x), min_y = std::min(min_y, y), max_y = std::max(max_y, y);
    }
    // Packed along a Hilbert curve, so that a leaf's points are near one another.
    std::vector<std::pair<uint64_t, uint32_t>> order(t.rows);
    {
        const double sx = max_x > min_x ? 65535.0 / (max_x - min_x) : 0, sy = max_y > min_y ? 65535.0 / (max_y - min_y) : 0;
        for (size_t i = 0; i < t.rows; ++i)
            order[i] = {hilbert_key(static_cast<uint32_t>((at[i].first - min_x) * sx), static_cast<uint32_t>((at[i].second - min_y) * sy)), static_cast<uint32_t>(i)};
        std::sort(order.begin(), order.end());
    }
    if (t.rows > 0) write_packed_rtree(db, r, at, order, first_fid, exec, single, fail);
    const std::string box = fmt::format("VALUES (NEW.{0},ST_MinX(NEW.{1}), ST_MaxX(NEW.{1}),ST_MinY(NEW.{1}), ST_MaxY(NEW.{1}))", sql_identifier("fid"), G);
    exec(fmt::format("CREATE TRIGGER {0} AFTER INSERT ON {1} WHEN (new.{2} NOT NULL AND NOT ST_IsEmpty(NEW.{2})) BEGIN INSERT OR REPLACE INTO {3} {4}; END",
                     sql_identifier(r + "_insert"), T, G, R, box).c_str());
    exec(fmt::format("CREATE TRIGGER {0} AFTER UPDATE OF {2} ON {1} WHEN OLD.\"fid\" = NEW.\"fid\" AND (NEW.{2} NOTNULL AND NOT ST_IsEmpty(NEW.{2})) BEGIN "
                     "INSERT OR REPLACE INTO {3} {4}; END",
                     sql_identifier(r + "_update1"), T, G, R, box).c_str());
    exec(fmt::format("CREATE TRIGGER {0} AFTER UPDATE OF {2} ON {1} WHEN OLD.\"fid\" = NEW.\"fid\" AND (NEW.{2} ISNULL OR ST_IsEmpty(NEW.{2})) BEGIN "
                     "DELETE FROM {3} WHERE id = OLD.\"fid\"; END",
                     sql_identifier(r + "_update2"), T, G, R).c_str());
    exec(fmt::format("CREATE TRIGGER {0} AFTER UPDATE ON {1} WHEN OLD.\"fid\" != NEW.\"fid\" AND (NEW.{2} NOTNULL AND NOT ST_IsEmpty(NEW.{2})) BEGIN "
                     "DELETE FROM {3} WHERE id = OLD.\"fid\"; INSERT OR REPLACE INTO {3} {4}; END",
                     sql_identifier(r + "_update3"), T, G, R, box).c_str());
    exec(fmt::format("CREATE TRIGGER {0} AFTER UPDATE ON {1} WHEN OLD.\"fid\" != NEW.\"fid\" AND (NEW.{2} ISNULL OR ST_IsEmpty(NEW.{2})) BEGIN "
                     "DELETE FROM {3} WHERE id IN (OLD.\"fid\", NEW.\"fid\"); END",
                     sql_identifier(r + "_update4"), T, G, R).c_str());
    exec(fmt::format("CREATE TRIGGER {0} AFTER DELETE ON {1} WHEN old.{2} NOT NULL BEGIN DELETE FROM {3} WHERE id = OLD.\"fid\"; END",
                     sql_identifier(r + "_delete"), T, G, R).c_str());
    exec(fmt::format("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES ('{}', '{}', 'gpkg_rtree_index', "
                     "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
                     t.table, t.rtree_column).c_str());
    if (t.rows > 0)
        exec(fmt::format("UPDATE gpkg_contents SET min_x = {:.17g}, min_y = {:.17g}, max_x = {:.17g}, max_y = {:.17g} WHERE lower(table_name) = lower('{}')", min_x,
                         min_y, max_x, max_y, t.table).c_str());
}

} // namespace

void insert_rows(const std::string& path, const std::vector<BulkRows>& tables, Progress* progress) {
    sqlite3* raw = nullptr;
    const int opened = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    SqliteConnection db(raw);
    const auto fail = [&](const std::string& what) {
        return IoError(fmt::format("{}: {}: {}", path, what, db ? sqlite3_errmsg(db.get()) : "cannot open"));
    };
    if (opened != SQLITE_OK) throw fail("cannot open the GeoPackage to add rows");
    const auto exec = [&](const char* sql) {
        if (sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) throw fail(sql);
    };
    // The file is a temporary one that is renamed into place only once complete, so a crash
    // here loses nothing a journal would save.
    exec("PRAGMA journal_mode=OFF");
    exec("PRAGMA synchronous=OFF");
    exec("BEGIN");
    const auto single = [&](const std::string& sql) -> int64_t {
        sqlite3_stmt* q = nullptr;
        if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &q, nullptr) != SQLITE_OK) throw fail(sql);
        SqliteStatement query(q);
        return sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    };
    for (const BulkRows& t : tables) {
        const int64_t first_fid = t.rtree_column.empty() ? 0 : single("SELECT coalesce(max(fid), 0) + 1 FROM " + sql_identifier(t.table));
        const int32_t srs_id = t.rtree_column.empty() ? 0
                                                      : static_cast<int32_t>(single(fmt::format("SELECT srs_id FROM gpkg_geometry_columns WHERE lower(table_name) = "
                                                                                                "lower('{}') AND lower(column_name) = lower('{}')",
                                                                                                t.table, t.rtree_column)));
        // GDAL keeps gpkg_ogr_contents.feature_count by a trigger that runs an UPDATE per row,
        // which doubles the cost of a bulk load; GDAL itself drops it while writing. Do the same,
        // and put it back, identical, with the count set once.
        const std::string trigger = "trigger_insert_feature_count_" + t.table;
        std::string trigger_sql;
        {
            sqlite3_stmt* q = nullptr;
            if (sqlite3_prepare_v2(db.get(), "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", -1, &q, nullptr) != SQLITE_OK)
                throw fail("cannot read the triggers");
            SqliteStatement query(q);
            sqlite3_bind_text(q, 1, trigger.c_str(), -1, SQLITE_TRANSIENT);
            if (sqlite3_step(q) == SQLITE_ROW) trigger_sql = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
        }
        if (!trigger_sql.empty()) exec(("DROP TRIGGER " + sql_identifier(trigger)).c_str());
        // Many rows per statement: the table's AUTOINCREMENT key costs an update of
        // sqlite_sequence per statement, not per row.
        const size_t columns = t.columns.size();
        const size_t batch = std::max<size_t>(1, std::min<size_t>(256, 32000 / std::max<size_t>(columns, 1)));
        const auto prepare = [&](size_t rows) {
            std::string sql = "INSERT INTO " + sql_identifier(t.table) + " (";
            for (size_t c = 0; c < columns; ++c) sql += (c ? ", " : "") + sql_identifier(t.columns[c]);
            sql += ") VALUES ";
            for (size_t r = 0; r < rows; ++r) {
                sql += r ? ", (" : "(";
                for (size_t c = 0; c < columns; ++c) sql += c ? ", ?" : "?";
                sql += ")";
            }
            sqlite3_stmt* raw_statement = nullptr;
            if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw_statement, nullptr) != SQLITE_OK)
                throw fail("cannot prepare rows for table " + t.table);
            return SqliteStatement(raw_statement);
        };
        SqliteStatement full = t.rows >= batch ? prepare(batch) : nullptr;
        if (progress) progress->begin(fmt::format("writing layer {} ({} feature{})", t.table, t.rows, t.rows == 1 ? "" : "s"), t.rows);
        for (size_t first = 0; first < t.rows; first += batch) {
            const size_t n = std::min(batch, t.rows - first);
            SqliteStatement last = n == batch ? nullptr : prepare(n);
            sqlite3_stmt* statement = n == batch ? full.get() : last.get();
            for (size_t r = 0; r < n; ++r) {
                RowValues values(statement, static_cast<int>(r * columns), srs_id);
                t.fill(first + r, values);
            }
            if (sqlite3_step(statement) != SQLITE_DONE)
                throw fail(fmt::format("writing rows {}-{} of table {} failed", first + 1, first + n, t.table));
            sqlite3_reset(statement);
            if (progress) progress->advance(n);
        }
        if (progress) progress->end();
        if (!t.rtree_column.empty()) build_rtree(db.get(), t, first_fid, exec, single, fail);
        if (!trigger_sql.empty()) {
            exec(trigger_sql.c_str());
            exec(fmt::format("UPDATE gpkg_ogr_contents SET feature_count = (SELECT count(*) FROM {}) WHERE lower(table_name) = lower('{}')",
                             sql_identifier(t.table), t.table)
                     .c_str());
        }
    }
    exec("COMMIT");
    if (sqlite3_close(db.release()) != SQLITE_OK) throw IoError(fmt::format("{}: closing after adding rows failed", path));
}

} // namespace safer::layers
