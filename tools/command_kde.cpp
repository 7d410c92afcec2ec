// safer kde: kernel density surfaces of incidents, with their top 1/5/10 % hotspot classes.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/text.hpp"
#include "engine/accuracy.hpp"
#include "engine/density_map.hpp"
#include "engine/errors.hpp"
#include "layers/density_output.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"
#include "tools/parsers.hpp"

namespace safer::tools {

namespace {

namespace fs = std::filesystem;

bool is_geotiff(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext == ".tif" || ext == ".tiff";
}

struct KdeCommand {
    CrimeOptions crimes;
    CrimeSelection selection;
    OutputOptions out;
    std::string kernel = "quartic";
    std::string bandwidth = "auto";
    std::string cell = "auto";
    std::string units = "per-km2";
    std::string weight_field;
    std::string study_area_path;
    std::string areas_path;
    std::string by;
    bool edge_correct = false;
    // --bandwidth predictive
    std::vector<std::string> candidate_texts;
    int holdout = 1;
    double predictive_coverage = 1;

    bool predictive() const { return bandwidth == "predictive"; }

    kde::Options options() const {
        kde::Options o;
        o.kernel = *kde::parse_kernel(kernel);
        o.units = *kde::parse_units(units);
        o.bandwidth = predictive() ? std::nullopt : parse_length(bandwidth, "--bandwidth");
        if (predictive() && (holdout < 1 || holdout > 24)) throw UsageError(fmt::format("--holdout {}: expected 1 to 24 months", holdout));
        if (predictive() && !(predictive_coverage > 0 && predictive_coverage <= 100))
            throw UsageError(fmt::format("--predictive-coverage {}: expected a percentage, more than 0 and at most 100", predictive_coverage));
        if (!predictive() && (!candidate_texts.empty()))
            throw UsageError("--candidates: give --bandwidth predictive to choose among them");
        o.cell = parse_length(cell, "--cell");
        o.edge_correct = edge_correct;
        // Parameters a grid cannot be built from are refused before any reading.
        if (o.bandwidth && !(*o.bandwidth > 0)) throw InputError(fmt::format("--bandwidth {}: must be more than 0 m", bandwidth));
        if (o.cell && !(*o.cell > 0)) throw InputError(fmt::format("--cell {}: must be more than 0 m", cell));
        if (o.bandwidth && o.cell && *o.cell > 10 * *o.bandwidth)
            throw InputError(fmt::format("--cell {} m is more than 10 bandwidths ({} m): the surface would be a few blocks; use a "
                                         "cell of at most {} m", cell, bandwidth, *o.bandwidth / 2));
        return o;
    }

    /// --bandwidth predictive: the candidate whose surface, fitted on every month but the last
    /// --holdout, best predicts those months (PAI at --predictive-coverage).
    accuracy::BandwidthChoice choose_bandwidth(const layers::Study& study, const std::vector<uint8_t>& selected, const kde::Options& kopt,
                                               Month& from, Month& to) const {
        const Incidents& in = study.crimes.incidents;
        Month last{-1};
        for (size_t i = 0; i < in.size(); ++i)
            if (selected[i]) last = std::max(last, in.month[i]);
        to = last;
        from = Month{last.index - holdout + 1};
        kde::Points fit, held;
        Extent extent;
        for (size_t i = 0; i < in.size(); ++i) {
            if (!selected[i]) continue;
            kde::Points& p = in.month[i] >= from ? held : fit;
            p.x.push_back(in.x[i]), p.y.push_back(in.y[i]);
            if (!in.weight.empty()) p.w.push_back(in.weight[i]);
            extent.add(in.x[i], in.y[i]);
        }
        if (fit.size() == 0)
            throw InputError(fmt::format("--bandwidth predictive: every incident selected is in the {} month(s) held out ({} to {}); the fitting needs earlier "
                                         "months (give more months, or a smaller --holdout)",
                                         holdout, from.str(), to.str()));
        const double cell_m = kopt.cell ? *kopt.cell : kde::auto_cell(study.areas.size() ? study.areas.extent() : extent);
        const accuracy::EvaluationGrid grid = accuracy::evaluation_grid(extent, cell_m, study.areas);
        const std::vector<double> candidates = candidate_texts.empty() ? accuracy::default_candidates : parse_lengths(candidate_texts, "--candidates");
        return accuracy::choose_bandwidth(grid, fit, held, candidates, predictive_coverage / 100, kopt.kernel);
    }

    /// The surface in a few lines on stderr: what was counted, the kernel and grid, the warnings.
    void report_surface(const kde::DensityMap& map, const CrimeSelection::Chosen& chosen, const kde::Options& kopt, bool weighted, Progress& progress) const {
        const kde::Surface& surface = map.surface;
        const Grid& grid = surface.grid;
        progress.info(fmt::format("{} incidents of {}{}", grouped(static_cast<double>(map.incidents)), chosen.description,
                                  weighted ? fmt::format(", total weight {:.6g} (--weight {})", map.total_weight, weight_field) : ""));
        progress.info(fmt::format("kernel {}, bandwidth {:.1f} m{}, cell {:g} m{}, grid {} x {} cells ({:.1f} x {:.1f} km), {} incidents at {} distinct locations",
                                  kde::name(kopt.kernel), surface.bandwidth, surface.bandwidth_auto ? " (auto: ArcGIS rule)" : "", grid.cell,
                                  surface.cell_auto ? " (auto: shorter side / 250)" : "", grid.nx, grid.ny, static_cast<double>(grid.nx) * grid.cell / 1000,
                                  static_cast<double>(grid.ny) * grid.cell / 1000, grouped(static_cast<double>(surface.incidents)),
                                  grouped(static_cast<double>(surface.locations))));
        for (const std::string& w : surface.warnings) progress.warn(w);
        if (const std::string w = layers::broad_bandwidth_warning(map.scale, "the bandwidth"); !w.empty()) progress.warn(w);
    }

    /// The parameters recorded in the output's metadata.
    nlohmann::ordered_json run_parameters(const layers::Study& study, const kde::DensityMap& map, const CrimeSelection::Chosen& chosen, const kde::Options& kopt,
                                          const std::optional<accuracy::BandwidthChoice>& choice, Month held_from, Month held_to,
                                          const std::string& study_area) const {
        const kde::Surface& surface = map.surface;
        const Grid& grid = surface.grid;
        return nlohmann::ordered_json{
            {"command", "kde"}, {"from", crimes.from}, {"to", crimes.to}, {"working_crs", study.working_crs},
            {"selection", chosen.description}, {"kernel", kde::name(kopt.kernel)}, {"bandwidth_m", surface.bandwidth},
            {"bandwidth_rule", choice ? fmt::format("predictive: {}", fmt::join(layers::bandwidth_choice_text(*choice, held_from, held_to), "; "))
                              : surface.bandwidth_auto ? "auto: h = 0.9 min(SD, sqrt(1/ln 2) Dm) n^(-1/5) (ArcGIS)" : "given"},
            {"bandwidth_spacing_m", map.scale.spacing},
            {"cell_m", grid.cell}, {"cell_rule", surface.cell_auto ? "auto: shorter side of the extent / 250, rounded" : "given"},
            {"units", kde::name(kopt.units)}, {"weight_field", weight_field}, {"study_area", study_area},
            {"edge_correct", edge_correct}, {"by", by}, {"grid", {{"x0", grid.x0}, {"y0", grid.y0}, {"nx", grid.nx}, {"ny", grid.ny}}},
            {"incidents", map.incidents}, {"nodata", kde::nodata}};
    }

    /// Where the surface goes: the GeoPackage, or a GeoTIFF with its classes in <name>_classes.gpkg.
    struct Destinations {
        bool tif = false;
        layers::OutputPath main, classes;
    };
    Destinations destinations(PeriodKind period) const {
        Destinations d;
        d.tif = is_geotiff(out.output);
        if (d.tif && period != PeriodKind::none) throw UsageError("--by writes one surface per period: use a GeoPackage output (.gpkg)");
        d.main = out.path(layers::OutputKind::geopackage_tiff);
        d.main.rasters = d.main.raster_main = true;
        const std::string classes_path =
            d.tif ? (fs::path(out.output).parent_path() / (fs::path(out.output).stem().string() + "_classes.gpkg")).string() : out.output;
        d.classes = layers::OutputPath{"-o (its classes)", classes_path, layers::OutputKind::geopackage};
        d.classes.project = false; // the project goes beside the GeoTIFF and shows both
        return d;
    }

    layers::StudyRequest study_request() const {
        layers::StudyRequest request = crimes.request();
        request.ingest.weight_field = weight_field;
        request.ingest.text_columns = false; // no Crime IDs, locations, LSOA codes or outcomes are used
        request.ingest.checksums_later = true; // recorded once the surface is written
        // The study area: incidents outside it are rejected (outside_areas), as in `safer areas`.
        request.areas_path = !study_area_path.empty() ? study_area_path : areas_path;
        request.area_options.codes_optional = true;
        if (edge_correct && request.areas_path.empty()) throw UsageError("--edge-correct needs a study area: --study-area or --areas");
        return request;
    }

    /// The rasters (or GeoTIFF), their classes, the rejects and the record, moved into place together.
    /// The record (with the inputs' checksums, taken meanwhile on an idle core) is made last.
    void write_outputs(const Destinations& d, const layers::Study& study, const kde::DensityMap& map, const CrimeSelection::Chosen& chosen,
                       const std::string& parameters, PeriodKind period, Progress& progress) const {
        const std::string description = layers::density_description(map, chosen.description, edge_correct);
        const std::string layer = "kde_" + chosen.label;
        layers::StagedFiles staged(out.overwrite); // the GeoTIFF moves into place with its classes GeoPackage
        layers::GeoPackageWriter writer(d.tif ? d.classes : d.main, out.overwrite, study.working_crs, &progress);
        std::optional<layers::RunRecord> record;
        if (d.tif) {
            record = run_record(study, parameters);
            const std::string qml = layers::write_density_geotiff(&staged, out.output, out.overwrite, study.working_crs, map, description, *record, &progress);
            writer.set_project_path(layers::project_path(out.output));
            writer.add_project_raster(out.output, layer, description, qml, map.surface.grid.extent());
        }
        layers::write_density(writer, map, layer, description, chosen.description, period, !d.tif);
        writer.write_rejects(study.crimes.rejects, study.source_paths());
        if (!record) record = run_record(study, parameters);
        writer.record(*record);
        writer.commit();
        staged.commit();
        for (const kde::PeriodSurface& p : map.periods)
            progress.info((period == PeriodKind::none ? "hotspot classes:" : fmt::format("{} ({} incidents):", p.period, p.incidents)) +
                          layers::hotspot_classes_text(p.hotspots));
        progress.info(d.tif ? fmt::format("wrote {} and {} ({}_classes, rejects)", out.shown(), d.classes.path, layer)
                            : fmt::format("wrote {}: {} raster layer{} ({}{}), {}_classes, rejects", out.output, map.periods.size(),
                                          map.periods.size() == 1 ? "" : "s", layer, period == PeriodKind::none ? "" : "_<period>", layer));
    }

    void run() const {
        Progress progress(out.quiet);
        kde::Options kopt = options();
        const PeriodKind period = by == "month" ? PeriodKind::month : by == "quarter" ? PeriodKind::quarter : PeriodKind::none;
        const layers::StudyRequest request = study_request();
        const Destinations d = destinations(period);
        std::vector<layers::OutputPath> outputs{d.main};
        if (d.tif) outputs.push_back(d.classes);
        check_outputs(outputs, request.input_paths(), out.overwrite, progress);
        const layers::Study study = layers::read_study(request, progress);

        const CrimeSelection::Chosen chosen = selection.choose(study.crimes.types);
        const Incidents& in = study.crimes.incidents;
        const std::vector<uint8_t> selected = chosen.incidents(in);
        if (std::find(selected.begin(), selected.end(), 1) == selected.end())
            throw InputError(fmt::format("no incidents left after filtering: none of the {} incidents used are of {}{}", in.size(), chosen.description,
                                         crimes.from.empty() && crimes.to.empty() ? "" : " in the months asked for"));
        std::optional<accuracy::BandwidthChoice> choice;
        Month held_from, held_to;
        if (predictive()) {
            progress.begin("choosing the bandwidth that best predicts the last month", 1);
            choice = choose_bandwidth(study, selected, kopt, held_from, held_to);
            progress.end();
            kopt.bandwidth = choice->bandwidth();
            for (const std::string& line : layers::bandwidth_choice_text(*choice, held_from, held_to)) progress.info(line);
            if (const std::string w = layers::saturated_choice_warning(*choice); !w.empty()) progress.warn(w);
        }
        kde::StudyArea study_area;
        for (const auto& g : study.areas.geometry) study_area.polygons.push_back(g.get());
        const kde::DensityMap map = kde::density_map(in, selected, period, kopt, study.areas.size() ? &study_area : nullptr, &progress);
        report_surface(map, chosen, kopt, !in.weight.empty(), progress);
        write_outputs(d, study, map, chosen, run_parameters(study, map, chosen, kopt, choice, held_from, held_to, request.areas_path).dump(), period, progress);
    }
};

} // namespace

Run setup_kde(CLI::App& app) {
    auto command = std::make_shared<KdeCommand>();
    command->crimes.add_to(app);
    command->selection.add_to(app, "all");
    app.add_option("--kernel", command->kernel, "Kernel")
        ->check(CLI::IsMember({"quartic", "epanechnikov", "triangular", "uniform", "gaussian"}))
        ->capture_default_str();
    app.add_option("--bandwidth", command->bandwidth,
                   "Bandwidth (search radius) in metres, auto (ArcGIS's rule), or predictive (the candidate that best predicts the last month)")
        ->capture_default_str();
    app.add_option("--candidates", command->candidate_texts, "With --bandwidth predictive: the bandwidths to choose from, metres, comma-separated "
                                                             "(default 100,150,200,250,300,400,500,750,1000,1500,2000)")
        ->delimiter(',');
    app.add_option("--holdout", command->holdout, "With --bandwidth predictive: the last months held out of the fitting and predicted")->capture_default_str();
    app.add_option("--predictive-coverage", command->predictive_coverage, "With --bandwidth predictive: the percent of the study area whose PAI is compared")
        ->capture_default_str();
    app.add_option("--cell", command->cell, "Cell size in metres, or auto")->capture_default_str();
    app.add_option("--units", command->units, "Units of the surface")
        ->check(CLI::IsMember({"per-km2", "raw", "probability"}))
        ->capture_default_str();
    app.add_option("--weight", command->weight_field, "Numeric field weighting each incident (point CSVs and OGR layers)");
    app.add_option("--study-area", command->study_area_path, "Polygons of the study area; cells outside are nodata");
    app.add_option("--areas", command->areas_path, "Area polygons whose union is the study area (if --study-area is not given)");
    app.add_flag("--edge-correct", command->edge_correct, "Divide each cell by the share of its kernel inside the study area");
    app.add_option("--by", command->by, "One surface per month or quarter")->check(CLI::IsMember({"month", "quarter"}));
    command->out.add_to(app, "Output GeoPackage (raster layer kde_<group> + kde_<group>_classes) or GeoTIFF (.tif; the classes then go "
                             "to <name>_classes.gpkg)");
    app.footer(kde::formulas() +
               "Bandwidth auto (ArcGIS): h = 0.9 * min(SD, sqrt(1/ln 2) * Dm) * n^(-1/5); SD the standard distance, Dm the median\n"
               "distance from the mean centre, n the number (total weight) of incidents.\n"
               "Bandwidth predictive: each candidate's surface is fitted on every month but the last --holdout and scored by its PAI\n"
               "(Chainey, Tompson & Uhlig 2008) on those months at --predictive-coverage; the best is used on every month (ties: larger).\n"
               "A bandwidth over 8 times the median distance between incident locations or over 10 % of the study area's shorter\n"
               "side is warned about.\n"
               "Cell auto: the shorter side of the study area (or of the incidents' extent) / 250, rounded to 1, 2, 2.5 or 5 x 10^k.\n"
               "Extent: the study area, or the incidents, grown by the kernel's support. Density is evaluated at cell centres from\n"
               "the exact incident coordinates. Incidents outside the study area are rejected (outside_areas).\n"
               "Hotspot classes: among cells with a value, the top p % threshold is the value of the ceil(p N / 100)-th highest\n"
               "cell; a class holds every cell at or above it (and above 0), and its share is of incidents in valid cells.");
    return [command] { command->run(); };
}

} // namespace safer::tools
