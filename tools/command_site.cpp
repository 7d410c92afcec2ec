// safer site: the crime-around-a-site review a Designing Out Crime Officer runs on a planning
// application's red line, for every site in a layer: rings of distance from the red line, the
// LSOAs it lies in, density and hot-spot status at the site, the trend, guardianship, and
// findings grouped by CPTED principle, in a printable HTML report (and a PDF where Chromium is
// installed).
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/errors.hpp"
#include "engine/site_review.hpp"
#include "engine/text.hpp"
#include "layers/browser.hpp"
#include "layers/geopackage.hpp"
#include "layers/site_output.hpp"
#include "layers/site_reader.hpp"
#include "tools/commands.hpp"
#include "tools/design_options.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

/// Sites in a batch at most: each holds its ring polygons and guardianship, whatever its incidents.
constexpr size_t max_batch_sites = 500;

struct SiteCommand {
    CrimeOptions crimes;
    OutputOptions out;
    std::string site_arg, site_id, report_path;
    AreaInput areas;
    PopulationInput population;
    std::vector<double> radii{100, 250, 500, 1000};
    int months = 0;              // 0: 36 where the data has them, else 12
    std::vector<std::string> uses{"residential"};
    int report_sites = 50;       // sites detailed in the report; every site gets a summary row
    bool report_sites_given = false;
    size_t batch_rows = 200000;  // site-incident rows held at once, before they are written
    bool no_pdf = false;
    // Guardianship assets and the coverage options, as safer score takes them (no grid, pressure,
    // costs or budget here).
    DesignOutOptions design;

    void run() const;
    layers::StudyRequest study_request() const;
    site::SiteOptions site_options(const design::DesignOutModel& model) const;
    size_t review_and_write(const site::SiteReviewer& reviewer, layers::GeoPackageWriter& writer, layers::SiteReportBuilder& report, const layers::SiteOutputs& o,
                            Progress& progress) const;
};

void SiteCommand::run() const {
    Progress progress(out.quiet);
    check_radii(radii);
    if (months < 0 || months > 120) throw UsageError("--months: give 12 or 36 (or 1 to 120)");
    const design::DesignOutModel model = design.model(); // the asset options checked as safer score checks them, and the evidence table
    const layers::StudyRequest request = study_request();
    // The PDF beside the report (printed where Chromium is installed) is an output too.
    const std::string pdf = layers::pdf_beside(report_path);
    const std::string chromium = no_pdf ? "" : layers::find_chromium();
    std::vector<layers::OutputPath> outputs{out.path(layers::OutputKind::geopackage, "site"), {"--report", report_path, layers::OutputKind::html}};
    if (!chromium.empty()) outputs.push_back({"--report (its PDF)", pdf, layers::OutputKind::pdf});
    std::vector<std::string> inputs = request.input_paths();
    inputs.push_back(site_arg);
    inputs.push_back(design.costs_path);
    check_outputs(outputs, inputs, out.overwrite, progress);

    layers::SiteReport site_report;
    const Areas sites = layers::read_sites(site_arg, site_id, request.ingest.working_crs, site_report, progress);
    if (!site_report.repaired.empty())
        progress.warn(fmt::format("{} invalid site polygon(s) repaired with GEOS MakeValid: {}", site_report.repaired.size(), fmt::join(site_report.repaired, ", ")));
    if (site_report.crs == "EPSG:4326") progress.info(fmt::format("the site was given in longitude/latitude; reprojected to {}", request.ingest.working_crs));

    layers::Study study = layers::read_study(request, progress);
    if (site_report.source == site_arg) study.add_input(site_arg);
    const AnalysisWindow& w = *study.window;
    if (months && w.span < months && !request.window.from)
        progress.warn(fmt::format("--months {}: the data covers only {} months ({} to {}); the review uses those", months, w.span, w.from.str(), w.to.str()));

    const site::SiteOptions options = site_options(model);
    const site::SiteReviewer reviewer(sites, study.crimes.incidents, study.crimes.types, study.areas, study.area_of, study.assets, w.from, w.to, options, &progress);
    const site::SiteStudy& review = reviewer.study();
    for (const std::string& m : review.density.warnings) progress.warn(m);
    if (!review.have_gi) progress.warn("Gi* on the 100 m grid could not be computed: " + review.gi_error);
    if (!review.streets_error.empty()) progress.warn("the street segments could not be made: " + review.streets_error);
    const layers::SiteOutputs o{study, review, options, model.table, site_report, g_command_line, months};
    layers::SiteReportBuilder report(o, sites.size(), layers::report_sites(static_cast<size_t>(report_sites), report_sites_given, reviewer, progress));

    const nlohmann::ordered_json parameters{{"command", "site"}, {"site", site_arg}, {"from", w.from.str()}, {"to", w.to.str()},
                                            {"radii_m", radii}, {"use", uses}, {"working_crs", study.working_crs}, {"areas", areas.path},
                                            {"population", population.path}, {"kde_bandwidth_m", review.density.bandwidth},
                                            {"lighting", design.lighting_path}, {"cctv", design.cctv_path}, {"gates", design.gates_path}, {"paths", design.paths_path},
                                            {"streets", design.streets_path}, {"occluders", design.occluders_path}, {"light_radius_m", design.light_rule.default_radius},
                                            {"light_height_factor", design.light_rule.height_factor}, {"cctv_purpose", design.cctv_purpose}, {"cctv_range_m", design.cctv_range},
                                            {"gate_tolerance_m", design.gate_tolerance}, {"guard_distance_m", site::guard_distance}, {"pass_distance_m", site::pass_distance},
                                            {"street_distance_m", site::street_distance}};
    layers::GeoPackageWriter writer(out.path(layers::OutputKind::geopackage, "site"), out.overwrite, study.working_crs, &progress);
    const size_t near = review_and_write(reviewer, writer, report, o, progress);
    writer.prefer_style_field("site_segments", "nkde");
    writer.write_rejects(study.crimes.rejects, study.source_paths());
    writer.record(run_record(study, parameters.dump()));
    // The report and the GeoPackage are moved into place together: a failure (a full disk) leaves neither.
    layers::StagedFiles staged(out.overwrite);
    staged.stage(report_path, report.html());
    writer.commit();
    staged.commit();
    if (!chromium.empty()) layers::print_report_pdf(chromium, report_path, pdf, out.overwrite, progress);
    progress.info(fmt::format("{} site{}: {} incidents within {:g} m of a red line", sites.size(), sites.size() == 1 ? "" : "s", near, radii.back()));
    progress.info(fmt::format("wrote {} ({}) and {}", out.shown(),
                              out.holding("site", fmt::format("site, site_rings, site_incidents{}{}, rejects", review.paths ? ", site_paths" : "",
                                                              review.streets && review.streets_error.empty() ? ", site_segments" : "")),
                              report_path));
}

layers::StudyRequest SiteCommand::study_request() const {
    layers::StudyRequest request = crimes.request();
    request.areas_path = areas.path, request.area_options = areas.options;
    request.population_path = population.path, request.population_options = population.options;
    request.keep_outside_areas = true; // crimes across an area's edge still count near a site
    request.window.last_months = months ? months : 36;
    if (!months) request.window.short_data_months = 12;
    request.window.clamp_to_data = true;
    request.assets = design.assets();
    return request;
}

site::SiteOptions SiteCommand::site_options(const design::DesignOutModel& model) const {
    site::SiteOptions options;
    options.radii = radii;
    options.uses.clear();
    for (const std::string& u : uses)
        for (site::SiteUse use : site::all_site_uses)
            if (u == site::use_name(use) && std::find(options.uses.begin(), options.uses.end(), use) == options.uses.end()) options.uses.push_back(use);
    options.light_rule = model.light_rule;
    options.camera_rule = model.camera_rule;
    options.gate_tolerance = model.gate_tolerance;
    options.quadrant_segments = model.quadrant_segments;
    return options;
}

/// Reviews the sites a batch at a time, bounded up front by their incidents within the largest
/// ring, and writes each batch's layers and report rows before the next: memory holds one batch,
/// not every site. Returns the site-incident rows written.
size_t SiteCommand::review_and_write(const site::SiteReviewer& reviewer, layers::GeoPackageWriter& writer, layers::SiteReportBuilder& report,
                                     const layers::SiteOutputs& o, Progress& progress) const {
    const std::vector<site::SiteBatch> batches = reviewer.batches(batch_rows, max_batch_sites);
    size_t bound = 0;
    for (size_t s = 0; s < reviewer.size(); ++s) bound += reviewer.incidents_bound(s);
    progress.info(fmt::format("site_incidents will hold at most {} rows (the incidents within {:g} m of {}): reviewed and written {}",
                              grouped(static_cast<double>(bound)), radii.back(),
                              reviewer.size() == 1 ? std::string("the red line") : fmt::format("each of the {} red lines", grouped(static_cast<double>(reviewer.size()))),
                              batches.size() == 1 ? std::string("in one batch")
                                                  : fmt::format("in {} batches, each of at most {} rows or a single site", batches.size(),
                                                                grouped(static_cast<double>(batch_rows)))));
    progress.begin(reviewer.size() == 1 ? std::string("reviewing 1 site and writing its layers")
                                        : fmt::format("reviewing {} sites and writing their layers", reviewer.size()),
                   reviewer.size());
    size_t near = 0;
    for (const site::SiteBatch& batch : batches) {
        std::vector<site::SiteResult> results;
        for (size_t s = batch.begin; s < batch.end; ++s) {
            results.push_back(reviewer.review(s));
            report.add(results.back());
            near += results.back().nearby();
            progress.advance(1);
        }
        std::vector<geos::Geometry> points;
        for (const layers::Table& t : layers::site_tables(o, results, points)) writer.append_table(t);
    }
    progress.end();
    return near;
}

} // namespace

Run setup_site(CLI::App& app) {
    auto command = std::make_shared<SiteCommand>();
    app.add_option("--site", command->site_arg, "Red-line polygons (any OGR source), or one polygon as WKT or a GeoJSON geometry")->required();
    app.add_option("--site-id", command->site_id, "Field naming each site (default: detect a code field, else number them)");
    command->crimes.add_to(app);
    command->areas.add_to(app, "LSOA boundaries: the LSOAs each site lies in, and the study area", false);
    command->population.add_to(app, "Population CSV by LSOA code: rates per 1,000 residents", false);
    app.add_option("--radii", command->radii, "Ring distances from the red line, metres, increasing")->delimiter(',')->capture_default_str();
    app.add_option("--months", command->months, "Months reviewed: the last N of the data (default: 36 where the data has them, else 12)");
    app.add_option("--use", command->uses, "What the site is for: residential, commercial, mixed, car-park (several with commas); sets the findings and the "
                                           "Secured by Design guide they cite")
        ->delimiter(',')
        ->check(CLI::IsMember({"residential", "commercial", "mixed", "car-park"}))
        ->capture_default_str();
    app.add_option("--report", command->report_path, "The HTML report (one printable file; a PDF beside it where Chromium is installed)")->required();
    app.add_option("--report-sites", command->report_sites, "Sites detailed in the report (maps, tables, findings), the first N; every site has a row of its summary table")
        ->check(CLI::Range(0, 1000000))
        ->capture_default_str()
        ->each([command](const std::string&) { command->report_sites_given = true; });
    app.add_option("--batch-rows", command->batch_rows, "Site-incident rows reviewed and held in memory before they are written (fewer: less memory)")
        ->check(CLI::Range(size_t{1000}, size_t{100000000}))
        ->capture_default_str();
    app.add_flag("--no-pdf", command->no_pdf, "Do not print the report to PDF with headless Chromium");
    command->design.add_asset_options(app);
    command->design.add_coverage_options(app);
    command->design.streets_alone = true;
    command->out.add_to(app, "Output GeoPackage: site, site_rings, site_incidents, site_paths (with --paths), site_segments (with --streets), rejects");
    return [command] { command->run(); };
}

} // namespace safer::tools
