// safer accuracy: how well hotspot methods trained on some months predict where crime was
// recorded in later months: hit rate, PAI, PEI and RRI at each coverage.
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "engine/text.hpp"
#include "engine/accuracy.hpp"
#include "engine/errors.hpp"
#include "layers/accuracy_output.hpp"
#include "layers/output_files.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"
#include "tools/parsers.hpp"

namespace safer::tools {

namespace {

struct AccuracyCommand {
    CrimeOptions crimes;
    CrimeSelection selection;
    OutputOptions out;
    AreaInput areas;
    std::string train_text, test_text, csv_path, report_path;
    std::vector<std::string> method_texts, coverage_texts{"1", "5", "10"};
    double cell = 100;

    /// The options checked before any reading (UsageError).
    accuracy::AccuracyOptions checked() const {
        if (!crimes.from.empty() || !crimes.to.empty()) throw UsageError("--from/--to: give the months as --train and --test instead");
        accuracy::AccuracyOptions o;
        o.train = parse_month_span(train_text, "--train");
        o.test = parse_month_span(test_text, "--test");
        if (*o.test.from <= *o.train.to)
            throw UsageError(fmt::format("--test {} must start after --train {} ends: a method is scored on months it has not seen", test_text, train_text));
        std::vector<std::string> methods = method_texts;
        if (methods.empty()) {
            methods = {"kde:250", "kde:400", "kde:auto", "gistar:200", "counts"};
            if (!areas.path.empty()) methods.insert(methods.end() - 1, "areas");
        }
        for (const std::string& m : methods) {
            o.methods.push_back(parse_method(m));
            if (o.methods.back().kind == accuracy::Method::Kind::areas && areas.path.empty())
                throw UsageError("--methods areas: give the areas to rank with --areas");
        }
        o.coverages = parse_coverages(coverage_texts, "--coverage");
        if (!(std::isfinite(cell) && cell > 0)) throw UsageError(fmt::format("--cell {}: expected metres, more than 0", cell));
        o.cell = cell;
        return o;
    }

    void run() const {
        Progress progress(out.quiet);
        const accuracy::AccuracyOptions o = checked();
        layers::StudyRequest request = crimes.request();
        request.ingest.text_columns = false; // no Crime IDs, locations, LSOA codes or outcomes are used
        request.ingest.window = MonthWindow{o.train.from, o.test.to};
        request.month_windows = {o.train, o.test};
        request.areas_path = areas.path;
        request.area_options = areas.options;
        request.area_options.codes_optional = true;
        layers::OutputPath main = out.path(layers::OutputKind::geopackage, "accuracy");
        main.table_main = true; // the accuracy table has no geometry
        out.check(main, csv_path, report_path, request.input_paths(), progress);
        const layers::Study study = layers::read_study(request, progress);
        const CrimeSelection::Chosen chosen = selection.choose(study.crimes.types);
        const std::vector<uint8_t> selected = chosen.incidents(study.crimes.incidents);

        const accuracy::AccuracyResult result = accuracy::evaluate(study.crimes.incidents, selected, study.area_of, study.areas, o, &progress);
        const layers::AccuracyOutputs outputs{study, result, o, chosen.phrase, areas.path, g_command_line};
        for (const std::string& w : layers::accuracy_warnings(outputs)) progress.warn(w);

        std::vector<std::string> codes;
        for (const auto& m : result.methods) codes.push_back(layers::method_code(m.method));
        std::vector<double> percents;
        for (double c : o.coverages) percents.push_back(100 * c);
        const nlohmann::ordered_json parameters{
            {"command", "accuracy"}, {"train", train_text}, {"test", test_text}, {"working_crs", study.working_crs}, {"selection", chosen.description},
            {"methods", codes}, {"coverage_percent", percents}, {"cell_m", o.cell}, {"areas", areas.path},
            {"train_incidents", result.train_incidents}, {"test_incidents", result.test_incidents}};
        layers::GeoPackageWriter writer(main, out.overwrite, study.working_crs, &progress);
        writer.write_table(layers::accuracy_table(outputs));
        writer.write_rejects(study.crimes.rejects, study.source_paths());
        writer.record(run_record(study, parameters.dump()));
        // The CSV and the report are moved into place with the GeoPackage: a failure leaves none of them.
        layers::StagedFiles staged(out.overwrite);
        if (!csv_path.empty()) staged.stage(csv_path, layers::accuracy_csv(result));
        if (!report_path.empty()) staged.stage(report_path, layers::accuracy_report_html(outputs));
        writer.commit();
        staged.commit();
        progress.info(fmt::format("{} training incidents ({}), {} test incidents ({}) of {} in {} cells of {:g} m ({:.1f} km2)",
                                  grouped(static_cast<double>(result.train_incidents)), train_text, grouped(static_cast<double>(result.test_incidents)), test_text,
                                  chosen.phrase, grouped(static_cast<double>(result.grid.cells.size())), o.cell, result.grid.area_km2()));
        for (const std::string& line : layers::accuracy_findings(result)) progress.info(line);
        progress.info(fmt::format("wrote {} ({}){}{}", out.shown(), out.holding("accuracy", "accuracy, rejects"), csv_path.empty() ? "" : ", " + csv_path, report_path.empty() ? "" : ", " + report_path));
    }
};

} // namespace

Run setup_accuracy(CLI::App& app) {
    auto command = std::make_shared<AccuracyCommand>();
    command->crimes.add_to(app);
    command->selection.add_to(app, "all");
    app.add_option("--train", command->train_text, "Training months: YYYY-MM:YYYY-MM (first and last, inclusive)")->required();
    app.add_option("--test", command->test_text, "Test months, after the training months: YYYY-MM:YYYY-MM")->required();
    app.add_option("--methods", command->method_texts,
                   "Methods, comma-separated: kde:METRES, kde:auto, gistar:METRES, areas, counts (default kde:250,kde:400,kde:auto,gistar:200[,areas],counts)")
        ->delimiter(',');
    app.add_option("--coverage", command->coverage_texts, "Percentages of the study area flagged, comma-separated")->delimiter(',')->capture_default_str();
    command->areas.add_to(app, "Areas (LSOAs, a district): the study area, and the units of the areas method", false);
    app.add_option("--cell", command->cell, "Cell of the evaluation grid, metres")->capture_default_str();
    app.add_option("--csv", command->csv_path, "The table as CSV: method,coverage,hit_rate,pai,pei,rri (coverage and hit rate in percent)");
    app.add_option("--report", command->report_path, "An HTML report (one self-contained file)");
    command->out.add_to(app, "Output GeoPackage: accuracy, rejects")->required();
    app.footer(
        "Each method ranks the cells of one evaluation grid from the training incidents; the top cells up to each coverage are flagged\n"
        "(ties at the edge taken in equal part), and the test incidents in them counted. With N test incidents in the study area A\n"
        "and n in the flagged area a: hit rate = n / N; PAI = (n / N) / (a / A) (Chainey, Tompson & Uhlig 2008); PEI = n / n*, n* the\n"
        "most any flagging of area a holds (Hunt 2016); RRI = (n / N) / (n1 / N1), n1 of N1 training incidents in a (Levine 2008).");
    return [command] { command->run(); };
}

} // namespace safer::tools
