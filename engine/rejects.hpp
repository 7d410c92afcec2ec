#pragma once
// Rows that were read but not used, counted by reason: nothing is dropped silently.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/month.hpp"

namespace safer {

/// Why a row was not used. Checks run in this order and the first that fails names the reason.
enum class RejectReason : uint8_t {
    malformed_row,     // wrong number of fields, or a quote never closed
    bad_month,         // Month is not YYYY-MM
    outside_window,    // Month outside --from/--to
    no_location,       // empty longitude/latitude (police.uk "No Location")
    not_a_number,      // a coordinate that does not parse as a number
    zero_coordinates,  // (0, 0): a missing location written as zeros
    out_of_range,      // longitude outside [-180, 180] or latitude outside [-90, 90]
    outside_crs_area,  // outside the working CRS's area of use (EPSG:27700: Great Britain)
    not_a_point,       // a feature of an OGR layer whose geometry is not a point
    duplicate_row,     // the same row, Crime ID included, met before
    outside_areas,     // located, but in none of the areas given
    bad_weight,        // --weight given and the row's weight is empty, not a number, or negative
    edge_cell,         // in the study area, but in an edge cell of a hotspot grid whose centre lies outside it (not a unit)
    outside_network,   // (safer segments) outside the street network's extent
    far_from_street,   // (safer segments) within the network's extent, but farther than the tolerance from every segment
};
inline constexpr size_t reject_reason_count = 15;

/// A short stable code (the `reason` field of the rejects layer).
std::string_view reason_code(RejectReason reason);
/// A phrase for reports.
std::string_view reason_text(RejectReason reason);

struct Reject {
    uint32_t source; // index into the run's input files
    uint64_t line;   // 1-based line (or feature number for OGR layers)
    RejectReason reason;
    std::string detail;
    Month month;     // the row's month where it was read before the row was rejected
};

/// The reject log of a run: every rejected row, and counts by reason.
class Rejects {
public:
    void add(uint32_t source, uint64_t line, RejectReason reason, std::string detail = {}, Month month = {}) {
        m_items.push_back(Reject{source, line, reason, std::move(detail), month});
        ++m_counts[static_cast<size_t>(reason)];
    }
    /// Rows rejected for a reason checked after the month (no location, a duplicate, ...) whose
    /// month lies outside `from`..`to` become outside_window, as if the window had been applied
    /// while reading: the counts by reason do not depend on how the months were chosen.
    void move_outside_window(Month from, Month to);
    /// The same for `window` as a reader applies --from/--to: the detail is the month alone, as
    /// for a row the reader itself rejects for its month (so a table read once for several
    /// windows gives each window the rejects a reading of its own would).
    void move_outside_read_window(const MonthWindow& window);
    void append(const Rejects& other);
    uint64_t count(RejectReason reason) const { return m_counts[static_cast<size_t>(reason)]; }
    uint64_t total() const { return m_items.size(); }
    const std::vector<Reject>& items() const { return m_items; }
    /// Orders rejects by file then line, so the log does not depend on thread timing.
    void sort();

private:
    std::vector<Reject> m_items;
    std::array<uint64_t, reject_reason_count> m_counts{};
};

} // namespace safer
