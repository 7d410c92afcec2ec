#pragma once
// Periods of a time series (--by month | quarter): each incident's period, oldest first.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/month.hpp"

namespace safer {

enum class PeriodKind : uint8_t { none, month, quarter };

/// "2023-04" by month, "2023-Q2" by quarter; "all" for none.
std::string period_label(Month m, PeriodKind by);
/// "month", "quarter" ("" for none).
const char* period_name(PeriodKind by);

/// The months a period label covers: [first, after), one month ("2023-04") or three ("2023-Q2");
/// nullopt for "all" or anything else.
struct PeriodSpan {
    Month first;
    Month after;
};
std::optional<PeriodSpan> period_span(std::string_view label);
/// "2023-04-01": the first day of a month, as an ISO date.
std::string first_day(Month m);

struct Periods {
    std::vector<std::string> labels; // oldest first
    std::vector<int32_t> of;         // per incident: its period's index, -1 if not selected
};
/// The periods the selected incidents fall in, oldest first (one, "all", for PeriodKind::none).
Periods periods_of(const std::vector<Month>& month, const std::vector<uint8_t>& selected, PeriodKind by);

} // namespace safer
