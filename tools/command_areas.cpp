// safer areas: count incidents by area and write `areas`, `area_months`, `incidents`, `rejects`.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/area_index.hpp"
#include "engine/area_stats.hpp"
#include "engine/lsoa_codes.hpp"
#include "layers/area_reader.hpp"
#include "layers/checksum.hpp"
#include "layers/geopackage.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

struct AreasCommand {
    CrimeOptions crimes;
    OutputOptions out;
    std::string areas_path;
    std::string population_path;
    std::string csv_path;
    bool with_incidents = false;
    layers::AreaOptions area_options;
    layers::PopulationOptions population_options;

    void report_source_codes(const SourceCodeCheck& check, const layers::AreaReport& area_report, Progress& progress) const {
        if (check.with_code == 0) return;
        progress.info(fmt::format("police.uk LSOA codes: {} of {} located rows agree with our assignment, {} name another "
                                  "area, {} name no area given",
                                  check.agree, check.with_code, check.disagree, check.unknown));
        if (check.unknown_2021_only > 0 && area_report.vintage == "2011")
            progress.warn(fmt::format("{} rows carry LSOA codes created in 2021 (for example {}), but the areas are 2011 LSOAs "
                                      "(field {}): the crime files use 2021 codes. Use 2021 boundaries (LSOA21CD) with them",
                                      check.unknown_2021_only, fmt::join(check.unknown_examples, ", "), area_report.code_field));
        else if (area_report.vintage == "2021" && check.unknown * 20 > check.with_code)
            progress.warn(fmt::format("{} of {} rows carry LSOA codes that are not among these 2021 areas (for example {}): "
                                      "the crime files may use 2011 codes. Use 2011 boundaries (LSOA11CD) with them",
                                      check.unknown, check.with_code, fmt::join(check.unknown_examples, ", ")));
        else if (check.disagree * 100 > check.with_code)
            progress.warn(fmt::format("{} rows ({:.1f} %) fall in a different area from the LSOA code police.uk gives",
                                      check.disagree, 100.0 * static_cast<double>(check.disagree) / static_cast<double>(check.with_code)));
    }

    void run() const {
        Progress progress(out.quiet);
        const layers::IngestOptions options = crimes.resolve();
        layers::check_output_path(out.output, out.overwrite);
        if (!csv_path.empty()) layers::check_output_path(csv_path, out.overwrite);

        layers::IngestResult result = layers::read_incidents(crimes.crimes, options, progress);
        layers::AreaReport area_report;
        layers::AreaOptions ao = area_options;
        ao.working_crs = options.working_crs;
        ao.input_crs = options.input_crs;
        Areas areas = layers::read_areas(areas_path, ao, area_report, progress);
        progress.info(fmt::format("{} areas from {} (code field {}{})", areas.size(), areas_path, area_report.code_field,
                                  area_report.name_field.empty() ? "" : ", name field " + area_report.name_field));
        if (!area_report.repaired.empty())
            progress.warn(fmt::format("{} invalid polygon(s) repaired with GEOS MakeValid: {}", area_report.repaired.size(),
                                      fmt::join(area_report.repaired, ", ")));
        if (!population_path.empty()) {
            layers::PopulationReport pr;
            layers::join_population(areas, population_path, population_options, pr);
            progress.info(fmt::format("population from {} (column '{}'): {} of {} areas matched; {} codes in the file name no area",
                                      population_path, pr.population_column.empty() ? pr.households_column : pr.population_column,
                                      pr.matched, areas.size(), pr.codes_not_in_areas));
            if (!pr.areas_without.empty())
                progress.warn(fmt::format("{} area(s) have no population, so no rate: {}{}", pr.areas_without.size(),
                                          fmt::join(pr.areas_without.begin(), pr.areas_without.begin() + std::min<size_t>(pr.areas_without.size(), 10), ", "),
                                          pr.areas_without.size() > 10 ? ", ..." : ""));
        }

        const AreaIndex index(areas);
        std::vector<int32_t> area_of = index.locate(result.incidents.x, result.incidents.y, &progress);
        const SourceCodeCheck codes = check_source_codes(result.incidents, area_of, areas);

        area_of = keep_located(result, area_of);
        print_ingest_summary(result, result.incidents.size(), progress);
        report_source_codes(codes, area_report, progress);

        const std::vector<CrimeGroup> groups = builtin_crime_groups();
        const GroupMembership membership(groups, result.types);
        const std::vector<GroupColumns> stats = summarise_areas(areas, groups, membership, result.incidents, area_of);
        const std::vector<AreaMonthCount> months = count_area_months(result.incidents, area_of, membership);

        progress.begin(fmt::format("writing {}", out.shown()), 1);
        layers::GeoPackageWriter writer(out.output, out.overwrite, options.working_crs);
        std::vector<std::string> sources;
        for (const auto& s : result.sources) sources.push_back(s.path);
        writer.write_areas(areas, stats);
        writer.write_area_months(areas, months, groups);
        if (with_incidents) writer.write_incidents(result.incidents, result.types, groups, area_of, &areas);
        writer.write_rejects(result.rejects, sources);
        nlohmann::ordered_json parameters{{"command", "areas"},        {"from", crimes.from},
                                          {"to", crimes.to},           {"working_crs", options.working_crs},
                                          {"areas", areas_path},       {"area_code_field", area_report.code_field},
                                          {"population", population_path}};
        auto inputs = result.file_checksums();
        inputs.emplace_back(areas_path, layers::sha256_file(areas_path));
        if (!population_path.empty()) inputs.emplace_back(population_path, layers::sha256_file(population_path));
        record_run(writer, inputs, parameters.dump());
        writer.commit();
        progress.end();
        if (!csv_path.empty()) layers::write_areas_csv(csv_path, out.overwrite, areas, stats);

        for (const GroupColumns& g : stats)
            progress.info(fmt::format("  {:<14} {:>8} incidents{}", g.group, g.total,
                                      std::isnan(g.comparison_rate) ? std::string()
                                                                    : fmt::format(", {:.2f} per 1,000 residents across the areas", g.comparison_rate)));
        progress.info(fmt::format("wrote {}: areas ({}), area_months ({}), {}rejects ({}){}", out.shown(), areas.size(),
                                  months.size(), with_incidents ? fmt::format("incidents ({}), ", result.incidents.size()) : "",
                                  result.rejects.total(),
                                  csv_path.empty() ? "" : "; and " + csv_path));
    }
};

} // namespace

Run setup_areas(CLI::App& app) {
    auto command = std::make_shared<AreasCommand>();
    command->crimes.add_to(app);
    app.add_option("--areas", command->areas_path, "Area polygons (LSOA boundaries or any polygon layer GDAL reads)")->required();
    app.add_option("--area-id", command->area_options.code_field, "Area code field (default: detect LSOA21CD, LSOA11CD, lsoa_code, code, ...)");
    app.add_option("--area-name", command->area_options.name_field, "Area name field (default: detect LSOA21NM, LSOA11NM, name, ...)");
    app.add_option("--population", command->population_path,
                   "CSV of population (and households) by area code, e.g. the IoD 2019 population denominators (File 6)");
    app.add_option("--population-code", command->population_options.code_field, "Code column of the population CSV");
    app.add_option("--population-field", command->population_options.population_field, "Population column of the population CSV");
    app.add_option("--households-field", command->population_options.households_field, "Households column of the population CSV");
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
