#pragma once
// Option groups shared by the subcommands, declared once. Each group fills its part of the
// study request (layers/study.hpp).
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "engine/crime_types.hpp"
#include "engine/text.hpp"
#include "layers/geopackage.hpp"
#include "layers/output_files.hpp"
#include "layers/study.hpp"

namespace safer::tools {

/// The crime groups a command can name: the built-in ones (neighbourhood, acquisitive, violence,
/// asb, damage, all), then those of the project file of safer run ([groups]).
const std::vector<CrimeGroup>& crime_groups();
/// Adds a project file's groups (safer run) after the built-in ones.
void set_project_groups(const std::vector<CrimeGroup>& groups);

/// --crimes, --from/--to, --crs, --working-crs, --x/--y, --month-field, --type-field.
struct CrimeOptions {
    std::vector<std::string> crimes;
    std::string from, to;
    layers::IngestOptions ingest;

    void add_to(CLI::App& app);
    /// A study request for these crimes, --from/--to checked (UsageError).
    layers::StudyRequest request() const;
};

/// --areas with --area-id and --area-name.
struct AreaInput {
    std::string path;
    layers::AreaOptions options;
    CLI::Option* add_to(CLI::App& app, const std::string& help, bool with_name = true);
};

/// --population with --population-code, --population-field and, optionally, --households-field.
struct PopulationInput {
    std::string path;
    layers::PopulationOptions options;
    CLI::Option* add_to(CLI::App& app, const std::string& help, bool with_households = true);
};

/// --group G | --types T,...: which incidents a surface or statistic is about.
struct CrimeSelection {
    std::string group;
    std::vector<std::string> types;

    void add_to(CLI::App& app, const char* default_group);
    /// The types selected, from the data's table: the group's (UsageError for an unknown group)
    /// or those named (UsageError for a type neither police.uk nor the data has).
    struct Chosen {
        std::vector<uint8_t> type_selected; // per crime type id
        std::string label;                  // in layer names: "burglary", "neighbourhood"
        std::string description;            // in reports: the group's definition, or the types
        std::string phrase;                 // what it counts, in a sentence: "all crime", "Burglary and Robbery" (crime_phrase)
        /// 1 for each incident of a selected type.
        std::vector<uint8_t> incidents(const Incidents& in) const;
    };
    Chosen choose(const CrimeTypes& types) const;
};


/// -o, --format, --schema, --overwrite, -q. -o PG:"..." writes to PostGIS; --schema names the
/// schema. The format follows -o's extension unless --format names one (layers::output_formats).
struct OutputOptions {
    std::string output;
    std::string format;
    std::string schema = "safer";
    bool overwrite = false;
    bool quiet = false;
    CLI::Option* add_to(CLI::App& app, const char* output_help);
    /// The output as messages show it: a PG: connection string without its password.
    std::string shown() const;
    /// What -o holds, for "wrote ..." messages: `layers` (the layers written, as listed) in a
    /// format of several layers, else "the `main_layer` layer only".
    std::string holding(const std::string& main_layer, const std::string& layers) const;
    /// -o as an output to check (layers::check_outputs) and write (layers::GeoPackageWriter):
    /// `main_layer` is what a one-layer format (FlatGeobuf, GeoJSON, Shapefile, CSV) gets.
    layers::OutputPath path(layers::OutputKind kind = layers::OutputKind::geopackage, std::string main_layer = {}) const {
        layers::OutputPath p{"-o", output, kind};
        p.format = format;
        p.main_layer = std::move(main_layer);
        return p;
    }
    /// Checks -o (`main`: path() with what it holds) with an optional --csv and --report together
    /// (check_outputs below).
    void check(const layers::OutputPath& main, const std::string& csv_path, const std::string& report_path, const std::vector<std::string>& inputs,
               Progress& progress) const;
};

/// layers::check_outputs, before any work, with what the formats chosen cannot hold said as
/// warnings.
void check_outputs(const std::vector<layers::OutputPath>& outputs, const std::vector<std::string>& inputs, bool overwrite, Progress& progress);

/// The command line as typed (passwords hidden), set by main(); under safer run, the job's own
/// command line.
extern std::string g_command_line;

/// Under safer run: the project file and the job running, for the outputs' metadata.
struct ProjectRun {
    std::string file, sha256, text, job;
};
extern ProjectRun g_project;

/// The record of this run for the outputs' metadata.
layers::RunRecord run_record(const layers::Study& study, const std::string& parameters_json);

} // namespace safer::tools
