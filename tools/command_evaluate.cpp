// safer evaluate: "did it work?" Crime in a target area before and after an intervention started,
// against a buffer ring around it and control areas, by five methods (exact tests of the counts,
// the Weighted Displacement Quotient and total net effect, the weighted displacement difference,
// a Poisson difference-in-differences, a synthetic control), in layers, a CSV and a report.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <regex>

#include "engine/errors.hpp"
#include "engine/evaluation.hpp"
#include "layers/browser.hpp"
#include "layers/csv_writer.hpp"
#include "layers/evaluation_output.hpp"
#include "layers/site_reader.hpp"
#include "layers/sources.hpp"
#include "layers/wording.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

constexpr const char* methods_help = R"(
Methods (each in the report with its figures):
  1. before_after: counts before and after in the target, buffer and control; the target's change
     against the control's by Fisher's exact test of the 2 x 2 table (Fisher 1935; conditional
     estimate and exact interval, Cornfield 1956), each place's own change by the exact
     conditional test of two Poisson rates (Przyborowski & Wilenski 1940).
  2. wdq: Weighted Displacement Quotient (Bowers & Johnson 2003, J. Quant. Criminol. 19(3)):
     WDQ = (Da/Ca - Db/Cb) / (Ra/Ca - Rb/Cb); total net effect = [Rb(Ca/Cb) - Ra] + [Db(Ca/Cb) - Da]
     (R target, D buffer, C control, b before, a after).
  3. wdd: weighted displacement difference (Wheeler & Ratcliffe 2018, Crime Science 7:11):
     WDD = (T1 - T0) - kT(C1 - C0) + (D1 - D0) - kD(C1 - C0), kT = T0/C0, kD = D0/C0; Poisson
     counts, delta-method variance; 95 % interval WDD +/- 1.96 SE.
  4. did: Poisson difference-in-differences on monthly counts, log E[y] = place + month + b D
     (Wooldridge 2023), standard errors clustered by month, t with months - 1 degrees of freedom.
  5. synthetic_control: Abadie, Diamond & Hainmueller (2010, JASA 105(490)): weights w >= 0,
     sum w = 1, minimising sum over the months before of (y_t - sum_g w_g x_gt)^2, each series
     divided by its own monthly mean before the start, from donor areas of LSOAs; estimate =
     target after / synthetic after, less the placebo areas' median; placebo-in-space p-value
     (1 + placebos as far from the median) / (1 + placebos) and the interval that inverts it
     (Firpo & Possebom 2018), placebos chosen with --seed.
The CSV has one row per method: method,estimate,ci_low,ci_high,p_value,note; estimate is the
relative change in the target attributable to the intervention (-0.30 for a 30 % fall), except
in the wdq row, which holds the WDQ.)";

/// A place given on the command line: polygons (a file, WKT or GeoJSON) or LSOA codes.
struct PlaceArgument {
    std::string text;
    Areas polygons;
    std::vector<std::string> codes;
    layers::SiteReport report;
    bool by_codes() const { return !codes.empty(); }
};

bool looks_like_codes(const std::string& text) {
    static const std::regex codes(R"(\s*[A-Za-z0-9_-]+\s*(,\s*[A-Za-z0-9_-]+\s*)*)");
    return !layers::input_exists(text) && std::regex_match(text, codes);
}

PlaceArgument read_place(const std::string& text, const char* option, const std::string& working_crs, Progress& progress) {
    PlaceArgument p;
    p.text = text;
    if (looks_like_codes(text)) {
        std::string code;
        for (char c : text + ",") {
            if (c == ',') {
                if (!code.empty()) p.codes.push_back(code);
                code.clear();
            } else if (!std::isspace(static_cast<unsigned char>(c))) {
                code += c;
            }
        }
        return p;
    }
    p.polygons = layers::read_sites(text, "", working_crs, p.report, progress, option);
    if (p.polygons.size() == 0) throw InputError(fmt::format("{} {}: no polygon in it", option, text));
    if (!p.report.repaired.empty()) progress.warn(fmt::format("{}: {} invalid polygon(s) repaired with GEOS MakeValid", option, p.report.repaired.size()));
    return p;
}

/// The areas named by codes (InputError naming those not among them).
std::vector<size_t> area_indexes(const PlaceArgument& p, const Areas& areas, const char* option) {
    std::vector<size_t> found;
    std::vector<std::string> missing;
    for (const std::string& c : p.codes) {
        const auto it = std::lower_bound(areas.code.begin(), areas.code.end(), c);
        if (it == areas.code.end() || *it != c) missing.push_back(c);
        else found.push_back(static_cast<size_t>(it - areas.code.begin()));
    }
    if (!missing.empty())
        throw InputError(fmt::format("{}: {} of the codes given {} not among the {} areas: {}", option, missing.size(), missing.size() == 1 ? "is" : "are",
                                     areas.size(), fmt::join(missing, ", ")));
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    return found;
}

evaluation::Places places_of(const PlaceArgument& p, const Areas& areas, const char* option) {
    evaluation::Places places;
    if (p.by_codes()) places.areas = area_indexes(p, areas, option);
    else
        for (const auto& g : p.polygons.geometry) places.polygons.push_back(g.get());
    return places;
}

std::string crime_words(const CrimeSelection& selection, const CrimeSelection::Chosen& chosen) {
    if (selection.types.empty()) return chosen.phrase; // "anti-social behaviour", "neighbourhood crime"
    std::string words = chosen.description; // "Burglary and Robbery"
    std::transform(words.begin(), words.end(), words.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return words;
}

std::string crime_noun(const CrimeSelection& selection, const std::string& words) {
    if (selection.types.empty()) {
        if (selection.group == "violence") return "violent and sexual offences";
        if (selection.group == "asb") return "anti-social behaviour incidents";
        if (selection.group == "damage") return "criminal damage and arson offences";
        if (selection.group == "all") return "crimes";
        return selection.group + " crimes";
    }
    return words == "anti-social behaviour" ? "anti-social behaviour incidents" : words + " offences";
}

struct EvaluateCommand {
    CrimeOptions crimes;
    CrimeSelection selection;
    OutputOptions out;
    AreaInput areas;
    std::string target_arg, control_arg = "auto", buffer_area_path, start_text, end_text, report_path, csv_path;
    double buffer_m = 250;
    uint64_t seed = 1;
    uint32_t placebos = 999;
    bool no_pdf = false;

    void run() const;
    evaluation::EvaluationOptions checked(layers::StudyRequest& request) const;
    std::string check_outputs(const layers::StudyRequest& request, Progress& progress) const;
    void write(const layers::EvaluationOutputs& o, const std::string& chromium, Progress& progress) const;
    void summarise(const layers::EvaluationOutputs& o, Progress& progress) const;
};

evaluation::EvaluationOptions EvaluateCommand::checked(layers::StudyRequest& request) const {
    evaluation::EvaluationOptions o;
    const std::optional<Month> start = Month::parse(start_text);
    if (!start) throw UsageError(fmt::format("--start {}: expected the intervention's first month as YYYY-MM", start_text));
    o.start = *start;
    if (!end_text.empty()) {
        const std::optional<Month> end = Month::parse(end_text);
        if (!end) throw UsageError(fmt::format("--end {}: expected a month as YYYY-MM", end_text));
        if (request.ingest.window.to && *request.ingest.window.to < *end) throw UsageError(fmt::format("--end {} is after --to {}", end_text, crimes.to));
        o.end = end;
        request.ingest.window.to = request.window.to = end; // later months are rejected as outside the window
    }
    if (!(std::isfinite(buffer_m) && buffer_m > 0)) throw UsageError(fmt::format("--buffer {}: expected metres, more than 0", buffer_m));
    if (placebos < 19 || placebos > 100000) throw UsageError(fmt::format("--placebos {}: give 19 to 100000 (19 is the fewest for a test at 5 %; 999 is usual)", placebos));
    if (areas.path.empty() && control_arg == "auto") throw UsageError("--control auto chooses LSOAs from --areas: give --areas, or the control areas with --control");
    o.seed = seed;
    o.placebos = placebos;
    return o;
}

std::string EvaluateCommand::check_outputs(const layers::StudyRequest& request, Progress& progress) const {
    std::vector<layers::OutputPath> outputs{out.path(layers::OutputKind::geopackage, "evaluation_areas")};
    if (!report_path.empty()) outputs.push_back({"--report", report_path, layers::OutputKind::html});
    if (!csv_path.empty()) outputs.push_back({"--csv", csv_path, layers::OutputKind::csv});
    const std::string chromium = no_pdf || report_path.empty() ? "" : layers::find_chromium();
    if (!chromium.empty()) outputs.push_back({"--report (its PDF)", layers::pdf_beside(report_path), layers::OutputKind::pdf});
    std::vector<std::string> inputs = request.input_paths();
    for (const std::string* p : {&target_arg, &control_arg, &buffer_area_path}) inputs.push_back(*p);
    tools::check_outputs(outputs, inputs, out.overwrite, progress);
    return chromium;
}

void EvaluateCommand::run() const {
    Progress progress(out.quiet);
    layers::StudyRequest request = crimes.request();
    evaluation::EvaluationOptions options = checked(request);
    const std::string chromium = check_outputs(request, progress);
    const std::string crs = request.ingest.working_crs;
    const PlaceArgument target = read_place(target_arg, "--target", crs, progress);
    const bool auto_control = control_arg == "auto";
    const PlaceArgument control = auto_control ? PlaceArgument{} : read_place(control_arg, "--control", crs, progress);
    if ((target.by_codes() || control.by_codes()) && areas.path.empty())
        throw UsageError(fmt::format("{}: LSOA codes need --areas (the LSOA boundaries)", target.by_codes() ? "--target" : "--control"));
    layers::SiteReport buffer_report;
    const Areas buffer_polygons = buffer_area_path.empty() ? Areas{} : layers::read_sites(buffer_area_path, "", crs, buffer_report, progress, "--buffer-area");

    request.areas_path = areas.path, request.area_options = areas.options;
    request.keep_outside_areas = true; // the buffer and drawn places reach beyond the LSOAs
    layers::Study study = layers::read_study(request, progress);
    for (const std::string& path : {target_arg, control_arg, buffer_area_path}) study.add_input(path);
    const CrimeSelection::Chosen chosen = selection.choose(study.crimes.types);

    evaluation::EvaluationDesign design;
    design.target = places_of(target, study.areas, "--target");
    design.automatic_control = auto_control;
    if (!auto_control) design.control = places_of(control, study.areas, "--control");
    for (const auto& g : buffer_polygons.geometry) design.buffer_polygons.push_back(g.get());
    design.buffer_m = buffer_m;
    const std::string words = crime_words(selection, chosen);
    options.crimes = crime_noun(selection, words);
    const evaluation::Evaluation e = evaluation::evaluate(study.crimes.incidents, chosen.incidents(study.crimes.incidents), study.areas, study.area_of, design, options, &progress);

    const auto described = [&](const PlaceArgument& p, const std::vector<size_t>& chosen_areas) {
        if (p.by_codes()) return fmt::format("{} ({})", layers::plural(chosen_areas.size(), "LSOA", "LSOAs"), fmt::join(p.codes, ", "));
        return fmt::format("{} ({})", p.report.source, p.polygons.size() == 1 ? "1 polygon" : fmt::format("{} polygons", p.polygons.size()));
    };
    const layers::EvaluationOutputs o{study,
                                      e,
                                      options,
                                      words,
                                      options.crimes,
                                      chosen.description,
                                      described(target, e.target.areas),
                                      auto_control ? fmt::format("chosen automatically ({} LSOAs)", e.control.areas.size()) : described(control, e.control.areas),
                                      buffer_area_path.empty() ? fmt::format("the ring {:g} m around the target", buffer_m) : "the polygons of " + buffer_area_path,
                                      g_command_line};
    progress.info(layers::control_choice_text(o));
    write(o, chromium, progress);
    summarise(o, progress);
}

void EvaluateCommand::write(const layers::EvaluationOutputs& o, const std::string& chromium, Progress& progress) const {
    const evaluation::Evaluation& e = o.evaluation;
    const nlohmann::ordered_json parameters{{"command", "evaluate"},  {"crimes", o.crimes},           {"target", target_arg},
                                            {"control", control_arg}, {"buffer_m", buffer_area_path.empty() ? nlohmann::ordered_json(buffer_m) : nlohmann::ordered_json()},
                                            {"buffer_area", buffer_area_path}, {"start", e.periods.start.str()}, {"first", e.periods.first.str()},
                                            {"end", e.periods.end.str()}, {"seed", seed}, {"placebos", placebos},
                                            {"control_lsoas", e.control.areas.size()},
                                            {"working_crs", o.study.working_crs}, {"areas", areas.path}};
    const layers::Table results = layers::evaluation_results_table(o);
    layers::GeoPackageWriter writer(out.path(layers::OutputKind::geopackage, "evaluation_areas"), out.overwrite, o.study.working_crs, &progress);
    writer.write_table(layers::evaluation_areas_table(o));
    writer.write_table(layers::evaluation_months_table(o));
    if (e.have_synthetic && e.synthetic.status != evaluation::SyntheticStatus::too_few_donors) writer.write_table(layers::synthetic_weights_table(o));
    writer.write_table(results);
    writer.write_rejects(o.study.crimes.rejects, o.study.source_paths());
    writer.record(run_record(o.study, parameters.dump()));
    // The GeoPackage, CSV and report are moved into place together: a failure leaves none of them.
    layers::StagedFiles staged(out.overwrite);
    if (!csv_path.empty()) staged.stage(csv_path, layers::table_csv(results));
    if (!report_path.empty()) staged.stage(report_path, layers::evaluation_report_html(o));
    writer.commit();
    staged.commit();
    if (!chromium.empty()) layers::print_report_pdf(chromium, report_path, layers::pdf_beside(report_path), out.overwrite, progress);
}

void EvaluateCommand::summarise(const layers::EvaluationOutputs& o, Progress& progress) const {
    for (const std::string& s : layers::verdict_sentences(o)) progress.info(s);
    const layers::Table results = layers::evaluation_results_table(o);
    for (size_t r = 0; r < results.rows(); ++r) {
        const auto& c = results.columns;
        if (c[0].texts[r] == "wdq") {
            progress.info(fmt::format("  {:<17} WDQ {:.3f}", c[0].texts[r], c[1].reals[r]));
            continue;
        }
        progress.info(fmt::format("  {:<17} {:>7}  (interval {} to {})  {}", c[0].texts[r], layers::signed_percent(c[1].reals[r]), layers::signed_percent(c[2].reals[r]),
                                  layers::signed_percent(c[3].reals[r]), layers::p_words(c[4].reals[r])));
    }
    for (const std::string& s : layers::caveats(o)) progress.warn(s);
    progress.info(layers::general_caution(o));
    const bool weights = o.evaluation.have_synthetic && o.evaluation.synthetic.status != evaluation::SyntheticStatus::too_few_donors;
    progress.info(fmt::format("wrote {} ({}){}{}", out.shown(),
                              out.holding("evaluation_areas", fmt::format("evaluation_areas, evaluation_months, {}evaluation_results, rejects",
                                                                          weights ? "synthetic_control_weights, " : "")),
                              csv_path.empty() ? "" : ", " + csv_path, report_path.empty() ? "" : " and " + report_path));
}

} // namespace

Run setup_evaluate(CLI::App& app) {
    auto command = std::make_shared<EvaluateCommand>();
    command->crimes.add_to(app);
    app.add_option("--target", command->target_arg, "Where the intervention was: polygons (any OGR source, WKT or a GeoJSON geometry) or LSOA codes, comma-separated (with --areas)")
        ->required();
    app.add_option("--start", command->start_text, "The first month of the intervention, YYYY-MM; the months before it are the before period")->required();
    app.add_option("--end", command->end_text, "The last month after the start to evaluate, YYYY-MM (default: the data's last)");
    command->selection.add_to(app, "neighbourhood");
    CLI::Option* ring = app.add_option("--buffer", command->buffer_m, "A ring this many metres around the target, for displacement and diffusion of benefit")->capture_default_str();
    app.add_option("--buffer-area", command->buffer_area_path, "Polygons for the buffer instead of the ring (the target is taken out of them)")->excludes(ring);
    app.add_option("--control", command->control_arg,
                   "Comparison areas: polygons (any OGR source), LSOA codes (comma-separated, with --areas) or auto (LSOAs from --areas matching the target's level "
                   "and trend of crime before the start)")
        ->capture_default_str();
    command->areas.add_to(app, "LSOA boundaries: for LSOA codes, the automatic control and the synthetic control's donors");
    app.add_option("--seed", command->seed, "Seed of the synthetic control's placebo areas")->capture_default_str();
    app.add_option("--placebos", command->placebos, "Placebo areas for the synthetic control's p-value and interval")->capture_default_str();
    app.add_option("--report", command->report_path, "The HTML report (one printable file; a PDF beside it where Chromium is installed)");
    app.add_option("--csv", command->csv_path, "One row per method: method,estimate,ci_low,ci_high,p_value,note");
    app.add_flag("--no-pdf", command->no_pdf, "Do not print the report to PDF with headless Chromium");
    command->out.add_to(app, "Output GeoPackage: evaluation_areas, evaluation_months, synthetic_control_weights, evaluation_results, rejects")->required();
    app.footer(methods_help);
    return [command] { command->run(); };
}

} // namespace safer::tools
