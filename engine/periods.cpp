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

std::optional<PeriodSpan> period_span(std::string_view label) {
    if (const std::optional<Month> m = Month::parse(label)) return PeriodSpan{*m, Month{m->index + 1}};
    if (label.size() == 7 && label[4] == '-' && label[5] == 'Q' && label[6] >= '1' && label[6] <= '4') {
        const std::optional<Month> year = Month::parse(fmt::format("{}-01", label.substr(0, 4)));
        if (!year) return std::nullopt;
        const Month first{year->index + 3 * (label[6] - '1')};
        return PeriodSpan{first, Month{first.index + 3}};
    }
    return std::nullopt;
}

std::string first_day(Month m) { return m.str() + "-01"; }

const char* period_name(PeriodKind by) { return by == PeriodKind::month ? "month" : by == PeriodKind::quarter ? "quarter" : ""; }

Periods periods_of(const std::vector<Month>& month, const std::vector<uint8_t>& selected, PeriodKind by) {
    Periods p;
    p.of.assign(month.size(), -1);
    // Labels of the distinct months only (a label a row took a fortieth of safer kde's time on
    // a million incidents); labels sort as their periods do.
    std::map<int32_t, int32_t> period_of_month;
    for (size_t i = 0; i < month.size(); ++i)
        if (selected[i]) period_of_month.emplace(month[i].index, 0);
    std::map<std::string, int32_t> index;
    for (const auto& [m, unused] : period_of_month) index.emplace(period_label(Month{m}, by), 0);
    int32_t k = 0;
    for (auto& [label, v] : index) {
        v = k++;
        p.labels.push_back(label);
    }
    for (auto& [m, period] : period_of_month) period = index.at(period_label(Month{m}, by));
    int32_t last_month = -1, last_period = -1; // rows come in runs of one month
    for (size_t i = 0; i < month.size(); ++i) {
        if (!selected[i]) continue;
        if (month[i].index != last_month) last_month = month[i].index, last_period = period_of_month.at(last_month);
        p.of[i] = last_period;
    }
    return p;
}

} // namespace safer
