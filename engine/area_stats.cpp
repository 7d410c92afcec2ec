#include "engine/area_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "engine/area_index.hpp"

namespace safer {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Competition ranks (1 = highest) and percentiles of the non-NaN values.
void rank_values(const std::vector<double>& value, std::vector<int32_t>& rank, std::vector<double>& pct) {
    std::vector<size_t> order;
    for (size_t i = 0; i < value.size(); ++i)
        if (!std::isnan(value[i])) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return value[a] > value[b]; });
    const size_t ranked = order.size();
    for (size_t pos = 0; pos < ranked;) {
        size_t end = pos;
        while (end < ranked && value[order[end]] == value[order[pos]]) ++end;
        // Areas with a value <= this one: everything from `pos` to the end of the order.
        const double percentile = 100.0 * static_cast<double>(ranked - pos) / static_cast<double>(ranked);
        for (size_t k = pos; k < end; ++k) {
            rank[order[k]] = static_cast<int32_t>(pos + 1);
            pct[order[k]] = percentile;
        }
        pos = end;
    }
}
} // namespace

std::vector<int64_t> competition_ranks(const std::vector<double>& value) {
    std::vector<int32_t> rank(value.size(), 0);
    std::vector<double> pct(value.size(), nan);
    rank_values(value, rank, pct);
    return {rank.begin(), rank.end()};
}

std::vector<GroupColumns> summarise_areas(const Areas& areas, const std::vector<CrimeGroup>& groups,
                                          const GroupMembership& membership, const Incidents& incidents,
                                          const std::vector<int32_t>& area_of) {
    const size_t n = areas.size();
    std::vector<GroupColumns> out(groups.size());
    for (size_t g = 0; g < groups.size(); ++g) {
        GroupColumns& c = out[g];
        c.group = groups[g].name;
        c.count.assign(n, 0);
        c.rate.assign(n, nan);
        c.ratio.assign(n, nan);
        c.rank.assign(n, 0);
        c.pct.assign(n, nan);
    }
    for (size_t i = 0; i < incidents.size(); ++i) {
        if (area_of[i] == no_area) continue;
        for (size_t g = 0; g < groups.size(); ++g)
            if (membership.contains(g, incidents.type[i])) ++out[g].count[static_cast<size_t>(area_of[i])];
    }
    const bool with_population = areas.has_population();
    for (GroupColumns& c : out) {
        c.total = std::accumulate(c.count.begin(), c.count.end(), uint64_t{0});
        double counted = 0;
        double residents = 0;
        for (size_t a = 0; a < n; ++a) {
            const double p = areas.population[a];
            if (std::isnan(p) || p <= 0) continue;
            c.rate[a] = 1000.0 * static_cast<double>(c.count[a]) / p;
            counted += static_cast<double>(c.count[a]);
            residents += p;
        }
        c.comparison_rate = residents > 0 ? 1000.0 * counted / residents : nan;
        for (size_t a = 0; a < n; ++a)
            if (!std::isnan(c.rate[a]) && c.comparison_rate > 0) c.ratio[a] = c.rate[a] / c.comparison_rate;
        if (with_population) {
            rank_values(c.rate, c.rank, c.pct);
        } else {
            std::vector<double> counts(c.count.begin(), c.count.end());
            rank_values(counts, c.rank, c.pct);
        }
    }
    return out;
}

std::vector<AreaMonthCount> count_area_months(const Incidents& incidents, const std::vector<int32_t>& area_of,
                                              const GroupMembership& membership) {
    // A dense cube (area x month x group) is small for any real run (35,000 areas x 12 months x
    // 6 groups is 10 MB) and far faster than a map.
    int32_t first = std::numeric_limits<int32_t>::max();
    int32_t last = std::numeric_limits<int32_t>::min();
    int32_t area_count = 0;
    for (size_t i = 0; i < incidents.size(); ++i) {
        if (area_of[i] == no_area) continue;
        first = std::min(first, incidents.month[i].index);
        last = std::max(last, incidents.month[i].index);
        area_count = std::max(area_count, area_of[i] + 1);
    }
    std::vector<AreaMonthCount> out;
    if (area_count == 0) return out;
    const size_t months = static_cast<size_t>(last - first + 1);
    const size_t groups = membership.group_count();
    std::vector<uint32_t> cube(static_cast<size_t>(area_count) * months * groups, 0);
    for (size_t i = 0; i < incidents.size(); ++i) {
        if (area_of[i] == no_area) continue;
        const size_t base = (static_cast<size_t>(area_of[i]) * months + static_cast<size_t>(incidents.month[i].index - first)) * groups;
        for (size_t g = 0; g < groups; ++g)
            if (membership.contains(g, incidents.type[i])) ++cube[base + g];
    }
    for (size_t cell = 0; cell < cube.size(); ++cell) {
        if (cube[cell] == 0) continue;
        const size_t g = cell % groups;
        const size_t m = cell / groups % months;
        const size_t a = cell / groups / months;
        out.push_back(AreaMonthCount{static_cast<int32_t>(a), Month{first + static_cast<int32_t>(m)},
                                     static_cast<uint16_t>(g), cube[cell]});
    }
    return out;
}

} // namespace safer
