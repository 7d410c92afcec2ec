#pragma once
// How concentrated incidents are across units (cells or areas): the "law of crime concentration"
// figures analysts quote.
#include <cstdint>
#include <span>
#include <vector>

namespace safer::hotspots {

/// One point of the Lorenz curve, units ranked by count, highest first. The curve is linear
/// between points, so one point is kept per run of equal counts (plus the origin).
struct LorenzPoint {
    int64_t units = 0;          // cumulative number of units
    double unit_share = 0;      // units / n
    double incident_share = 0;  // cumulative incidents / total
    double count = 0;           // the count of the units in this run (0 at the origin)
};

struct Concentration {
    int64_t units = 0;
    double incidents = 0;
    double gini = 0;             // standard Gini
    double gini_generalised = 0; // Bernasco & Steenbeek (2017)
    double top1 = 0, top5 = 0, top10 = 0; // share of incidents in the top 1, 5, 10 % of units
    std::vector<LorenzPoint> lorenz;
};

/// The standard (sample) Gini of non-negative counts, units sorted ascending, i = 1..n:
///   G = sum_i (2i - n - 1) x_(i) / (n sum_i x_i)
/// (DescTools::Gini(unbiased = FALSE)): 0 for equal counts, (n - 1) / n with all in one unit.
double gini(std::span<const double> counts);

/// Bernasco & Steenbeek (2017), "More places than crimes", J. Quant. Criminol. 33:451-467: with
/// N incidents in n > N units, even the most equal spread leaves n - N units empty, so G is
/// measured against that line of maximal equality instead:
///   G' = max(1, n / N) (G - 1) + 1
/// which is G when N >= n (lorenzgini::gini(generalized = TRUE, unbiased = FALSE)).
double generalised_gini(std::span<const double> counts);

/// Share of all incidents in the top `fraction` of units by count, read off the Lorenz curve at
/// fraction * n units, interpolating within a unit when that is not whole (top 1 % of 1,005
/// units = 10.05 units). Ties cannot change it: any order of equal counts gives the same sums.
double top_share(std::span<const double> counts, double fraction);

/// The fewest units, highest counts first, that hold at least `share` (0..1] of all incidents:
/// the figure of Weisburd's law of crime concentration ("about half of crime on 4 % of street
/// segments"; Weisburd 2015, Criminology 53(2), 133-157). Whole units, so a unit that crosses the
/// share counts in full. Ties cannot change it.
int64_t units_holding(std::span<const double> counts, double share);

/// The Lorenz curve, highest counts first (see LorenzPoint).
std::vector<LorenzPoint> lorenz_curve(std::span<const double> counts);

/// All of the above. Throws InputError for no units, negative or non-finite counts, or no
/// incidents at all.
Concentration concentration(std::span<const double> counts);

} // namespace safer::hotspots
