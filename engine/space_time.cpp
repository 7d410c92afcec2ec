#include "engine/space_time.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "engine/errors.hpp"
#include "engine/fdr.hpp"

namespace safer::hotspots {

MannKendall mann_kendall(std::span<const double> series) {
    const size_t n = series.size();
    for (size_t i = 0; i < n; ++i)
        if (!std::isfinite(series[i])) throw InputError(fmt::format("Mann-Kendall: value {} of the series is not finite", i));
    MannKendall mk;
    if (n < 3) return mk;
    long long s = 0;
    for (size_t i = 0; i + 1 < n; ++i)
        for (size_t j = i + 1; j < n; ++j) s += (series[j] > series[i]) - (series[j] < series[i]);
    mk.s = static_cast<double>(s);

    std::vector<double> sorted(series.begin(), series.end());
    std::sort(sorted.begin(), sorted.end());
    double ties = 0, tied_pairs = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && sorted[j] == sorted[i]) ++j;
        const auto t = static_cast<double>(j - i);
        ties += t * (t - 1) * (2 * t + 5);
        tied_pairs += t * (t - 1) / 2;
        i = j;
    }
    const auto nd = static_cast<double>(n);
    mk.var = (nd * (nd - 1) * (2 * nd + 5) - ties) / 18.0;
    if (mk.var > 0) {
        if (s > 0) mk.z = (mk.s - 1) / std::sqrt(mk.var);
        else if (s < 0) mk.z = (mk.s + 1) / std::sqrt(mk.var);
        mk.p = two_sided_normal_p(mk.z);
    }
    const double pairs = nd * (nd - 1) / 2;
    if (pairs > tied_pairs) mk.tau = mk.s / std::sqrt((pairs - tied_pairs) * pairs);
    return mk;
}

std::string_view emerging_name(EmergingPattern pattern) {
    switch (pattern) {
    case EmergingPattern::no_pattern: return "No Pattern Detected";
    case EmergingPattern::new_hot: return "New Hot Spot";
    case EmergingPattern::consecutive_hot: return "Consecutive Hot Spot";
    case EmergingPattern::intensifying_hot: return "Intensifying Hot Spot";
    case EmergingPattern::persistent_hot: return "Persistent Hot Spot";
    case EmergingPattern::diminishing_hot: return "Diminishing Hot Spot";
    case EmergingPattern::sporadic_hot: return "Sporadic Hot Spot";
    case EmergingPattern::oscillating_hot: return "Oscillating Hot Spot";
    case EmergingPattern::historical_hot: return "Historical Hot Spot";
    case EmergingPattern::new_cold: return "New Cold Spot";
    case EmergingPattern::consecutive_cold: return "Consecutive Cold Spot";
    case EmergingPattern::intensifying_cold: return "Intensifying Cold Spot";
    case EmergingPattern::persistent_cold: return "Persistent Cold Spot";
    case EmergingPattern::diminishing_cold: return "Diminishing Cold Spot";
    case EmergingPattern::sporadic_cold: return "Sporadic Cold Spot";
    case EmergingPattern::oscillating_cold: return "Oscillating Cold Spot";
    case EmergingPattern::historical_cold: return "Historical Cold Spot";
    }
    return "No Pattern Detected";
}

namespace {

void check_series(std::span<const double> z, std::span<const double> p, const char* what) {
    if (z.size() != p.size()) throw std::invalid_argument(fmt::format("{}: z and p series differ in length", what));
    for (size_t t = 0; t < z.size(); ++t) {
        if (!std::isfinite(z[t])) throw InputError(fmt::format("{}: z of period {} is not finite", what, t));
        if (!(p[t] >= 0 && p[t] <= 1)) throw InputError(fmt::format("{}: p of period {} is not in [0, 1]", what, t));
    }
}

// Esri's hot-spot patterns for one side: sign +1 reads hot spots, -1 cold spots (as hot spots
// of -z). Returns the pattern's code (1..8) or 0.
int side_pattern(std::span<const double> z, std::span<const double> p, const MannKendall& trend,
                 const EmergingOptions& o, double sign) {
    const size_t periods = z.size();
    auto spot = [&](size_t t, double s) { return p[t] < o.alpha && s * z[t] > 0; };
    size_t count = 0;
    bool opposite = false;
    for (size_t t = 0; t < periods; ++t) {
        count += spot(t, sign) ? 1 : 0;
        opposite = opposite || spot(t, -sign);
    }
    const bool mostly = static_cast<double>(count) >= o.share * static_cast<double>(periods) - 1e-9;
    if (!spot(periods - 1, sign)) return mostly ? 8 : 0; // historical
    size_t run = 0;
    while (run < periods && spot(periods - 1 - run, sign)) ++run;
    if (count == 1) return 1;                           // new
    if (run >= 2 && count == run && !mostly) return 2;  // consecutive
    if (mostly) {
        const bool trending = trend.p < o.trend_alpha;
        if (trending && sign * trend.z > 0) return 3; // intensifying
        if (trending && sign * trend.z < 0) return 5; // diminishing
        return 4;                                     // persistent
    }
    return opposite ? 7 : 6; // oscillating, else sporadic
}

} // namespace

EmergingResult emerging_pattern(std::span<const double> z, std::span<const double> p, const EmergingOptions& options) {
    check_series(z, p, "emerging hot spots");
    EmergingResult r;
    if (z.empty()) return r;
    r.trend = mann_kendall(z);
    if (const int hot = side_pattern(z, p, r.trend, options, 1.0)) r.pattern = static_cast<EmergingPattern>(hot);
    else if (const int cold = side_pattern(z, p, r.trend, options, -1.0)) r.pattern = static_cast<EmergingPattern>(-cold);
    return r;
}

std::vector<EmergingResult> emerging_hotspots(size_t periods, std::span<const double> z, std::span<const double> p,
                                              const EmergingOptions& options) {
    if (periods == 0 || z.size() % periods != 0 || p.size() != z.size())
        throw std::invalid_argument("emerging hot spots: series are not units x periods");
    const size_t units = z.size() / periods;
    std::vector<EmergingResult> out(units);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, units, 1024), [&](const tbb::blocked_range<size_t>& r) {
        for (size_t u = r.begin(); u != r.end(); ++u)
            out[u] = emerging_pattern(z.subspan(u * periods, periods), p.subspan(u * periods, periods), options);
    });
    return out;
}

std::string_view hotspot_class_name(HotspotClass c) {
    switch (c) {
    case HotspotClass::no_pattern: return "no pattern";
    case HotspotClass::persistent_hot: return "persistent hotspot";
    case HotspotClass::emerging_hot: return "emerging hotspot";
    case HotspotClass::former_hot: return "former hotspot";
    case HotspotClass::intermittent_hot: return "intermittent hotspot";
    case HotspotClass::persistent_cold: return "persistent coldspot";
    case HotspotClass::emerging_cold: return "emerging coldspot";
    case HotspotClass::former_cold: return "former coldspot";
    case HotspotClass::intermittent_cold: return "intermittent coldspot";
    case HotspotClass::mixed: return "mixed hot/coldspot";
    }
    return "no pattern";
}

HotspotClass hotspot_classify(std::span<const double> z, std::span<const double> p, const ClassifyOptions& o) {
    check_series(z, p, "hotspot classification");
    const size_t periods = z.size();
    auto recent = static_cast<size_t>(std::floor(o.recent_prop * static_cast<double>(periods) + 1e-9));
    recent = std::max<size_t>(recent, 1);
    if (periods < recent + 1)
        throw InputError(fmt::format("hotspot classification needs at least one recent and one older period, got {} periods", periods));
    const size_t older = periods - recent;

    // 0 none, else 1 persistent, 2 emerging, 3 former, 4 intermittent.
    auto side = [&](bool hot) {
        auto spot = [&](size_t t) { return p[t] < o.critical_p && (hot ? z[t] > 0 : z[t] <= 0); };
        size_t all = 0, in_older = 0;
        for (size_t t = 0; t < periods; ++t)
            if (spot(t)) ++all, in_older += t < older ? 1 : 0;
        const double share = static_cast<double>(all) / static_cast<double>(periods);
        const double share_older = static_cast<double>(in_older) / static_cast<double>(older);
        const double share_recent = static_cast<double>(all - in_older) / static_cast<double>(recent);
        if (share >= o.persistent_prop) return 1;
        if (share_older < o.hotspot_prop && share_recent >= o.recent_prop) return 2;
        if (share_older >= o.hotspot_prop && share_recent < o.hotspot_prop) return 3;
        if (share >= o.hotspot_prop) return 4;
        return 0;
    };
    const int hot = side(true), cold = side(false);
    if (hot && cold) return HotspotClass::mixed;
    if (hot) return static_cast<HotspotClass>(hot);
    if (cold) return static_cast<HotspotClass>(4 + cold);
    return HotspotClass::no_pattern;
}

std::vector<HotspotClass> hotspot_classify_all(size_t periods, std::span<const double> z, std::span<const double> p,
                                               const ClassifyOptions& options) {
    if (periods == 0 || z.size() % periods != 0 || p.size() != z.size())
        throw std::invalid_argument("hotspot classification: series are not units x periods");
    const size_t units = z.size() / periods;
    std::vector<HotspotClass> out(units);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, units, 1024), [&](const tbb::blocked_range<size_t>& r) {
        for (size_t u = r.begin(); u != r.end(); ++u)
            out[u] = hotspot_classify(z.subspan(u * periods, periods), p.subspan(u * periods, periods), options);
    });
    return out;
}

} // namespace safer::hotspots
