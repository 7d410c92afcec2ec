#include "layers/sqlite_rows.hpp"

#include <fmt/core.h>
#include <sqlite3.h>

#include <algorithm>
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

namespace {

struct CloseDb {
    void operator()(sqlite3* db) const noexcept { sqlite3_close(db); }
};
struct Finalize {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};

std::string quoted(const std::string& name) {
    std::string q = "\"";
    for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

} // namespace

void insert_rows(const std::string& path, const std::vector<BulkRows>& tables) {
    sqlite3* raw = nullptr;
    const int opened = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    std::unique_ptr<sqlite3, CloseDb> db(raw);
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
    for (const BulkRows& t : tables) {
        // GDAL keeps gpkg_ogr_contents.feature_count by a trigger that runs an UPDATE per row,
        // which doubles the cost of a bulk load; GDAL itself drops it while writing. Do the same,
        // and put it back, identical, with the count set once.
        const std::string trigger = "trigger_insert_feature_count_" + t.table;
        std::string trigger_sql;
        {
            sqlite3_stmt* q = nullptr;
            if (sqlite3_prepare_v2(db.get(), "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", -1, &q, nullptr) != SQLITE_OK)
                throw fail("cannot read the triggers");
            std::unique_ptr<sqlite3_stmt, Finalize> query(q);
            sqlite3_bind_text(q, 1, trigger.c_str(), -1, SQLITE_TRANSIENT);
            if (sqlite3_step(q) == SQLITE_ROW) trigger_sql = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
        }
        if (!trigger_sql.empty()) exec(("DROP TRIGGER " + quoted(trigger)).c_str());
        // Many rows per statement: the table's AUTOINCREMENT key costs an update of
        // sqlite_sequence per statement, not per row.
        const size_t columns = t.columns.size();
        const size_t batch = std::max<size_t>(1, std::min<size_t>(256, 32000 / std::max<size_t>(columns, 1)));
        const auto prepare = [&](size_t rows) {
            std::string sql = "INSERT INTO " + quoted(t.table) + " (";
            for (size_t c = 0; c < columns; ++c) sql += (c ? ", " : "") + quoted(t.columns[c]);
            sql += ") VALUES ";
            for (size_t r = 0; r < rows; ++r) {
                sql += r ? ", (" : "(";
                for (size_t c = 0; c < columns; ++c) sql += c ? ", ?" : "?";
                sql += ")";
            }
            sqlite3_stmt* raw_statement = nullptr;
            if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw_statement, nullptr) != SQLITE_OK)
                throw fail("cannot prepare rows for table " + t.table);
            return std::unique_ptr<sqlite3_stmt, Finalize>(raw_statement);
        };
        std::unique_ptr<sqlite3_stmt, Finalize> full = t.rows >= batch ? prepare(batch) : nullptr;
        for (size_t first = 0; first < t.rows; first += batch) {
            const size_t n = std::min(batch, t.rows - first);
            std::unique_ptr<sqlite3_stmt, Finalize> last = n == batch ? nullptr : prepare(n);
            sqlite3_stmt* statement = n == batch ? full.get() : last.get();
            for (size_t r = 0; r < n; ++r) {
                RowValues values(statement, static_cast<int>(r * columns));
                t.fill(first + r, values);
            }
            if (sqlite3_step(statement) != SQLITE_DONE)
                throw fail(fmt::format("writing rows {}-{} of table {} failed", first + 1, first + n, t.table));
            sqlite3_reset(statement);
        }
        if (!trigger_sql.empty()) {
            exec(trigger_sql.c_str());
            exec(fmt::format("UPDATE gpkg_ogr_contents SET feature_count = (SELECT count(*) FROM {}) WHERE lower(table_name) = lower('{}')",
                             quoted(t.table), t.table)
                     .c_str());
        }
    }
    exec("COMMIT");
    if (sqlite3_close(db.release()) != SQLITE_OK) throw IoError(fmt::format("{}: closing after adding rows failed", path));
}

} // namespace safer::layers
