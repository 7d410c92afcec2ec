// safer score: guardianship coverage (street lighting, CCTV, alley gates) and design-out-crime
// scores: where crime is under-guarded, and which interventions would prevent the most crime
// per pound, with a budget plan.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/design_out.hpp"
#include "engine/errors.hpp"
#include "layers/design_out_output.hpp"
#include "layers/wording.hpp"
#include "tools/commands.hpp"
#include "tools/design_options.hpp"
#include "tools/options.hpp"
#include "tools/parsers.hpp"

namespace safer::tools {

namespace {

using layers::money;

struct ScoreCommand {
    CrimeOptions crimes;
    OutputOptions out;
    DesignOutOptions design;
    AreaInput areas;
    size_t top = 25;

    void run() const;
    void print_summary(Progress& progress, const design::DesignOutPlan& d, const layers::Study& study, const std::vector<size_t>& shown) const;
};

void ScoreCommand::run() const {
    Progress progress(out.quiet);
    if (top < 1) throw UsageError("--top: must be 1 or more");
    const design::DesignOutModel model = design.model();
    if (!design.has_assets()) progress.warn("no --lighting, --cctv or --paths: nothing is guarded, so every crime counts as unguarded");
    layers::StudyRequest request = crimes.request();
    request.areas_path = areas.path;
    request.area_options = areas.options;
    request.assets = design.assets();
    std::vector<std::string> inputs = request.input_paths();
    inputs.push_back(design.costs_path);
    check_outputs({out.path(layers::OutputKind::geopackage, "score_grid")}, inputs, out.overwrite, progress);
    layers::Study study = layers::read_study(request, progress);
    study.add_input(design.costs_path);
    const Incidents& in = study.crimes.incidents;
    const auto [first, last] = std::minmax_element(in.month.begin(), in.month.end());
    const int months = last->index - first->index + 1;
    const std::string period = fmt::format("{} month{} ({} to {})", months, months == 1 ? "" : "s", first->str(), last->str());

    const design::DesignOutPlan d = design::design_out(model, study.assets, in, study.crimes.types, study.areas, study.area_of, &progress);
    layers::report_design_out(progress, d, model, study.assets, design.cctv_pixels, design.cctv_fov);
    const std::vector<size_t> shown = design::recommended(d, top);

    const Grid& grid = d.grid;
    const nlohmann::ordered_json parameters{
        {"command", "score"}, {"from", crimes.from}, {"to", crimes.to}, {"working_crs", study.working_crs}, {"period", period},
        {"grid_m", grid.cell}, {"grid", {{"x0", grid.x0}, {"y0", grid.y0}, {"nx", grid.nx}, {"ny", grid.ny}}}, {"tile_m", d.tiling.size},
        {"areas", areas.path}, {"light_radius_m", model.light_rule.default_radius}, {"light_height_factor", model.light_rule.height_factor},
        {"cctv_purpose", guard::name(model.camera_rule.purpose)}, {"cctv_pixels_per_metre", guard::pixels_per_metre(model.camera_rule.purpose)},
        {"cctv_sensor_pixels", design.cctv_pixels}, {"cctv_reference_fov_deg", design.cctv_fov}, {"cctv_default_range_m", d.default_range},
        {"gate_tolerance_m", model.gate_tolerance}, {"path_reach_m", model.path_reach}, {"pressure", design.pressure}, {"bandwidth_m", model.bandwidth},
        {"quadrant_segments", model.quadrant_segments}, {"budget_gbp", d.with_budget ? nlohmann::ordered_json(*model.budget) : nlohmann::ordered_json()},
        {"plan_method", d.chosen_plan.method}, {"interventions", layers::interventions_record(d.table)}, {"assets", layers::asset_record(d, study)}};

    std::vector<geos::Geometry> squares;
    const layers::Table grid_table = layers::score_grid_table(d, model, period, squares);
    layers::GeoPackageWriter writer(out.path(layers::OutputKind::geopackage, "score_grid"), out.overwrite, study.working_crs, &progress);
    if (study.assets.has_lighting)
        writer.write_table(layers::coverage_table(
            d.lit, "lighting_coverage",
            fmt::format("Union of the discs lit by {} working street lights (radius: own, else {:g} x height, else {:g} m), one feature per {:g} m tile",
                        d.light_count, model.light_rule.height_factor, model.light_rule.default_radius, d.tiling.size)));
    if (study.assets.has_cctv)
        writer.write_table(layers::coverage_table(d.seen, "cctv_coverage",
                                                  fmt::format("Union of the views of {} CCTV cameras (default range {:.1f} m){}, one feature per {:g} m tile", d.camera_count,
                                                              d.default_range, study.assets.has_occluders ? ", less the shadows of building footprints" : "", d.tiling.size)));
    writer.write_table(grid_table);
    if (d.areas_given) writer.write_table(layers::score_areas_table(d, study.areas, period));
    if (!d.network.segments.empty()) writer.write_table(layers::path_segments_table(d, model, period));
    writer.write_table(layers::recommendations_table(d, model, study.crimes.types, shown, "recommendations", period));
    writer.write_rejects(study.crimes.rejects, study.source_paths());
    writer.record(run_record(study, parameters.dump()));
    writer.commit();

    print_summary(progress, d, study, shown);
    std::vector<std::string> written;
    if (study.assets.has_lighting) written.push_back("lighting_coverage");
    if (study.assets.has_cctv) written.push_back("cctv_coverage");
    written.push_back(fmt::format("score_grid ({})", grid_table.rows()));
    if (d.areas_given) written.push_back(fmt::format("score_areas ({})", study.areas.size()));
    if (!d.network.segments.empty()) written.push_back(fmt::format("path_segments ({})", d.network.segments.size()));
    written.push_back(fmt::format("recommendations ({})", shown.size()));
    written.push_back("rejects");
    progress.info(fmt::format("wrote {}: {}", out.shown(), out.holding("score_grid", fmt::format("{}", fmt::join(written, ", ")))));
}

void ScoreCommand::print_summary(Progress& progress, const design::DesignOutPlan& d, const layers::Study& study, const std::vector<size_t>& shown) const {
    const Incidents& in = study.crimes.incidents;
    const auto covered_share = [&](const guard::Coverage& cov, size_t k) {
        std::vector<double> xs, ys;
        for (size_t i = 0; i < in.size(); ++i)
            if (d.addresses[k][in.type[i]]) xs.push_back(in.x[i]), ys.push_back(in.y[i]);
        const std::vector<uint8_t> hit = guard::points_covered(cov, xs, ys);
        return xs.empty() ? 0.0 : static_cast<double>(std::count(hit.begin(), hit.end(), 1)) / static_cast<double>(xs.size());
    };
    double study_area_m2 = 0;
    if (d.areas_given)
        for (const auto& g : study.areas.geometry) study_area_m2 += geos::area(g.get());
    else
        study_area_m2 = static_cast<double>(d.unit_cells.size()) * d.grid.cell_area();
    const char* study_name = d.areas_given ? "the areas" : "the crimes' extent";
    const auto [first, last] = std::minmax_element(in.month.begin(), in.month.end());
    const int months = last->index - first->index + 1;
    const std::string period = fmt::format("{} month{} ({} to {})", months, months == 1 ? "" : "s", first->str(), last->str());
    progress.info(fmt::format("crimes over {}: {} addressed by lighting and CCTV ({}), {} burglaries", period, d.addressed_total[d.LIGHT],
                              layers::type_list(d, d.LIGHT), d.addressed_total[d.GATE]));
    if (study.assets.has_lighting)
        progress.info(fmt::format("lighting: {:.2f} km2 lit ({:.1f} % of {}); {:.1f} % of the crimes lighting addresses were recorded inside it", d.lit.area() / 1e6,
                                  100 * d.lit.area() / study_area_m2, study_name, 100 * covered_share(d.lit, d.LIGHT)));
    if (study.assets.has_cctv)
        progress.info(fmt::format("CCTV: {:.2f} km2 in view ({:.1f} % of {}); {:.1f} % of the crimes CCTV addresses were recorded inside it", d.seen.area() / 1e6,
                                  100 * d.seen.area() / study_area_m2, study_name, 100 * covered_share(d.seen, d.CCTV)));
    if (!d.network.segments.empty())
        progress.info(fmt::format("alleys: {} of {} burglaries lie within {:g} m of an alley; {} alley segments gated", d.burglaries_near_alleys,
                                  d.addressed_total[d.GATE], design.path_reach, std::count(d.gated.begin(), d.gated.end(), 1)));
    progress.info(fmt::format("{} candidate interventions; the best by crimes prevented per pound:", d.candidates.size()));
    for (size_t j = 0; j < shown.size() && j < 5; ++j) {
        const size_t i = shown[j];
        const plan::Candidate& c = d.candidates[i];
        progress.info(fmt::format("  {}. {} at {}: {} crimes, {:.1f} prevented, {}", j + 1, d.table[c.intervention].label, layers::candidate_place(d, i),
                                  c.crimes.size(), plan::prevented_alone(c), money(c.cost)));
    }
    if (!d.with_budget) return;
    const plan::Plan& p = d.chosen_plan;
    std::map<std::string, size_t> by_kind;
    for (size_t i : p.chosen) ++by_kind[d.table[d.candidates[i].intervention].key];
    std::string kinds;
    for (const auto& [k, n] : by_kind) kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, k);
    progress.info(fmt::format("budget plan within {}: {} interventions ({}) costing {}, preventing about {:.1f} crimes (each crime counted once)",
                              money(design.budget), p.chosen.size(), kinds.empty() ? "none" : kinds, money(p.cost), p.prevented));
    progress.info(fmt::format("  method: {}", p.method));
    if (!p.exact && p.upper_bound > 0)
        progress.info(fmt::format("  the best possible plan prevents at most {:.1f}, so this one is within {:.1f} % of it", p.upper_bound,
                                  100 * (1 - p.prevented / p.upper_bound)));
}

} // namespace

Run setup_score(CLI::App& app) {
    auto command = std::make_shared<ScoreCommand>();
    command->crimes.add_to(app);
    command->design.add_asset_options(app);
    command->areas.add_to(app, "Area polygons (LSOAs): the study area, scored in score_areas; crimes outside are rejected");
    command->design.add_model_options(app);
    app.add_option("--budget", command->design.budget, "Plan the interventions preventing the most crime within this many GBP")->check(budget_check());
    app.add_option("--top", command->top, "Recommendations kept per intervention (plus all in the plan)")->capture_default_str();
    command->out.add_to(app, "Output GeoPackage");
    app.footer(
        "Coverage: a light lights a disc (radius: its own, else --light-height-factor x its height, else --light-radius); a camera\n"
        "  sees a sector (bearing, field of view, range; a full circle without a bearing), less the shadows of --occluders.\n"
        "  Default range d = N / (2 D tan(f/2)): N pixels across, D px/m of the EN 62676-4 level, f the field of view.\n"
        "Unguarded pressure = crimes (or KDE pressure) x (1 - lit_share or cctv_share); alleys: burglaries x (1 - gated).\n"
        "Prevented = effect x crimes x (1 - coverage now); a crime two interventions address is prevented at most once:\n"
        "  f(S) = sum over crimes of 1 - prod (1 - p_i). Budget plan: exact branch and bound up to 40 candidates, else the\n"
        "  Khuller-Moss-Naor greedy (at least 31.6 % of the optimum; the bound actually reached is printed).");
    return [command] { command->run(); };
}

} // namespace safer::tools
