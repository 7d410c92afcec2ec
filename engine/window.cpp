#include "engine/window.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "engine/errors.hpp"

namespace safer {

AnalysisWindow resolve_window(const WindowRule& rule, Month first, Month last) {
    AnalysisWindow w;
    w.data_first = first, w.data_last = last;
    if (rule.last_months <= 0) {
        w.from = rule.from ? std::max(*rule.from, first) : first;
        w.to = rule.to ? std::min(*rule.to, last) : last;
    } else {
        int n = rule.last_months;
        if (rule.short_data_months > 0 && !rule.from && !rule.to && last.index - first.index + 1 < n) n = rule.short_data_months;
        w.to = rule.to ? *rule.to : rule.from ? Month{rule.from->index + n - 1} : last;
        w.from = rule.from ? *rule.from : Month{w.to.index - n + 1};
        if (rule.clamp_to_data) {
            w.from = std::max(w.from, first);
            w.to = std::min(w.to, last);
        } else if (w.from < first || w.to > last) {
            throw InputError(fmt::format("months requested beyond the data: {} to {} asked for, but the incidents in these areas cover {} "
                                         "to {} ({} months)",
                                         w.from.str(), w.to.str(), first.str(), last.str(), last.index - first.index + 1));
        }
    }
    if (w.from > w.to)
        throw InputError(fmt::format("no month to analyse: {} to {} asked for, but the data covers {} to {}", rule.from ? rule.from->str() : w.from.str(),
                                     rule.to ? rule.to->str() : w.to.str(), first.str(), last.str()));
    w.span = w.to.index - w.from.index + 1;
    if (rule.with_previous && Month{w.from.index - w.span} >= first) {
        w.has_previous = true;
        w.previous_from = Month{w.from.index - w.span};
        w.previous_to = Month{w.from.index - 1};
    }
    return w;
}

} // namespace safer
