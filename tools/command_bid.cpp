// safer bid: the evidence a Safer Streets bid team needs in one run: per-LSOA rates, ratios,
// ranks, change and Gi* status, contiguous target-area candidates, a density surface, and a
// self-contained HTML evidence pack with CSVs of every table.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>

#include "engine/area_index.hpp"
#include "engine/area_stats.hpp"
#include "engine/errors.hpp"
#include "engine/getis_ord.hpp"
#include "engine/kde.hpp"
#include "engine/spatial_weights.hpp"
#include "engine/target_areas.hpp"
#include "engine/text.hpp"
#include "layers/area_reader.hpp"
#include "layers/checksum.hpp"
#include "layers/code_table.hpp"
#include "layers/geopackage.hpp"
#include "layers/postgis.hpp"
#include "layers/csv_writer.hpp"
#include "layers/report.hpp"
#include "tools/commands.hpp"
#include "tools/design_out.hpp"
#include "tools/legacy.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

namespace fs = std::filesystem;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::string sibling(const std::string& output, const std::string& suffix) {
    const fs::path p(output);
    return (p.parent_path() / (p.stem().string() + suffix)).string();
}

std::string confidence_text(int bin) {
    switch (std::abs(bin)) {
    case 3: return "99 %";
    case 2: return "95 %";
    case 1: return "90 %";
    default: return "";
    }
}

struct BidCommand {
    CrimeOptions crimes;
    OutputOptions out;
    std::string report_path;
    std::string areas_path;
    std::string population_path;
    std::string households_path;
    std::string imd_path;
    std::string group = "neighbourhood";
    std::string compare_by;
    int months = 12;
    int max_areas = 5;
    double min_population = 1000;
    double max_population = 10000;
    DesignOutOptions design; // asset layers and the intervention model (design_out.hpp)
    layers::AreaOptions area_options;
    layers::PopulationOptions population_options;

    void run() const {
        Progress progress(out.quiet);
        if (months < 1 || months > 120) throw UsageError(fmt::format("--months {}: give 1 to 120", months));
        // The CSVs go beside the GeoPackage, or beside the report when the layers go to PostGIS.
        const std::string csv_base = layers::is_postgis_target(out.output) ? report_path : out.output;
        const std::string areas_csv = sibling(csv_base, "_areas.csv"), targets_csv = sibling(csv_base, "_target_areas.csv"),
                          monthly_csv = sibling(csv_base, "_monthly.csv");
        const std::string plan_csv = sibling(csv_base, "_interventions.csv");
        for (const std::string& p : {out.output, report_path, areas_csv, targets_csv, monthly_csv}) layers::check_output_path(p, out.overwrite);
        const bool with_assets = design.has_assets();
        if (with_assets) layers::check_output_path(plan_csv, out.overwrite);
        const DesignOutModel model = prepare_design_out(design);
        if (design.budget >= 0 && !with_assets)
            progress.warn(fmt::format("--budget {} without asset layers (--lighting, --cctv, --paths): no intervention plan is made, as where "
                                      "crime is unguarded cannot be told",
                                      money(design.budget)));
        if (with_assets && design.budget < 0)
            progress.warn("asset layers without --budget: the interventions for the top candidate are ranked, but no plan is made");

        const std::vector<CrimeGroup> groups = builtin_crime_groups();
        const auto gi_it = std::find_if(groups.begin(), groups.end(), [&](const CrimeGroup& g) { return g.name == group; });
        if (gi_it == groups.end()) throw UsageError(fmt::format("--group {}: no such crime group", group));
        const size_t G = static_cast<size_t>(gi_it - groups.begin());

        const layers::IngestOptions options = resolve(crimes);
        layers::IngestResult result = layers::read_incidents(crimes.crimes, options, progress);
        layers::AreaReport area_report;
        layers::AreaOptions ao = area_options;
        ao.working_crs = options.working_crs;
        ao.input_crs = options.input_crs;
        Areas areas = layers::read_areas(areas_path, ao, area_report, progress);
        layers::PopulationReport pop_report;
        layers::join_population(areas, population_path, population_options, pop_report);
        if (!households_path.empty()) {
            const layers::CodeTable h = layers::read_code_table(households_path, {"households"});
            for (size_t a = 0; a < areas.size(); ++a)
                if (auto v = h.get(areas.code[a], 0)) {
                    std::string digits;
                    for (char c : *v)
                        if (c != ',') digits += c;
                    try {
                        areas.households[a] = std::stod(digits);
                    } catch (const std::exception&) {
                        throw InputError(fmt::format("{}: households '{}' for {} is not a number", households_path, *v, areas.code[a]));
                    }
                }
        }
        std::vector<std::string> imd_decile(areas.size()), compare_group(areas.size());
        if (!imd_path.empty()) {
            const layers::CodeTable t = layers::read_code_table(imd_path, {"(imd) decile"});
            for (size_t a = 0; a < areas.size(); ++a) imd_decile[a] = t.get(areas.code[a], 0).value_or("");
        }
        if (!compare_by.empty()) {
            std::string source = !imd_path.empty() ? imd_path : population_path;
            const layers::CodeTable t = layers::read_code_table(source, {compare_by});
            size_t missing = 0;
            for (size_t a = 0; a < areas.size(); ++a) {
                compare_group[a] = t.get(areas.code[a], 0).value_or("");
                if (compare_group[a].empty()) ++missing;
            }
            if (missing == areas.size()) throw InputError(fmt::format("{}: column '{}' gives no value for any of the areas", source, compare_by));
            if (missing) progress.warn(fmt::format("{} area(s) have no '{}' in {}; they are compared with the other areas without one", missing, compare_by, source));
        }
        std::vector<std::string> no_population;
        for (size_t a = 0; a < areas.size(); ++a)
            if (!(areas.population[a] > 0)) no_population.push_back(areas.code[a]);
        if (!no_population.empty())
            progress.warn(fmt::format("{} of {} areas have no (or zero) population in {}: their rates are undefined and they are not ranked "
                                      "or eligible as targets: {}{}",
                                      no_population.size(), areas.size(), population_path,
                                      fmt::join(no_population.begin(), no_population.begin() + std::min<size_t>(no_population.size(), 10), ", "),
                                      no_population.size() > 10 ? ", ..." : ""));

        std::vector<int32_t> area_of = AreaIndex(areas).locate(result.incidents.x, result.incidents.y, &progress);

        // The months analysed: the last --months of the data (or --from/--to), and the change
        // window before them.
        Month first{INT32_MAX}, last{-1};
        for (size_t i = 0; i < result.incidents.size(); ++i)
            if (area_of[i] != no_area) first = std::min(first, result.incidents.month[i]), last = std::max(last, result.incidents.month[i]);
        if (!last.valid()) throw InputError("no incident falls in any of the areas");
        Month to = options.window.to ? *options.window.to : last;
        Month from = options.window.from ? *options.window.from : Month{to.index - months + 1};
        if (options.window.from && !options.window.to) to = Month{from.index + months - 1};
        if (from < first || to > last)
            throw InputError(fmt::format("months requested beyond the data: {} to {} asked for, but the incidents in these areas cover {} "
                                         "to {} ({} months)",
                                         from.str(), to.str(), first.str(), last.str(), last.index - first.index + 1));
        const int span = to.index - from.index + 1;
        Month prev_from{from.index - span}, prev_to{from.index - 1};
        bool full_change = prev_from >= first;
        Month early_from = from, early_to{from.index + span / 2 - 1}, late_from{to.index - span / 2 + 1}, late_to = to;
        const std::string change_rule = full_change
            ? fmt::format("the {} months {} to {} against the {} before ({} to {})", span, from.str(), to.str(), span, prev_from.str(), prev_to.str())
            : fmt::format("the later half ({2} to {3}) against the earlier half ({4} to {5}), as the data does not cover the {0} months before {1}",
                          span, from.str(), late_from.str(), late_to.str(), early_from.str(), early_to.str());
        const Month keep_from = full_change ? prev_from : from;

        // Incidents used: located in an area and within the months analysed (and the change window).
        std::vector<uint8_t> keep(result.incidents.size());
        for (size_t i = 0; i < keep.size(); ++i) {
            const Month m = result.incidents.month[i];
            if (area_of[i] == no_area)
                result.rejects.add(result.incidents.source[i], result.incidents.line[i], RejectReason::outside_areas,
                                   fmt::format("x {:.1f}, y {:.1f}", result.incidents.x[i], result.incidents.y[i]));
            else if (m < keep_from || m > to)
                result.rejects.add(result.incidents.source[i], result.incidents.line[i], RejectReason::outside_window,
                                   fmt::format("{}: outside the months analysed", m.str()));
            else
                keep[i] = 1;
        }
        result.incidents.keep(keep);
        result.rejects.sort();
        std::vector<int32_t> kept_area;
        for (size_t i = 0; i < keep.size(); ++i)
            if (keep[i]) kept_area.push_back(area_of[i]);
        area_of = std::move(kept_area);
        print_ingest_summary(result, result.incidents.size(), progress);
        const Incidents& in = result.incidents;
        const GroupMembership membership(groups, result.types);

        // Current window statistics for every group.
        std::vector<int32_t> area_now(in.size(), no_area);
        for (size_t i = 0; i < in.size(); ++i)
            if (in.month[i] >= from && in.month[i] <= to) area_now[i] = area_of[i];
        std::vector<GroupColumns> stats = summarise_areas(areas, groups, membership, in, area_now);
        GroupColumns& gs = stats[G];
        if (gs.total == 0)
            throw InputError(fmt::format("the {} group has no incidents in these areas from {} to {}: there is nothing to target", group, from.str(), to.str()));

        // Comparison areas (--compare-by): each area's ratio is to its own group's rate.
        std::map<std::string, std::pair<double, double>> compare_totals; // group -> (count, population) of group G
        for (size_t a = 0; a < areas.size(); ++a)
            if (areas.population[a] > 0) {
                auto& t = compare_totals[compare_group[a]];
                t.first += static_cast<double>(gs.count[a]);
                t.second += areas.population[a];
            }
        const auto compare_rate = [&](size_t a) {
            const auto& t = compare_totals[compare_group[a]];
            return t.second > 0 ? 1000.0 * t.first / t.second : nan;
        };
        if (!compare_by.empty())
            for (size_t a = 0; a < areas.size(); ++a) gs.ratio[a] = std::isnan(gs.rate[a]) ? nan : gs.rate[a] / compare_rate(a);

        // Change and per-type counts of the group.
        std::vector<double> before(areas.size(), 0), after(areas.size(), 0);
        std::vector<CrimeTypeId> group_types;
        for (size_t t = 0; t < result.types.size(); ++t)
            if (membership.contains(G, static_cast<CrimeTypeId>(t))) group_types.push_back(static_cast<CrimeTypeId>(t));
        std::vector<std::vector<double>> type_count(group_types.size(), std::vector<double>(areas.size(), 0));
        const CrimeTypeId* burglary = result.types.find("Burglary");
        std::vector<double> burglary_count(areas.size(), 0);
        for (size_t i = 0; i < in.size(); ++i) {
            const auto a = static_cast<size_t>(area_of[i]);
            const Month m = in.month[i];
            const bool now = m >= from && m <= to;
            if (now && burglary && in.type[i] == *burglary) burglary_count[a] += 1;
            if (!membership.contains(G, in.type[i])) continue;
            if (now)
                for (size_t k = 0; k < group_types.size(); ++k)
                    if (in.type[i] == group_types[k]) type_count[k][a] += 1;
            if (full_change) {
                if (m >= prev_from && m <= prev_to) before[a] += 1;
                if (now) after[a] += 1;
            } else {
                if (m >= early_from && m <= early_to) before[a] += 1;
                if (m >= late_from && m <= late_to) after[a] += 1;
            }
        }
        std::vector<double> change_pct(areas.size());
        for (size_t a = 0; a < areas.size(); ++a) change_pct[a] = before[a] > 0 ? 100.0 * (after[a] - before[a]) / before[a] : nan;

        // Gi* of the group's rate over queen-contiguous areas with a population.
        std::vector<size_t> unit_area;
        std::vector<const GEOSGeometry*> unit_geometry;
        for (size_t a = 0; a < areas.size(); ++a)
            if (areas.population[a] > 0) unit_area.push_back(a), unit_geometry.push_back(areas.geometry[a].get());
        const hotspots::SpatialWeights queen = hotspots::contiguity(unit_geometry, hotspots::Contiguity::queen);
        std::vector<double> unit_rate, unit_count, unit_pop;
        for (size_t a : unit_area) unit_rate.push_back(gs.rate[a]), unit_count.push_back(static_cast<double>(gs.count[a])), unit_pop.push_back(areas.population[a]);
        std::vector<double> gi_z(areas.size(), nan), gi_p(areas.size(), nan);
        std::vector<int64_t> gi_bin(areas.size(), 0);
        std::vector<uint8_t> gi_null(areas.size(), 1);
        std::string gi_note;
        try {
            const hotspots::GiStarResult gi = hotspots::gi_star(unit_rate, queen);
            for (size_t u = 0; u < unit_area.size(); ++u)
                gi_z[unit_area[u]] = gi.z[u], gi_p[unit_area[u]] = gi.p[u], gi_bin[unit_area[u]] = gi.bin[u], gi_null[unit_area[u]] = 0;
            for (const std::string& w : gi.warnings) progress.warn(w);
        } catch (const InputError& e) {
            gi_note = std::string("Gi* could not be computed: ") + e.what();
            progress.warn(gi_note);
        }

        // Target-area candidates.
        TargetOptions topt;
        topt.max_areas = max_areas;
        topt.min_population = min_population;
        topt.max_population = max_population;
        const std::vector<TargetCandidate> unit_candidates = target_candidates(unit_count, unit_pop, queen, topt);
        if (unit_candidates.empty())
            throw InputError(fmt::format("no cluster of up to {} contiguous areas has between {} and {} residents: widen --min-population, "
                                         "--max-population or --max-areas",
                                         max_areas, grouped(min_population), grouped(max_population)));
        struct Target {
            TargetCandidate c;
            std::vector<size_t> areas; // area indexes
            geos::Geometry geometry;
            std::string reason;
            double comparison_rate = nan;
            int best_bin = 0;
            size_t hot_areas = 0;
        };
        std::vector<Target> targets;
        GEOSContextHandle_t ctx = geos::context();
        for (const TargetCandidate& c : unit_candidates) {
            Target t;
            t.c = c;
            std::vector<GEOSGeometry*> parts;
            for (size_t u : c.areas) {
                const size_t a = unit_area[u];
                t.areas.push_back(a);
                parts.push_back(GEOSGeom_clone_r(ctx, areas.geometry[a].get()));
                if (gi_bin[a] > t.best_bin) t.best_bin = static_cast<int>(gi_bin[a]);
                if (gi_bin[a] >= 2) ++t.hot_areas;
            }
            geos::Geometry collection = geos::checked(GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, parts.data(), static_cast<unsigned>(parts.size())), "collection");
            t.geometry = geos::checked(GEOSUnaryUnion_r(ctx, collection.get()), "union of target areas");
            t.comparison_rate = compare_by.empty() ? gs.comparison_rate : compare_rate(t.areas.front());
            std::vector<std::string> codes;
            for (size_t a : t.areas) codes.push_back(areas.code[a]);
            t.reason = fmt::format("{} LSOA{} ({}), {} residents, {} {} crimes in {} months, {:.1f}x the {} rate{}", t.areas.size(),
                                   t.areas.size() == 1 ? "" : "s", fmt::join(codes, ", "), grouped(c.population), grouped(c.count), group, span,
                                   c.rate / t.comparison_rate, compare_by.empty() ? "all-areas" : compare_group[t.areas.front()] + " (" + compare_by + ")",
                                   t.best_bin > 0 ? fmt::format(", hot at {} (Gi*) in {} of {} LSOAs", confidence_text(t.best_bin),
                                                                std::count_if(t.areas.begin(), t.areas.end(), [&](size_t a) { return gi_bin[a] == t.best_bin; }),
                                                                t.areas.size())
                                                  : ", not a significant Gi* hot spot");
            targets.push_back(std::move(t));
        }

        // Density surface of the group over the study area, in the months analysed.
        kde::Points points;
        for (size_t i = 0; i < in.size(); ++i)
            if (area_now[i] != no_area && membership.contains(G, in.type[i])) points.x.push_back(in.x[i]), points.y.push_back(in.y[i]);
        kde::StudyArea study;
        for (const auto& g : areas.geometry) study.polygons.push_back(g.get());
        kde::Options kopt;
        kopt.fallback_bandwidth = 250;
        progress.begin("estimating the density surface", 1);
        const kde::Surface surface = kde::estimate(points, kopt, &study);
        progress.end();
        for (const std::string& w : surface.warnings) progress.warn(w);
        const std::string bandwidth_rule = surface.bandwidth_fallback ? "fixed: the incidents are all at one place" : "auto";
        const kde::Hotspots kde_classes = kde::hotspot_classes(surface.grid, surface.value, points);

        // ---- Tables ----------------------------------------------------------------------------
        layers::Table at;
        at.name = "areas";
        at.description = fmt::format("Areas with crime counts and rates ({} to {}), ratios, ranks, change, Gi* and IMD decile", from.str(), to.str());
        at.geometry_kind = layers::GeometryKind::polygon;
        for (const auto& g : areas.geometry) at.geometry.push_back(g.get());
        at.columns.push_back(layers::Column::text("code", "Area code", areas.code));
        at.columns.push_back(layers::Column::text("name", "Area name", areas.name));
        at.columns.push_back(layers::Column::real("population", "Residents (from the population file)", areas.population));
        at.columns.push_back(layers::Column::real("households", "Households, where given", areas.households));
        for (const GroupColumns& g : stats) {
            std::vector<int64_t> count(g.count.begin(), g.count.end()), rank(g.rank.begin(), g.rank.end());
            std::vector<uint8_t> unranked(areas.size());
            for (size_t a = 0; a < areas.size(); ++a) unranked[a] = g.rank[a] <= 0;
            at.columns.push_back(layers::Column::integer(g.group + "_count", "Incidents of the group in the months analysed", count));
            at.columns.push_back(layers::Column::real(g.group + "_rate", "Per 1,000 residents", g.rate));
            at.columns.push_back(layers::Column::real(g.group + "_ratio", "Rate / comparison area's rate", g.ratio));
            at.columns.push_back(layers::Column::integer(g.group + "_rank", "1 = highest rate", rank, unranked));
            at.columns.push_back(layers::Column::real(g.group + "_pct", "Percentile of the rate", g.pct));
        }
        for (size_t k = 0; k < group_types.size(); ++k)
            at.columns.push_back(layers::Column::real("type_" + layer_name_part(result.types.name(group_types[k])) + "_count",
                                                      fmt::format("{} in the months analysed", result.types.name(group_types[k])), type_count[k]));
        std::vector<double> burglary_hh(areas.size(), nan);
        for (size_t a = 0; a < areas.size(); ++a)
            if (areas.households[a] > 0) burglary_hh[a] = 1000.0 * burglary_count[a] / areas.households[a];
        at.columns.push_back(layers::Column::real("burglary_per_1000_households", "Burglaries per 1,000 households, where households are given", burglary_hh));
        at.columns.push_back(layers::Column::real(group + "_before", "Incidents of the group in the earlier comparison window", before));
        at.columns.push_back(layers::Column::real(group + "_after", "Incidents of the group in the later comparison window", after));
        at.columns.push_back(layers::Column::real(group + "_change_pct", "100 (after - before) / before; empty when before is 0", change_pct));
        at.columns.push_back(layers::Column::real("gi_z", fmt::format("Gi* z of the {} rate, queen contiguity", group), gi_z));
        at.columns.push_back(layers::Column::real("gi_p", "Two-sided p of gi_z", gi_p));
        at.columns.push_back(layers::Column::integer("gi_bin", "Esri Gi_Bin: +-3, 2, 1 = hot/cold at 99, 95, 90 %", gi_bin, gi_null));
        std::vector<uint8_t> no_imd(areas.size()), no_group(areas.size());
        for (size_t a = 0; a < areas.size(); ++a) no_imd[a] = imd_decile[a].empty(), no_group[a] = compare_group[a].empty();
        at.columns.push_back(layers::Column::text("imd_decile", "IMD 2019 decile (1 = most deprived 10 %)", imd_decile, no_imd));
        at.columns.push_back(layers::Column::text("compare_group", compare_by.empty() ? "Comparison area (all areas)" : "Comparison area: " + compare_by, compare_group, no_group));

        layers::Table tt;
        tt.name = "target_areas";
        tt.description = fmt::format("Target-area candidates: contiguous clusters of up to {} LSOAs with {} to {} residents, ranked by {} rate",
                                     max_areas, grouped(min_population), grouped(max_population), group);
        tt.geometry_kind = layers::GeometryKind::polygon;
        std::vector<int64_t> rank_rate, rank_count, n_areas;
        std::vector<double> t_pop, t_count, t_rate, t_ratio;
        std::vector<std::string> t_codes, t_reason;
        for (const Target& t : targets) {
            tt.geometry.push_back(t.geometry.get());
            rank_rate.push_back(static_cast<int64_t>(t.c.rank_by_rate));
            rank_count.push_back(static_cast<int64_t>(t.c.rank_by_count));
            n_areas.push_back(static_cast<int64_t>(t.areas.size()));
            t_pop.push_back(t.c.population), t_count.push_back(t.c.count), t_rate.push_back(t.c.rate), t_ratio.push_back(t.c.rate / t.comparison_rate);
            std::vector<std::string> codes;
            for (size_t a : t.areas) codes.push_back(areas.code[a]);
            t_codes.push_back(fmt::format("{}", fmt::join(codes, ",")));
            t_reason.push_back(t.reason);
        }
        tt.columns.push_back(layers::Column::integer("rank", "Rank by rate per 1,000 residents", rank_rate));
        tt.columns.push_back(layers::Column::integer("rank_by_count", "Rank by number of incidents", rank_count));
        tt.columns.push_back(layers::Column::text("codes", "LSOA codes in the cluster", t_codes));
        tt.columns.push_back(layers::Column::integer("areas", "LSOAs in the cluster", n_areas));
        tt.columns.push_back(layers::Column::real("population", "Residents", t_pop));
        tt.columns.push_back(layers::Column::real("count", fmt::format("{} incidents, {} to {}", group, from.str(), to.str()), t_count));
        tt.columns.push_back(layers::Column::real("rate", "Per 1,000 residents", t_rate));
        tt.columns.push_back(layers::Column::real("ratio", "Rate / comparison area's rate", t_ratio));
        tt.columns.push_back(layers::Column::text("reason", "Why it is a candidate", t_reason));

        // Monthly series by type: the top target against its comparison area, every month read.
        const Target& top = targets.front();
        std::vector<std::string> month_labels;
        for (int m = keep_from.index; m <= to.index; ++m) month_labels.push_back(Month{m}.str());
        const size_t M = month_labels.size();
        std::vector<uint8_t> in_target(areas.size(), 0), in_compare(areas.size(), 0);
        double compare_pop = 0;
        for (size_t a : top.areas) in_target[a] = 1;
        for (size_t a = 0; a < areas.size(); ++a)
            if (areas.population[a] > 0 && compare_group[a] == compare_group[top.areas.front()]) in_compare[a] = 1, compare_pop += areas.population[a];
        std::vector<std::vector<double>> target_series(group_types.size(), std::vector<double>(M, 0)), compare_series = target_series;
        for (size_t i = 0; i < in.size(); ++i) {
            const auto a = static_cast<size_t>(area_of[i]);
            const auto mi = static_cast<size_t>(in.month[i].index - keep_from.index);
            for (size_t k = 0; k < group_types.size(); ++k)
                if (in.type[i] == group_types[k]) {
                    if (in_target[a]) target_series[k][mi] += 1;
                    if (in_compare[a]) compare_series[k][mi] += 1;
                }
        }

        // ---- GeoPackage and CSVs ---------------------------------------------------------------
        nlohmann::ordered_json parameters{{"command", "bid"}, {"group", group}, {"from", from.str()}, {"to", to.str()},
                                          {"months", span}, {"change", change_rule}, {"compare_by", compare_by},
                                          {"max_areas", max_areas}, {"min_population", min_population},
                                          {"max_population", max_population}, {"working_crs", options.working_crs},
                                          {"kde_bandwidth_m", surface.bandwidth}, {"kde_cell_m", surface.grid.cell},
                                          {"contiguity", "queen, 0.1 m tolerance"}};
        auto inputs = result.file_checksums();
        for (const std::string& p : {areas_path, population_path, households_path, imd_path})
            if (!p.empty()) inputs.emplace_back(p, layers::sha256_file(p));

        // ---- Interventions for the top candidate (with asset layers) ----------------------------
        // The design-out analysis of `safer score`, on the crimes of every type recorded in the top
        // candidate's LSOAs in the months analysed, with those LSOAs as the study area.
        std::optional<DesignOut> plan_for_top;
        Areas top_areas;
        size_t top_incidents = 0;
        if (with_assets) {
            if (!design.costs_path.empty()) inputs.emplace_back(design.costs_path, layers::sha256_file(design.costs_path));
            std::vector<int32_t> sub_index(areas.size(), -1);
            for (size_t a : top.areas) {
                sub_index[a] = static_cast<int32_t>(top_areas.size());
                top_areas.code.push_back(areas.code[a]);
                top_areas.name.push_back(areas.name[a]);
                top_areas.population.push_back(areas.population[a]);
                top_areas.households.push_back(areas.households[a]);
                top_areas.geometry.push_back(geos::checked(GEOSGeom_clone_r(ctx, areas.geometry[a].get()), "target area"));
            }
            Incidents sub = in;
            std::vector<uint8_t> mask(in.size(), 0);
            std::vector<int32_t> sub_area;
            for (size_t i = 0; i < in.size(); ++i)
                if (area_now[i] != no_area && sub_index[static_cast<size_t>(area_now[i])] >= 0) {
                    mask[i] = 1;
                    sub_area.push_back(sub_index[static_cast<size_t>(area_now[i])]);
                }
            sub.keep(mask);
            top_incidents = sub.size();
            progress.info(fmt::format("interventions for the top candidate: {} crimes of every type in its {} LSOA(s), {} to {}", top_incidents,
                                      top_areas.size(), from.str(), to.str()));
            const std::string period = fmt::format("{} months ({} to {})", span, from.str(), to.str());
            plan_for_top = design_out(design, model, options.working_crs, sub, result.types, top_areas, sub_area, period, inputs, progress);
        }
        std::vector<size_t> plan_shown;
        layers::Table plan_table;
        if (plan_for_top) {
            const DesignOut& d = *plan_for_top;
            plan_shown = recommended(d, d.candidates.size()); // all of them: a target area has few
            plan_table = recommendations_table(d, plan_shown, "target_interventions", fmt::format("{} months ({} to {})", span, from.str(), to.str()));
            plan_table.description = fmt::format("Interventions for the top target-area candidate ({}): every candidate, best crimes prevented per "
                                                 "pound first{}; costs indicative",
                                                 fmt::join(top_areas.code, ", "), d.with_budget ? ", with the budget plan" : "");
            nlohmann::ordered_json table_json = nlohmann::ordered_json::array();
            for (const auto& spec : d.table)
                table_json.push_back({{"key", spec.key}, {"effect", spec.effect}, {"effect_source", spec.effect_source}, {"unit_cost_gbp", spec.unit_cost},
                                      {"unit", spec.unit}});
            parameters["interventions"] = {{"areas", top_areas.code}, {"crimes", top_incidents}, {"grid_m", d.grid.cell},
                                           {"budget_gbp", d.with_budget ? nlohmann::ordered_json(design.budget) : nlohmann::ordered_json()},
                                           {"plan_method", d.chosen_plan.method}, {"pressure", design.pressure}, {"path_reach_m", design.path_reach},
                                           {"light_radius_m", design.light_rule.default_radius}, {"cctv_default_range_m", d.default_range},
                                           {"table", table_json}, {"assets", d.asset_summary}};
        }
        // Everything is written to temporary files first and moved into place together at the
        // end: a failure part-way (a full disk) leaves no output of this run and every previous one.
        progress.begin(fmt::format("writing {}", out.shown()), 1);
        layers::GeoPackageWriter writer(out.output, out.overwrite, options.working_crs);
        layers::StagedFiles staged(out.overwrite);
        {
            writer.write_table(at);
            writer.write_table(tt);
            if (plan_for_top) writer.write_table(plan_table);
            const std::string kde_layer = "kde_" + group;
            writer.write_raster(kde_layer,
                                fmt::format("Kernel density of {} crime, {} to {}: quartic, bandwidth {:.0f} m ({}), cell {:g} m, incidents per km2",
                                            group, from.str(), to.str(), surface.bandwidth, bandwidth_rule, surface.grid.cell),
                                surface.grid, surface.value, kde::nodata);
            writer.write_kde_classes(kde_layer + "_classes", "Top 1, 5 and 10 % of density cells", {{"all", &surface.grid, &kde_classes}});
            std::vector<std::string> sources;
            for (const auto& s : result.sources) sources.push_back(s.path);
            writer.write_rejects(result.rejects, sources);
            record_run(writer, inputs, parameters.dump());
        }
        progress.end();
        {
            const auto table_csv = [](const layers::Table& t, size_t rows) {
                std::vector<std::string> header;
                for (const auto& c : t.columns) header.push_back(c.name);
                std::string text = layers::csv_line(header);
                for (size_t r = 0; r < rows; ++r) {
                    std::vector<std::string> row;
                    for (const auto& c : t.columns) {
                        if (c.is_null(r)) row.emplace_back();
                        else if (c.type == layers::Column::Type::integer) row.push_back(std::to_string(c.integers[r]));
                        else if (c.type == layers::Column::Type::real) row.push_back(fmt::format("{:.10g}", c.reals[r]));
                        else row.push_back(c.texts[r]);
                    }
                    text += layers::csv_line(row);
                }
                return text;
            };
            const std::string csv = table_csv(at, areas.size());
            if (plan_for_top) staged.stage(plan_csv, table_csv(plan_table, plan_shown.size()));
            staged.stage(areas_csv, csv);
            std::string tcsv = layers::csv_line({"rank", "rank_by_count", "codes", "areas", "population", "count", "rate", "ratio", "reason"});
            for (size_t k = 0; k < targets.size(); ++k)
                tcsv += layers::csv_line({std::to_string(rank_rate[k]), std::to_string(rank_count[k]), t_codes[k], std::to_string(n_areas[k]),
                                          fmt::format("{:.10g}", t_pop[k]), fmt::format("{:.10g}", t_count[k]), fmt::format("{:.10g}", t_rate[k]),
                                          fmt::format("{:.10g}", t_ratio[k]), t_reason[k]});
            staged.stage(targets_csv, tcsv);
            std::string mcsv = layers::csv_line({"month", "crime_type", "target_count", "target_rate_per_1000", "comparison_count", "comparison_rate_per_1000"});
            for (size_t k = 0; k < group_types.size(); ++k)
                for (size_t m = 0; m < M; ++m)
                    mcsv += layers::csv_line({month_labels[m], std::string(result.types.name(group_types[k])), fmt::format("{:g}", target_series[k][m]),
                                              fmt::format("{:.6g}", 1000 * target_series[k][m] / top.c.population),
                                              fmt::format("{:g}", compare_series[k][m]), fmt::format("{:.6g}", 1000 * compare_series[k][m] / compare_pop)});
            staged.stage(monthly_csv, mcsv);
        }

        // ---- The report ------------------------------------------------------------------------
        progress.begin(fmt::format("writing the report {}", report_path), 1);
        layers::HtmlReport report(fmt::format("Safer Streets evidence: {} crime, {} to {}", group, from.str(), to.str()));
        if (!no_population.empty())
            report.raw(fmt::format("<p style=\"border:2px solid #c00;padding:0.5em\"><strong>Incomplete data.</strong> {} of {} areas have no population "
                                   "in {}, so their rates are undefined: they are not ranked, not in the Gi* statistic and cannot be targets. "
                                   "They are: {}.</p>",
                                   no_population.size(), areas.size(), layers::html_escape(population_path), no_population.size(),
                                   layers::html_escape(fmt::format("{}", fmt::join(no_population, ", ")))));
        report.heading("Summary");
        report.paragraph(fmt::format("Top candidate: {}.", top.reason));
        report.paragraph(fmt::format("{} {} incidents were recorded in the {} areas from {} to {}: {:.2f} per 1,000 residents across all areas. "
                                     "Change is {}.",
                                     grouped(static_cast<double>(gs.total)), group, areas.size(), from.str(), to.str(), gs.comparison_rate, change_rule));
        // Map of rates with the target outlined.
        std::vector<double> rates;
        for (size_t a = 0; a < areas.size(); ++a)
            if (std::isfinite(gs.rate[a])) rates.push_back(gs.rate[a]);
        std::sort(rates.begin(), rates.end());
        const std::vector<std::string> colours = layers::sequential_colours(5);
        std::vector<double> breaks;
        for (size_t q = 1; q < 5; ++q) breaks.push_back(rates[std::min(rates.size() - 1, q * rates.size() / 5)]);
        std::vector<layers::MapShape> shapes;
        for (size_t a = 0; a < areas.size(); ++a) {
            layers::MapShape s;
            s.geometry = areas.geometry[a].get();
            if (std::isfinite(gs.rate[a])) {
                size_t k = 0;
                while (k < breaks.size() && gs.rate[a] >= breaks[k]) ++k;
                s.fill = colours[k];
            } else {
                s.fill = "#cccccc";
            }
            s.stroke = "#888";
            s.stroke_width = 0.3;
            s.title = fmt::format("{} {}: {} per 1,000", areas.code[a], areas.name[a], grouped(gs.rate[a], 1));
            shapes.push_back(s);
        }
        for (size_t k = 0; k < std::min<size_t>(targets.size(), 3); ++k) {
            layers::MapShape s;
            s.geometry = targets[k].geometry.get();
            s.stroke = k == 0 ? "#0033cc" : "#6688ff";
            s.stroke_width = k == 0 ? 3 : 1.5;
            s.title = fmt::format("candidate {}: {}", k + 1, targets[k].reason);
            shapes.push_back(s);
        }
        std::vector<layers::LegendItem> legend;
        for (size_t k = 0; k < 5; ++k)
            legend.push_back({colours[k], k == 0 ? fmt::format("under {:.1f} per 1,000", breaks[0])
                                          : k == 4 ? fmt::format("{:.1f} and over", breaks[3])
                                                   : fmt::format("{:.1f} to {:.1f}", breaks[k - 1], breaks[k])});
        legend.push_back({"#cccccc", "no population: rate undefined"});
        legend.push_back({"none\" stroke=\"#0033cc\" stroke-width=\"3", "top candidate (thick) and the next two"});
        report.heading(fmt::format("{} crime per 1,000 residents", group));
        report.raw(layers::svg_map(shapes, 760, legend, nullptr, "Quintiles of the rate; target-area candidates outlined in blue."));
        // KDE map.
        std::vector<float> positive;
        for (float v : surface.value)
            if (v != kde::nodata && v > 0) positive.push_back(v);
        std::sort(positive.begin(), positive.end());
        const auto quantile = [&](double q) { return positive.empty() ? 0.0 : static_cast<double>(positive[std::min(positive.size() - 1, static_cast<size_t>(q * static_cast<double>(positive.size())))]); };
        const std::vector<std::pair<double, std::string>> ramp = {{0, "255 255 255 0"}, {quantile(0.5), "255 255 178 160"},
                                                                  {quantile(0.8), "254 204 92 200"}, {quantile(0.95), "253 141 60 220"},
                                                                  {quantile(0.99), "240 59 32 235"}, {static_cast<double>(positive.empty() ? 1.0f : positive.back()), "189 0 38 255"}};
        layers::MapImage image{layers::render_raster_png(surface.grid, surface.value, kde::nodata, ramp), surface.grid.extent()};
        std::vector<layers::MapShape> outlines;
        for (size_t a = 0; a < areas.size(); ++a) outlines.push_back({areas.geometry[a].get(), "none", "#999", 0.3, ""});
        outlines.push_back({top.geometry.get(), "none", "#0033cc", 3, "top candidate"});
        report.heading("Density of incidents (kernel density)");
        report.raw(layers::svg_map(outlines, 760,
                                   {{"#fd8d3c", fmt::format("quartic kernel, bandwidth {:.0f} m, {:g} m cells; darker = denser", surface.bandwidth, surface.grid.cell)},
                                    {"none\" stroke=\"#0033cc\" stroke-width=\"3", "top candidate"}},
                                   &image, "Rendered with GDAL's colour relief from the density surface in the GeoPackage."));
        // Trend charts.
        report.heading("Monthly trend: top candidate against the comparison area");
        std::string charts;
        for (size_t k = 0; k < group_types.size(); ++k) {
            std::vector<double> tr(M), cr(M);
            for (size_t m = 0; m < M; ++m) tr[m] = 1000 * target_series[k][m] / top.c.population, cr[m] = 1000 * compare_series[k][m] / compare_pop;
            charts += layers::svg_line_chart(std::string(result.types.name(group_types[k])), month_labels,
                                             {{"top candidate", "#0033cc", tr, false}, {compare_by.empty() ? "all areas" : compare_group[top.areas.front()], "#999999", cr, true}},
                                             "per 1,000 residents a month", 370, 240);
        }
        report.raw("<div style=\"display:flex;flex-wrap:wrap;gap:0.5em\">" + charts + "</div>");
        // Tables.
        report.heading("Target-area candidates");
        std::vector<std::vector<std::string>> rows;
        for (size_t k = 0; k < targets.size(); ++k)
            rows.push_back({std::to_string(rank_rate[k]), std::to_string(rank_count[k]), t_codes[k], grouped(t_pop[k]), grouped(t_count[k]),
                            grouped(t_rate[k], 1), fmt::format("{:.2f}", t_ratio[k]), t_reason[k]});
        report.table({"rank (rate)", "rank (count)", "LSOAs", "residents", "incidents", "per 1,000", "ratio", "reason"}, rows);
        if (plan_for_top) {
            const DesignOut& d = *plan_for_top;
            report.heading("Interventions for the top candidate");
            double area_m2 = 0, lit_m2 = 0, seen_m2 = 0;
            for (size_t a = 0; a < top_areas.size(); ++a) {
                const double m2 = geos::area(top_areas.geometry[a].get());
                area_m2 += m2;
                if (!d.area_lit.empty()) lit_m2 += m2 * d.area_lit[a];
                if (!d.area_seen.empty()) seen_m2 += m2 * d.area_seen[a];
            }
            std::vector<std::string> now;
            if (!design.lighting_path.empty()) now.push_back(fmt::format("{} of its area is within reach of a working street light ({} of the {} lights read reach its extent)", percent(lit_m2 / area_m2),
                                                                    d.lit.shapes_used, grouped(static_cast<double>(d.light_count))));
            else now.push_back("no street-lighting layer was given, so lighting is not planned");
            if (!design.cctv_path.empty()) now.push_back(fmt::format("{} is in view of CCTV ({} of the {} cameras read see into its extent)", percent(seen_m2 / area_m2), d.seen.shapes_used,
                                                                    grouped(static_cast<double>(d.camera_count))));
            else now.push_back("no CCTV layer was given, so CCTV is not planned");
            if (!design.paths_path.empty()) {
                size_t alleys = 0, gated_alleys = 0;
                for (size_t s = 0; s < d.network.segments.size(); ++s)
                    if (d.network.segments[s].kind == "alley") ++alleys, gated_alleys += d.gated[s];
                now.push_back(fmt::format("{} alley segment{} reach it, {} gated; {} of its {} burglaries lie within {:g} m of an alley", alleys, alleys == 1 ? "" : "s",
                                          gated_alleys, d.burglaries_near_alleys, d.addressed_total[d.GATE], design.path_reach));
            } else {
                now.push_back("no path layer was given, so alley gating is not planned");
            }
            report.paragraph(fmt::format("The top candidate ({}) had {} crimes of every type from {} to {}. Now, {}.", fmt::join(top_areas.code, ", "),
                                         grouped(static_cast<double>(top_incidents)), from.str(), to.str(), fmt::join(now, "; ")));
            if (d.with_budget) {
                const plan::Plan& pl = d.chosen_plan;
                std::map<std::string, size_t> by_kind;
                for (size_t i : pl.chosen) ++by_kind[d.table[d.candidates[i].intervention].label];
                std::vector<std::string> kinds;
                for (const auto& [label, n] : by_kind) kinds.push_back(fmt::format("{} {}", n, label));
                const std::string text = fmt::format(
                    "{} intervention{} ({}) costing {}, expected to prevent about {:.1f} crimes over a period as long as the {} months analysed (each "
                    "crime counted once, however many interventions address it). Method: {}.{}",
                    pl.chosen.size(), pl.chosen.size() == 1 ? "" : "s", kinds.empty() ? "none fits" : fmt::format("{}", fmt::join(kinds, ", ")), money(pl.cost),
                    pl.prevented, span, pl.method,
                    !pl.exact && pl.upper_bound > 0 ? fmt::format(" No plan can prevent more than {:.1f}, so this one is within {:.1f} % of the best.",
                                                                  pl.upper_bound, 100 * (1 - pl.prevented / pl.upper_bound))
                                                    : "");
                report.raw(fmt::format("<p><strong>Plan within {}:</strong> {}</p>", layers::html_escape(money(design.budget)), layers::html_escape(text)));
            }
            std::vector<std::vector<std::string>> prow;
            for (size_t i : plan_shown) {
                const plan::Candidate& c = d.candidates[i];
                if (d.with_budget && d.plan_order[i] == 0) continue;
                prow.push_back({d.with_budget ? std::to_string(d.plan_order[i]) : "", d.table[c.intervention].label, d.info[i].place,
                                std::to_string(c.crimes.size()), fmt::format("{:.1f}", plan::prevented_alone(c)), money(c.cost), d.info[i].reason});
            }
            if (!d.with_budget && prow.size() > 10) prow.resize(10);
            report.table({d.with_budget ? "order" : "", "intervention", "where", "crimes addressed", "prevented (alone)", "cost", "why"}, prow,
                         d.with_budget ? "The plan, best value per pound first" : "The 10 best interventions by crimes prevented per pound (give --budget for a plan)");
            // Map: the target, its areas, and each intervention shown.
            std::vector<layers::MapShape> pshapes;
            for (const auto& g : top_areas.geometry) pshapes.push_back({g.get(), "#f7f7f7", "#888", 0.8, ""});
            const std::map<std::string, std::string> colour{{"lighting", "#fec44f"}, {"cctv", "#3182bd"}, {"gating", "#31a354"}, {"target_hardening", "#a50f15"}};
            for (size_t i : plan_shown) {
                const plan::Candidate& c = d.candidates[i];
                if (d.with_budget && d.plan_order[i] == 0) continue;
                layers::MapShape m;
                m.geometry = d.info[i].point.get();
                const auto it = colour.find(d.table[c.intervention].key);
                m.fill = it == colour.end() ? "#666" : it->second;
                m.stroke = "#222";
                m.stroke_width = 0.8;
                m.radius = 5;
                m.title = fmt::format("{} at {}: {}", d.table[c.intervention].label, d.info[i].place, money(c.cost));
                pshapes.push_back(m);
            }
            pshapes.push_back({top.geometry.get(), "none", "#0033cc", 2.5, "top candidate"});
            std::vector<layers::LegendItem> plegend;
            for (const auto& spec : d.table)
                if (colour.count(spec.key)) plegend.push_back({colour.at(spec.key), spec.label});
            report.raw(layers::svg_map(pshapes, 600, plegend, nullptr,
                                       fmt::format("{} in the top candidate; points are the centres of {:g} m cells or the middle of alley segments.",
                                                   d.with_budget ? "The planned interventions" : "The best interventions", d.grid.cell)));
        }
        report.heading("The 20 areas with the highest rates");
        std::vector<size_t> order;
        for (size_t a = 0; a < areas.size(); ++a)
            if (gs.rank[a] > 0) order.push_back(a);
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return gs.rank[a] != gs.rank[b] ? gs.rank[a] < gs.rank[b] : a < b; });
        rows.clear();
        for (size_t k = 0; k < std::min<size_t>(20, order.size()); ++k) {
            const size_t a = order[k];
            rows.push_back({std::to_string(gs.rank[a]), areas.code[a], areas.name[a], grouped(areas.population[a]), grouped(static_cast<double>(gs.count[a])),
                            grouped(gs.rate[a], 1), fmt::format("{:.2f}", gs.ratio[a]), grouped(change_pct[a], 0) + (std::isfinite(change_pct[a]) ? " %" : ""),
                            gi_null[a] ? "" : (gi_bin[a] > 0 ? "hot " : gi_bin[a] < 0 ? "cold " : "") + confidence_text(static_cast<int>(gi_bin[a])),
                            imd_decile[a]});
        }
        report.table({"rank", "code", "name", "residents", "incidents", "per 1,000", "ratio", "change", "Gi*", "IMD decile"}, rows);
        // Methods.
        report.heading("Methods, parameters and data");
        std::vector<std::string> methods = {
            fmt::format("Crime group: {} ({}).", group, gi_it->description),
            fmt::format("Months analysed: {} to {} ({} months), the last {} months of the data unless --from/--to say otherwise; the data covers {} to {}.",
                        from.str(), to.str(), span, span, first.str(), last.str()),
            "Rate = 1,000 x incidents / residents. Ratio = rate / comparison rate, the comparison rate being 1,000 x the sum of incidents / the sum of "
            "residents over " + (compare_by.empty() ? std::string("all areas with a population") : "the areas sharing the area's '" + compare_by + "'") + ".",
            "Rank: 1 = highest rate, ties sharing the best rank. Percentile = 100 x (ranked areas with a rate <= this one) / ranked areas.",
            "Burglary per 1,000 households = 1,000 x burglaries / households, where households are given.",
            "Change: " + change_rule + "; change % = 100 x (later - earlier) / earlier.",
            "Gi* (Ord & Getis 1995) of the rate over queen-contiguous areas (polygons within 0.1 m), binary weights with self: z_i = (sum_j w_ij x_j - mean W_i) / "
            "(s sqrt((n S1_i - W_i^2)/(n - 1))); bins as Esri's Gi_Bin at p < 0.01, 0.05, 0.10 (analytic, two-sided)." + (gi_note.empty() ? "" : " " + gi_note),
            fmt::format("Target-area candidates: from every area, highest rate first, a cluster grows by the queen neighbour that gives it the highest rate, "
                        "up to {} areas and {} residents; clusters of at least {} residents are candidates, ranked by rate (then count, then codes); the "
                        "best that share no area are listed.",
                        max_areas, grouped(max_population), grouped(min_population)),
            fmt::format("Density: quartic kernel 3/(pi h^2) (1 - d^2/h^2)^2, bandwidth h = {:.0f} m {}, {:g} m cells, incidents per km2, cells "
                        "outside the areas left blank.",
                        surface.bandwidth,
                        surface.bandwidth_fallback ? "(fixed, as the incidents are all at one place)" : "by ArcGIS's rule 0.9 min(SD, sqrt(1/ln 2) Dm) n^(-1/5)",
                        surface.grid.cell),
            "Coordinates: police.uk longitude/latitude reprojected to " + options.working_crs + " with PROJ (" + result.transform_operation + ").",
        };
        if (plan_for_top) {
            const DesignOut& d = *plan_for_top;
            std::vector<std::string> effects;
            for (const auto& spec : d.table)
                if (spec.effect > 0)
                    effects.push_back(fmt::format("{} prevents {:.0f} % of {} ({}), {} per {}", spec.label, 100 * spec.effect, d.type_list(static_cast<size_t>(&spec - d.table.data())),
                                                  spec.effect_source, money(spec.unit_cost), spec.unit));
            methods.push_back(fmt::format(
                "Interventions (as safer score, on the top candidate's LSOAs and the crimes of every type recorded there in the months analysed): "
                "{:g} m cells; a light lights a disc (its own radius, else {:g} x its height, else {:g} m), a camera sees a sector or disc ({:.1f} m "
                "where it gives none); prevented = effect x crimes x (1 - share already lit or in view), and a crime two interventions address is "
                "prevented at most once: f(S) = sum over crimes of 1 - prod (1 - p_i). Alley gating addresses burglaries within {:g} m of an ungated "
                "alley. Costs are indicative{}. {}.{}",
                d.grid.cell, design.light_rule.height_factor, design.light_rule.default_radius, d.default_range, design.path_reach,
                design.costs_path.empty() ? " (built-in table; --costs overrides)" : " (from " + design.costs_path + ")", fmt::join(effects, "; "),
                d.with_budget ? fmt::format(" Budget plan within {}: {}.", money(design.budget), d.chosen_plan.method) : ""));
        } else if (design.budget >= 0) {
            methods.push_back(fmt::format("Budget given ({}), but no asset layers: no intervention plan was made (give --lighting, --cctv or --paths).", money(design.budget)));
        }
        report.list(methods);
        std::vector<std::vector<std::string>> sources_rows;
        for (const auto& [file, digest] : inputs) sources_rows.push_back({file, digest});
        report.table({"input file", "SHA-256"}, sources_rows, "Data sources");
        std::vector<std::vector<std::string>> reject_rows;
        reject_rows.push_back({"rows read", grouped(static_cast<double>(result.rows_read))});
        reject_rows.push_back({"rows used", grouped(static_cast<double>(in.size()))});
        for (size_t r = 0; r < reject_reason_count; ++r)
            if (const uint64_t c = result.rejects.count(static_cast<RejectReason>(r)))
                reject_rows.push_back({fmt::format("rejected: {}", reason_text(static_cast<RejectReason>(r))), grouped(static_cast<double>(c))});
        report.table({"rows", "count"}, reject_rows, "Every row read, used or rejected (the rejects layer lists each with its file and line)");
        report.paragraph(fmt::format("Made by safer {} with: {}", SAFER_VERSION, g_command_line));
        staged.stage(report_path, report.html());
        progress.end();
        writer.commit();
        staged.commit();

        progress.info(fmt::format("{} to {}: {} {} incidents in {} areas, {:.2f} per 1,000 residents", from.str(), to.str(), gs.total, group,
                                  areas.size(), gs.comparison_rate));
        for (size_t k = 0; k < std::min<size_t>(targets.size(), 5); ++k) progress.info(fmt::format("candidate {}: {}", k + 1, targets[k].reason));
        if (plan_for_top && plan_for_top->with_budget) {
            const plan::Plan& pl = plan_for_top->chosen_plan;
            progress.info(fmt::format("plan for the top candidate within {}: {} interventions costing {}, preventing about {:.3f} crimes ({})", money(design.budget),
                                      pl.chosen.size(), money(pl.cost), pl.prevented, pl.method));
            if (!pl.exact && pl.upper_bound > 0)
                progress.info(fmt::format("  the best possible plan prevents at most {:.3f}, so this one is within {:.1f} % of it", pl.upper_bound,
                                          100 * (1 - pl.prevented / pl.upper_bound)));
        }
        progress.info(fmt::format("wrote {} (areas, target_areas{}, kde_{}, kde_{}_classes, rejects), {}, {}, {}, {}{}", out.shown(),
                                  plan_for_top ? ", target_interventions" : "", group, group, report_path, areas_csv, targets_csv, monthly_csv,
                                  plan_for_top ? " and " + plan_csv : ""));
    }
};

} // namespace

Run setup_bid(CLI::App& app) {
    auto command = std::make_shared<BidCommand>();
    command->crimes.add_to(app);
    app.add_option("--areas", command->areas_path, "LSOA boundaries (any polygon layer GDAL reads)")->required();
    app.add_option("--population", command->population_path, "Population CSV by LSOA code (e.g. IoD 2019 File 6)")->required();
    app.add_option("--households", command->households_path, "CSV of households by LSOA code (column named like 'households')");
    app.add_option("--imd", command->imd_path, "IMD 2019 CSV (File 1) for deciles, and a source of --compare-by columns");
    app.add_option("--group", command->group, "Crime group to target")->capture_default_str();
    app.add_option("--compare-by", command->compare_by,
                   "Column of the --imd (else --population) CSV naming each area's comparison area, e.g. \"Local Authority District name (2019)\"");
    app.add_option("--months", command->months, "Months analysed: the last N of the data")->capture_default_str();
    app.add_option("--max-areas", command->max_areas, "LSOAs in a target area, at most")->capture_default_str();
    app.add_option("--min-population", command->min_population, "Residents in a target area, at least")->capture_default_str();
    app.add_option("--max-population", command->max_population, "Residents in a target area, at most")->capture_default_str();
    app.add_option("--budget", command->design.budget, "Plan the top candidate's interventions within this many GBP (needs asset layers)")
        ->check(budget_check());
    command->design.add_asset_options(app);
    command->design.add_model_options(app);
    command->design.only_layers_given = true;
    app.add_option("--area-id", command->area_options.code_field, "Area code field (default: detect)");
    app.add_option("--population-code", command->population_options.code_field, "Code column of the population CSV");
    app.add_option("--population-field", command->population_options.population_field, "Population column of the population CSV");
    app.add_option("--households-field", command->population_options.households_field, "Households column of the population CSV");
    app.add_option("--report", command->report_path, "The HTML evidence pack")->required();
    command->out.add_to(app, "Output GeoPackage (CSVs are written beside it: <name>_areas.csv, _target_areas.csv, _monthly.csv)");
    return [command] { command->run(); };
}

} // namespace safer::tools
