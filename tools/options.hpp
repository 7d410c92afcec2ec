#pragma once
// Option groups shared by the subcommands, declared once.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "engine/progress.hpp"
#include "layers/geopackage.hpp"
#include "layers/incident_reader.hpp"

namespace safer::tools {

/// --crimes, --from/--to, --crs, --working-crs, --x/--y, --month-field, --type-field.
struct CrimeOptions {
    std::vector<std::string> crimes;
    std::string from, to;
    layers::IngestOptions ingest;

    void add_to(CLI::App& app);
    /// Validates --from/--to (UsageError) and returns the reader's options.
    layers::IngestOptions resolve() const;
};

/// --group G | --types T,...: which incidents a surface or statistic is about.
struct CrimeSelection {
    std::string group;
    std::vector<std::string> types;

    void add_to(CLI::App& app, const char* default_group);
    /// 1 for each incident selected. `label` names the selection in layer names ("burglary",
    /// "neighbourhood") and `description` in reports. Unknown groups and types are UsageErrors.
    std::vector<uint8_t> select(const layers::IngestResult& result, std::string& label, std::string& description) const;
};

/// A lower-case name fit for a layer or field: letters, digits and single underscores.
std::string layer_name_part(std::string_view text);

/// -o, --schema, --overwrite, -q. -o PG:"..." writes to PostGIS; --schema names the schema.
struct OutputOptions {
    std::string output;
    std::string schema = "safer";
    bool overwrite = false;
    bool quiet = false;
    void add_to(CLI::App& app, const char* output_help);
    /// The output as messages show it: a PG: connection string without its password.
    std::string shown() const;
};

/// Keeps the incidents located in an area (`area_of`, from AreaIndex::locate) and rejects the rest
/// as outside_areas, so rows read = used + rejected still holds. Returns the kept incidents' areas.
std::vector<int32_t> keep_located(layers::IngestResult& result, const std::vector<int32_t>& area_of);

/// Prints rows read, used and rejected by reason, and any unknown crime types.
void print_ingest_summary(const layers::IngestResult& result, uint64_t used, Progress& progress);

/// Records the command line, version, parameters and the SHA-256 of each input file (the files
/// the run read, not the arguments: a folder stands for the files found in it) in the metadata.
/// `checksums` pairs each file with its SHA-256 (IngestResult::file_checksums(), sha256_file()).
void record_run(layers::GeoPackageWriter& writer, const std::vector<std::pair<std::string, std::string>>& checksums,
                const std::string& parameters_json);

/// The command line as typed, set by main().
extern std::string g_command_line;

} // namespace safer::tools
