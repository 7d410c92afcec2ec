#include "tools/options.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "engine/errors.hpp"
#include "layers/browser.hpp"
#include "layers/interrupt.hpp"
#include "layers/output_files.hpp"
#include "layers/postgis.hpp"
#include "layers/wording.hpp"

namespace safer::tools {

std::string g_command_line;
ProjectRun g_project;

namespace {
std::vector<CrimeGroup>& groups_of_run() {
    static std::vector<CrimeGroup> groups = builtin_crime_groups();
    return groups;
}
} // namespace

const std::vector<CrimeGroup>& crime_groups() { return groups_of_run(); }

void set_project_groups(const std::vector<CrimeGroup>& groups) {
    std::vector<CrimeGroup>& all = groups_of_run();
    all = builtin_crime_groups();
    all.insert(all.end(), groups.begin(), groups.end());
}

void CrimeOptions::add_to(CLI::App& app) {
    app.add_option("--crimes", crimes,
                   "Incident sources: police.uk street CSVs (.csv, .csv.gz), folders of them as data.police.uk unpacks "
                   "them (searched recursively; only *-street.csv files when there are any), downloaded .zip files, "
                   "point CSVs with x/y, month and crime type columns, or any OGR point layer")
        ->required();
    app.add_option("--from", from, "First month to use, YYYY-MM (inclusive)");
    app.add_option("--to", to, "Last month to use, YYYY-MM (inclusive)");
    app.add_option("--working-crs", ingest.working_crs, "CRS of the analysis and outputs (metres)")->capture_default_str();
    app.add_option("--crs", ingest.input_crs,
                   "CRS of x/y in point CSVs and of layers that declare none (default: EPSG:4326 for lon/lat columns, "
                   "EPSG:27700 otherwise)");
    app.add_option("--x", ingest.x_field, "Name of the x (or longitude) column of a point CSV");
    app.add_option("--y", ingest.y_field, "Name of the y (or latitude) column of a point CSV");
    app.add_option("--month-field", ingest.month_field, "Name of the month or date column (YYYY-MM or YYYY-MM-DD)");
    app.add_option("--type-field", ingest.type_field, "Name of the crime type column");
}

layers::StudyRequest CrimeOptions::request() const {
    layers::StudyRequest r;
    r.crimes = crimes;
    r.ingest = ingest;
    const auto month = [](const std::string& text, const char* option) {
        const std::optional<Month> m = Month::parse(text);
        if (!m) throw UsageError(fmt::format("{} {}: expected a month as YYYY-MM", option, text));
        return m;
    };
    if (!from.empty()) r.ingest.window.from = month(from, "--from");
    if (!to.empty()) r.ingest.window.to = month(to, "--to");
    if (r.ingest.window.from && r.ingest.window.to && *r.ingest.window.from > *r.ingest.window.to)
        throw UsageError(fmt::format("--from {} is after --to {}", from, to));
    r.window.from = r.ingest.window.from;
    r.window.to = r.ingest.window.to;
    return r;
}

CLI::Option* AreaInput::add_to(CLI::App& app, const std::string& help, bool with_name) {
    CLI::Option* o = app.add_option("--areas", path, help);
    app.add_option("--area-id", options.code_field, "Area code field (default: detect LSOA21CD, LSOA11CD, lsoa_code, code, ...)");
    if (with_name) app.add_option("--area-name", options.name_field, "Area name field (default: detect LSOA21NM, LSOA11NM, name, ...)");
    return o;
}

CLI::Option* PopulationInput::add_to(CLI::App& app, const std::string& help, bool with_households) {
    CLI::Option* o = app.add_option("--population", path, help);
    app.add_option("--population-code", options.code_field, "Code column of the population CSV");
    app.add_option("--population-field", options.population_field, "Population column of the population CSV");
    if (with_households) app.add_option("--households-field", options.households_field, "Households column of the population CSV");
    return o;
}

void CrimeSelection::add_to(CLI::App& app, const char* default_group) {
    group = default_group;
    std::string groups;
    for (const CrimeGroup& g : builtin_crime_groups()) groups += (groups.empty() ? "" : ", ") + g.name;
    app.add_option("--group", group, "Crime group: " + groups)->capture_default_str();
    app.add_option("--types", types, "Crime types instead of a group, comma-separated (e.g. Burglary,Robbery)")->delimiter(',');
}

std::vector<uint8_t> CrimeSelection::Chosen::incidents(const Incidents& in) const {
    std::vector<uint8_t> selected(in.size());
    for (size_t i = 0; i < in.size(); ++i) selected[i] = type_selected[in.type[i]];
    return selected;
}

CrimeSelection::Chosen CrimeSelection::choose(const CrimeTypes& table) const {
    Chosen c;
    c.type_selected.assign(table.size(), 0);
    if (!types.empty()) {
        std::vector<std::string> names;
        for (const std::string& t : types) {
            const CrimeTypeId* id = table.find(t);
            if (!id) {
                std::string known;
                for (std::string_view k : known_crime_types) known += fmt::format("{}'{}'", known.empty() ? "" : ", ", k);
                throw UsageError(fmt::format("--types: '{}' is not a crime type of police.uk or of the data; the police.uk types are {}", t, known));
            }
            if (c.type_selected[*id]) continue; // named twice
            c.type_selected[*id] = 1;
            names.emplace_back(table.name(*id));
        }
        c.label = layer_name_part(fmt::format("{}", fmt::join(names, "_")));
        // The types themselves, as a reader says them: "Burglary", "Burglary and Robbery".
        c.description = layers::and_list(names);
        c.phrase = c.description;
        return c;
    }
    const std::vector<CrimeGroup>& groups = crime_groups();
    size_t g = 0;
    while (g < groups.size() && groups[g].name != group) ++g;
    if (g == groups.size()) {
        std::string names;
        for (const CrimeGroup& k : groups) names += (names.empty() ? "" : ", ") + k.name;
        throw UsageError(fmt::format("--group {}: no such crime group; the groups are {}", group, names));
    }
    const GroupMembership membership(groups, table);
    for (size_t t = 0; t < table.size(); ++t) c.type_selected[t] = membership.contains(g, static_cast<CrimeTypeId>(t));
    c.label = groups[g].name;
    c.description = groups[g].description;
    c.phrase = crime_phrase(groups[g]);
    return c;
}

std::string OutputOptions::shown() const { return layers::hide_passwords(output); }

std::string OutputOptions::holding(const std::string& main_layer, const std::string& layers) const {
    const layers::OutputFormat* f = layers::output_format(output, format);
    return !f || f->several_layers ? layers : fmt::format("the {} layer only", main_layer);
}

CLI::Option* OutputOptions::add_to(CLI::App& app, const char* output_help) {
    // The formats as layers::output_formats() lists them: the one-layer ones by name and
    // extension, and every name --format takes.
    std::vector<std::string> one_layer, names;
    for (const layers::OutputFormat& f : layers::output_formats()) {
        if (!f.several_layers) one_layer.push_back(fmt::format("{} ({})", f.name, f.extensions.front()));
        names.push_back(f.names.front());
    }
    CLI::Option* o = app.add_option("-o,--output", output,
                                    fmt::format("{}; or a PostGIS database, PG:\"dbname=... host=... user=...\" (libpq keywords), written into "
                                                "--schema; or, for the main layer alone, {}. A GeoPackage gets a QGIS project (.qgz) beside it",
                                                output_help, fmt::join(one_layer, ", ")));
    app.add_option("--format", format, fmt::format("The format of -o, when its extension does not say: {} (or GDAL's driver name)", fmt::join(names, ", ")));
    app.add_option("--schema", schema, "With -o PG:...: the schema to write the layers into (created; replaced whole with --overwrite)")
        ->capture_default_str()
        // Checked before it joins the connection string: "x dbname=other" must not connect elsewhere.
        ->check([](const std::string& name) {
            try {
                layers::check_schema_name(name);
                return std::string();
            } catch (const std::exception& e) {
                return std::string(e.what());
            }
        });
    app.add_flag("--overwrite", overwrite, "Replace the output if it exists");
    app.add_flag("-q,--quiet", quiet, "Print no progress or information (warnings and errors still print)");
    // The schema travels in the connection string as GDAL's active_schema, so every writer that
    // takes -o can write to PostGIS.
    app.parse_complete_callback([this] {
        if (layers::is_postgis_target(output) && output.find("active_schema") == std::string::npos) output += " active_schema=" + schema;
    });
    return o;
}

void check_outputs(const std::vector<layers::OutputPath>& outputs, const std::vector<std::string>& inputs, bool overwrite, Progress& progress) {
    for (const std::string& note : layers::check_outputs(outputs, inputs, overwrite)) progress.warn(note);
}

void OutputOptions::check(const layers::OutputPath& main, const std::string& csv_path, const std::string& report_path,
                          const std::vector<std::string>& inputs, Progress& progress) const {
    std::vector<layers::OutputPath> outputs{main};
    if (!csv_path.empty()) outputs.push_back({"--csv", csv_path, layers::OutputKind::csv});
    if (!report_path.empty()) outputs.push_back({"--report", report_path, layers::OutputKind::html});
    check_outputs(outputs, inputs, overwrite, progress);
}

layers::RunRecord run_record(const layers::Study& study, const std::string& parameters_json) {
    layers::RunRecord record{g_command_line, study.checksums(), parameters_json, {}, {}, {}, {}};
    if (!g_project.file.empty()) {
        record.project_file = g_project.file, record.project_sha256 = g_project.sha256;
        record.project_text = g_project.text, record.job = g_project.job;
        if (std::none_of(record.inputs.begin(), record.inputs.end(), [](const auto& f) { return f.first == g_project.file; }))
            record.inputs.insert(record.inputs.begin(), {g_project.file, g_project.sha256});
    }
    return record;
}

} // namespace safer::tools
