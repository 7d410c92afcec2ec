// safer ingest: read incidents, reproject, write `incidents` and `rejects`.
#include <fmt/core.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

struct Ingest {
    CrimeOptions crimes;
    OutputOptions out;

    void run() const {
        Progress progress(out.quiet);
        const layers::StudyRequest request = crimes.request();
        check_outputs({out.path(layers::OutputKind::geopackage, "incidents")}, request.input_paths(), out.overwrite, progress);
        const layers::Study study = layers::read_study(request, progress);
        const Incidents& in = study.crimes.incidents;

        layers::GeoPackageWriter writer(out.path(layers::OutputKind::geopackage, "incidents"), out.overwrite, study.working_crs, &progress);
        writer.write_incidents(in, study.crimes.types, builtin_crime_groups(), {}, nullptr);
        writer.write_rejects(study.crimes.rejects, study.source_paths());
        const nlohmann::ordered_json parameters{{"command", "ingest"}, {"from", crimes.from}, {"to", crimes.to}, {"working_crs", study.working_crs}};
        writer.record(run_record(study, parameters.dump()));
        writer.commit();
        progress.info(fmt::format("wrote {}: {}", out.shown(), out.holding("incidents", fmt::format("incidents ({}), rejects ({})", in.size(), study.crimes.rejects.total()))));
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
