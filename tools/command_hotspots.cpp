// safer hotspots: Getis-Ord Gi*, local and global Moran's I, concentration and (with --by)
// emerging hot spots, on grid cells or areas.
#include <fmt/core.h>

#include <cmath>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "engine/errors.hpp"
#include "engine/hotspot_study.hpp"
#include "layers/hotspot_output.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"
#include "tools/parsers.hpp"

namespace safer::tools {

namespace {

struct HotspotsCommand {
    CrimeOptions crimes;
    CrimeSelection selection;
    OutputOptions out;
    AreaInput areas;
    PopulationInput population;
    std::string study_area_path;
    std::string weights_text;
    std::string by;
    hotspots::HotspotOptions options;

    /// The options checked before any reading (UsageError, InputError).
    hotspots::HotspotOptions checked() const {
        hotspots::HotspotOptions o = options;
        if (o.grid_cell != 0 && !(std::isfinite(o.grid_cell) && o.grid_cell > 0))
            throw UsageError(fmt::format("--grid {}: expected a cell size in metres, more than 0", o.grid_cell));
        if (!(std::isfinite(o.tolerance) && o.tolerance >= 0))
            throw UsageError(fmt::format("--tolerance {}: expected a distance in metres, 0 or more", o.tolerance));
        if (o.grid_cell == 0 && areas.path.empty()) throw UsageError("give the units: --grid METRES (cells) or --areas SRC (polygons)");
        if (o.grid_cell > 0 && !population.path.empty()) throw UsageError("--population gives rates for areas; it cannot be used with --grid");
        if (o.permutations > 0 && o.permutations < 99)
            throw InputError(fmt::format("--permutations {}: at least 99 are needed for a pseudo p-value of 0.01 (999 is usual); 0 "
                                         "turns permutation off", o.permutations));
        o.weights = parse_weights(weights_text);
        o.rates = !population.path.empty();
        o.by = by == "month" ? PeriodKind::month : by == "quarter" ? PeriodKind::quarter : PeriodKind::none;
        return o;
    }

    void run() const {
        Progress progress(out.quiet);
        const hotspots::HotspotOptions o = checked();
        const bool grid = o.grid_cell > 0;
        // Polygons: the units (--areas without --grid) or the study area of a grid.
        layers::StudyRequest request = crimes.request();
        request.ingest.text_columns = false; // no Crime IDs, locations, LSOA codes or outcomes are used
        request.areas_path = grid && !study_area_path.empty() ? study_area_path : areas.path;
        request.area_options = areas.options;
        request.area_options.codes_optional = grid;
        request.population_path = population.path;
        request.population_options = population.options;
        const std::string units_layer = grid ? "hotspot_grid" : "hotspot_areas";
        check_outputs({out.path(layers::OutputKind::geopackage, units_layer)}, request.input_paths(), out.overwrite, progress);
        layers::Study study = layers::read_study(request, progress);

        const CrimeSelection::Chosen chosen = selection.choose(study.crimes.types);
        const Incidents& in = study.crimes.incidents;
        const std::vector<uint8_t> selected = chosen.incidents(in);
        if (std::find(selected.begin(), selected.end(), 1) == selected.end())
            throw InputError(fmt::format("no incidents left after filtering: none of the {} incidents used are of {}", in.size(), chosen.description));
        const hotspots::HotspotResult r = hotspots::analyse_hotspots(in, selected, study.area_of, study.areas, o, &progress);
        progress.info(fmt::format("{} {} units; weights: {}", r.units(), grid ? "cell" : "area", layers::weights_text(r.weights)));
        for (const std::string& w : layers::hotspot_warnings(r, study.areas, o)) progress.warn(w);
        if (!r.off_grid_incidents.empty()) {
            // Counted by reason, not lost: rows read = used + rejected holds for the run.
            study.reject(r.off_grid_incidents, RejectReason::edge_cell, [&](size_t i) { return fmt::format("x {:.1f}, y {:.1f}", in.x[i], in.y[i]); });
            progress.info(fmt::format("  rejected {:>8}  {} ({})", r.off_grid, reason_text(RejectReason::edge_cell), reason_code(RejectReason::edge_cell)));
        }

        const nlohmann::ordered_json parameters{
            {"command", "hotspots"}, {"from", crimes.from}, {"to", crimes.to}, {"working_crs", study.working_crs},
            {"selection", chosen.description}, {"units", grid ? fmt::format("grid {:g} m", o.grid_cell) : "areas"},
            {"areas", request.areas_path}, {"population", population.path}, {"weights", layers::weights_text(r.weights)},
            {"permutations", o.permutations}, {"seed", o.seed}, {"fdr", o.fdr}, {"by", by}, {"unit_count", r.units()}};
        const layers::Table units = layers::hotspot_units_table(r, study.areas, o, chosen.description);
        layers::GeoPackageWriter writer(out.path(layers::OutputKind::geopackage, units_layer), out.overwrite, study.working_crs, &progress);
        writer.write_table(units);
        if (!r.periods.empty()) {
            // Each unit in each period, for QGIS's temporal controller.
            const layers::Table periods = layers::hotspot_periods_table(r, study.areas, o);
            writer.write_table(periods);
            const std::optional<PeriodSpan> first = period_span(r.periods.front()), last = period_span(r.periods.back());
            if (first && last) writer.set_time_fields(periods.name, "period_start", "period_end", first->first, last->after, o.by == PeriodKind::quarter ? 3 : 1);
        }
        writer.write_table(layers::concentration_table(r, chosen.description));
        writer.write_table(layers::lorenz_table(r));
        writer.write_rejects(study.crimes.rejects, study.source_paths());
        writer.record(run_record(study, parameters.dump()));
        writer.commit();
        for (const std::string& line : layers::hotspot_summary(r, o, chosen.description)) progress.info(line);
        progress.info(fmt::format("wrote {}: {}", out.shown(),
                                  out.holding(units.name, fmt::format("{} ({}){}, concentration, lorenz, rejects", units.name, r.units(),
                                                                      r.periods.empty() ? "" : fmt::format(", {}_periods ({})", units.name, r.units() * r.periods.size())))));
    }
};

} // namespace

Run setup_hotspots(CLI::App& app) {
    auto command = std::make_shared<HotspotsCommand>();
    hotspots::HotspotOptions& o = command->options;
    command->crimes.add_to(app);
    command->selection.add_to(app, "all");
    app.add_option("--grid", o.grid_cell, "Units are square cells of this size (metres)");
    command->areas.add_to(app, "Units are these polygons (or, with --grid, the study area)");
    app.add_option("--study-area", command->study_area_path, "With --grid: the study area (default: the union of --areas, else the incidents' extent)");
    command->population.add_to(app, "Population CSV: analyse rates per 1,000 residents instead of counts", false);
    app.add_option("--weights", command->weights_text, "distance:METRES, knn:K, queen or rook (default: a 3-cell band for grids, queen for areas)");
    app.add_option("--tolerance", o.tolerance, "Contiguity snapping tolerance in metres")->capture_default_str();
    app.add_option("--permutations", o.permutations, "Permutations for pseudo p-values (0: analytic Gi* only, no local Moran)")->capture_default_str();
    app.add_option("--seed", o.seed, "Random seed of the permutations")->capture_default_str();
    app.add_flag("--fdr", o.fdr, "Classify by Benjamini-Hochberg adjusted p-values");
    app.add_option("--by", command->by, "Gi* per month or quarter, and emerging hot spot patterns")->check(CLI::IsMember({"month", "quarter"}));
    command->out.add_to(app, "Output GeoPackage");
    app.footer(
        "Gi* (Ord & Getis 1995), binary weights with self: z_i = (sum_j w_ij x_j - xbar W_i) / (s sqrt((n S1_i - W_i^2)/(n - 1))),\n"
        "  s^2 = sum x^2/n - xbar^2, W_i = sum_j w_ij, S1_i = sum_j w_ij^2 (spdep localG with include.self). gi_bin as Esri's\n"
        "  Gi_Bin: +-3, 2, 1 at p < 0.01, 0.05, 0.10.\n"
        "Local Moran (Anselin 1995): I_i = z_i sum_j w_ij z_j / m2, row-standardised weights; conditional permutation p.\n"
        "Permutation p-values are seeded per unit from --seed: identical on every run and thread count.\n"
        "Emerging hot spots (--by): Gi* per period, Esri's pattern rules with the Mann-Kendall trend of each unit's z series\n"
        "  (90 %), and sfhotspot's hotspot_classify() on each unit's Holm-adjusted p over its periods (p < 0.05; hot in\n"
        "  >= 80 % of periods: persistent; < 10 % of older and >= 20 % of the last fifth: emerging; ...).");
    return [command] { command->run(); };
}

} // namespace safer::tools
