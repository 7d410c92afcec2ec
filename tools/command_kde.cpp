// safer kde: kernel density surfaces of incidents, with their top 1/5/10 % hotspot classes.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/area_index.hpp"
#include "engine/errors.hpp"
#include "engine/kde.hpp"
#include "layers/area_reader.hpp"
#include "layers/checksum.hpp"
#include "layers/geopackage.hpp"
#include "layers/qgis_styles.hpp"
#include "layers/raster.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

namespace fs = std::filesystem;

bool is_geotiff(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext == ".tif" || ext == ".tiff";
}

/// "2023-04" for --by month, "2023-Q2" for --by quarter.
std::string period_of(Month m, const std::string& by) {
    if (by == "quarter") return fmt::format("{}-Q{}", m.year(), (m.month() - 1) / 3 + 1);
    return m.str();
}

std::optional<double> parse_length(const std::string& text, const char* option) {
    if (text == "auto") return std::nullopt;
    double v = 0;
    size_t used = 0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || !std::isfinite(v)) throw UsageError(fmt::format("{} {}: expected metres (a number) or auto", option, text));
    return v;
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

    void run() const {
        Progress progress(out.quiet);
        kde::Options kopt;
        kopt.kernel = *kde::parse_kernel(kernel);
        kopt.units = *kde::parse_units(units);
        kopt.bandwidth = parse_length(bandwidth, "--bandwidth");
        kopt.cell = parse_length(cell, "--cell");
        kopt.edge_correct = edge_correct;
        // Parameters a grid cannot be built from are refused before any reading.
        if (kopt.bandwidth && !(*kopt.bandwidth > 0)) throw InputError(fmt::format("--bandwidth {}: must be more than 0 m", bandwidth));
        if (kopt.cell && !(*kopt.cell > 0)) throw InputError(fmt::format("--cell {}: must be more than 0 m", cell));
        if (kopt.bandwidth && kopt.cell && *kopt.cell > 10 * *kopt.bandwidth)
            throw InputError(fmt::format("--cell {} m is more than 10 bandwidths ({} m): the surface would be a few blocks; use a "
                                         "cell of at most {} m", cell, bandwidth, *kopt.bandwidth / 2));
        const std::string polygons_path = !study_area_path.empty() ? study_area_path : areas_path;
        if (edge_correct && polygons_path.empty()) throw UsageError("--edge-correct needs a study area: --study-area or --areas");
        const bool tif = is_geotiff(out.output);
        if (tif && !by.empty()) throw UsageError("--by writes one surface per period: use a GeoPackage output (.gpkg)");
        const std::string classes_path =
            tif ? (fs::path(out.output).parent_path() / (fs::path(out.output).stem().string() + "_classes.gpkg")).string() : out.output;
        layers::check_output_path(out.output, out.overwrite);
        if (tif) layers::check_output_path(classes_path, out.overwrite);

        layers::IngestOptions options = crimes.resolve();
        options.weight_field = weight_field;
        layers::IngestResult result = layers::read_incidents(crimes.crimes, options, progress);

        // The study area: incidents outside it are rejected (outside_areas), as in `safer areas`,
        // so that read = used + rejected still holds and the surface is about the area studied.
        Areas study;
        kde::StudyArea study_area;
        if (!polygons_path.empty()) {
            layers::AreaOptions ao;
            ao.working_crs = options.working_crs;
            ao.input_crs = options.input_crs;
            ao.codes_optional = true;
            layers::AreaReport report;
            study = layers::read_areas(polygons_path, ao, report, progress);
            for (const auto& g : study.geometry) study_area.polygons.push_back(g.get());
            keep_located(result, AreaIndex(study).locate(result.incidents.x, result.incidents.y, &progress));
        }
        print_ingest_summary(result, result.incidents.size(), progress);

        std::string label, description;
        const std::vector<uint8_t> selected = selection.select(result, label, description);
        const Incidents& in = result.incidents;
        std::map<std::string, kde::Points> by_period;
        kde::Points all;
        for (size_t i = 0; i < in.size(); ++i) {
            if (!selected[i]) continue;
            all.x.push_back(in.x[i]);
            all.y.push_back(in.y[i]);
            if (!in.weight.empty()) all.w.push_back(in.weight[i]);
            if (!by.empty()) {
                kde::Points& p = by_period[period_of(in.month[i], by)];
                p.x.push_back(in.x[i]);
                p.y.push_back(in.y[i]);
                if (!in.weight.empty()) p.w.push_back(in.weight[i]);
            }
        }
        if (all.size() == 0)
            throw InputError(fmt::format("no incidents left after filtering: none of the {} incidents used are of {}{}", in.size(),
                                         description, crimes.from.empty() && crimes.to.empty() ? "" : " in the months asked for"));
        progress.info(fmt::format("{} incidents of {}{}", all.size(), description,
                                  in.weight.empty() ? "" : fmt::format(", total weight {:.6g} (--weight {})", all.total_weight(), weight_field)));

        progress.begin("estimating the density", 1);
        kde::Surface surface = kde::estimate(all, kopt, polygons_path.empty() ? nullptr : &study_area);
        progress.end();
        const Grid& grid = surface.grid;
        progress.info(fmt::format("kernel {}, bandwidth {:.1f} m{}, cell {:g} m{}, grid {} x {} cells ({:.1f} x {:.1f} km), {} incidents at {} distinct locations",
                                  kde::name(kopt.kernel), surface.bandwidth, surface.bandwidth_auto ? " (auto: ArcGIS rule)" : "",
                                  grid.cell, surface.cell_auto ? " (auto: shorter side / 250)" : "", grid.nx, grid.ny,
                                  static_cast<double>(grid.nx) * grid.cell / 1000, static_cast<double>(grid.ny) * grid.cell / 1000,
                                  surface.incidents, surface.locations));
        for (const std::string& w : surface.warnings) progress.warn(w);

        // One surface for the whole selection, or one per period on the same grid and bandwidth,
        // so periods compare cell for cell.
        struct Output {
            std::string period;
            std::vector<float> value;
            kde::Hotspots hotspots;
            size_t incidents;
        };
        std::vector<Output> outputs;
        if (by.empty()) {
            kde::Hotspots hs = kde::hotspot_classes(grid, surface.value, all);
            outputs.push_back(Output{"all", std::move(surface.value), std::move(hs), all.size()});
        } else {
            std::vector<float> share;
            if (edge_correct) share = kde::edge_share(grid, surface.inside, kopt.kernel, surface.bandwidth);
            progress.begin(fmt::format("estimating {} surfaces, one per {}", by_period.size(), by), by_period.size());
            for (const auto& [period, points] : by_period) {
                std::vector<float> v = kde::density(points, grid, kopt.kernel, surface.bandwidth, kopt.units);
                if (!surface.inside.empty())
                    for (size_t i = 0; i < v.size(); ++i) {
                        if (!surface.inside[i]) v[i] = kde::nodata;
                        else if (!share.empty()) v[i] = static_cast<float>(static_cast<double>(v[i]) / static_cast<double>(share[i]));
                    }
                kde::Hotspots hs = kde::hotspot_classes(grid, v, points);
                outputs.push_back(Output{period, std::move(v), std::move(hs), points.size()});
                progress.advance(1);
            }
            progress.end();
        }

        nlohmann::ordered_json parameters{
            {"command", "kde"}, {"from", crimes.from}, {"to", crimes.to}, {"working_crs", options.working_crs},
            {"selection", description}, {"kernel", kde::name(kopt.kernel)}, {"bandwidth_m", surface.bandwidth},
            {"bandwidth_rule", surface.bandwidth_auto ? "auto: h = 0.9 min(SD, sqrt(1/ln 2) Dm) n^(-1/5) (ArcGIS)" : "given"},
            {"cell_m", grid.cell}, {"cell_rule", surface.cell_auto ? "auto: shorter side of the extent / 250, rounded" : "given"},
            {"units", kde::name(kopt.units)}, {"weight_field", weight_field}, {"study_area", polygons_path},
            {"edge_correct", edge_correct}, {"by", by}, {"grid", {{"x0", grid.x0}, {"y0", grid.y0}, {"nx", grid.nx}, {"ny", grid.ny}}},
            {"incidents", all.size()}, {"nodata", kde::nodata}};
        auto inputs = result.file_checksums();
        if (!polygons_path.empty()) inputs.emplace_back(polygons_path, layers::sha256_file(polygons_path));
        std::vector<std::string> sources;
        for (const auto& s : result.sources) sources.push_back(s.path);
        const std::string unit_text = kopt.units == kde::Units::per_km2 ? "incidents per km2"
                                      : kopt.units == kde::Units::raw ? "sum of kernel shapes (QGIS raw)"
                                                                      : "probability density per m2";
        const std::string raster_description =
            fmt::format("Kernel density of {}: {} kernel, bandwidth {:.1f} m, cell {:g} m, {}{}", description, kde::name(kopt.kernel),
                        surface.bandwidth, grid.cell, unit_text, edge_correct ? ", edge-corrected (Diggle 1985)" : "");

        const std::string layer = "kde_" + label;
        progress.begin(fmt::format("writing {}", out.shown()), 1);
        if (tif) {
            layers::write_geotiff(out.output, out.overwrite, options.working_crs, grid, outputs[0].value, kde::nodata,
                                  {{"SAFER_DESCRIPTION", raster_description}, {"SAFER_COMMAND", g_command_line},
                                   {"SAFER_PARAMETERS", parameters.dump()}});
            // QGIS reads a raster file's default style from the .qml beside it.
            std::vector<float> sample;
            layers::qgis::sample_cells(outputs[0].value, kde::nodata, 1u << 18, sample);
            layers::qgis::write_sidecar_style(out.output, layers::qgis::density_raster_qml(std::move(sample), unit_text));
        }
        layers::GeoPackageWriter writer(classes_path, out.overwrite, options.working_crs);
        std::vector<layers::GeoPackageWriter::ClassSurface> class_surfaces;
        for (const Output& o : outputs) {
            if (!tif)
                writer.write_raster(by.empty() ? layer : layer + "_" + layer_name_part(o.period),
                                    by.empty() ? raster_description : fmt::format("{}; {} {}", raster_description, by, o.period), grid,
                                    o.value, kde::nodata);
            class_surfaces.push_back({o.period, &grid, &o.hotspots});
        }
        writer.write_kde_classes(layer + "_classes",
                                 fmt::format("Hotspot areas: the top 1, 5 and 10 % of cells of the density of {}, with each class's area and share of incidents", description),
                                 class_surfaces);
        writer.write_rejects(result.rejects, sources);
        record_run(writer, inputs, parameters.dump());
        writer.commit();
        progress.end();

        for (const Output& o : outputs) {
            std::string line = by.empty() ? "hotspot classes:" : fmt::format("{} ({} incidents):", o.period, o.incidents);
            for (const kde::HotspotClass& c : o.hotspots.classes)
                line += fmt::format("  top {}% of cells ({:.2f} km2) hold {:.1f} % of incidents;", c.percent, c.area_m2 / 1e6, 100 * c.share);
            line.pop_back();
            progress.info(line);
        }
        progress.info(tif ? fmt::format("wrote {} and {} ({}_classes, rejects)", out.shown(), classes_path, layer)
                          : fmt::format("wrote {}: {} raster layer{} ({}{}), {}_classes, rejects", out.output, outputs.size(),
                                        outputs.size() == 1 ? "" : "s", layer, by.empty() ? "" : "_<period>", layer));
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
    app.add_option("--bandwidth", command->bandwidth, "Bandwidth (search radius) in metres, or auto")->capture_default_str();
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
               "Cell auto: the shorter side of the study area (or of the incidents' extent) / 250, rounded to 1, 2, 2.5 or 5 x 10^k.\n"
               "Extent: the study area, or the incidents, grown by the kernel's support. Density is evaluated at cell centres from\n"
               "the exact incident coordinates. Incidents outside the study area are rejected (outside_areas).\n"
               "Hotspot classes: among cells with a value, the top p % threshold is the value of the ceil(p N / 100)-th highest\n"
               "cell; a class holds every cell at or above it (and above 0), and its share is of incidents in valid cells.");
    return [command] { command->run(); };
}

} // namespace safer::tools
