// safer areas: count incidents by area and write `areas`, `area_months`, `incidents`, `rejects`.
#include <fmt/core.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/area_stats.hpp"
#include "layers/area_output.hpp"
#include "layers/csv_writer.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

struct AreasCommand {
    CrimeOptions crimes;
    OutputOptions out;
    AreaInput areas;
    PopulationInput population;
    std::string csv_path;
    bool with_incidents = false;

    void run() const {
        Progress progress(out.quiet);
        layers::StudyRequest request = crimes.request();
        request.areas_path = areas.path;
        request.area_options = areas.options;
        request.population_path = population.path;
        request.population_options = population.options;
        std::vector<layers::OutputPath> outputs{out.path(layers::OutputKind::geopackage, "areas")};
        if (!csv_path.empty()) outputs.push_back({"--csv", csv_path, layers::OutputKind::csv});
        check_outputs(outputs, request.input_paths(), out.overwrite, progress);
        const layers::Study study = layers::read_study(request, progress);

        const std::vector<CrimeGroup>& groups = crime_groups();
        const GroupMembership membership(groups, study.crimes.types);
        const std::vector<GroupColumns> stats = summarise_areas(study.areas, groups, membership, study.crimes.incidents, study.area_of);
        const std::vector<AreaMonthCount> months = count_area_months(study.crimes.incidents, study.area_of, membership);

        const layers::Table table =
            layers::areas_table(study.areas, stats, "Areas with crime counts, rates per 1,000 residents, ratios, ranks and percentiles");
        layers::GeoPackageWriter writer(out.path(layers::OutputKind::geopackage, "areas"), out.overwrite, study.working_crs, &progress);
        writer.write_table(table);
        writer.write_area_months(study.areas, months, groups);
        if (with_incidents) writer.write_incidents(study.crimes.incidents, study.crimes.types, groups, study.area_of, &study.areas);
        writer.write_rejects(study.crimes.rejects, study.source_paths());
        const nlohmann::ordered_json parameters{{"command", "areas"}, {"from", crimes.from}, {"to", crimes.to}, {"working_crs", study.working_crs},
                                                {"areas", areas.path}, {"area_code_field", study.area_report.code_field},
                                                {"population", population.path}};
        writer.record(run_record(study, parameters.dump()));
        layers::StagedFiles staged(out.overwrite); // the CSV and the GeoPackage are moved into place together
        if (!csv_path.empty()) staged.stage(csv_path, layers::table_csv(table));
        writer.commit();
        staged.commit();

        for (const GroupColumns& g : stats)
            progress.info(fmt::format("  {:<14} {:>8} incidents{}", g.group, g.total,
                                      std::isnan(g.comparison_rate) ? std::string()
                                                                    : fmt::format(", {:.2f} per 1,000 residents across the areas", g.comparison_rate)));
        progress.info(fmt::format("wrote {}: {}{}", out.shown(),
                                  out.holding("areas", fmt::format("areas ({}), area_months ({}), {}rejects ({})", study.areas.size(), months.size(),
                                                                   with_incidents ? fmt::format("incidents ({}), ", study.crimes.incidents.size()) : "",
                                                                   study.crimes.rejects.total())),
                                  csv_path.empty() ? "" : "; and " + csv_path));
    }
};

} // namespace

Run setup_areas(CLI::App& app) {
    auto command = std::make_shared<AreasCommand>();
    command->crimes.add_to(app);
    command->areas.add_to(app, "Area polygons (LSOA boundaries or any polygon layer GDAL reads)")->required();
    command->population.add_to(app, "CSV of population (and households) by area code, e.g. the IoD 2019 population denominators (File 6)");
    app.add_option("--csv", command->csv_path, "Also write the areas table as CSV");
    app.add_flag("--incidents", command->with_incidents, "Also write the incidents layer, each with its area_code");
    command->out.add_to(app, "Output GeoPackage");
    app.footer(
        "For each crime group G (neighbourhood, acquisitive, violence, asb, damage, all) the areas layer carries\n"
        "G_count, G_rate = 1000 * count / population, G_ratio = rate / (1000 * sum of counts / sum of population over\n"
        "areas with a population), G_rank (1 = highest rate; highest count when no population is given; ties share\n"
        "the best rank) and G_pct = 100 * (areas with a value <= this one) / (areas ranked).\n"
        "A point on a boundary shared by several areas is counted in the first of them by code.");
    return [command] { command->run(); };
}

} // namespace safer::tools
