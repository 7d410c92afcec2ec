#include "engine/periods.hpp"

#include <fmt/core.h>

#include <map>

namespace safer {

std::string period_label(Month m, PeriodKind by) {
    switch (by) {
    case PeriodKind::month: return m.str();
    case PeriodKind::quarter: return fmt::format("{}-Q{}", m.year(), (m.month() - 1) / 3 + 1);
    case PeriodKind::none: break;
    }
    return "all";
}

const char* period_name(PeriodKind by) { return by == PeriodKind::month ? "month" : by == PeriodKind::quarter ? "quarter" : ""; }

Periods periods_of(const std::vector<Month>& month, const std::vector<uint8_t>& selected, PeriodKind by) {
    Periods p;
    p.of.assign(month.size(), -1);
    std::map<std::string, int32_t> index; // labels sort as their periods do
    for (size_t i = 0; i < month.size(); ++i)
        if (selected[i]) index.emplace(period_label(month[i], by), 0);
    int32_t k = 0;
    for (auto& [label, v] : index) {
        v = k++;
        p.labels.push_back(label);
    }
    for (size_t i = 0; i < month.size(); ++i)
        if (selected[i]) p.of[i] = index[period_label(month[i], by)];
    return p;
}

} // namespace safer
