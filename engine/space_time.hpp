#pragma once
// Space-time classification of hotspots from each unit's per-period Gi* series: the Mann-Kendall
// trend test, Esri's Emerging Hot Spot Analysis patterns and sfhotspot's hotspot_classify().
// Series are given unit-major: value (unit u, period t) at [u * periods + t], periods oldest first.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace safer::hotspots {

struct MannKendall {
    double s = 0;   // sum over i < j of sign(x_j - x_i)
    double var = 0; // [n(n-1)(2n+5) - sum_t t(t-1)(2t+5)] / 18, t the sizes of tied groups
    double z = 0;   // (S - 1) / sqrt(var) if S > 0, (S + 1) / sqrt(var) if S < 0, else 0
    double p = 1;   // two-sided, from the normal
    double tau = 0; // Kendall's tau-b of the series against time (as R's Kendall::MannKendall)
};
/// Mann (1945), Kendall (1975) trend test, with the tie correction to the variance and the
/// continuity correction to z. Fewer than 3 values, or all tied: z = 0, p = 1.
/// Throws InputError for a non-finite value.
MannKendall mann_kendall(std::span<const double> series);

/// Esri's Emerging Hot Spot Analysis patterns, with Esri's CATEGORY codes (cold negative).
enum class EmergingPattern : int8_t {
    no_pattern = 0,
    new_hot = 1, consecutive_hot = 2, intensifying_hot = 3, persistent_hot = 4,
    diminishing_hot = 5, sporadic_hot = 6, oscillating_hot = 7, historical_hot = 8,
    new_cold = -1, consecutive_cold = -2, intensifying_cold = -3, persistent_cold = -4,
    diminishing_cold = -5, sporadic_cold = -6, oscillating_cold = -7, historical_cold = -8,
};
/// Esri's PATTERN text: "New Hot Spot", ..., "No Pattern Detected".
std::string_view emerging_name(EmergingPattern pattern);

struct EmergingOptions {
    double alpha = 0.10;       // a period is a hot (cold) spot when p < alpha and z > 0 (z < 0): Esri's 90 %
    double trend_alpha = 0.10; // the Mann-Kendall trend of the z series is significant when p < this
    double share = 0.90;       // Esri's "ninety percent of the time-step intervals"
};

struct EmergingResult {
    EmergingPattern pattern = EmergingPattern::no_pattern;
    MannKendall trend; // of the unit's Gi* z series
};

/// One unit's pattern from its per-period Gi* z and p (p already FDR-corrected per period, as
/// Esri does, if wanted). Esri's definitions ("How Emerging Hot Spot Analysis works"), for hot
/// spots (cold spots mirror them, an intensifying cold spot's z trending down):
///  - new: hot in the final period and never before;
///  - consecutive: a single uninterrupted run of at least two hot periods ending in the final
///    one, never hot before the run, and hot in less than 90 % of periods;
///  - intensifying: hot in at least 90 % of periods including the final one, z trending up;
///  - persistent: hot in at least 90 % of periods, no significant trend;
///  - diminishing: hot in at least 90 % of periods including the final one, z trending down;
///  - sporadic: hot in the final period, on and off before, in less than 90 % of periods, and
///    never a cold spot;
///  - oscillating: hot in the final period, a cold spot in some earlier period, hot in less
///    than 90 % of periods;
///  - historical: not hot in the final period, hot in at least 90 % of periods.
/// Where the definitions overlap, the first in that order wins, hot patterns before cold ones
/// (Esri's table order). Persistent is read as including the final period, so that a unit not
/// hot at the end is historical, as Esri's definition of that pattern says. Esri recommends at
/// least 10 periods; fewer are accepted.
EmergingResult emerging_pattern(std::span<const double> z, std::span<const double> p, const EmergingOptions& options = {});
/// emerging_pattern for every unit (unit-major series), in parallel.
std::vector<EmergingResult> emerging_hotspots(size_t periods, std::span<const double> z, std::span<const double> p,
                                              const EmergingOptions& options = {});

/// sfhotspot's hotspot_classify() categories (Ashby, sfhotspot R package).
enum class HotspotClass : int8_t {
    no_pattern = 0,
    persistent_hot, emerging_hot, former_hot, intermittent_hot,
    persistent_cold, emerging_cold, former_cold, intermittent_cold,
    mixed, // qualifies as a hot and as a cold category
};
/// sfhotspot's text: "persistent hotspot", ..., "mixed hot/coldspot", "no pattern".
std::string_view hotspot_class_name(HotspotClass c);

/// sfhotspot's hotspot_classify_params() defaults.
struct ClassifyOptions {
    double critical_p = 0.05;      // hot (cold) in a period: p < critical_p and z > 0 (z <= 0)
    double hotspot_prop = 0.1;     // least share of periods to be any kind of hot spot
    double persistent_prop = 0.8;  // least share of periods to be persistent
    double recent_prop = 0.2;      // share of periods (the last ones) that are "recent"
};

/// One unit's class, by sfhotspot's rules, checked in this order for hot, then the same for cold:
///  persistent:   hot share of all periods >= persistent_prop
///  emerging:     hot share of older periods < hotspot_prop and of recent ones >= recent_prop
///  former:       hot share of older periods >= hotspot_prop and of recent ones < hotspot_prop
///  intermittent: hot share of all periods >= hotspot_prop
/// and "mixed" when it qualifies both as hot and as cold. Recent periods are the last
/// floor(recent_prop * T), at least 1; older ones the rest, at least 1 (so T >= 2, InputError
/// otherwise). sfhotspot's code divides a window one period longer than that by that count;
/// we use the window the documentation describes. sfhotspot Holm-adjusts each cell's p over
/// its periods before this (see holm() in fdr.hpp); p is used here as given.
HotspotClass hotspot_classify(std::span<const double> z, std::span<const double> p, const ClassifyOptions& options = {});
/// hotspot_classify for every unit (unit-major series).
std::vector<HotspotClass> hotspot_classify_all(size_t periods, std::span<const double> z, std::span<const double> p,
                                               const ClassifyOptions& options = {});

} // namespace safer::hotspots
