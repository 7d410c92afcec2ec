#include "layers/density_output.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <optional>

#include "engine/text.hpp"
#include "layers/qgis_styles.hpp"
#include "layers/raster.hpp"

namespace safer::layers {


std::string density_units_text(kde::Units units) {
    return units == kde::Units::per_km2 ? "incidents per km2" : units == kde::Units::raw ? "sum of kernel shapes (QGIS raw)" : "probability density per m2";
}

std::string density_description(const kde::DensityMap& map, const std::string& selection, bool edge_correct) {
    const kde::Surface& s = map.surface;
    return fmt::format("Kernel density of {}: {} kernel, bandwidth {:.1f} m, cell {:g} m, {}{}", selection, kde::name(s.kernel), s.bandwidth, s.grid.cell,
                       density_units_text(s.units), edge_correct ? ", edge-corrected (Diggle 1985)" : "");
}

void write_density(GeoPackageWriter& writer, const kde::DensityMap& map, const std::string& layer, const std::string& description,
                   const std::string& selection, PeriodKind by, bool rasters) {
    const Grid& grid = map.surface.grid;
    std::vector<GeoPackageWriter::ClassSurface> classes;
    for (const kde::PeriodSurface& p : map.periods) {
        const std::string name = by == PeriodKind::none ? layer : layer + "_" + layer_name_part(p.period);
        if (rasters) {
            writer.write_raster(name, by == PeriodKind::none ? description : fmt::format("{}; {} {}", description, period_name(by), p.period), grid,
                                p.value, kde::nodata);
            // Each period's surface shows in its own months in QGIS's temporal controller.
            if (const std::optional<PeriodSpan> span = period_span(p.period))
                writer.set_time_range(name, span->first, span->after, by == PeriodKind::quarter ? 3 : 1);
        }
        classes.push_back({p.period, &grid, &p.hotspots});
    }
    writer.write_kde_classes(layer + "_classes",
                             fmt::format("Hotspot areas: the top 1, 5 and 10 % of cells of the density of {}, with each class's area and share of incidents", selection),
                             classes);
}

std::string write_density_geotiff(StagedFiles* staged, const std::string& path, bool overwrite, const std::string& working_crs,
                                  const kde::DensityMap& map, const std::string& description, const RunRecord& run, Progress* progress) {
    const std::vector<float>& value = map.periods.front().value;
    if (progress) progress->begin(fmt::format("writing {} ({} x {} cells)", path, map.surface.grid.nx, map.surface.grid.ny), 1000);
    write_geotiff(staged, path, overwrite, working_crs, map.surface.grid, value, kde::nodata,
                  run.project_file.empty()
                      ? std::vector<std::pair<std::string, std::string>>{{"SAFER_DESCRIPTION", description}, {"SAFER_COMMAND", run.command_line},
                                                                         {"SAFER_PARAMETERS", run.parameters_json}}
                      : std::vector<std::pair<std::string, std::string>>{{"SAFER_DESCRIPTION", description}, {"SAFER_COMMAND", run.command_line},
                                                                         {"SAFER_PARAMETERS", run.parameters_json},
                                                                         {"SAFER_PROJECT_FILE", run.project_file},
                                                                         {"SAFER_PROJECT_SHA256", run.project_sha256},
                                                                         {"SAFER_PROJECT_JOB", run.job}},
                  progress);
    if (progress) progress->end();
    // QGIS reads a raster file's default style from the .qml beside it.
    std::vector<float> sample;
    qgis::sample_cells(value, kde::nodata, 1u << 18, sample);
    std::string qml = qgis::density_raster_qml(std::move(sample), density_units_text(map.surface.units));
    qgis::write_sidecar_style(path, qml);
    return qml;
}

std::string hotspot_classes_text(const kde::Hotspots& hotspots) {
    std::string line;
    for (const kde::HotspotClass& c : hotspots.classes)
        line += fmt::format("  top {}% of cells ({:.2f} km2) hold {:.1f} % of incidents;", c.percent, c.area_m2 / 1e6, 100 * c.share);
    if (!line.empty()) line.pop_back();
    return line;
}

namespace {
std::string metres_text(double m) { return grouped(m); }
std::string percent_number(double share) { return fmt::format("{:.10g}", 100 * share); }
} // namespace

std::string broad_bandwidth_warning(const kde::BandwidthScale& s, const std::string& what) {
    if (!s.broad_for_spacing && !s.broad_for_extent) return "";
    std::vector<std::string> facts;
    if (!std::isnan(s.spacing))
        facts.push_back(fmt::format("{:.0f} times the typical distance between incident locations ({} m, the median distance from each to the nearest other)",
                                    s.bandwidth / s.spacing, metres_text(s.spacing)));
    if (s.extent_side > 0)
        facts.push_back(fmt::format("{:.0f} % of the study area's shorter side ({:.1f} km)", 100 * s.bandwidth / s.extent_side, s.extent_side / 1000));
    return fmt::format("{} of {} m is {}: the surface shows a few broad blobs that cover whole neighbourhoods, and small places can vanish into "
                       "them (a kernel reaches {} m in every direction). A bandwidth a few times the typical distance, or --bandwidth predictive "
                       "(the candidate that best predicts the last month), shows where crime concentrates",
                       what, metres_text(s.bandwidth), fmt::join(facts, " and "), metres_text(s.bandwidth));
}

std::vector<std::string> bandwidth_choice_text(const accuracy::BandwidthChoice& c, Month holdout_from, Month holdout_to) {
    const accuracy::CoverageScore& s = c.scores[c.chosen];
    const std::string held = holdout_from == holdout_to ? holdout_from.str() : holdout_from.str() + " to " + holdout_to.str();
    std::vector<std::string> lines;
    lines.push_back(fmt::format("bandwidth {} m chosen by prediction: fitted on the {} incidents before {}, it put {:.1f} % of the {} incidents of {} "
                                "(held out of the fitting) in its top {} % of cells, PAI {:.2f}, the best of {} candidates",
                                metres_text(c.bandwidth()), grouped(static_cast<double>(c.fit_incidents)), holdout_from.str(), 100 * s.hit_rate,
                                grouped(static_cast<double>(c.holdout_incidents)), held, percent_number(c.coverage), s.pai, c.candidates.size()));
    std::vector<std::string> each;
    for (size_t k = 0; k < c.candidates.size(); ++k) each.push_back(fmt::format("{} m {:.2f}", metres_text(c.candidates[k]), c.scores[k].pai));
    lines.push_back(fmt::format("PAI at {} % of each candidate: {}", percent_number(c.coverage), fmt::join(each, ", ")));
    return lines;
}

std::string saturated_choice_warning(const accuracy::BandwidthChoice& c) {
    const accuracy::CoverageScore& s = c.scores[c.chosen];
    if (s.hit_rate < 0.9) return "";
    return fmt::format("the top {} % of cells held {:.1f} % of the held-out incidents, so the candidates can hardly be told apart there (police.uk's "
                       "incidents sit at few map points); a smaller --predictive-coverage compares them where they differ",
                       percent_number(c.coverage), 100 * s.hit_rate);
}

} // namespace safer::layers
