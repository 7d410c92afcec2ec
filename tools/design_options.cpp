#include "tools/design_options.hpp"

#include <fmt/core.h>

#include <cmath>

#include "engine/errors.hpp"
#include "layers/intervention_table.hpp"

namespace safer::tools {

void DesignOutOptions::add_asset_options(CLI::App& app) {
    app.add_option("--lighting", lighting_path, "Street lights: point CSV or any OGR point layer (OSM: highway=street_lamp)");
    app.add_option("--cctv", cctv_path, "CCTV cameras: point CSV or OGR layer (OSM: man_made=surveillance)");
    app.add_option("--gates", gates_path, "Alley gates: points or lines (OSM: barrier=gate)");
    app.add_option("--paths", paths_path, "Paths and alleys: lines (OSM: highway=footway|path|..., service=alley; other highways make junctions)");
    app.add_option("--streets", streets_path,
                   "Street lines: they make the paths' junctions; safer bid and safer site also report the street segments (as safer segments)");
    app.add_option("--occluders", occluders_path, "Building footprints that block cameras' views (polygons; OSM: building=*)");
    app.add_option("--asset-crs", asset_options.input_crs, "CRS of asset CSVs and layers that declare none (default: EPSG:4326 for lon/lat columns, else EPSG:27700)");
    app.add_option("--asset-x", asset_options.x_field, "x (or longitude) column of asset CSVs");
    app.add_option("--asset-y", asset_options.y_field, "y (or latitude) column of asset CSVs");
}

void DesignOutOptions::add_coverage_options(CLI::App& app) {
    app.add_option("--light-radius", light_rule.default_radius, "Lit radius of a light with no radius or height, metres (2.5 x a 6 m column)")->capture_default_str();
    app.add_option("--light-height-factor", light_rule.height_factor, "Lit radius = this x mounting height, for lights with a height")->capture_default_str();
    app.add_option("--cctv-purpose", cctv_purpose, "EN 62676-4 level the default camera range is for")
        ->check(CLI::IsMember({"detect", "observe", "recognise", "recognize", "identify"}))
        ->capture_default_str();
    app.add_option("--cctv-range", cctv_range, "Range of cameras with none, metres (overrides --cctv-purpose)");
    app.add_option("--cctv-pixels", cctv_pixels, "Pixels across the reference camera's image")->capture_default_str();
    app.add_option("--cctv-fov", cctv_fov, "Reference horizontal field of view, degrees (for cameras without one below 180)")->capture_default_str();
    app.add_option("--gate-tolerance", gate_tolerance, "A gate closes the nearest path segment within this many metres")->capture_default_str();
    app.add_option("--quadrant-segments", quadrant_segments, "Polygon edges per quarter circle for discs and sectors")->capture_default_str();
}

void DesignOutOptions::add_model_options(CLI::App& app) {
    app.add_option("--grid", grid_cell, "Cell size of the candidate places (and score_grid), metres")->capture_default_str();
    add_coverage_options(app);
    app.add_option("--path-reach", path_reach, "A burglary counts for the nearest alley within this many metres")->capture_default_str();
    app.add_option("--pressure", pressure, "Crime pressure of cells: counts, or kernel-smoothed counts")
        ->check(CLI::IsMember({"count", "kde"}))
        ->capture_default_str();
    app.add_option("--bandwidth", bandwidth, "KDE bandwidth for --pressure kde, metres")->capture_default_str();
    app.add_option("--costs", costs_path, "TOML table of effects, costs and crime types by intervention (over the defaults)");
    app.add_option("--tile", tile, "Tile size for the coverage union, metres (a whole number of cells)")->capture_default_str();
}

layers::AssetPaths DesignOutOptions::assets() const {
    layers::AssetPaths a;
    a.lighting = lighting_path, a.cctv = cctv_path, a.gates = gates_path, a.paths = paths_path, a.streets = streets_path, a.occluders = occluders_path;
    a.options = asset_options;
    return a;
}

design::DesignOutModel DesignOutOptions::model() const {
    const auto positive = [](double v, const char* option) {
        if (!(v > 0) || !std::isfinite(v)) throw UsageError(fmt::format("{} {}: must be a number more than 0", option, v));
    };
    positive(grid_cell, "--grid");
    positive(light_rule.default_radius, "--light-radius");
    positive(light_rule.height_factor, "--light-height-factor");
    positive(path_reach, "--path-reach");
    positive(bandwidth, "--bandwidth");
    positive(cctv_pixels, "--cctv-pixels");
    positive(tile, "--tile");
    if (!(gate_tolerance >= 0)) throw UsageError(fmt::format("--gate-tolerance {}: must be 0 or more metres", gate_tolerance));
    if (!(cctv_fov > 0 && cctv_fov < 180))
        throw UsageError(fmt::format("--cctv-fov {}: the reference field of view must be between 0 and 180 degrees", cctv_fov));
    if (cctv_range < 0) throw UsageError(fmt::format("--cctv-range {}: must be more than 0 metres", cctv_range));
    if (quadrant_segments < 2 || quadrant_segments > 64) throw UsageError(fmt::format("--quadrant-segments {}: must be 2 to 64", quadrant_segments));
    if (!gates_path.empty() && paths_path.empty()) throw UsageError("--gates needs --paths: a gate closes the path segment it lies on");
    if (!streets_path.empty() && paths_path.empty() && !streets_alone)
        throw UsageError("--streets needs --paths: streets only make the paths' junctions (safer segments analyses streets themselves)");
    if (!occluders_path.empty() && cctv_path.empty()) throw UsageError("--occluders needs --cctv: footprints block cameras' views");
    design::DesignOutModel m;
    m.camera_rule.purpose = *guard::parse_purpose(cctv_purpose);
    m.camera_rule.sensor_pixels = cctv_pixels;
    m.camera_rule.reference_fov = cctv_fov;
    if (cctv_range > 0) m.camera_rule.range = cctv_range;
    m.light_rule = light_rule;
    m.grid_cell = grid_cell;
    m.gate_tolerance = gate_tolerance;
    m.path_reach = path_reach;
    m.pressure = pressure == "kde" ? design::Pressure::kde : design::Pressure::count;
    m.bandwidth = bandwidth;
    if (budget >= 0) m.budget = budget;
    m.quadrant_segments = quadrant_segments;
    m.tile = tile;
    m.only_layers_given = only_layers_given;
    m.table = plan::default_interventions();
    if (!costs_path.empty()) {
        layers::read_interventions(costs_path, m.table);
        m.crime_costs = layers::read_crime_costs(costs_path, m.crime_costs_source);
    }
    const CrimeTypes known;
    for (const auto& spec : m.table)
        for (const std::string& t : spec.crime_types)
            if (!known.find(t))
                throw InputError(fmt::format("{}: [{}] crime type '{}' is not a police.uk crime type (for example 'Burglary', 'Vehicle crime')",
                                             costs_path.empty() ? "built-in table" : costs_path, spec.key, t));
    return m;
}

} // namespace safer::tools
