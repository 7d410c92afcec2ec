#include "layers/density_output.hpp"

#include <fmt/core.h>

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
        if (rasters)
            writer.write_raster(by == PeriodKind::none ? layer : layer + "_" + layer_name_part(p.period),
                                by == PeriodKind::none ? description : fmt::format("{}; {} {}", description, period_name(by), p.period), grid, p.value,
                                kde::nodata);
        classes.push_back({p.period, &grid, &p.hotspots});
    }
    writer.write_kde_classes(layer + "_classes",
                             fmt::format("Hotspot areas: the top 1, 5 and 10 % of cells of the density of {}, with each class's area and share of incidents", selection),
                             classes);
}

void write_density_geotiff(StagedFiles* staged, const std::string& path, bool overwrite, const std::string& working_crs, const kde::DensityMap& map,
                           const std::string& description, const RunRecord& run) {
    const std::vector<float>& value = map.periods.front().value;
    write_geotiff(staged, path, overwrite, working_crs, map.surface.grid, value, kde::nodata,
                  run.project_file.empty()
                      ? std::vector<std::pair<std::string, std::string>>{{"SAFER_DESCRIPTION", description}, {"SAFER_COMMAND", run.command_line},
                                                                         {"SAFER_PARAMETERS", run.parameters_json}}
                      : std::vector<std::pair<std::string, std::string>>{{"SAFER_DESCRIPTION", description}, {"SAFER_COMMAND", run.command_line},
                                                                         {"SAFER_PARAMETERS", run.parameters_json},
                                                                         {"SAFER_PROJECT_FILE", run.project_file},
                                                                         {"SAFER_PROJECT_SHA256", run.project_sha256},
                                                                         {"SAFER_PROJECT_JOB", run.job}});
    // QGIS reads a raster file's default style from the .qml beside it.
    std::vector<float> sample;
    qgis::sample_cells(value, kde::nodata, 1u << 18, sample);
    qgis::write_sidecar_style(path, qgis::density_raster_qml(std::move(sample), density_units_text(map.surface.units)));
}

std::string hotspot_classes_text(const kde::Hotspots& hotspots) {
    std::string line;
    for (const kde::HotspotClass& c : hotspots.classes)
        line += fmt::format("  top {}% of cells ({:.2f} km2) hold {:.1f} % of incidents;", c.percent, c.area_m2 / 1e6, 100 * c.share);
    if (!line.empty()) line.pop_back();
    return line;
}

} // namespace safer::layers
