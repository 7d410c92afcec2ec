#pragma once
// Periods of a time series (--by month | quarter): each incident's period, oldest first.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/month.hpp"

namespace safer {

enum class PeriodKind : uint8_t { none, month, quarter };

/// "2023-04" by month, "2023-Q2" by quarter; "all" for none.
std::string period_label(Month m, PeriodKind by);
/// "month", "quarter" ("" for none).
const char* period_name(PeriodKind by);

struct Periods {
    std::vector<std::string> labels; // oldest first
    std::vector<int32_t> of;         // per incident: its period's index, -1 if not selected
};
/// The periods the selected incidents fall in, oldest first (one, "all", for PeriodKind::none).
Periods periods_of(const std::vector<Month>& month, const std::vector<uint8_t>& selected, PeriodKind by);

} // namespace safer
