#pragma once
// The incidents of a run, held column by column.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/crime_types.hpp"
#include "engine/month.hpp"

namespace safer {

/// Many short strings in one buffer: a police.uk file's Crime IDs alone would otherwise cost a
/// heap allocation each.
class StringColumn {
public:
    void push_back(std::string_view s) {
        m_chars.append(s);
        m_ends.push_back(m_chars.size());
    }
    std::string_view operator[](size_t i) const {
        const size_t begin = i == 0 ? 0 : m_ends[i - 1];
        return std::string_view(m_chars).substr(begin, m_ends[i] - begin);
    }
    size_t size() const { return m_ends.size(); }
    /// Characters held, all strings together.
    size_t chars() const { return m_chars.size(); }
    void reserve(size_t rows, size_t chars) {
        m_ends.reserve(rows);
        m_chars.reserve(chars);
    }
    void append(const StringColumn& other);
    /// Keeps the strings whose flag is set, in order, compacting in place.
    void keep(const std::vector<uint8_t>& flags);
    /// Puts back strings taken out (see Incidents::take_out): `removed[k]` goes to position
    /// `positions[k]` (ascending) of the restored column.
    void put_back(const StringColumn& removed, const std::vector<size_t>& positions);
    void clear() {
        m_chars.clear();
        m_ends.clear();
    }
    size_t bytes() const { return m_chars.capacity() + m_ends.capacity() * sizeof(uint64_t); }

private:
    std::string m_chars;
    std::vector<uint64_t> m_ends;
};

/// Strings that repeat, each stored once: police.uk's locations (snapped map points), LSOA codes
/// and outcomes take a few thousand distinct values in millions of rows, so a row costs a 32-bit
/// index instead of its text and an end offset. Memory stays bounded for free text too: once more
/// than half the rows are distinct (past the first 65,536) it stops looking strings up and keeps
/// each as it comes.
class InternedColumn {
public:
    void push_back(std::string_view s);
    std::string_view operator[](size_t i) const { return m_values[m_index[i]]; }
    size_t size() const { return m_index.size(); }
    void reserve(size_t rows) { m_index.reserve(rows); }
    void append(const InternedColumn& other);
    /// Keeps the rows whose flag is set, in order (their strings stay stored).
    void keep(const std::vector<uint8_t>& flags);
    /// The stored-string numbers of rows (for setting rows aside and putting them back).
    uint32_t id(size_t i) const { return m_index[i]; }
    void put_back(const std::vector<uint32_t>& removed, const std::vector<size_t>& positions);
    void clear();
    /// Distinct strings stored.
    size_t distinct() const { return m_values.size(); }
    size_t bytes() const { return m_values.bytes() + m_index.capacity() * sizeof(uint32_t) + m_slots.capacity() * sizeof(uint32_t); }

private:
    uint32_t intern(std::string_view s);
    void rehash(size_t capacity);
    void check_distinct();

    StringColumn m_values;
    std::vector<uint32_t> m_index;
    std::vector<uint32_t> m_slots; // open addressing over m_values: value + 1, 0 empty
    bool m_plain = false;          // too many distinct strings: no lookups any more
};

struct RemovedRows;

/// One row per incident used. Coordinates are in the working CRS (metres) once the reader has
/// reprojected them. `source` indexes the run's list of input files; `line` is the 1-based line
/// of the row in that file, so every incident can be traced back.
struct Incidents {
    std::vector<double> x;
    std::vector<double> y;
    std::vector<Month> month;
    std::vector<CrimeTypeId> type;
    // The text columns are empty (size 0) when the reader was asked for none (has_text()).
    StringColumn crime_id; // unique to a crime: kept as text
    InternedColumn location;
    InternedColumn lsoa_code_source;
    InternedColumn outcome;
    std::vector<uint32_t> source;
    std::vector<uint64_t> line;
    /// From --weight FIELD; empty when no weight field was read (every incident weighs 1).
    std::vector<double> weight;
    /// Day::index of each incident whose date column gave a day (YYYY-MM-DD), no_day where it
    /// gave a month only (police.uk); empty when no incident has a day.
    std::vector<int32_t> day;

    size_t size() const { return x.size(); }
    /// The Crime ID, location, LSOA code and outcome columns are held (not left out by a reader
    /// whose command uses none of them).
    bool has_text() const { return crime_id.size() == x.size(); }
    double weight_of(size_t i) const { return weight.empty() ? 1.0 : weight[i]; }
    int32_t day_of(size_t i) const { return day.empty() ? no_day : day[i]; }
    /// Room for `rows` rows and `crime_id_chars` characters of Crime IDs, so appends do not
    /// reallocate (the weights are left to grow: most runs have none); the text columns only
    /// with `text`.
    void reserve(size_t rows, size_t crime_id_chars, bool text = true);
    /// Appends `other`, whose type ids refer to `other_types`, re-interning them into `types`.
    void append(const Incidents& other, const CrimeTypes& other_types, CrimeTypes& types);
    /// Keeps the rows whose flag is set, in order.
    void keep(const std::vector<uint8_t>& flags);
    /// As keep(), but returns the rows left out, with their places, so that put_back() can
    /// restore the table exactly. Costs a copy of the rows left out only: several analyses with
    /// their own months and areas share one table this way (safer run).
    RemovedRows take_out(const std::vector<uint8_t>& flags);
    /// Undoes one take_out() (the last one not yet undone).
    void put_back(RemovedRows&& removed);
};

/// Rows set aside by Incidents::take_out: each column's values of the rows, and their places
/// (ascending) in the table they were taken from.
struct RemovedRows {
    std::vector<size_t> positions;
    std::vector<double> x, y, weight;
    std::vector<Month> month;
    std::vector<CrimeTypeId> type;
    StringColumn crime_id;
    std::vector<uint32_t> location, lsoa_code_source, outcome; // stored-string numbers of the table's columns
    std::vector<uint32_t> source;
    std::vector<uint64_t> line;
    size_t size() const { return positions.size(); }
};

/// Distinct incident locations with how many incidents stand at each. police.uk snaps incidents
/// to a master list of map points, so a year of a force's data has a few distinct points per
/// hundred incidents; work done per location instead of per incident is the same answer, faster.
struct WeightedLocations {
    std::vector<double> x;
    std::vector<double> y;
    std::vector<uint32_t> weight;
    std::vector<uint32_t> location_of; // for each input point, the index of its location
};

/// Groups identical (x, y) pairs, in order of first appearance, so the result is deterministic.
WeightedLocations unique_locations(const std::vector<double>& x, const std::vector<double>& y);

} // namespace safer
