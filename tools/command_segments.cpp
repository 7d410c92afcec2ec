// safer segments: street segments as units of analysis: counts and rates per 100 m, concentration
// (Weisburd's law), Gi* with network-distance weights and network kernel density on lixels.
#include <fmt/core.h>

#include <cmath>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "engine/text.hpp"
#include "engine/errors.hpp"
#include "engine/segments.hpp"
#include "layers/csv_writer.hpp"
#include "layers/hotspot_output.hpp"
#include "layers/segments_output.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

const std::map<std::string, network::Kernel> kernels = {{"quartic", network::Kernel::quartic},
                                                         {"epanechnikov", network::Kernel::epanechnikov},
                                                         {"triangular", network::Kernel::triangular},
                                                         {"uniform", network::Kernel::uniform},
                                                         {"triweight", network::Kernel::triweight}};
const std::map<std::string, network::Method> methods = {
    {"simple", network::Method::simple}, {"discontinuous", network::Method::discontinuous}, {"continuous", network::Method::continuous}};

struct SegmentsCommand {
    CrimeOptions crimes;
    CrimeSelection selection;
    OutputOptions out;
    AreaInput areas;
    std::string streets_path, streets_crs, csv_path;
    std::string kernel = "quartic", method = "discontinuous";
    bool with_incidents = false;
    segments::SegmentOptions options;

    /// The options checked before any reading (UsageError).
    segments::SegmentOptions checked() const {
        segments::SegmentOptions o = options;
        const auto positive = [](double v, const char* name, bool zero_ok) {
            if (!std::isfinite(v) || v < 0 || (!zero_ok && v == 0))
                throw UsageError(fmt::format("{} {}: expected metres, {}", name, v, zero_ok ? "0 or more" : "more than 0"));
        };
        positive(o.tolerance, "--tolerance", true);
        positive(o.lixel, "--lixel", false);
        positive(o.kde.bandwidth, "--bandwidth", false);
        positive(o.gi_band, "--gi-band", true);
        if (o.kde.max_depth < 1) throw UsageError("--max-depth 0: a walk must be allowed through at least 1 junction");
        o.kde.kernel = kernels.at(kernel);
        o.kde.method = methods.at(method);
        return o;
    }

    void run() const {
        Progress progress(out.quiet);
        const segments::SegmentOptions o = checked();
        layers::StudyRequest request = crimes.request();
        request.areas_path = areas.path;
        request.area_options = areas.options;
        request.area_options.codes_optional = true; // a study area, not units
        request.assets.streets = streets_path;
        request.assets.options.input_crs = streets_crs;
        std::vector<layers::OutputPath> outputs{out.path(layers::OutputKind::geopackage, "segments")};
        if (!csv_path.empty()) outputs.push_back({"--csv", csv_path, layers::OutputKind::csv});
        check_outputs(outputs, request.input_paths(), out.overwrite, progress);
        layers::Study study = layers::read_study(request, progress);

        const CrimeSelection::Chosen chosen = selection.choose(study.crimes.types);
        const std::vector<uint8_t> selected = chosen.incidents(study.crimes.incidents);
        if (std::find(selected.begin(), selected.end(), 1) == selected.end())
            throw InputError(fmt::format("no incidents left after filtering: none of the {} incidents used are of {}", selected.size(), chosen.description));
        const segments::SegmentResult r = segments::analyse_segments(study.assets.streets, study.crimes.incidents, selected, o, &progress);
        const streets::StreetNetwork& net = r.network;
        progress.info(fmt::format("street network: {} segments between {} junctions ({} dead ends), {:.1f} km, from {} lines", net.segments.size(),
                                  net.junctions, net.dead_ends, net.length / 1000, net.lines));
        std::optional<layers::IncidentLayer> placed;
        if (with_incidents) placed = layers::segment_incidents_table(r, study.crimes.incidents, selected, study.crimes.types);
        const std::vector<layers::LateReject> off = layers::off_network_rejects(r, study.crimes.incidents, o.tolerance);
        progress.info(fmt::format("{} of {} incidents placed on their nearest segment within {:g} m; {} not:", r.placed, r.placement.segment.size(),
                                  o.tolerance, off.size()));
        for (RejectReason reason : {RejectReason::outside_network, RejectReason::far_from_street}) {
            const auto n = std::count_if(off.begin(), off.end(), [&](const layers::LateReject& j) { return j.reason == reason; });
            if (n > 0) progress.info(fmt::format("  rejected {:>8}  {} ({})", grouped(static_cast<double>(n)), reason_text(reason), reason_code(reason)));
        }
        layers::reject_incidents(study, off);
        const layers::IngestResult& c = study.crimes;
        progress.info(fmt::format("in all: read {} rows from {} file{}: {} used (on a segment), {} rejected", grouped(static_cast<double>(c.rows_read)),
                                  c.sources.size(), c.sources.size() == 1 ? "" : "s", grouped(static_cast<double>(c.incidents.size())),
                                  grouped(static_cast<double>(c.rows_read - c.incidents.size()))));
        for (const std::string& w : layers::segments_warnings(r, o)) progress.warn(w);

        const nlohmann::ordered_json parameters{
            {"command", "segments"}, {"from", crimes.from}, {"to", crimes.to}, {"working_crs", study.working_crs}, {"selection", chosen.description},
            {"streets", streets_path}, {"areas", areas.path}, {"tolerance_m", o.tolerance}, {"lixel_m", o.lixel}, {"method", method},
            {"kernel", kernel}, {"bandwidth_m", o.kde.bandwidth}, {"max_depth", o.kde.max_depth}, {"gi_band_m", o.gi_band},
            {"segments", net.segments.size()}, {"lixels", r.lixels.size()}, {"incidents_placed", r.placed}, {"incidents_off_network", off.size()}};
        const layers::Table table = layers::segments_table(r, o, chosen.description);
        const layers::LixelLayer lixels = layers::lixels_table(r, o);
        layers::GeoPackageWriter writer(out.path(layers::OutputKind::geopackage, "segments"), out.overwrite, study.working_crs, &progress);
        writer.write_table(table);
        writer.write_table(lixels.table);
        writer.write_table(layers::segment_concentration_table(r, chosen.description));
        writer.write_table(layers::lorenz_table(r.concentration, "street segments"));
        if (placed) writer.write_table(placed->table);
        writer.write_rejects(study.crimes.rejects, study.source_paths());
        writer.prefer_style_field("segments", "nkde");
        writer.prefer_style_field("lixels", "nkde");
        writer.record(run_record(study, parameters.dump()));
        layers::StagedFiles staged(out.overwrite); // the CSV and the GeoPackage are moved into place together
        if (!csv_path.empty()) staged.stage(csv_path, layers::table_csv(layers::segments_csv_table(table)));
        writer.commit();
        staged.commit();
        for (const std::string& line : layers::segments_summary(r, o, chosen.description)) progress.info(line);
        progress.info(fmt::format("wrote {}: {}{}", out.shown(),
                                  out.holding("segments", fmt::format("segments ({}), lixels ({}), concentration, lorenz, {}rejects ({})", net.segments.size(),
                                                                      r.lixels.size(), placed ? fmt::format("segment_incidents ({}), ", placed->table.rows()) : "",
                                                                      study.crimes.rejects.total())),
                                  csv_path.empty() ? "" : "; and " + csv_path));
    }
};

} // namespace

Run setup_segments(CLI::App& app) {
    auto command = std::make_shared<SegmentsCommand>();
    segments::SegmentOptions& o = command->options;
    command->crimes.add_to(app);
    command->selection.add_to(app, "all");
    app.add_option("--streets", command->streets_path,
                   "Street lines: any OGR line layer (OS Open Roads, OS Open Map Local, GeoPackage, shapefile) or OpenStreetMap .osm/.pbf "
                   "(its highway ways)")
        ->required();
    app.add_option("--streets-crs", command->streets_crs, "CRS of a streets layer that declares none");
    command->areas.add_to(app, "Study area: incidents outside these polygons are rejected (outside_areas)");
    app.add_option("--tolerance", o.tolerance, "Incidents farther than this (metres) from every segment are rejected")->capture_default_str();
    app.add_option("--lixel", o.lixel, "Longest lixel (metres): each segment is cut into equal pieces no longer than this")->capture_default_str();
    app.add_option("--bandwidth", o.kde.bandwidth, "Network kernel bandwidth h, metres along the network")->capture_default_str();
    app.add_option("--kernel", command->kernel, "quartic, epanechnikov, triangular, uniform or triweight")
        ->capture_default_str()
        ->check(CLI::IsMember({"quartic", "epanechnikov", "triangular", "uniform", "triweight"}));
    app.add_option("--method", command->method, "simple, discontinuous or continuous (see below)")
        ->capture_default_str()
        ->check(CLI::IsMember({"simple", "discontinuous", "continuous"}));
    app.add_option("--max-depth", o.kde.max_depth, "Junctions a density walk may pass through (discontinuous, continuous), as spNetwork's max_depth")
        ->capture_default_str();
    app.add_option("--gi-band", o.gi_band, "Gi* neighbours: segments whose nearest points are within this many metres along the network")
        ->capture_default_str();
    app.add_option("--csv", command->csv_path, "Also write segment_id,name,length_m,count,rate_per_100m,nkde,gi_z,gi_bin as CSV");
    app.add_flag("--incidents", command->with_incidents, "Also write segment_incidents: each incident counted, with its segment and distance");
    command->out.add_to(app, "Output GeoPackage");
    app.footer(layers::nkde_formula_text() +
               "\nEach incident goes to its nearest segment (exact distance to the line) within --tolerance; equally near segments\n"
               "(a junction) to the lowest segment_id. Others are rejected: outside_network (outside the convex hull of the\n"
               "segments grown by the tolerance) or far_from_street. Segments run between junctions (nodes where 3 or more line\n"
               "ends meet) and dead ends; every crossing of two lines is a junction. rate_per_100m = 100 * count / length_m.");
    return [command] { command->run(); };
}

} // namespace safer::tools
