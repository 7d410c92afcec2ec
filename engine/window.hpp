#pragma once
// The months a command analyses: --from/--to as given, or the last N months of the data.
#include <optional>

#include "engine/month.hpp"

namespace safer {

struct WindowRule {
    std::optional<Month> from, to; // --from/--to
    /// The last N months of the data (from --to, or from --from onwards, when one is given);
    /// 0: every month the data has, within --from/--to.
    int last_months = 0;
    /// Fewer months than asked for: analyse those (the caller warns). Otherwise an InputError.
    bool clamp_to_data = false;
    /// With last_months and neither --from nor --to: when the data covers fewer than last_months
    /// months, the last `short_data_months` instead (a site review takes 36 months where the data
    /// has them, else 12). 0: none.
    int short_data_months = 0;
    /// Also keep the span of months just before (for a change against the previous period),
    /// where the data reaches back that far.
    bool with_previous = false;
};

struct AnalysisWindow {
    Month from, to;              // the months analysed
    int span = 0;                // months from `from` to `to`
    Month data_first, data_last; // the months of the data
    bool has_previous = false;   // the span before `from` is in the data (with_previous)
    Month previous_from, previous_to;
    /// The first month kept: previous_from when has_previous, else from.
    Month keep_from() const { return has_previous ? previous_from : from; }
};

/// Resolves `rule` over data covering `first` to `last`. Throws InputError for months beyond the
/// data (unless clamp_to_data), naming what was asked and what the data covers.
AnalysisWindow resolve_window(const WindowRule& rule, Month first, Month last);

} // namespace safer
