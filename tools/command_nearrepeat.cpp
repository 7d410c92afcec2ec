// safer nearrepeat: the Knox test of near repeats as Ratcliffe's Near Repeat Calculator runs it
// (distance bands x time bands, Monte Carlo permutations of the times), and repeat locations.
#include <fmt/core.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/text.hpp"
#include "engine/errors.hpp"
#include "engine/near_repeat.hpp"
#include "layers/csv_writer.hpp"
#include "layers/near_repeat_output.hpp"
#include "layers/output_files.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

struct NearRepeatCommand {
    CrimeOptions crimes;
    CrimeSelection selection;
    OutputOptions out;
    std::string csv_path, report_path;
    double distance_band = 100;
    int distance_count = 5;
    std::string time_bands; // DAYS or "months"; empty: 14 days where every incident has a day, else months
    int time_count = 0;     // 0: 5 day bands, 3 month bands
    std::string metric = "euclidean";
    nearrepeat::KnoxOptions options;

    /// The options checked before any reading; the time unit is settled once the data is read.
    nearrepeat::KnoxOptions checked() const {
        nearrepeat::KnoxOptions o = options;
        if (!(std::isfinite(distance_band) && distance_band > 0))
            throw UsageError(fmt::format("--distance-bands {}: expected the width of each band in metres, more than 0", distance_band));
        if (distance_count < 1 || distance_count > 20) throw UsageError(fmt::format("--distance-count {}: expected 1 to 20 bands", distance_count));
        if (time_count < 0 || time_count > 20) throw UsageError(fmt::format("--time-count {}: expected 1 to 20 bands", time_count));
        if (!time_bands.empty() && time_bands != "months") {
            size_t used = 0;
            int days = 0;
            try {
                days = std::stoi(time_bands, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != time_bands.size() || days < 1 || days > 3650)
                throw UsageError(fmt::format("--time-bands {}: expected a whole number of days (1 to 3650) or 'months'", time_bands));
            o.time_band = days;
        }
        if (o.permutations < 19) throw UsageError(fmt::format("--permutations {}: at least 19 are needed for p = 0.05 (999 is usual)", o.permutations));
        o.distance_band = distance_band;
        o.distance_bands = distance_count;
        o.metric = metric == "manhattan" ? nearrepeat::Metric::manhattan : nearrepeat::Metric::euclidean;
        return o;
    }

    void run() const {
        Progress progress(out.quiet);
        nearrepeat::KnoxOptions o = checked();
        const layers::StudyRequest request = crimes.request();
        out.check(out.path(layers::OutputKind::geopackage, "repeat_locations"), csv_path, report_path, request.input_paths(), progress);
        const layers::Study study = layers::read_study(request, progress);
        const CrimeSelection::Chosen chosen = selection.choose(study.crimes.types);
        const Incidents& in = study.crimes.incidents;
        std::vector<size_t> analysed;
        for (size_t i = 0; i < in.size(); ++i)
            if (chosen.type_selected[in.type[i]]) analysed.push_back(i);
        if (analysed.size() < 2)
            throw InputError(fmt::format("{} incident(s) of {}: the Knox test needs pairs of incidents", analysed.size(), chosen.description));

        const bool months_from_data = settle_time_unit(o, in, analysed);
        std::vector<double> x, y;
        std::vector<int32_t> t;
        for (size_t i : analysed) {
            x.push_back(in.x[i]), y.push_back(in.y[i]);
            t.push_back(o.unit == nearrepeat::TimeUnit::days ? in.day[i] : in.month[i].index);
        }
        progress.info(fmt::format("{} incidents of {}; distance bands {:g} m x {}, time bands {} {} x {}, {} permutations", grouped(static_cast<double>(analysed.size())), chosen.description,
                                  o.distance_band, o.distance_bands, o.time_band, layers::time_unit_name(o.unit), o.time_bands, o.permutations));
        if (months_from_data)
            progress.warn("the incidents' dates are months only (police.uk): time bands are whole calendar months, so near repeats within days cannot be seen");
        const nearrepeat::KnoxResult knox = nearrepeat::knox_test(x, y, t, o, &progress);
        const nearrepeat::RepeatLocations repeats = nearrepeat::repeat_locations(x, y, t);

        const nlohmann::ordered_json parameters{
            {"command", "nearrepeat"}, {"from", crimes.from}, {"to", crimes.to}, {"working_crs", study.working_crs}, {"selection", chosen.description},
            {"distance_band_m", o.distance_band}, {"distance_bands", o.distance_bands}, {"time_band", o.time_band}, {"time_bands", o.time_bands},
            {"time_unit", layers::time_unit_name(o.unit)}, {"metric", metric}, {"permutations", o.permutations}, {"seed", o.seed},
            {"incidents", knox.incidents}, {"locations", knox.locations}};
        const layers::NearRepeatOutputs outputs{study, knox, repeats, analysed, chosen.description, months_from_data, g_command_line};
        std::vector<geos::Geometry> points;
        layers::GeoPackageWriter writer(out.path(layers::OutputKind::geopackage, "repeat_locations"), out.overwrite, study.working_crs, &progress);
        writer.write_table(layers::knox_table(knox));
        writer.write_table(layers::repeat_locations_table(outputs, points));
        writer.write_rejects(study.crimes.rejects, study.source_paths());
        writer.record(run_record(study, parameters.dump()));
        // The CSV and the report are moved into place with the GeoPackage: a failure leaves none of them.
        layers::StagedFiles staged(out.overwrite);
        if (!csv_path.empty()) staged.stage(csv_path, layers::knox_csv(knox));
        if (!report_path.empty()) staged.stage(report_path, layers::near_repeat_report_html(outputs));
        writer.commit();
        staged.commit();
        for (const std::string& line : layers::near_repeat_findings(knox)) progress.info(line);
        for (const std::string& line : layers::repeat_location_findings(repeats, false)) progress.info(line);
        progress.info(fmt::format("wrote {} ({}){}{}", out.shown(), out.holding("repeat_locations", "near_repeat, repeat_locations, rejects"), csv_path.empty() ? "" : ", " + csv_path,
                                  report_path.empty() ? "" : ", " + report_path));
    }

    /// Days where every incident analysed has one; months where none (or some) do, unless asked
    /// for days (InputError: they cannot be had). True when months were chosen for want of days.
    bool settle_time_unit(nearrepeat::KnoxOptions& o, const Incidents& in, const std::vector<size_t>& analysed) const {
        size_t with_day = 0;
        for (size_t i : analysed) with_day += in.day_of(i) != no_day;
        const bool all_days = with_day == analysed.size();
        const bool days_asked = !time_bands.empty() && time_bands != "months";
        if (days_asked && !all_days)
            throw InputError(fmt::format("--time-bands {}: day bands need a date (YYYY-MM-DD) for every incident, but {} of the {} incidents analysed have "
                                         "only a month (police.uk gives months only); use --time-bands months, or a CSV with a date column (--month-field)",
                                         time_bands, analysed.size() - with_day, analysed.size()));
        o.unit = time_bands == "months" || (time_bands.empty() && !all_days) ? nearrepeat::TimeUnit::months : nearrepeat::TimeUnit::days;
        if (o.unit == nearrepeat::TimeUnit::months) o.time_band = 1;
        else if (time_bands.empty()) o.time_band = 14;
        o.time_bands = time_count > 0 ? time_count : o.unit == nearrepeat::TimeUnit::months ? 3 : 5;
        return o.unit == nearrepeat::TimeUnit::months && time_bands.empty();
    }
};

} // namespace

Run setup_nearrepeat(CLI::App& app) {
    auto command = std::make_shared<NearRepeatCommand>();
    command->crimes.add_to(app);
    command->selection.add_to(app, "all");
    app.add_option("--distance-bands", command->distance_band, "Width of each distance band, metres")->capture_default_str();
    app.add_option("--distance-count", command->distance_count, "Number of distance bands (after the same-place row)")->capture_default_str();
    app.add_option("--time-bands", command->time_bands,
                   "Width of each time band in days, or 'months' (default: 14 days where every incident has a date, months for police.uk data)");
    app.add_option("--time-count", command->time_count, "Number of time bands (default 5 day bands, 3 month bands)");
    app.add_option("--metric", command->metric, "Distance between incidents")->check(CLI::IsMember({"euclidean", "manhattan"}))->capture_default_str();
    app.add_option("--permutations", command->options.permutations, "Permutations of the times (at least 19)")->capture_default_str();
    app.add_option("--seed", command->options.seed, "Random seed of the permutations")->capture_default_str();
    app.add_option("--csv", command->csv_path, "The Knox table as CSV: distance_band,time_band,observed,expected,knox_ratio,p_value");
    app.add_option("--report", command->report_path, "An HTML report (one self-contained file)");
    command->out.add_to(app, "Output GeoPackage: near_repeat (the Knox table), repeat_locations (points), rejects")->required();
    app.footer(
        "Knox test (Knox 1964) as Ratcliffe's Near Repeat Calculator: every pair of incidents in a cell of distance band x time band;\n"
        "expected = the mean count over permutations of the times among the incidents (locations fixed); Knox ratio =\n"
        "observed / expected; p = (k + 1) / (n + 1), k permutations with a count >= observed. Bands are half-open and named by\n"
        "their edges: '0-100' m holds pairs more than 0 and less than 100 m apart ('0' is the same place), '0-14' days 0 to 13\n"
        "days apart; 'a+' holds the rest. police.uk gives months only: time bands are then whole calendar months.\n"
        "Repeat locations: incidents at identical coordinates, and the share of incidents at the top 1, 5, 10 % of map points.");
    return [command] { command->run(); };
}

} // namespace safer::tools
