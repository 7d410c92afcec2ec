#include "engine/concentration.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "engine/errors.hpp"

namespace safer::hotspots {

namespace {
// Counts sorted descending, after checking them; returns the total.
double sorted_descending(std::span<const double> counts, std::vector<double>& sorted) {
    if (counts.empty()) throw InputError("concentration: there are no units");
    double total = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        if (!std::isfinite(counts[i]) || counts[i] < 0)
            throw InputError(fmt::format("concentration: unit {} has count {}; counts must be non-negative", i, counts[i]));
        total += counts[i];
    }
    if (!(total > 0)) throw InputError("concentration: there are no incidents in any unit");
    sorted.assign(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    return total;
}
} // namespace

double gini(std::span<const double> counts) {
    std::vector<double> sorted;
    const double total = sorted_descending(counts, sorted);
    const auto n = static_cast<double>(sorted.size());
    // Descending rank r = 1..n is ascending rank i = n + 1 - r, so 2i - n - 1 = n + 1 - 2r.
    double weighted = 0;
    for (size_t r = 0; r < sorted.size(); ++r) weighted += (n - 1 - 2.0 * static_cast<double>(r)) * sorted[r];
    return weighted / (n * total);
}

double generalised_gini(std::span<const double> counts) {
    double total = 0;
    for (double c : counts) total += c;
    const double g = gini(counts); // validates
    const double ratio = static_cast<double>(counts.size()) / total;
    return std::max(1.0, ratio) * (g - 1) + 1;
}

double top_share(std::span<const double> counts, double fraction) {
    if (!(fraction >= 0 && fraction <= 1)) throw InputError(fmt::format("top share: fraction {} is not in [0, 1]", fraction));
    std::vector<double> sorted;
    const double total = sorted_descending(counts, sorted);
    const double units = fraction * static_cast<double>(sorted.size());
    const auto whole = static_cast<size_t>(std::floor(units));
    double sum = 0;
    for (size_t i = 0; i < whole; ++i) sum += sorted[i];
    if (whole < sorted.size()) sum += (units - static_cast<double>(whole)) * sorted[whole];
    return sum / total;
}

int64_t units_holding(std::span<const double> counts, double share) {
    if (!(share > 0 && share <= 1)) throw InputError(fmt::format("units holding a share: share {} is not in (0, 1]", share));
    std::vector<double> sorted;
    const double total = sorted_descending(counts, sorted);
    // A relative slack for the running sum's rounding: 0.5 of 10 incidents is reached at 5.
    const double target = share * total * (1 - 1e-12);
    double sum = 0;
    for (size_t i = 0; i < sorted.size(); ++i) {
        sum += sorted[i];
        if (sum >= target) return static_cast<int64_t>(i + 1);
    }
    return static_cast<int64_t>(sorted.size());
}

std::vector<LorenzPoint> lorenz_curve(std::span<const double> counts) {
    std::vector<double> sorted;
    const double total = sorted_descending(counts, sorted);
    const auto n = static_cast<double>(sorted.size());
    std::vector<LorenzPoint> curve;
    curve.push_back(LorenzPoint{0, 0.0, 0.0, 0.0}); // the origin
    double cumulative = 0;
    for (size_t i = 0; i < sorted.size(); ++i) {
        cumulative += sorted[i];
        if (i + 1 == sorted.size() || sorted[i + 1] != sorted[i]) {
            const auto units = static_cast<int64_t>(i + 1);
            curve.push_back(LorenzPoint{units, static_cast<double>(units) / n, cumulative / total, sorted[i]});
        }
    }
    curve.back().incident_share = 1.0; // exact, whatever the rounding of the running sum
    return curve;
}

Concentration concentration(std::span<const double> counts) {
    Concentration c;
    c.lorenz = lorenz_curve(counts); // validates
    c.units = static_cast<int64_t>(counts.size());
    for (double v : counts) c.incidents += v;
    c.gini = gini(counts);
    c.gini_generalised = generalised_gini(counts);
    c.top1 = top_share(counts, 0.01);
    c.top5 = top_share(counts, 0.05);
    c.top10 = top_share(counts, 0.10);
    return c;
}

} // namespace safer::hotspots
