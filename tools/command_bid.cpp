// safer bid: the evidence a Safer Streets bid team needs in one run: per-LSOA rates, ratios,
// ranks, change and Gi* status, contiguous target-area candidates, a density surface, and a
// self-contained HTML evidence pack with CSVs of every table.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/bid_evidence.hpp"
#include "engine/design_out.hpp"
#include "engine/errors.hpp"
#include "layers/bid_output.hpp"
#include "layers/browser.hpp"
#include "layers/code_table.hpp"
#include "layers/csv_writer.hpp"
#include "layers/design_out_output.hpp"
#include "layers/postgis.hpp"
#include "layers/segments_output.hpp"
#include "layers/wording.hpp"
#include "tools/commands.hpp"
#include "tools/design_options.hpp"
#include "tools/options.hpp"
#include "tools/parsers.hpp"

namespace safer::tools {

namespace {

namespace fs = std::filesystem;

std::string sibling(const std::string& output, const std::string& suffix) {
    const fs::path p(output);
    return (p.parent_path() / (p.stem().string() + suffix)).string();
}

struct BidCommand {
    CrimeOptions crimes;
    OutputOptions out;
    AreaInput areas;
    PopulationInput population;
    std::string report_path, households_path, imd_path, compare_by;
    double national_rate = -1; // --national-rate: the group per 1,000 residents a year in England and Wales
    std::string national_label = "England and Wales";
    bool residential_only = false;
    bool no_pdf = false;
    std::string group = "neighbourhood";
    int months = 12;
    TargetOptions targets;
    DesignOutOptions design; // asset layers and the intervention model

    struct Paths {
        std::string areas_csv, targets_csv, monthly_csv, plan_csv, streets_csv;
        std::string pdf, chromium; // the PDF beside the report, where Chromium is installed
    };

    void run() const;
    Paths check_outputs(const layers::StudyRequest& request, Progress& progress) const;
    /// The recorded parameters of the run: the options and what the run made of them.
    nlohmann::ordered_json parameters(const layers::BidOutputs& o) const;
    void write(const layers::BidOutputs& o, const Paths& paths, Progress& progress) const;
    void summarise(const layers::BidOutputs& o, const Paths& paths, Progress& progress) const;
    /// The comparison groups (--compare-by, else the districts named in the IMD or population
    /// file) and IMD deciles (--imd) of each area; returns the column the groups came from.
    std::string read_area_columns(layers::Study& study, bid::BidOptions& options, std::vector<std::string>& imd, Progress& progress) const;
};

std::string BidCommand::read_area_columns(layers::Study& study, bid::BidOptions& options, std::vector<std::string>& imd, Progress& progress) const {
    if (!imd_path.empty()) {
        imd = layers::area_values(layers::read_code_table(imd_path, {"(imd) decile"}), study.areas.code);
        study.add_input(imd_path);
    }
    const std::string source = !imd_path.empty() ? imd_path : population.path;
    std::string column = compare_by;
    layers::CodeTable table;
    if (column.empty()) {
        // The districts, where the IMD or population file names them (the IoD 2019 files do):
        // a bid compares its target with its own district by name.
        try {
            table = layers::read_code_table(source, {"local authority district name"});
            column = table.columns.front();
        } catch (const InputError&) {
            return "";
        }
    } else {
        table = layers::read_code_table(source, {compare_by});
    }
    options.compare_group = layers::area_values(table, study.areas.code);
    const auto missing = static_cast<size_t>(std::count(options.compare_group.begin(), options.compare_group.end(), ""));
    if (missing == study.areas.size()) {
        if (compare_by.empty()) return options.compare_group.clear(), "";
        throw InputError(fmt::format("{}: column '{}' gives no value for any of the areas", source, compare_by));
    }
    if (missing) progress.warn(fmt::format("{} area(s) have no '{}' in {}; they are compared with the other areas without one", missing, column, source));
    if (compare_by.empty()) progress.info(fmt::format("comparison areas: the districts of '{}' in {} (--compare-by names another column)", column, source));
    return column;
}

BidCommand::Paths BidCommand::check_outputs(const layers::StudyRequest& request, Progress& progress) const {
    if (months < 1 || months > 120) throw UsageError(fmt::format("--months {}: give 1 to 120", months));
    // The CSVs go beside the GeoPackage, or beside the report when the layers go to PostGIS.
    const std::string csv_base = layers::is_postgis_target(out.output) ? report_path : out.output;
    const Paths paths{sibling(csv_base, "_areas.csv"), sibling(csv_base, "_target_areas.csv"), sibling(csv_base, "_monthly.csv"),
                      sibling(csv_base, "_interventions.csv"), sibling(csv_base, "_streets.csv"), {}, {}};
    const bool with_assets = design.has_assets();
    layers::OutputPath layers_out = out.path(layers::OutputKind::geopackage, "areas");
    layers_out.rasters = true;
    std::vector<layers::OutputPath> outputs{layers_out,
                                            {"--report", report_path, layers::OutputKind::html},
                                            {"-o (its areas CSV)", paths.areas_csv, layers::OutputKind::csv},
                                            {"-o (its target areas CSV)", paths.targets_csv, layers::OutputKind::csv},
                                            {"-o (its monthly CSV)", paths.monthly_csv, layers::OutputKind::csv}};
    if (with_assets) outputs.push_back({"-o (its interventions CSV)", paths.plan_csv, layers::OutputKind::csv});
    if (!design.streets_path.empty()) outputs.push_back({"-o (its streets CSV)", paths.streets_csv, layers::OutputKind::csv});
    Paths found = paths;
    found.chromium = no_pdf ? "" : layers::find_chromium();
    found.pdf = layers::pdf_beside(report_path);
    if (!found.chromium.empty()) outputs.push_back({"--report (its PDF)", found.pdf, layers::OutputKind::pdf});
    std::vector<std::string> inputs = request.input_paths();
    for (const std::string* p : {&imd_path, &design.costs_path}) inputs.push_back(*p);
    tools::check_outputs(outputs, inputs, out.overwrite, progress);
    if (design.budget >= 0 && !with_assets)
        progress.warn(fmt::format("--budget {} without asset layers (--lighting, --cctv, --paths): no intervention plan is made, as where crime is unguarded "
                                  "cannot be told", layers::money(design.budget)));
    if (with_assets && design.budget < 0) progress.warn("asset layers without --budget: the interventions for the top candidate are ranked, but no plan is made");
    return found;
}

void BidCommand::run() const {
    Progress progress(out.quiet);
    const std::vector<CrimeGroup>& groups = crime_groups();
    const auto g = std::find_if(groups.begin(), groups.end(), [&](const CrimeGroup& c) { return c.name == group; });
    if (g == groups.end()) throw UsageError(fmt::format("--group {}: no such crime group", group));
    const design::DesignOutModel model = design.model();
    layers::StudyRequest request = crimes.request();
    request.areas_path = areas.path, request.area_options = areas.options;
    request.population_path = population.path, request.population_options = population.options;
    request.households_path = households_path;
    request.window.last_months = months;
    request.window.with_previous = true;
    request.assets = design.assets();
    const Paths paths = check_outputs(request, progress);
    layers::Study study = layers::read_study(request, progress);
    bid::BidOptions options;
    options.groups = groups;
    options.group = static_cast<size_t>(g - groups.begin());
    options.targets = targets;
    options.residential_only = residential_only;
    std::vector<std::string> imd;
    const std::string compare_column = read_area_columns(study, options, imd, progress);
    if (design.has_assets()) study.add_input(design.costs_path);
    const bid::BidEvidence e = bid::bid_evidence(study.crimes.incidents, study.crimes.types, study.areas, study.area_of, *study.window, options, &progress);
    for (const std::string& w : e.gi_warnings) progress.warn(w);
    if (!e.gi_error.empty()) progress.warn("Gi* could not be computed: " + e.gi_error);
    for (const std::string& w : e.density.warnings) progress.warn(w);

    // Interventions for the top candidate: the design-out analysis of safer score on the crimes of
    // every type recorded in its LSOAs in the months analysed, with those LSOAs as the study area.
    layers::BidOutputs o{study, e, options, compare_column, {}, national_label, imd, nullptr, nullptr, nullptr, {}, {}, {}, {}};
    if (national_rate >= 0) o.national_rate = national_rate;
    o.costs_path = design.costs_path;
    o.command_line = g_command_line;
    if (design.budget >= 0) o.budget = design.budget;
    bid::TargetStreets streets;
    if (study.assets.has_streets) { // the top candidate's streets, as safer segments counts them
        streets = bid::target_streets(e, study.assets.streets, study.crimes.incidents, study.crimes.types, &progress);
        if (!streets.error.empty()) progress.warn("the street segments could not be made: " + streets.error);
        o.streets = &streets;
    }
    bid::TargetStudy top;
    design::DesignOutPlan plan;
    if (design.has_assets()) {
        top = bid::top_target_study(e, study.crimes.incidents, study.areas, study.area_of);
        progress.info(fmt::format("interventions for the top candidate: {} crimes of every type in its {} LSOA(s), {} to {}", top.incidents.size(), top.areas.size(),
                                  e.window.from.str(), e.window.to.str()));
        plan = design::design_out(model, study.assets, top.incidents, study.crimes.types, top.areas, top.area_of, &progress);
        layers::report_design_out(progress, plan, model, study.assets, design.cctv_pixels, design.cctv_fov);
        o.model = &model, o.plan = &plan, o.top = &top;
        o.plan_shown = design::recommended(plan, plan.candidates.size()); // all of them: a target area has few
    }
    write(o, paths, progress);
    if (!paths.chromium.empty()) layers::print_report_pdf(paths.chromium, report_path, paths.pdf, out.overwrite, progress);
    summarise(o, paths, progress);
}

nlohmann::ordered_json BidCommand::parameters(const layers::BidOutputs& o) const {
    const bid::BidEvidence& e = o.evidence;
    nlohmann::ordered_json parameters{{"command", "bid"}, {"group", group}, {"from", e.window.from.str()}, {"to", e.window.to.str()},
                                      {"months", e.window.span}, {"change", layers::change_rule(e)}, {"compare_by", o.compare_by},
                                      {"residential_only", residential_only},
                                      {"national_rate", o.national_rate ? nlohmann::ordered_json(*o.national_rate) : nlohmann::ordered_json()},
                                      {"max_areas", targets.max_areas}, {"min_population", targets.min_population},
                                      {"max_population", targets.max_population}, {"working_crs", o.study.working_crs},
                                      {"kde_bandwidth_m", e.density.bandwidth}, {"kde_cell_m", e.density.grid.cell},
                                      {"contiguity", "queen, 0.1 m tolerance"}, {"streets", design.streets_path}};
    if (o.plan) {
        const design::DesignOutPlan& plan = *o.plan;
        parameters["interventions"] = {{"areas", o.top->areas.code}, {"crimes", o.top->incidents.size()}, {"grid_m", plan.grid.cell},
                                       {"budget_gbp", plan.with_budget ? nlohmann::ordered_json(design.budget) : nlohmann::ordered_json()},
                                       {"plan_method", plan.chosen_plan.method}, {"pressure", design.pressure}, {"path_reach_m", design.path_reach},
                                       {"light_radius_m", design.light_rule.default_radius}, {"cctv_default_range_m", plan.default_range},
                                       {"table", layers::interventions_record(plan.table)}, {"assets", layers::asset_record(plan, o.study)}};
    }
    return parameters;
}

void BidCommand::write(const layers::BidOutputs& o, const Paths& paths, Progress& progress) const {
    // Everything is written to temporary files first and moved into place together at the end: a
    // failure part-way (a full disk) leaves no output of this run and every previous one.
    const bid::BidEvidence& e = o.evidence;
    const layers::Table area_table = layers::bid_areas_table(o), target_table = layers::target_areas_table(o);
    layers::GeoPackageWriter writer(out.path(layers::OutputKind::geopackage, "areas"), out.overwrite, o.study.working_crs, &progress);
    layers::StagedFiles staged(out.overwrite);
    writer.write_table(area_table);
    writer.write_table(target_table);
    if (o.plan) {
        const layers::Table t = layers::plan_table(o);
        writer.write_table(t);
        staged.stage(paths.plan_csv, layers::table_csv(t));
    }
    if (o.streets && o.streets->error.empty()) {
        const layers::Table t = layers::target_streets_table(o);
        writer.write_table(t);
        writer.prefer_style_field(t.name, "nkde");
        staged.stage(paths.streets_csv, layers::table_csv(t));
    }
    writer.write_raster("kde_" + group,
                        fmt::format("Kernel density of {}, {} to {}: quartic, bandwidth {:.0f} m ({}), cell {:g} m, incidents per km2", crime_phrase(e.groups[e.group]), e.window.from.str(),
                                    e.window.to.str(), e.density.bandwidth, e.density.bandwidth_fallback ? "fixed: the incidents are all at one place" : "auto",
                                    e.density.grid.cell),
                        e.density.grid, e.density.value, kde::nodata);
    writer.write_kde_classes("kde_" + group + "_classes", "Top 1, 5 and 10 % of density cells", {{"all", &e.density.grid, &e.density_classes}});
    writer.write_rejects(o.study.crimes.rejects, o.study.source_paths());
    writer.record(run_record(o.study, parameters(o).dump()));
    staged.stage(paths.areas_csv, layers::table_csv(area_table));
    staged.stage(paths.targets_csv, layers::table_csv(target_table));
    staged.stage(paths.monthly_csv, layers::monthly_csv(o));
    progress.begin(fmt::format("writing the report {}", report_path), 0);
    staged.stage(report_path, layers::bid_report_html(o));
    progress.end();
    writer.commit();
    staged.commit();
}

void BidCommand::summarise(const layers::BidOutputs& o, const Paths& paths, Progress& progress) const {
    const bid::BidEvidence& e = o.evidence;
    progress.info(fmt::format("{} to {}: {} {} incidents in {} areas, {:.2f} per 1,000 residents", e.window.from.str(), e.window.to.str(), e.group_stats().total,
                              group, o.study.areas.size(), e.group_stats().comparison_rate));
    for (size_t k = 0; k < std::min<size_t>(e.targets.size(), 5); ++k) progress.info(fmt::format("candidate {}: {}", k + 1, layers::target_reason(o, k)));
    if (o.plan && o.plan->with_budget) {
        const plan::Plan& p = o.plan->chosen_plan;
        progress.info(fmt::format("plan for the top candidate within {}: {} interventions costing {}, preventing about {:.3f} crimes ({})", layers::money(design.budget),
                                  p.chosen.size(), layers::money(p.cost), p.prevented, p.method));
        if (!p.exact && p.upper_bound > 0)
            progress.info(fmt::format("  the best possible plan prevents at most {:.3f}, so this one is within {:.1f} % of it", p.upper_bound,
                                      100 * (1 - p.prevented / p.upper_bound)));
    }
    const bool streets = o.streets && o.streets->error.empty();
    if (streets && !o.streets->top.empty())
        progress.info(fmt::format("the top candidate's busiest street segment: {}", layers::segment_sentence(o.streets->segments, o.streets->top.front())));
    progress.info(fmt::format("wrote {} ({}), {}, {}, {}, {}{}{}", out.shown(),
                              out.holding("areas", fmt::format("areas, target_areas{}{}, kde_{}, kde_{}_classes, rejects", o.plan ? ", target_interventions" : "",
                                                               streets ? ", target_streets" : "", group, group)),
                              report_path, paths.areas_csv,
                              paths.targets_csv, paths.monthly_csv, o.plan ? ", " + paths.plan_csv : "", streets ? ", " + paths.streets_csv : ""));
}

} // namespace

Run setup_bid(CLI::App& app) {
    auto command = std::make_shared<BidCommand>();
    command->crimes.add_to(app);
    command->areas.add_to(app, "LSOA boundaries (any polygon layer GDAL reads)", false)->required();
    command->population.add_to(app, "Population CSV by LSOA code (e.g. IoD 2019 File 6)")->required();
    app.add_flag("--no-pdf", command->no_pdf, "Do not print the report to PDF (A4) with headless Chromium");
    app.add_option("--households", command->households_path, "CSV of households by LSOA code (column named like 'households')");
    app.add_option("--imd", command->imd_path, "IMD 2019 CSV (File 1) for deciles, and a source of --compare-by columns");
    app.add_option("--group", command->group, "Crime group to target")->capture_default_str();
    app.add_option("--compare-by", command->compare_by,
                   "Column of the --imd (else --population) CSV naming each area's comparison area, e.g. \"Local Authority District name (2019)\"");
    app.add_option("--months", command->months, "Months analysed: the last N of the data")->capture_default_str();
    app.add_option("--national-rate", command->national_rate,
                   "The group's rate per 1,000 residents a year in England and Wales (or --national-label's area), from a published source, to compare the target with")
        ->check(CLI::PositiveNumber);
    app.add_option("--national-label", command->national_label, "The area --national-rate is for")->capture_default_str();
    app.add_flag("--residential-only", command->residential_only,
                 "Leave out of the candidates areas whose crime is mostly shoplifting and theft from the person (town centres) or whose residents are under "
                 "half the typical area's");
    app.add_option("--max-areas", command->targets.max_areas, "LSOAs in a target area, at most")->capture_default_str();
    app.add_option("--min-population", command->targets.min_population, "Residents in a target area, at least")->capture_default_str();
    app.add_option("--max-population", command->targets.max_population, "Residents in a target area, at most")->capture_default_str();
    app.add_option("--budget", command->design.budget, "Plan the top candidate's interventions within this many GBP (needs asset layers)")->check(budget_check());
    command->design.add_asset_options(app);
    command->design.add_model_options(app);
    command->design.only_layers_given = true;
    command->design.streets_alone = true;
    app.add_option("--report", command->report_path, "The HTML evidence pack")->required();
    command->out.add_to(app, "Output GeoPackage (CSVs are written beside it: <name>_areas.csv, _target_areas.csv, _monthly.csv)");
    return [command] { command->run(); };
}

} // namespace safer::tools
