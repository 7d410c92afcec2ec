#include "layers/near_repeat_output.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <cmath>

#include "engine/text.hpp"
#include "layers/csv_writer.hpp"
#include "layers/report.hpp"
#include "layers/templates.hpp"
#include "layers/wording.hpp"

namespace safer::layers {

using namespace safer::nearrepeat;

namespace {

constexpr double alpha = 0.05;

bool significant(const KnoxCell& c) { return c.p_value <= alpha && c.knox_ratio > 1; }

std::string number(double v) { return fmt::format("{:g}", v); }

std::string ratio_text(double ratio) { return std::isnan(ratio) ? "undefined" : fmt::format("{:.2f}", ratio); }

std::string p_text(const KnoxCell& c) { return fmt::format("p = {:.3g}", c.p_value); }

/// "fewer than 28 days apart", "in the same calendar month", "up to 2 calendar months apart":
/// the time apart covered by columns 0..last.
std::string time_span_words(const KnoxResult& r, size_t last) {
    const int64_t upper = r.column_upper(last);
    if (r.options.unit == TimeUnit::days) return fmt::format("fewer than {} days apart", upper);
    if (upper == 1) return "in the same calendar month";
    return fmt::format("up to {} calendar month{} apart", upper - 1, upper - 1 == 1 ? "" : "s");
}

/// "less than 100 m apart (not at the same place)", "100 m to under 200 m apart".
std::string distance_words(const KnoxResult& r, size_t row) {
    if (row == 0) return "at the same place";
    if (row == 1) return fmt::format("less than {} m apart (not at the same place)", number(r.row_upper(1)));
    return fmt::format("{} m to under {} m apart", number(r.row_lower(row)), number(r.row_upper(row)));
}

/// The run of significant cells from column 0 in a row: how many.
size_t leading_run(const KnoxResult& r, size_t row) {
    size_t k = 0;
    while (k + 1 < r.cols() && significant(r.cell(row, k))) ++k;
    return k;
}

std::string list_ratios(const KnoxResult& r, size_t row, size_t run) {
    std::vector<std::string> parts;
    for (size_t c = 0; c < run; ++c)
        parts.push_back(fmt::format("{} {}: Knox ratio {}, {}", time_band_label(r, c), time_unit_name(r.options.unit), ratio_text(r.cell(row, c).knox_ratio),
                                    p_text(r.cell(row, c))));
    return fmt::format("{}", fmt::join(parts, "; "));
}

std::string time_cell_value(const KnoxResult& r, size_t col, bool lower) {
    const int64_t v = lower ? r.column_lower(col) : r.column_upper(col);
    return std::to_string(v);
}

} // namespace

const char* time_unit_name(TimeUnit unit) { return unit == TimeUnit::days ? "days" : "months"; }

std::string distance_band_label(const KnoxResult& r, size_t row) {
    if (row == 0) return "0";
    if (row + 1 == r.rows()) return number(r.row_lower(row)) + "+";
    return number(r.row_lower(row)) + "-" + number(r.row_upper(row));
}

std::string time_band_label(const KnoxResult& r, size_t col) {
    if (col + 1 == r.cols()) return time_cell_value(r, col, true) + "+";
    return time_cell_value(r, col, true) + "-" + time_cell_value(r, col, false);
}

Table knox_table(const KnoxResult& r) {
    Table t;
    t.name = "near_repeat";
    t.description = fmt::format("Knox test of near repeats: pairs of incidents by distance band x time band ({} permutations of the times, seed {})",
                                r.options.permutations, r.options.seed);
    std::vector<std::string> dband, tband, unit;
    std::vector<double> dfrom, dto, tfrom, tto, expected, ratio, p;
    std::vector<int64_t> observed, at_least, perms, lo, hi, row_pairs, col_pairs;
    for (size_t row = 0; row < r.rows(); ++row)
        for (size_t col = 0; col < r.cols(); ++col) {
            const KnoxCell& c = r.cell(row, col);
            dband.push_back(distance_band_label(r, row));
            tband.push_back(time_band_label(r, col));
            dfrom.push_back(r.row_lower(row));
            dto.push_back(std::isinf(r.row_upper(row)) ? NAN : r.row_upper(row));
            tfrom.push_back(static_cast<double>(r.column_lower(col)));
            tto.push_back(r.column_upper(col) < 0 ? NAN : static_cast<double>(r.column_upper(col)));
            unit.push_back(time_unit_name(r.options.unit));
            observed.push_back(static_cast<int64_t>(c.observed));
            expected.push_back(c.expected);
            ratio.push_back(c.knox_ratio);
            p.push_back(c.p_value);
            at_least.push_back(c.at_least);
            perms.push_back(r.options.permutations);
            lo.push_back(static_cast<int64_t>(c.min));
            hi.push_back(static_cast<int64_t>(c.max));
            row_pairs.push_back(static_cast<int64_t>(r.row_pairs[row]));
            col_pairs.push_back(static_cast<int64_t>(r.column_pairs[col]));
        }
    const std::string tu = time_unit_name(r.options.unit);
    t.columns = {
        Column::text("distance_band", "Distance apart, metres: '0' the same place; 'a-b' more than or equal to a (more than 0 in the first) and less than b; 'a+' a or more", dband),
        Column::text("time_band", "Time apart in " + tu + ": 'a-b' at least a and less than b (0-14: 0 to 13 days); 'a+' a or more", tband),
        Column::real("distance_from_m", "Lower edge of the distance band, metres (inclusive; 0 and more than 0 for the first band)", dfrom),
        Column::real("distance_to_m", "Upper edge of the distance band, metres (exclusive); NULL for the last band", dto),
        Column::real("time_from", "Lower edge of the time band (inclusive), in time_unit", tfrom),
        Column::real("time_to", "Upper edge of the time band (exclusive), in time_unit; NULL for the last band", tto),
        Column::text("time_unit", "days, or months where the dates are months only (police.uk)", unit),
        Column::integer("observed", "Pairs of incidents in this distance and time band", observed),
        Column::real("expected", "Mean count of pairs in the band over the permutations of the times (locations fixed)", expected),
        Column::real("knox_ratio", "observed / expected (the Near Repeat Calculator's observed over mean expected); NULL when expected is 0", ratio),
        Column::real("p_value", "(k + 1) / (n + 1): k permutations with a count >= observed, n permutations", p),
        Column::integer("at_least", "k: permutations with a count >= observed", at_least),
        Column::integer("permutations", "n: permutations of the times", perms),
        Column::integer("sim_min", "Smallest count of pairs in the band among the permutations", lo),
        Column::integer("sim_max", "Largest count of pairs in the band among the permutations", hi),
        Column::integer("distance_band_pairs", "Pairs in this distance band at any time apart (the same in every permutation)", row_pairs),
        Column::integer("time_band_pairs", "Pairs in this time band at any distance apart (the same in every permutation)", col_pairs),
    };
    return t;
}

std::string knox_csv(const KnoxResult& r) {
    std::string out = csv_line({"distance_band", "time_band", "observed", "expected", "knox_ratio", "p_value"});
    for (size_t row = 0; row < r.rows(); ++row)
        for (size_t col = 0; col < r.cols(); ++col) {
            const KnoxCell& c = r.cell(row, col);
            out += csv_line({distance_band_label(r, row), time_band_label(r, col), std::to_string(c.observed), csv_number(c.expected),
                             csv_number(c.knox_ratio), csv_number(c.p_value)});
        }
    return out;
}

namespace {

std::string time_text(TimeUnit unit, int32_t t) { return unit == TimeUnit::days ? Day{t}.str() : Month{t}.str(); }

} // namespace

Table repeat_locations_table(const NearRepeatOutputs& o, std::vector<geos::Geometry>& owned) {
    const RepeatLocations& r = o.repeats;
    const Incidents& in = o.study.crimes.incidents;
    Table t;
    t.name = "repeat_locations";
    t.description = fmt::format("Repeat locations: the {} map points with an incident of {}, most incidents first", r.locations.size(), o.selection);
    t.geometry_kind = GeometryKind::point;
    std::vector<int64_t> rank, count;
    std::vector<double> share, cumulative;
    std::vector<std::string> location, first, last;
    double running = 0;
    int64_t current_rank = 0;
    uint32_t previous = 0;
    for (size_t k = 0; k < r.locations.size(); ++k) {
        const RepeatLocation& l = r.locations[k];
        owned.push_back(geos::point(l.x, l.y));
        t.geometry.push_back(owned.back().get());
        if (k == 0 || l.incidents != previous) current_rank = static_cast<int64_t>(k) + 1;
        previous = l.incidents;
        rank.push_back(current_rank);
        count.push_back(l.incidents);
        share.push_back(static_cast<double>(l.incidents) / static_cast<double>(r.incidents));
        running += l.incidents;
        cumulative.push_back(running / static_cast<double>(r.incidents));
        location.emplace_back(in.location[o.analysed[l.first]]);
        first.push_back(time_text(o.knox.options.unit, l.first_time));
        last.push_back(time_text(o.knox.options.unit, l.last_time));
    }
    const std::string unit = o.knox.options.unit == TimeUnit::days ? "date (YYYY-MM-DD)" : "month (YYYY-MM)";
    t.columns = {
        Column::integer("rank", "1 = the map point with most incidents; equal counts share the best rank", rank),
        Column::integer("incidents", "Incidents analysed at this map point (identical coordinates)", count),
        Column::real("share", "incidents / all incidents analysed", share),
        Column::real("cumulative_share", "Share of all incidents at this point and every point ranked above it (in the layer's order)", cumulative),
        Column::text("location", "The location text of the first incident at the point (police.uk: 'On or near ...')", location),
        Column::text("first", "The earliest incident's " + unit, first),
        Column::text("last", "The latest incident's " + unit, last),
    };
    return t;
}

std::vector<std::string> near_repeat_findings(const KnoxResult& r) {
    std::vector<std::string> lines;
    const size_t S1 = r.rows() - 1;
    const std::string null = "if when incidents happened were unrelated to where";
    if (const size_t run = leading_run(r, 0); run > 0)
        lines.push_back(fmt::format("Repeats: pairs of incidents at the same place and {} are more than expected {} ({}).", time_span_words(r, run - 1), null,
                                    list_ratios(r, 0, run)));
    bool any_near = false;
    for (size_t row = 1; row < S1; ++row) {
        const size_t run = leading_run(r, row);
        if (run == 0) continue;
        any_near = true;
        lines.push_back(fmt::format("Near repeats: pairs of incidents {} and {} are more than expected {} ({}).", distance_words(r, row),
                                    time_span_words(r, run - 1), null, list_ratios(r, row, run)));
    }
    // The strongest significant excess within the bands, away from the same place.
    const KnoxCell* best = nullptr;
    size_t best_row = 0, best_col = 0;
    for (size_t row = 1; row < S1; ++row)
        for (size_t col = 0; col + 1 < r.cols(); ++col)
            if (const KnoxCell& c = r.cell(row, col); significant(c) && (!best || c.knox_ratio > best->knox_ratio))
                best = &c, best_row = row, best_col = col;
    if (best)
        lines.push_back(fmt::format("The strongest near-repeat excess: {} m and {} {} apart, {} times as many pairs as expected ({} % more; {}).",
                                    distance_band_label(r, best_row), time_band_label(r, best_col), time_unit_name(r.options.unit),
                                    ratio_text(best->knox_ratio), fmt::format("{:.0f}", 100 * (best->knox_ratio - 1)), p_text(*best)));
    if (!any_near)
        lines.push_back(fmt::format("No near-repeat pattern: for no distance band within {} m are pairs of incidents {} more than expected at p <= {} "
                                    "({} permutations).",
                                    number(r.row_lower(S1)), time_span_words(r, 0), alpha, r.options.permutations));
    return lines;
}

std::vector<std::string> repeat_location_findings(const RepeatLocations& r, bool snapped) {
    std::vector<std::string> lines;
    const double n = static_cast<double>(r.incidents), L = static_cast<double>(r.locations.size());
    lines.push_back(fmt::format("{} incidents at {} map points; {} points ({:.1f} %) had 2 or more, holding {} incidents ({:.1f} %).", grouped(n), grouped(L),
                                grouped(static_cast<double>(r.repeat_locations)), 100 * static_cast<double>(r.repeat_locations) / L,
                                grouped(static_cast<double>(r.repeat_incidents)), 100 * static_cast<double>(r.repeat_incidents) / n));
    const auto top = [&](double pct) { return std::max(1.0, std::round(L * pct / 100)); };
    lines.push_back(fmt::format("The top 1 %, 5 % and 10 % of map points with an incident (about {}, {} and {} points) hold {:.1f} %, {:.1f} % and {:.1f} % "
                                "of the incidents.",
                                grouped(top(1)), grouped(top(5)), grouped(top(10)), 100 * r.concentration.top1, 100 * r.concentration.top5,
                                100 * r.concentration.top10));
    if (snapped)
        lines.push_back("police.uk moves every incident to the nearest of a list of anonymous map points (the middle of a street or a public "
                        "place), so a map point stands for a street or part of one, not an address: these are repeats at the map point.");
    return lines;
}

std::string near_repeat_report_html(const NearRepeatOutputs& o) {
    const KnoxResult& r = o.knox;
    const Incidents& in = o.study.crimes.incidents;
    TemplateData page;
    const std::string from = time_text(r.options.unit, r.first_time), to = time_text(r.options.unit, r.last_time);
    page.set("title", fmt::format("Near repeats and repeat locations: {}, {} to {}", o.selection, from, to));
    page.set("selection", o.selection);
    page.set("incidents", grouped(static_cast<double>(r.incidents)));
    page.set("from", from);
    page.set("to", to);
    page.set("pairs", grouped(static_cast<double>(r.pairs)));
    page.set("permutations", grouped(r.options.permutations));
    page.set("seed", std::to_string(r.options.seed));
    page.set("distance_band", number(r.options.distance_band));
    page.set("distance_bands", std::to_string(r.options.distance_bands));
    page.set("max_distance", number(r.row_lower(r.rows() - 1)));
    page.set("time_band", std::to_string(r.options.time_band));
    page.set("time_bands", std::to_string(r.options.time_bands));
    page.set("max_time", std::to_string(r.column_lower(r.cols() - 1)));
    page.set("unit", time_unit_name(r.options.unit));
    page.set("metric", r.options.metric == Metric::euclidean ? "straight-line (Euclidean)" : "Manhattan (|dx| + |dy|)");
    if (r.options.unit == TimeUnit::months) {
        TemplateData months;
        months.set("from_data", o.months_from_data);
        page.set("months", months);
    }
    page.set("findings", text_list(near_repeat_findings(r)));
    page.set("cells", std::to_string(r.rows() * r.cols()));

    // The table of Knox ratios, significant cells marked.
    TemplateData header = TemplateData::type::list;
    for (size_t col = 0; col < r.cols(); ++col) header.push_back(TemplateData{"text", time_band_label(r, col)});
    page.set("time_header", header);
    TemplateData rows = TemplateData::type::list;
    for (size_t row = 0; row < r.rows(); ++row) {
        TemplateData cells = TemplateData::type::list;
        for (size_t col = 0; col < r.cols(); ++col) {
            const KnoxCell& c = r.cell(row, col);
            TemplateData cell;
            cell.set("ratio", ratio_text(c.knox_ratio));
            cell.set("detail", fmt::format("{} observed, {:.1f} expected, {}", c.observed, c.expected, p_text(c)));
            const bool beyond = row + 1 == r.rows() || col + 1 == r.cols();
            cell.set("significant", !beyond && significant(c));
            cell.set("beyond", beyond);
            cells.push_back(cell);
        }
        TemplateData line;
        line.set("label", row == 0 ? std::string("same place (0 m)") : distance_band_label(r, row) + " m");
        line.set("cells", cells);
        rows.push_back(line);
    }
    page.set("knox_rows", rows);
    std::vector<std::vector<std::string>> counts;
    for (size_t row = 0; row < r.rows(); ++row)
        for (size_t col = 0; col < r.cols(); ++col) {
            const KnoxCell& c = r.cell(row, col);
            counts.push_back({row == 0 ? "0 (same place)" : distance_band_label(r, row), time_band_label(r, col), grouped(static_cast<double>(c.observed)),
                              fmt::format("{:.1f}", c.expected), ratio_text(c.knox_ratio), fmt::format("{:.3g}", c.p_value)});
        }
    page.set("counts", table_data({"distance (m)", fmt::format("time apart ({})", time_unit_name(r.options.unit)), "observed pairs", "expected (mean of permutations)",
                                   "Knox ratio", "p"},
                                  counts, "Every cell of the table: the CSV holds the same"));

    // Repeat locations.
    const RepeatLocations& rl = o.repeats;
    bool snapped = false;
    for (const auto& s : o.study.crimes.sources) snapped |= s.format == "police.uk street CSV";
    page.set("repeat_findings", text_list(repeat_location_findings(rl, snapped)));
    std::vector<std::vector<std::string>> sizes;
    const std::vector<std::string> size_names{"1", "2", "3", "4-5", "6-10", "11-20", "21 or more"};
    for (size_t k = 0; k < rl.by_size.size(); ++k) sizes.push_back({size_names[k], grouped(static_cast<double>(rl.by_size[k]))});
    page.set("sizes", table_data({"incidents at the map point", "map points"}, sizes, "Map points by how many incidents they had"));
    std::vector<std::vector<std::string>> top;
    for (size_t k = 0; k < std::min<size_t>(20, rl.locations.size()); ++k) {
        const RepeatLocation& l = rl.locations[k];
        if (l.incidents < 2) break;
        const std::string text(in.location[o.analysed[l.first]]);
        top.push_back({std::to_string(k + 1), std::to_string(l.incidents), text.empty() ? fmt::format("{:.0f}, {:.0f}", l.x, l.y) : text,
                       time_text(r.options.unit, l.first_time), time_text(r.options.unit, l.last_time)});
    }
    if (!top.empty())
        page.set("top", table_data({"", "incidents", "map point", "first", "last"}, top,
                                   fmt::format("The {} map points with most incidents", top.size())));

    set_provenance(page, o.study, o.command_line, {{"incidents analysed (" + o.selection + ")", grouped(static_cast<double>(r.incidents))}});
    return render_template("nearrepeat_report", page);
}

} // namespace safer::layers
