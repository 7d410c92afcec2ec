#include "tools/options.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "engine/area_index.hpp"
#include "engine/errors.hpp"
#include "layers/postgis.hpp"

namespace safer::tools {

std::string g_command_line;

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

layers::IngestOptions CrimeOptions::resolve() const {
    layers::IngestOptions o = ingest;
    if (!from.empty()) {
        o.window.from = Month::parse(from);
        if (!o.window.from) throw UsageError(fmt::format("--from {}: expected a month as YYYY-MM", from));
    }
    if (!to.empty()) {
        o.window.to = Month::parse(to);
        if (!o.window.to) throw UsageError(fmt::format("--to {}: expected a month as YYYY-MM", to));
    }
    if (o.window.from && o.window.to && *o.window.from > *o.window.to)
        throw UsageError(fmt::format("--from {} is after --to {}", from, to));
    return o;
}

void CrimeSelection::add_to(CLI::App& app, const char* default_group) {
    group = default_group;
    std::string groups;
    for (const CrimeGroup& g : builtin_crime_groups()) groups += (groups.empty() ? "" : ", ") + g.name;
    app.add_option("--group", group, "Crime group: " + groups)->capture_default_str();
    app.add_option("--types", types, "Crime types instead of a group, comma-separated (e.g. Burglary,Robbery)")->delimiter(',');
}

std::string layer_name_part(std::string_view text) {
    std::string out;
    for (char c : text) {
        const bool word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
        else if (word) out += c;
        else if (!out.empty() && out.back() != '_') out += '_';
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out.empty() ? "selection" : out;
}

std::vector<uint8_t> CrimeSelection::select(const layers::IngestResult& result, std::string& label, std::string& description) const {
    const Incidents& in = result.incidents;
    std::vector<uint8_t> type_selected(result.types.size(), 0);
    if (!types.empty()) {
        std::vector<std::string> names;
        for (const std::string& t : types) {
            const CrimeTypeId* id = result.types.find(t);
            if (!id) {
                std::string known;
                for (std::string_view k : known_crime_types) known += fmt::format("{}'{}'", known.empty() ? "" : ", ", k);
                throw UsageError(fmt::format("--types: '{}' is not a crime type of police.uk or of the data; the police.uk types are {}", t, known));
            }
            type_selected[*id] = 1;
            names.emplace_back(result.types.name(*id));
        }
        label = layer_name_part(fmt::format("{}", fmt::join(names, "_")));
        description = fmt::format("crime types {}", fmt::join(names, ", "));
    } else {
        const std::vector<CrimeGroup> groups = builtin_crime_groups();
        size_t g = 0;
        while (g < groups.size() && groups[g].name != group) ++g;
        if (g == groups.size()) {
            std::string names;
            for (const CrimeGroup& c : groups) names += (names.empty() ? "" : ", ") + c.name;
            throw UsageError(fmt::format("--group {}: no such crime group; the groups are {}", group, names));
        }
        const GroupMembership membership(groups, result.types);
        for (size_t t = 0; t < result.types.size(); ++t) type_selected[t] = membership.contains(g, static_cast<CrimeTypeId>(t));
        label = groups[g].name;
        description = groups[g].description;
    }
    std::vector<uint8_t> selected(in.size());
    for (size_t i = 0; i < in.size(); ++i) selected[i] = type_selected[in.type[i]];
    return selected;
}

std::string OutputOptions::shown() const { return layers::hide_passwords(output); }

void OutputOptions::add_to(CLI::App& app, const char* output_help) {
    app.add_option("-o,--output", output,
                   std::string(output_help) + "; or a PostGIS database, PG:\"dbname=... host=... user=...\" (libpq keywords), written into --schema");
    app.add_option("--schema", schema, "With -o PG:...: the schema to write the layers into (created; replaced whole with --overwrite)")
        ->capture_default_str();
    app.add_flag("--overwrite", overwrite, "Replace the output if it exists");
    app.add_flag("-q,--quiet", quiet, "Print no progress or information (warnings and errors still print)");
    // The schema travels in the connection string as GDAL's active_schema, so every writer that
    // takes -o can write to PostGIS.
    app.parse_complete_callback([this] {
        if (layers::is_postgis_target(output) && output.find("active_schema") == std::string::npos) output += " active_schema=" + schema;
    });
}

void print_ingest_summary(const layers::IngestResult& result, uint64_t used, Progress& progress) {
    progress.info(fmt::format("read {} rows from {} file{}: {} used, {} rejected", result.rows_read, result.sources.size(),
                              result.sources.size() == 1 ? "" : "s", used, result.rows_read - used));
    for (size_t r = 0; r < reject_reason_count; ++r) {
        const auto reason = static_cast<RejectReason>(r);
        if (const uint64_t n = result.rejects.count(reason))
            progress.info(fmt::format("  rejected {:>8}  {} ({})", n, reason_text(reason), reason_code(reason)));
    }
    for (const auto& s : result.sources)
        if (s.rows == 0) progress.warn(fmt::format("{}: no rows after the header", s.path));
    for (const auto& [type, count] : result.unknown_types())
        progress.warn(fmt::format("crime type '{}' is not a police.uk type; kept as its own type ({} rows)", type, count));
    if (!result.transform_operation.empty()) progress.info(fmt::format("coordinates transformed by PROJ: {}", result.transform_operation));
}

std::vector<int32_t> keep_located(layers::IngestResult& result, const std::vector<int32_t>& area_of) {
    const Incidents& in = result.incidents;
    std::vector<uint8_t> inside(area_of.size());
    std::vector<int32_t> kept;
    for (size_t i = 0; i < area_of.size(); ++i) {
        inside[i] = area_of[i] != no_area;
        if (inside[i]) kept.push_back(area_of[i]);
        else result.rejects.add(in.source[i], in.line[i], RejectReason::outside_areas, fmt::format("x {:.1f}, y {:.1f}", in.x[i], in.y[i]));
    }
    result.incidents.keep(inside);
    result.rejects.sort();
    return kept;
}

void record_run(layers::GeoPackageWriter& writer, const std::vector<std::pair<std::string, std::string>>& checksums,
                const std::string& parameters_json) {
    nlohmann::ordered_json sha256 = nlohmann::ordered_json::object();
    for (const auto& [file, digest] : checksums) sha256[file] = digest;
    writer.set_metadata("SAFER_VERSION", SAFER_VERSION);
    writer.set_metadata("SAFER_COMMAND", g_command_line); // passwords hidden in main()
    writer.set_metadata("SAFER_PARAMETERS", parameters_json);
    writer.set_metadata("SAFER_INPUT_SHA256", sha256.dump());
}

} // namespace safer::tools
