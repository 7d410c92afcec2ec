#pragma once
// The options of the guardianship assets and the design-out-crime model, shared by safer score,
// safer bid and (the assets and coverage rules only) safer site.
#include <CLI/CLI.hpp>

#include <string>

#include "engine/design_out.hpp"
#include "layers/asset_reader.hpp"
#include "layers/study.hpp"

namespace safer::tools {

struct DesignOutOptions {
    std::string lighting_path, cctv_path, gates_path, paths_path, streets_path, occluders_path, costs_path;
    layers::AssetOptions asset_options;
    double grid_cell = 100;
    guard::LightRule light_rule;
    std::string cctv_purpose = "detect";
    double cctv_range = 0;
    double cctv_pixels = 1920;
    double cctv_fov = 60;
    double gate_tolerance = 5;
    double path_reach = 30;
    std::string pressure = "count";
    double bandwidth = 200;
    double budget = -1; // < 0: no plan
    int quadrant_segments = 8;
    double tile = 1000;
    bool only_layers_given = false; // see design::DesignOutModel
    bool streets_alone = false;     // --streets without --paths: street segments (safer bid, safer site)

    bool has_assets() const { return !lighting_path.empty() || !cctv_path.empty() || !paths_path.empty(); }
    /// --lighting, --cctv, --gates, --paths, --streets, --occluders, --asset-crs, --asset-x, --asset-y.
    void add_asset_options(CLI::App& app);
    /// --grid, --light-*, --cctv-*, --gate-tolerance, --path-reach, --pressure, --bandwidth, --costs,
    /// --quadrant-segments, --tile (not --budget, whose help differs by command).
    void add_model_options(CLI::App& app);
    /// --light-*, --cctv-*, --gate-tolerance and --quadrant-segments alone (safer site).
    void add_coverage_options(CLI::App& app);
    /// The asset layers, for the study.
    layers::AssetPaths assets() const;
    /// The model: the parameters checked (UsageError) and the intervention table read, --costs over
    /// the defaults (InputError).
    design::DesignOutModel model() const;
};

} // namespace safer::tools
