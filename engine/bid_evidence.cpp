#include "engine/bid_evidence.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "engine/area_index.hpp"
#include "engine/errors.hpp"
#include "engine/exact_tests.hpp"
#include "engine/getis_ord.hpp"
#include "engine/spatial_weights.hpp"
#include "engine/text.hpp"

namespace safer::bid {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

ChangeWindows change_windows(const AnalysisWindow& w) {
    ChangeWindows c;
    c.full = w.has_previous;
    if (c.full) {
        c.before_from = w.previous_from, c.before_to = w.previous_to, c.after_from = w.from, c.after_to = w.to;
    } else {
        c.before_from = w.from, c.before_to = Month{w.from.index + w.span / 2 - 1};
        c.after_from = Month{w.to.index - w.span / 2 + 1}, c.after_to = w.to;
    }
    return c;
}

/// Gi* of the group's rate over queen-contiguous areas with a population.
void gi_of_rates(BidEvidence& e, const Areas& areas, const std::vector<size_t>& unit_area, const hotspots::SpatialWeights& queen) {
    const GroupColumns& gs = e.group_stats();
    std::vector<double> unit_rate;
    for (size_t a : unit_area) unit_rate.push_back(gs.rate[a]);
    e.gi_z.assign(areas.size(), nan), e.gi_p.assign(areas.size(), nan), e.gi_bin.assign(areas.size(), 0), e.gi_null.assign(areas.size(), 1);
    try {
        const hotspots::GiStarResult gi = hotspots::gi_star(unit_rate, queen);
        for (size_t u = 0; u < unit_area.size(); ++u)
            e.gi_z[unit_area[u]] = gi.z[u], e.gi_p[unit_area[u]] = gi.p[u], e.gi_bin[unit_area[u]] = gi.bin[u], e.gi_null[unit_area[u]] = 0;
        e.gi_warnings = gi.warnings;
    } catch (const InputError& error) {
        e.gi_error = error.what();
    }
}

/// The police.uk locations where each target's incidents of the group were recorded, most frequent
/// first (ties by name), "On or near " left off.
void streets_of_targets(BidEvidence& e, const Incidents& in, const std::vector<int32_t>& area_now, const GroupMembership& membership) {
    std::vector<int32_t> target_of(e.stats.empty() ? 0 : e.stats[e.group].count.size(), -1);
    for (size_t k = 0; k < e.targets.size(); ++k)
        for (size_t a : e.targets[k].areas) target_of[a] = static_cast<int32_t>(k);
    std::vector<std::map<std::string, double>> counts(e.targets.size());
    for (size_t i = 0; i < in.size(); ++i) {
        if (area_now[i] == no_area || !membership.contains(e.group, in.type[i])) continue;
        const int32_t k = target_of[static_cast<size_t>(area_now[i])];
        if (k < 0 || i >= in.location.size()) continue;
        const std::string_view street = street_of(in.location[i]);
        if (!street.empty()) counts[static_cast<size_t>(k)][std::string(street)] += 1;
    }
    for (size_t k = 0; k < e.targets.size(); ++k) {
        std::vector<std::pair<std::string, double>> v(counts[k].begin(), counts[k].end());
        std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
        if (v.size() > max_streets) v.resize(max_streets);
        e.targets[k].streets = std::move(v);
    }
}

/// 100 x (values at or below `value`) / values, over ascending `sorted`: GroupColumns::pct's
/// percentile for a value that need not be one of them.
double percentile_among(const std::vector<double>& sorted, double value) {
    if (sorted.empty() || std::isnan(value)) return std::nan("");
    const auto at_or_below = std::upper_bound(sorted.begin(), sorted.end(), value) - sorted.begin();
    return 100.0 * static_cast<double>(at_or_below) / static_cast<double>(sorted.size());
}

} // namespace

BidEvidence bid_evidence(const Incidents& in, const CrimeTypes& types, const Areas& areas, const std::vector<int32_t>& area_of,
                         const AnalysisWindow& window, const BidOptions& o, Progress* progress) {
    BidEvidence e;
    e.window = window;
    e.change = change_windows(window);
    e.group = o.group;
    const std::vector<CrimeGroup>& groups = o.groups;
    e.groups = o.groups;
    const GroupMembership membership(groups, types);
    const size_t G = o.group;
    const Month from = window.from, to = window.to;
    for (size_t a = 0; a < areas.size(); ++a)
        if (!(areas.population[a] > 0)) e.no_population.push_back(areas.code[a]);

    // Statistics of every group in the months analysed.
    std::vector<int32_t> area_now(in.size(), no_area);
    for (size_t i = 0; i < in.size(); ++i)
        if (in.month[i] >= from && in.month[i] <= to) area_now[i] = area_of[i];
    e.stats = summarise_areas(areas, groups, membership, in, area_now);
    GroupColumns& gs = e.stats[G];
    if (gs.total == 0)
        throw InputError(fmt::format("the {} group has no incidents in these areas from {} to {}: there is nothing to target", groups[G].name, from.str(), to.str()));

    // Comparison groups: each area's ratio is to its own group's rate.
    const std::vector<std::string> none(areas.size());
    const std::vector<std::string>& compare = o.compare_group.empty() ? none : o.compare_group;
    std::map<std::string, std::pair<double, double>> totals; // group -> (count, population)
    for (size_t a = 0; a < areas.size(); ++a)
        if (areas.population[a] > 0) {
            auto& t = totals[compare[a]];
            t.first += static_cast<double>(gs.count[a]);
            t.second += areas.population[a];
        }
    const auto compare_rate = [&](size_t a) {
        const auto& t = totals[compare[a]];
        return t.second > 0 ? 1000.0 * t.first / t.second : nan;
    };
    if (!o.compare_group.empty())
        for (size_t a = 0; a < areas.size(); ++a) gs.ratio[a] = std::isnan(gs.rate[a]) ? nan : gs.rate[a] / compare_rate(a);

    // Change and per-type counts of the group.
    e.before.assign(areas.size(), 0), e.after.assign(areas.size(), 0);
    for (size_t t = 0; t < types.size(); ++t)
        if (membership.contains(G, static_cast<CrimeTypeId>(t))) e.group_types.push_back(static_cast<CrimeTypeId>(t));
    e.type_count.assign(e.group_types.size(), std::vector<double>(areas.size(), 0));
    const CrimeTypeId* burglary = types.find("Burglary");
    std::vector<double> burglary_count(areas.size(), 0);
    const ChangeWindows& c = e.change;
    for (size_t i = 0; i < in.size(); ++i) {
        const auto a = static_cast<size_t>(area_of[i]);
        const Month m = in.month[i];
        const bool now = m >= from && m <= to;
        if (now && burglary && in.type[i] == *burglary) burglary_count[a] += 1;
        if (!membership.contains(G, in.type[i])) continue;
        if (now)
            for (size_t k = 0; k < e.group_types.size(); ++k)
                if (in.type[i] == e.group_types[k]) e.type_count[k][a] += 1;
        if (m >= c.before_from && m <= c.before_to) e.before[a] += 1;
        if (m >= c.after_from && m <= c.after_to) e.after[a] += 1;
    }
    e.change_pct.resize(areas.size());
    e.change_p.assign(areas.size(), nan);
    e.burglary_per_household.assign(areas.size(), nan);
    const double before_months = c.before_to.index - c.before_from.index + 1, after_months = c.after_to.index - c.after_from.index + 1;
    for (size_t a = 0; a < areas.size(); ++a) {
        e.change_pct[a] = e.before[a] > 0 ? 100.0 * (e.after[a] - e.before[a]) / e.before[a] : nan;
        if (e.before[a] + e.after[a] > 0)
            e.change_p[a] = evaluation::rate_ratio_test(static_cast<uint64_t>(e.after[a]), after_months, static_cast<uint64_t>(e.before[a]), before_months).p;
        if (areas.households[a] > 0) e.burglary_per_household[a] = 1000.0 * burglary_count[a] / areas.households[a];
    }

    // Residents against footfall: town-centre types as a share of all crime, and areas with few
    // residents, whose rates per resident say more about visitors than about the people who live there.
    {
        std::vector<uint8_t> town(types.size(), 0);
        for (const char* name : town_centre_types)
            if (const CrimeTypeId* id = types.find(name)) town[*id] = 1;
        std::vector<double> all_crime(areas.size(), 0), town_crime(areas.size(), 0), place_crime(areas.size(), 0);
        for (size_t i = 0; i < in.size(); ++i)
            if (area_now[i] != no_area) {
                const auto a = static_cast<size_t>(area_now[i]);
                all_crime[a] += 1;
                if (town[in.type[i]]) town_crime[a] += 1;
                if (i < in.location.size() && is_generic_place(in.location[i])) place_crime[a] += 1;
            }
        const auto median = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return v.empty() ? nan : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
        };
        std::vector<double> pops, rates;
        e.all_rate.assign(areas.size(), nan);
        for (size_t a = 0; a < areas.size(); ++a)
            if (areas.population[a] > 0) {
                pops.push_back(areas.population[a]);
                e.all_rate[a] = 1000 * all_crime[a] / areas.population[a];
                rates.push_back(e.all_rate[a]);
            }
        e.typical_population = median(pops);
        e.typical_all_rate = median(rates);
        e.town_centre_share.assign(areas.size(), nan), e.place_share.assign(areas.size(), nan);
        e.footfall.assign(areas.size(), 0), e.few_residents.assign(areas.size(), 0);
        for (size_t a = 0; a < areas.size(); ++a) {
            if (all_crime[a] > 0) e.town_centre_share[a] = town_crime[a] / all_crime[a], e.place_share[a] = place_crime[a] / all_crime[a];
            e.footfall[a] = all_crime[a] >= footfall_min_crimes &&
                            (e.town_centre_share[a] > footfall_share || e.place_share[a] > place_share || e.all_rate[a] > rate_multiple * e.typical_all_rate);
            e.few_residents[a] = areas.population[a] > 0 && areas.population[a] < few_residents_share * e.typical_population;
        }
    }

    // Gi* and the target-area candidates over the areas with a population.
    std::vector<size_t> unit_area;
    std::vector<const GEOSGeometry*> unit_geometry;
    double input_count = 0, input_population = 0;
    for (size_t a = 0; a < areas.size(); ++a)
        if (areas.population[a] > 0) {
            unit_area.push_back(a), unit_geometry.push_back(areas.geometry[a].get());
            input_count += static_cast<double>(gs.count[a]), input_population += areas.population[a];
        }
    e.input_rate = input_population > 0 ? 1000.0 * input_count / input_population : nan;
    const hotspots::SpatialWeights queen = hotspots::contiguity(unit_geometry, hotspots::Contiguity::queen);
    gi_of_rates(e, areas, unit_area, queen);
    std::vector<double> unit_count, unit_pop;
    for (size_t a : unit_area) {
        unit_count.push_back(static_cast<double>(gs.count[a]));
        // With --residential-only an area whose crime is footfall cannot join a cluster.
        unit_pop.push_back(o.residential_only && (e.footfall[a] || e.few_residents[a]) ? nan : areas.population[a]);
    }
    const std::vector<TargetCandidate> candidates = target_candidates(unit_count, unit_pop, queen, o.targets);
    if (candidates.empty())
        throw InputError(fmt::format("no cluster of up to {} contiguous areas has between {} and {} residents: widen --min-population, "
                                     "--max-population or --max-areas",
                                     o.targets.max_areas, grouped(o.targets.min_population), grouped(o.targets.max_population)));
    std::vector<double> sorted_rates; // every area's rate of the group, for where a cluster's stands among them
    for (double r : gs.rate)
        if (!std::isnan(r)) sorted_rates.push_back(r);
    std::sort(sorted_rates.begin(), sorted_rates.end());
    GEOSContextHandle_t ctx = geos::context();
    for (const TargetCandidate& cand : candidates) {
        Target t;
        t.candidate = cand;
        std::vector<GEOSGeometry*> parts;
        for (size_t u : cand.areas) {
            const size_t a = unit_area[u];
            t.areas.push_back(a);
            parts.push_back(GEOSGeom_clone_r(ctx, areas.geometry[a].get()));
            t.best_bin = std::max(t.best_bin, static_cast<int>(e.gi_bin[a]));
        }
        geos::Geometry collection =
            geos::checked(GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, parts.data(), static_cast<unsigned>(parts.size())), "collection");
        t.geometry = geos::checked(GEOSUnaryUnion_r(ctx, collection.get()), "union of target areas");
        t.comparison_rate = o.compare_group.empty() ? gs.comparison_rate : compare_rate(t.areas.front());
        t.input_percentile = percentile_among(sorted_rates, cand.rate);
        t.at_best_bin = static_cast<size_t>(std::count_if(t.areas.begin(), t.areas.end(), [&](size_t a) { return e.gi_bin[a] == t.best_bin; }));
        for (size_t& grown : t.candidate.grown) grown = unit_area[grown]; // units to area indexes
        for (size_t a : t.areas) t.before += e.before[a], t.after += e.after[a];
        if (t.before + t.after > 0)
            t.change_p = evaluation::rate_ratio_test(static_cast<uint64_t>(t.after), after_months, static_cast<uint64_t>(t.before), before_months).p;
        e.targets.push_back(std::move(t));
    }
    streets_of_targets(e, in, area_now, membership);

    // Density of the group over the areas, in the months analysed.
    kde::Points points;
    for (size_t i = 0; i < in.size(); ++i)
        if (area_now[i] != no_area && membership.contains(G, in.type[i])) points.x.push_back(in.x[i]), points.y.push_back(in.y[i]);
    kde::StudyArea study;
    for (const auto& g : areas.geometry) study.polygons.push_back(g.get());
    kde::Options kopt;
    kopt.fallback_bandwidth = 250;
    if (progress) progress->begin("estimating the density surface", 1000);
    kopt.progress = progress;
    e.density = kde::estimate(points, kopt, &study);
    if (progress) progress->end();
    e.density_classes = kde::hotspot_classes(e.density.grid, e.density.value, points);

    // Monthly series by type: the top target against its comparison area, every month kept.
    const Target& top = e.targets.front();
    MonthlySeries& s = e.monthly;
    for (int m = window.keep_from().index; m <= to.index; ++m) s.months.push_back(Month{m});
    const size_t M = s.months.size();
    std::vector<uint8_t> in_target(areas.size(), 0), in_compare(areas.size(), 0);
    for (size_t a : top.areas) in_target[a] = 1;
    for (size_t a = 0; a < areas.size(); ++a)
        if (areas.population[a] > 0 && compare[a] == compare[top.areas.front()]) in_compare[a] = 1, s.comparison_population += areas.population[a];
    s.target_population = top.candidate.population;
    s.target.assign(e.group_types.size(), std::vector<double>(M, 0));
    s.comparison = s.target;
    for (size_t i = 0; i < in.size(); ++i) {
        const auto a = static_cast<size_t>(area_of[i]);
        const auto mi = static_cast<size_t>(in.month[i].index - window.keep_from().index);
        for (size_t k = 0; k < e.group_types.size(); ++k)
            if (in.type[i] == e.group_types[k]) {
                if (in_target[a]) s.target[k][mi] += 1;
                if (in_compare[a]) s.comparison[k][mi] += 1;
            }
    }
    return e;
}

TargetStudy top_target_study(const BidEvidence& e, const Incidents& in, const Areas& areas, const std::vector<int32_t>& area_of) {
    TargetStudy t;
    std::vector<int32_t> sub_index(areas.size(), -1);
    GEOSContextHandle_t ctx = geos::context();
    for (size_t a : e.targets.front().areas) {
        sub_index[a] = static_cast<int32_t>(t.areas.size());
        t.areas.code.push_back(areas.code[a]);
        t.areas.name.push_back(areas.name[a]);
        t.areas.population.push_back(areas.population[a]);
        t.areas.households.push_back(areas.households[a]);
        t.areas.geometry.push_back(geos::checked(GEOSGeom_clone_r(ctx, areas.geometry[a].get()), "target area"));
    }
    t.incidents = in;
    std::vector<uint8_t> mask(in.size(), 0);
    for (size_t i = 0; i < in.size(); ++i)
        if (in.month[i] >= e.window.from && in.month[i] <= e.window.to && sub_index[static_cast<size_t>(area_of[i])] >= 0) {
            mask[i] = 1;
            t.area_of.push_back(sub_index[static_cast<size_t>(area_of[i])]);
        }
    t.incidents.keep(mask);
    return t;
}

TargetStreets target_streets(const BidEvidence& e, std::span<const FeatureRecord> streets, const Incidents& in, const CrimeTypes& types,
                             Progress* progress) {
    TargetStreets t;
    const GroupMembership membership(e.groups, types);
    std::vector<uint8_t> selected(in.size(), 0);
    for (size_t i = 0; i < in.size(); ++i)
        selected[i] = membership.contains(e.group, in.type[i]) && in.month[i] >= e.window.from && in.month[i] <= e.window.to;
    try {
        t.segments = segments::analyse_segments(streets, in, selected, t.options, progress);
    } catch (const InputError& error) {
        t.error = error.what();
        return t;
    }
    if (e.targets.empty()) return t;
    t.top = segments::segments_with_middle_in(t.segments, e.targets.front().geometry.get());
    std::sort(t.top.begin(), t.top.end(), [&](size_t a, size_t b) { return segments::busier(t.segments, a, b); });
    return t;
}

} // namespace safer::bid
