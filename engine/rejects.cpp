#include "engine/rejects.hpp"

#include <algorithm>

namespace safer {

namespace {
struct ReasonNames {
    std::string_view code;
    std::string_view text;
};
constexpr ReasonNames reason_names[reject_reason_count] = {
    {"malformed_row", "malformed row (wrong number of fields or unclosed quote)"},
    {"bad_month", "month is not YYYY-MM"},
    {"outside_window", "month outside the months analysed"},
    {"no_location", "no location"},
    {"not_a_number", "coordinate is not a number"},
    {"zero_coordinates", "zero coordinates"},
    {"out_of_range", "coordinate out of range"},
    {"outside_crs_area", "outside the working CRS's area of use"},
    {"not_a_point", "geometry is not a point"},
    {"duplicate_row", "exact duplicate of an earlier row with the same Crime ID"},
    {"outside_areas", "located outside every area"},
    {"bad_weight", "weight empty, not a number or negative"},
    {"edge_cell", "in an edge cell of the hotspot grid whose centre is outside the study area"},
    {"outside_network", "outside the street network (its convex hull grown by the tolerance)"},
    {"far_from_street", "farther than the tolerance from every street segment"},
};
} // namespace

std::string_view reason_code(RejectReason reason) { return reason_names[static_cast<size_t>(reason)].code; }
std::string_view reason_text(RejectReason reason) { return reason_names[static_cast<size_t>(reason)].text; }

void Rejects::append(const Rejects& other) {
    m_items.insert(m_items.end(), other.m_items.begin(), other.m_items.end());
    for (size_t i = 0; i < reject_reason_count; ++i) m_counts[i] += other.m_counts[i];
}

void Rejects::sort() {
    std::stable_sort(m_items.begin(), m_items.end(), [](const Reject& a, const Reject& b) {
        return a.source != b.source ? a.source < b.source : a.line < b.line;
    });
}

void Rejects::move_outside_window(Month from, Month to) {
    for (Reject& r : m_items)
        if (r.month.valid() && r.reason > RejectReason::outside_window && (r.month < from || r.month > to)) {
            --m_counts[static_cast<size_t>(r.reason)];
            ++m_counts[static_cast<size_t>(RejectReason::outside_window)];
            r.reason = RejectReason::outside_window;
            r.detail = r.month.str() + ": outside the months analysed";
        }
}

void Rejects::move_outside_read_window(const MonthWindow& window) {
    for (Reject& r : m_items)
        if (r.month.valid() && r.reason > RejectReason::outside_window && !window.contains(r.month)) {
            --m_counts[static_cast<size_t>(r.reason)];
            ++m_counts[static_cast<size_t>(RejectReason::outside_window)];
            r.reason = RejectReason::outside_window;
            r.detail = r.month.str();
        }
}

} // namespace safer
