#include "layers/accuracy_output.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "engine/text.hpp"
#include "layers/csv_writer.hpp"
#include "layers/density_output.hpp"
#include "layers/hotspot_output.hpp"
#include "layers/report.hpp"
#include "layers/templates.hpp"
#include "layers/wording.hpp"

namespace safer::layers {

using namespace safer::accuracy;

namespace {

/// A share as a percentage for tables and CSVs: 0.05 -> "5" (not 5.000000000000001).
std::string percent_number(double share) { return fmt::format("{:.10g}", 100 * share); }

std::string metres(double m) { return grouped(m); }

std::string optional_number(double v, const char* format_spec = "{:.2f}") {
    return std::isnan(v) ? std::string("undefined") : fmt::format(fmt::runtime(format_spec), v);
}

const char* series_colour(size_t k) {
    static const char* colours[] = {"#d7301f", "#2c7fb8", "#31a354", "#756bb1", "#fe9929", "#636363", "#e7298a", "#66a61e"};
    return colours[k % std::size(colours)];
}

} // namespace

std::string method_code(const Method& m) {
    switch (m.kind) {
    case Method::Kind::kde: return fmt::format("kde:{:g}", m.value);
    case Method::Kind::kde_auto: return "kde:auto";
    case Method::Kind::gistar: return fmt::format("gistar:{:g}", m.value);
    case Method::Kind::areas: return "areas";
    case Method::Kind::counts: return "counts";
    }
    return "";
}

std::string method_words(const MethodScores& m) {
    switch (m.method.kind) {
    case Method::Kind::kde: return fmt::format("quartic kernel density, {} m bandwidth", metres(m.bandwidth));
    case Method::Kind::kde_auto: return fmt::format("quartic kernel density, ArcGIS's automatic bandwidth ({} m)", metres(m.bandwidth));
    case Method::Kind::gistar: return fmt::format("Getis-Ord Gi* z-score of {} m cells (3-cell distance band)", metres(m.method.value));
    case Method::Kind::areas: return "the areas ranked by their training incidents per km2";
    case Method::Kind::counts: return "each cell ranked by its own training incidents (where crime was)";
    }
    return "";
}

Table accuracy_table(const AccuracyOutputs& o) {
    const AccuracyResult& r = o.result;
    Table t;
    t.name = "accuracy";
    t.description = fmt::format("How well each method, trained on {} to {}, predicted where {} was recorded from {} to {}", o.options.train.from->str(),
                                o.options.train.to->str(), o.selection, o.options.test.from->str(), o.options.test.to->str());
    std::vector<std::string> method, words;
    std::vector<double> coverage, hit_rate, pai, pei, rri, hits, best, train_hits, flagged_cells, flagged_km2, bandwidth, threshold, tied;
    std::vector<int64_t> test_n, train_n;
    for (const MethodScores& m : r.methods)
        for (const CoverageScore& s : m.at) {
            method.push_back(method_code(m.method));
            words.push_back(method_words(m));
            coverage.push_back(100 * s.coverage);
            hit_rate.push_back(100 * s.hit_rate);
            pai.push_back(s.pai);
            pei.push_back(s.pei);
            rri.push_back(s.rri);
            hits.push_back(s.hits);
            best.push_back(s.best_hits);
            train_hits.push_back(s.train_hits);
            test_n.push_back(static_cast<int64_t>(r.test_incidents));
            train_n.push_back(static_cast<int64_t>(r.train_incidents));
            flagged_cells.push_back(s.flagged_cells);
            flagged_km2.push_back(s.flagged_cells * r.grid.grid.cell_area() / 1e6);
            bandwidth.push_back(m.bandwidth > 0 ? m.bandwidth : NAN);
            threshold.push_back(std::isfinite(s.threshold) ? s.threshold : NAN);
            tied.push_back(s.tied_cells);
        }
    t.columns = {
        Column::text("method", "kde:METRES, kde:auto, gistar:METRES, areas or counts", method),
        Column::text("description", "What the method ranks cells by", words),
        Column::real("coverage", "Percent of the study area flagged (the top cells of the method's ranking)", coverage),
        Column::real("hit_rate", "Percent of the test window's incidents in the study area that fell in the flagged cells: 100 n / N", hit_rate),
        Column::real("pai", "Predictive Accuracy Index (Chainey, Tompson & Uhlig 2008): (n / N) / (a / A) = hit_rate / coverage", pai),
        Column::real("pei", "Predictive Efficiency Index (Hunt 2016): n / n*, n* the most test incidents any flagging of the same area holds; NULL when n* is 0", pei),
        Column::real("rri", "Recapture Rate Index (Levine 2008): (n / N) / (n1 / N1), the flagged area's share of test incidents over its share of training incidents; NULL when n1 is 0", rri),
        Column::real("test_hits", "n: test incidents in the flagged cells (tied cells at the edge counted in the part taken)", hits),
        Column::integer("test_incidents", "N: test incidents in the study area's cells", test_n),
        Column::real("best_hits", "n*: the most test incidents any flagging of as many cells holds", best),
        Column::real("train_hits", "n1: training incidents in the flagged cells", train_hits),
        Column::integer("train_incidents", "N1: training incidents in the study area's cells", train_n),
        Column::real("flagged_cells", "Cells flagged: coverage x the study area's cells (tied cells at the edge taken in part)", flagged_cells),
        Column::real("flagged_km2", "Area flagged, km2", flagged_km2),
        Column::real("bandwidth_m", "kde methods: the bandwidth used, metres", bandwidth),
        Column::real("threshold", "The score of the last cells flagged (density, z-score, incidents per km2 or count)", threshold),
        Column::real("tied_cells", "Cells sharing that score; when the coverage ends among them they are all taken in the same part", tied),
    };
    return t;
}

std::string accuracy_csv(const AccuracyResult& r) {
    std::string out = csv_line({"method", "coverage", "hit_rate", "pai", "pei", "rri"});
    for (const MethodScores& m : r.methods)
        for (const CoverageScore& s : m.at)
            out += csv_line({method_code(m.method), percent_number(s.coverage), csv_number(100 * s.hit_rate), csv_number(s.pai), csv_number(s.pei), csv_number(s.rri)});
    return out;
}

std::vector<std::string> accuracy_warnings(const AccuracyOutputs& o) {
    const AccuracyResult& r = o.result;
    std::vector<std::string> w;
    const size_t M = r.grid.cells.size();
    if (!r.masked && r.empty_cells * 2 > M)
        w.push_back(fmt::format("the study area is the rectangle around the incidents ({} km2): {} of its {} cells of {} m ({:.0f} %) had no incident in "
                                "either window, so a flagged share of it is small against a study area that is mostly where no crime happens, and PAI "
                                "comes out high for every method. Give --areas (the LSOAs or the district) so that the study area is the place itself",
                                grouped(r.grid.area_km2(), 1), grouped(static_cast<double>(r.empty_cells)), grouped(static_cast<double>(M)), metres(o.options.cell),
                                100.0 * static_cast<double>(r.empty_cells) / static_cast<double>(M)));
    const size_t occupied = M - r.empty_cells;
    const double occupied_share = static_cast<double>(occupied) / static_cast<double>(M);
    if (std::any_of(o.options.coverages.begin(), o.options.coverages.end(), [&](double c) { return c >= occupied_share; }))
        w.push_back(fmt::format("the incidents of both windows lie at {} distinct points, in {} of the {} cells ({} of the study area). At a coverage "
                                "of that share or more, flagging the cells where crime was recorded before (counts) catches almost every later "
                                "incident because incidents recur at the same points (police.uk moves every incident to one of a fixed list of "
                                "anonymised map points), so the ranking there says more about the points than about prediction. Compare methods at "
                                "coverages below {}, or with larger cells (--cell)",
                                grouped(static_cast<double>(r.locations)), grouped(static_cast<double>(occupied)), grouped(static_cast<double>(M)),
                                percent_fine(occupied_share), percent_fine(occupied_share)));
    for (const MethodScores& m : r.methods) {
        if (m.method.kind == Method::Kind::kde || m.method.kind == Method::Kind::kde_auto)
            if (std::string s = broad_bandwidth_warning(m.scale, method_code(m.method) + "'s bandwidth"); !s.empty()) w.push_back(s);
        if (m.method.kind == Method::Kind::gistar)
            if (std::string s = empty_grid_warning(m.units, m.empty_units, m.method.value, r.masked,
                                                   "give --areas (cells whose centre is outside them are left out), or use the areas as units (method areas)");
                !s.empty())
                w.push_back(fmt::format("{}: {} ({} of its cells were hot at 95 %)", method_code(m.method), s, grouped(static_cast<double>(m.hot_units))));
    }
    return w;
}

std::vector<std::string> accuracy_findings(const AccuracyResult& r) {
    std::vector<std::string> lines;
    if (r.methods.empty()) return lines;
    for (size_t k = 0; k < r.methods.front().at.size(); ++k) {
        const MethodScores* best = &r.methods.front();
        for (const MethodScores& m : r.methods)
            if (m.at[k].pai > best->at[k].pai) best = &m;
        const CoverageScore& s = best->at[k];
        lines.push_back(fmt::format("At {} % of the study area ({} km2), {} predicted best: {:.1f} % of the {} test incidents fell in it, PAI {:.2f} "
                                    "(PEI {}: {} of the most any {} % could hold{}).",
                                    percent_number(s.coverage), grouped(s.flagged_cells * r.grid.grid.cell_area() / 1e6, 2), method_code(best->method),
                                    100 * s.hit_rate, grouped(static_cast<double>(r.test_incidents)), s.pai, optional_number(s.pei),
                                    std::isnan(s.pei) ? std::string("none") : fmt::format("{:.0f} %", 100 * s.pei), percent_number(s.coverage),
                                    std::isnan(s.rri) ? "" : fmt::format("; RRI {:.2f}", s.rri)));
    }
    return lines;
}

std::string accuracy_report_html(const AccuracyOutputs& o) {
    const AccuracyResult& r = o.result;
    const AccuracyOptions& opt = o.options;
    TemplateData page;
    const std::string train = opt.train.from->str() + " to " + opt.train.to->str(), test = opt.test.from->str() + " to " + opt.test.to->str();
    page.set("title", fmt::format("Which hotspot method predicts best: {}, trained on {}, tested on {}", o.selection, train, test));
    page.set("selection", o.selection);
    page.set("train", train);
    page.set("test", test);
    page.set("train_n", grouped(static_cast<double>(r.train_incidents)));
    page.set("test_n", grouped(static_cast<double>(r.test_incidents)));
    page.set("cells", grouped(static_cast<double>(r.grid.cells.size())));
    page.set("cell", metres(opt.cell));
    page.set("study_km2", grouped(r.grid.area_km2(), 1));
    page.set("study_area", r.masked ? fmt::format("the areas of {} (cells whose centre lies in them)", o.areas_path)
                                    : std::string("the rectangle around the incidents of both windows (no --areas given)"));
    if (r.train_outside + r.test_outside > 0)
        page.set("outside", fmt::format("{} training and {} test incidents lie in edge cells whose centre is outside the areas and are not counted",
                                        grouped(static_cast<double>(r.train_outside)), grouped(static_cast<double>(r.test_outside))));
    page.set("warnings", text_list(accuracy_warnings(o)));
    page.set("has_warnings", !accuracy_warnings(o).empty());
    page.set("findings", text_list(accuracy_findings(r)));

    std::vector<std::vector<std::string>> rows;
    bool in_part = false;
    for (const MethodScores& m : r.methods)
        for (const CoverageScore& s : m.at) {
            // n is whole unless the flagged area ends part-way through a cell or through cells
            // sharing a score: then it holds their incidents in the part taken, marked so.
            const bool whole = is_whole(s.hits);
            in_part = in_part || !whole;
            rows.push_back({method_code(m.method), percent_number(s.coverage), fmt::format("{:.1f}", 100 * s.hit_rate), fmt::format("{:.2f}", s.pai),
                            optional_number(s.pei), optional_number(s.rri),
                            fmt::format("{}{} of {}", count_number(s.hits), whole ? "" : "*", grouped(static_cast<double>(r.test_incidents)))});
        }
    page.set("results", table_data({"method", "coverage %", "hit rate %", "PAI", "PEI", "RRI", "test incidents in it"}, rows,
                                 "Every method at every coverage: the CSV holds the same"));
    if (in_part)
        page.set("in_part", "* Not a whole number: the flagged area ends part-way through a cell, or through cells that share a score, and their "
                            "incidents count in the part taken (the average over every way of choosing among tied cells).");
    std::vector<std::vector<std::string>> methods;
    for (const MethodScores& m : r.methods) methods.push_back({method_code(m.method), method_words(m)});
    page.set("methods", table_data({"method", "ranks the cells by"}, methods));

    // PAI and hit rate from 1 % to 20 % of the area.
    std::vector<std::string> x;
    for (int p = 1; p <= 20; ++p) x.push_back(std::to_string(p));
    std::vector<ChartSeries> pai, hits;
    for (size_t k = 0; k < r.methods.size(); ++k) {
        const MethodScores& m = r.methods[k];
        ChartSeries a{method_code(m.method), series_colour(k), {}, false}, b = a;
        for (const CoverageScore& s : m.curve) a.values.push_back(s.pai), b.values.push_back(100 * s.hit_rate);
        pai.push_back(a);
        hits.push_back(b);
    }
    page.set("pai_chart", svg_line_chart("PAI by coverage", x, pai, "PAI", 560, 300));
    page.set("hit_chart", svg_line_chart("Hit rate by coverage", x, hits, "% of test incidents", 560, 300));

    set_provenance(page, o.study, o.command_line);
    return render_template("accuracy_report", page);
}

} // namespace safer::layers
