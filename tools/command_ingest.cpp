// safer ingest: read incidents, reproject, write `incidents` and `rejects`.
#include <fmt/core.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "engine/crime_types.hpp"
#include "layers/geopackage.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {
struct Ingest {
    CrimeOptions crimes;
    OutputOptions out;

    void run() const {
        Progress progress(out.quiet);
        const layers::IngestOptions options = crimes.resolve();
        layers::check_output_path(out.output, out.overwrite);
        const layers::IngestResult result = layers::read_incidents(crimes.crimes, options, progress);
        print_ingest_summary(result, result.incidents.size(), progress);

        progress.begin(fmt::format("writing {}", out.shown()), 1);
        layers::GeoPackageWriter writer(out.output, out.overwrite, options.working_crs);
        std::vector<std::string> sources;
        for (const auto& s : result.sources) sources.push_back(s.path);
        writer.write_incidents(result.incidents, result.types, builtin_crime_groups(), {}, nullptr);
        writer.write_rejects(result.rejects, sources);
        nlohmann::ordered_json parameters{{"command", "ingest"}, {"from", crimes.from}, {"to", crimes.to},
                                          {"working_crs", options.working_crs}};
        record_run(writer, result.file_checksums(), parameters.dump());
        writer.commit();
        progress.end();
        progress.info(fmt::format("wrote {}: incidents ({}), rejects ({})", out.shown(), result.incidents.size(), result.rejects.total()));
    }
};
} // namespace

Run setup_ingest(CLI::App& app) {
    auto command = std::make_shared<Ingest>();
    command->crimes.add_to(app);
    command->out.add_to(app, "Output GeoPackage");
    app.footer("Writes the layers incidents (points in the working CRS with month, crime_type, crime_group, crime_id, "
               "location, lsoa_code_source, outcome) and rejects (file, line, reason, detail).");
    return [command] { command->run(); };
}

} // namespace safer::tools
