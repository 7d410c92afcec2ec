#include "layers/bid_output.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "engine/kde.hpp"
#include "engine/places.hpp"
#include "engine/text.hpp"
#include "layers/area_output.hpp"
#include "layers/csv_writer.hpp"
#include "layers/design_out_output.hpp"
#include "layers/report.hpp"
#include "layers/segments_output.hpp"
#include "layers/templates.hpp"
#include "layers/wording.hpp"

namespace safer::layers {

namespace {

/// Areas of the input with a rate of the group (with residents): what a percentile is among.
size_t ranked_areas(const bid::BidEvidence& e) {
    const std::vector<double>& rate = e.group_stats().rate;
    return static_cast<size_t>(std::count_if(rate.begin(), rate.end(), [](double r) { return !std::isnan(r); }));
}

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

const std::string& group_name(const BidOutputs& o) { return o.evidence.groups[o.evidence.group].name; }
/// What the group counts, as a reader names it ("neighbourhood crime", "violence and sexual offences").
std::string group_phrase(const BidOutputs& o) { return crime_phrase(o.evidence.groups[o.evidence.group]); }

std::string codes_of(const Areas& areas, const std::vector<size_t>& indexes, const char* separator) {
    std::vector<std::string> codes;
    for (size_t a : indexes) codes.push_back(areas.code[a]);
    return fmt::format("{}", fmt::join(codes, separator));
}

/// "the Bristol, City of" or "all 1,005 areas'": the comparison area of `area`, for "... rate".
std::string compare_name(const BidOutputs& o, size_t area) {
    if (o.compare_by.empty() || o.options.compare_group[area].empty())
        return fmt::format("the rate across all {} areas of the input", grouped(static_cast<double>(o.study.areas.size())));
    return fmt::format("the {} rate", o.options.compare_group[area]);
}

/// "4.2 times", "0.8 times" (one decimal; "about the same as" is not used, the number is given).
std::string times(double ratio) { return std::isfinite(ratio) ? fmt::format("{:.1f} times", ratio) : "(no comparison)"; }

/// Map of the group's rate by area in quintiles, the candidates outlined.
std::string rate_map(const BidOutputs& o) {
    const Areas& areas = o.study.areas;
    const GroupColumns& gs = o.evidence.group_stats();
    std::vector<double> rates;
    for (size_t a = 0; a < areas.size(); ++a)
        if (std::isfinite(gs.rate[a])) rates.push_back(gs.rate[a]);
    std::sort(rates.begin(), rates.end());
    const std::vector<std::string> colours = sequential_colours(5);
    std::vector<double> breaks;
    for (size_t q = 1; q < 5; ++q) breaks.push_back(rates[std::min(rates.size() - 1, q * rates.size() / 5)]);
    std::vector<MapShape> shapes;
    for (size_t a = 0; a < areas.size(); ++a) {
        MapShape s;
        s.geometry = areas.geometry[a].get();
        if (std::isfinite(gs.rate[a])) {
            size_t k = 0;
            while (k < breaks.size() && gs.rate[a] >= breaks[k]) ++k;
            s.fill = colours[k];
        } else {
            s.fill = "#cccccc";
        }
        s.stroke = "#888";
        s.stroke_width = 0.3;
        s.title = fmt::format("{} {}: {} per 1,000", areas.code[a], areas.name[a], grouped(gs.rate[a], 1));
        shapes.push_back(s);
    }
    const auto& targets = o.evidence.targets;
    for (size_t k = 0; k < std::min<size_t>(targets.size(), 3); ++k) {
        MapShape s;
        s.geometry = targets[k].geometry.get();
        s.stroke = k == 0 ? "#0033cc" : "#6688ff";
        s.stroke_width = k == 0 ? 3 : 1.5;
        s.title = fmt::format("candidate {}: {}", k + 1, target_reason(o, k));
        shapes.push_back(s);
    }
    std::vector<LegendItem> legend;
    for (size_t k = 0; k < 5; ++k)
        legend.push_back({colours[k], k == 0 ? fmt::format("under {:.1f} per 1,000", breaks[0])
                                      : k == 4 ? fmt::format("{:.1f} and over", breaks[3])
                                               : fmt::format("{:.1f} to {:.1f}", breaks[k - 1], breaks[k])});
    legend.push_back({"#cccccc", "no population: rate undefined"});
    legend.push_back({"none", "top candidate (thick) and the next two", "#0033cc", 3});
    return svg_map(shapes, 760, legend, nullptr, "Quintiles of the rate; target-area candidates outlined in blue.");
}

/// The group's incidents in the months analysed, as points for the candidates' maps.
std::vector<geos::Geometry> group_points(const BidOutputs& o) {
    const GroupMembership membership(o.evidence.groups, o.study.crimes.types);
    const Incidents& in = o.study.crimes.incidents;
    std::vector<geos::Geometry> points;
    for (size_t i = 0; i < in.size(); ++i)
        if (in.month[i] >= o.evidence.window.from && in.month[i] <= o.evidence.window.to && membership.contains(o.evidence.group, in.type[i]))
            points.push_back(geos::point(in.x[i], in.y[i]));
    return points;
}

/// A zoomed map of candidate k: its LSOAs and their neighbours labelled by name, the streets (the
/// --streets layer, else police.uk's street names at their map points), the group's incidents,
/// a scale bar, a north arrow and the whole study area as a locator.
std::string candidate_map(const BidOutputs& o, size_t k, const std::vector<geos::Geometry>& dots) {
    const Areas& areas = o.study.areas;
    const bid::BidEvidence& e = o.evidence;
    const bid::Target& t = e.targets[k];
    GEOSContextHandle_t ctx = geos::context();
    Extent view = geos::extent(t.geometry.get());
    view = view.grown(std::max({view.width(), view.height(), 600.0}) * 0.3);
    std::vector<uint8_t> in_target(areas.size(), 0);
    for (size_t a : t.areas) in_target[a] = 1;
    std::vector<MapShape> shapes;
    MapOptions options;
    options.view = view;
    for (size_t a = 0; a < areas.size(); ++a) {
        const Extent ae = geos::extent(areas.geometry[a].get());
        if (!ae.overlaps(view)) continue;
        shapes.push_back({areas.geometry[a].get(), in_target[a] ? "#dbe6ff" : "#f4f4f4", "#999", 0.6, areas.code[a] + " " + areas.name[a]});
        geos::Geometry p = geos::checked(GEOSPointOnSurface_r(ctx, areas.geometry[a].get()), "point on surface");
        double x = 0, y = 0;
        GEOSGeomGetX_r(ctx, p.get(), &x), GEOSGeomGetY_r(ctx, p.get(), &y);
        options.labels.push_back({x, y, areas.name[a].empty() ? areas.code[a] : areas.name[a], in_target[a] ? 12.0 : 10.0, in_target[a] ? "#0033cc" : "#777", true});
    }
    // Streets: the lines of --streets (named where they have a name), else police.uk's names.
    const AssetSet& assets = o.study.assets;
    std::map<std::string, std::pair<double, std::pair<double, double>>> street_label; // name -> (weight, point)
    if (assets.has_streets) {
        for (const FeatureRecord& f : assets.streets) {
            if (!geos::extent(f.geometry.get()).overlaps(view)) continue;
            shapes.push_back({f.geometry.get(), "none", "#bbb", 1.2, f.name});
            if (f.name.empty()) continue;
            const double len = geos::length(f.geometry.get());
            geos::Geometry mid = geos::checked(GEOSInterpolateNormalized_r(ctx, f.geometry.get(), 0.5), "midpoint");
            double x = 0, y = 0;
            GEOSGeomGetX_r(ctx, mid.get(), &x), GEOSGeomGetY_r(ctx, mid.get(), &y);
            if (x < view.min_x || x > view.max_x || y < view.min_y || y > view.max_y) continue;
            auto& best = street_label[f.name];
            if (len > best.first) best = {len, {x, y}};
        }
    } else {
        // Each police.uk street name at the middle of its map points in the view, weighted by incidents.
        const Incidents& in = o.study.crimes.incidents;
        std::map<std::string, std::array<double, 3>> sums; // name -> (n, sum x, sum y)
        for (size_t i = 0; i < in.size() && i < in.location.size(); ++i) {
            if (in.x[i] < view.min_x || in.x[i] > view.max_x || in.y[i] < view.min_y || in.y[i] > view.max_y) continue;
            const std::string_view street = street_of(in.location[i]);
            if (street.empty()) continue;
            auto& s = sums[std::string(street)];
            s[0] += 1, s[1] += in.x[i], s[2] += in.y[i];
        }
        for (const auto& [name, s] : sums) street_label[name] = {s[0], {s[1] / s[0], s[2] / s[0]}};
    }
    std::vector<std::pair<double, std::string>> by_weight;
    for (const auto& [name, w] : street_label) by_weight.emplace_back(-w.first, name);
    std::sort(by_weight.begin(), by_weight.end());
    for (size_t i = 0; i < std::min<size_t>(by_weight.size(), 15); ++i) {
        const auto& point = street_label[by_weight[i].second].second;
        options.labels.push_back({point.first, point.second, by_weight[i].second, 9.5, "#444", false});
    }
    // The group's incidents in the months analysed, as dots.
    for (const auto& d : dots) {
        double x = 0, y = 0;
        GEOSGeomGetX_r(ctx, d.get(), &x), GEOSGeomGetY_r(ctx, d.get(), &y);
        if (x >= view.min_x && x <= view.max_x && y >= view.min_y && y <= view.max_y) shapes.push_back({d.get(), "#d7301f", "#d7301f", 0.5, "", 2.0});
    }
    shapes.push_back({t.geometry.get(), "none", "#0033cc", 3, fmt::format("candidate {}", k + 1)});
    for (const auto& g : areas.geometry) options.locator.push_back({g.get(), "#eee", "#bbb", 0.3, ""});
    options.locator.push_back({t.geometry.get(), "#0033cc", "#0033cc", 1, ""});
    return svg_map(shapes, 680,
                   {{"#dbe6ff", fmt::format("candidate {}: {}", k + 1, target_place(o, k)), "#0033cc", 3},
                    {"#d7301f", fmt::format("Incidents of {}, {} to {} (police.uk map points)", group_phrase(o), e.window.from.str(), e.window.to.str())},
                    {"none", assets.has_streets ? "streets (--streets)" : "street names placed at police.uk's map points", "#bbb", 1.2}},
                   nullptr, "", &options);
}

/// The density surface rendered under the areas' outlines.
std::string density_map(const BidOutputs& o) {
    const kde::Surface& surface = o.evidence.density;
    std::vector<float> positive;
    for (float v : surface.value)
        if (v != kde::nodata && v > 0) positive.push_back(v);
    std::sort(positive.begin(), positive.end());
    const auto quantile = [&](double q) {
        return positive.empty() ? 0.0 : static_cast<double>(positive[std::min(positive.size() - 1, static_cast<size_t>(q * static_cast<double>(positive.size())))]);
    };
    const std::vector<std::pair<double, std::string>> ramp = {{0, "255 255 255 0"},
                                                              {quantile(0.5), "255 255 178 160"},
                                                              {quantile(0.8), "254 204 92 200"},
                                                              {quantile(0.95), "253 141 60 220"},
                                                              {quantile(0.99), "240 59 32 235"},
                                                              {static_cast<double>(positive.empty() ? 1.0f : positive.back()), "189 0 38 255"}};
    const MapImage image{render_raster_png(surface.grid, surface.value, kde::nodata, ramp), surface.grid.extent()};
    std::vector<MapShape> outlines;
    for (const auto& g : o.study.areas.geometry) outlines.push_back({g.get(), "none", "#999", 0.3, ""});
    outlines.push_back({o.evidence.targets.front().geometry.get(), "none", "#0033cc", 3, "top candidate"});
    return svg_map(outlines, 760,
                   {{"#fd8d3c", fmt::format("quartic kernel, bandwidth {:.0f} m, {:g} m cells; darker = denser", surface.bandwidth, surface.grid.cell)},
                    {"none", "top candidate", "#0033cc", 3}},
                   &image, "Rendered with GDAL's colour relief from the density surface in the GeoPackage.");
}

std::string trend_charts(const BidOutputs& o) {
    const bid::MonthlySeries& s = o.evidence.monthly;
    std::vector<std::string> labels;
    for (Month m : s.months) labels.push_back(m.str());
    const std::string comparison = o.compare_by.empty() ? "all areas" : o.options.compare_group[o.evidence.targets.front().areas.front()];
    std::string charts;
    for (size_t k = 0; k < o.evidence.group_types.size(); ++k) {
        std::vector<double> tr(labels.size()), cr(labels.size());
        for (size_t m = 0; m < labels.size(); ++m) tr[m] = 1000 * s.target[k][m] / s.target_population, cr[m] = 1000 * s.comparison[k][m] / s.comparison_population;
        charts += svg_line_chart(std::string(o.study.crimes.types.name(o.evidence.group_types[k])), labels,
                                 {{"top candidate", "#0033cc", tr, false}, {comparison, "#999999", cr, true}}, "per 1,000 residents a month", 370, 240);
    }
    return charts;
}

/// The plan's value to society, an estimate: the crimes it is expected to prevent in a year, by
/// type, times what one crime of that type costs (--costs [crime_costs]), against its cost.
TemplateData value_for_money(const BidOutputs& o, const plan::Plan& pl) {
    const design::DesignOutPlan& d = *o.plan;
    const design::DesignOutModel& m = *o.model;
    TemplateData v;
    if (m.crime_costs.empty()) {
        v.set("missing", true);
        return v;
    }
    const CrimeTypes& types = o.study.crimes.types;
    const auto by_type = plan::prevented_by_type(d.candidates, pl.chosen, o.top->incidents.type);
    const double year = 12.0 / o.evidence.window.span; // the months analysed, as a year
    std::vector<std::vector<std::string>> rows;
    double low = 0, high = 0, uncosted = 0;
    std::vector<std::string> without;
    for (const auto& [type, n] : by_type) {
        const std::string name(types.name(type));
        const auto c = std::find_if(m.crime_costs.begin(), m.crime_costs.end(), [&](const plan::CrimeCost& x) { return x.type == name; });
        const double per_year = n * year;
        if (c == m.crime_costs.end()) {
            uncosted += per_year;
            without.push_back(name);
            rows.push_back({name, fmt::format("{:.2f}", per_year), "no cost given", "not counted"});
            continue;
        }
        low += per_year * c->low, high += per_year * c->high;
        rows.push_back({name, fmt::format("{:.2f}", per_year), c->low == c->high ? money(c->low) : money(c->low) + " to " + money(c->high),
                        c->low == c->high ? money(per_year * c->low) : money(per_year * c->low) + " to " + money(per_year * c->high)});
    }
    rows.push_back({"all", fmt::format("{:.2f}", pl.prevented * year), "", low == high ? money(low) : money(low) + " to " + money(high)});
    v.set("value_table", table_data({"crime type", "crimes prevented a year (expected)", "cost of one crime", "value a year"}, rows,
                              "The plan's value to society a year, an estimate"));
    v.set("benefit", low == high ? money(low) : money(low) + " to " + money(high));
    v.set("cost", money(pl.cost));
    v.set("ratio", pl.cost > 0 ? (low == high ? fmt::format("{:.2f}", low / pl.cost) : fmt::format("{:.2f} to {:.2f}", low / pl.cost, high / pl.cost)) : "");
    v.set("source", m.crime_costs_source.empty() ? "the --costs file (no source given)" : m.crime_costs_source);
    if (!without.empty()) v.set("without", fmt::format("{} ({:.2f} crimes a year)", and_list(without), uncosted));
    return v;
}

TemplateData plan_data(const BidOutputs& o) {
    const design::DesignOutPlan& d = *o.plan;
    const Areas& top = o.top->areas;
    const bid::BidEvidence& e = o.evidence;
    TemplateData p;
    double area_m2 = 0, lit_m2 = 0, seen_m2 = 0;
    for (size_t a = 0; a < top.size(); ++a) {
        const double m2 = geos::area(top.geometry[a].get());
        area_m2 += m2;
        if (!d.area_lit.empty()) lit_m2 += m2 * d.area_lit[a];
        if (!d.area_seen.empty()) seen_m2 += m2 * d.area_seen[a];
    }
    const AssetSet& assets = o.study.assets;
    std::vector<std::string> now;
    if (assets.has_lighting)
        now.push_back(fmt::format("{} of its area is within reach of a working street light ({} its extent)", percent(lit_m2 / area_m2),
                                  part_of_whole(d.lit.shapes_used, d.light_count, "the", {"light read", "lights read"}, {"reaches", "reach", "does not reach"})));
    else
        now.push_back("no street-lighting layer was given, so lighting is not planned");
    if (assets.has_cctv)
        now.push_back(fmt::format("{} is in view of CCTV ({} into its extent)", percent(seen_m2 / area_m2),
                                  part_of_whole(d.seen.shapes_used, d.camera_count, "the", {"camera read", "cameras read"}, {"sees", "see", "does not see"})));
    else
        now.push_back("no CCTV layer was given, so CCTV is not planned");
    if (assets.has_paths) {
        size_t alleys = 0, gated_alleys = 0;
        for (size_t s = 0; s < d.network.segments.size(); ++s)
            if (d.network.segments[s].kind == "alley") ++alleys, gated_alleys += d.gated[s];
        const size_t burglaries = d.addressed_total[d.GATE];
        now.push_back(fmt::format("{} {} it, {} gated; {}", plural(alleys, "alley segment", "alley segments"), alleys == 1 ? "reaches" : "reach", gated_alleys,
                                  burglaries == 0 ? std::string("no burglary was recorded in it")
                                                  : fmt::format("{} within {:g} m of an alley",
                                                                part_of_whole(d.burglaries_near_alleys, burglaries, "its", {"burglary", "burglaries"},
                                                                              {"lies", "lie", "does not lie"}),
                                                                o.model->path_reach)));
    } else {
        now.push_back("no path layer was given, so alley gating is not planned");
    }
    p.set("codes", fmt::format("{}", fmt::join(top.code, ", ")));
    p.set("crimes", grouped(static_cast<double>(o.top->incidents.size())));
    p.set("from", e.window.from.str());
    p.set("to", e.window.to.str());
    p.set("now", fmt::format("{}", fmt::join(now, "; ")));
    if (d.with_budget) {
        const plan::Plan& pl = d.chosen_plan;
        std::map<std::string, size_t> by_kind;
        for (size_t i : pl.chosen) ++by_kind[d.table[d.candidates[i].intervention].label];
        std::vector<std::string> kinds;
        for (const auto& [label, n] : by_kind) kinds.push_back(fmt::format("{} {}", n, label));
        TemplateData b;
        b.set("budget", money(*o.model->budget));
        b.set("summary", fmt::format("{} intervention{} ({}) costing {}, expected to prevent about {:.1f} crimes over a period as long as the {} months analysed (each "
                                     "crime counted once, however many interventions address it). Method: {}.{}",
                                     pl.chosen.size(), pl.chosen.size() == 1 ? "" : "s", kinds.empty() ? "none fits" : fmt::format("{}", fmt::join(kinds, ", ")),
                                     money(pl.cost), pl.prevented, e.window.span, pl.method,
                                     !pl.exact && pl.upper_bound > 0 ? fmt::format(" No plan can prevent more than {:.1f}, so this one is within {:.1f} % of the best.",
                                                                                   pl.upper_bound, 100 * (1 - pl.prevented / pl.upper_bound))
                                                                     : ""));
        b.set("value", value_for_money(o, pl));
        p.set("budget", b);
    }
    std::vector<std::vector<std::string>> rows;
    std::vector<size_t> drawn;
    for (size_t i : o.plan_shown) {
        const plan::Candidate& c = d.candidates[i];
        if (d.with_budget && d.plan_order[i] == 0) continue;
        rows.push_back({d.with_budget ? std::to_string(d.plan_order[i]) : "", d.table[c.intervention].label, candidate_place(d, i), std::to_string(c.crimes.size()),
                        fmt::format("{:.1f}", plan::prevented_alone(c)), money(c.cost), candidate_reason(d, *o.model, o.study.crimes.types, i, months_analysed(e))});
        drawn.push_back(i);
    }
    if (!d.with_budget && rows.size() > 10) rows.resize(10);
    p.set("plan_table", table_data({d.with_budget ? "order" : "", "intervention", "where", "crimes addressed", "prevented (alone)", "cost", "why"}, rows,
                              d.with_budget ? "The plan, best value per pound first" : "The 10 best interventions by crimes prevented per pound (give --budget for a plan)"));
    // Map: the target, its areas, and each intervention shown.
    std::vector<MapShape> shapes;
    for (const auto& g : top.geometry) shapes.push_back({g.get(), "#f7f7f7", "#888", 0.8, ""});
    const std::map<std::string, std::string> colour{{"lighting", "#fec44f"}, {"cctv", "#3182bd"}, {"gating", "#31a354"}, {"target_hardening", "#a50f15"}};
    for (size_t i : drawn) {
        const plan::Candidate& c = d.candidates[i];
        MapShape m;
        m.geometry = d.info[i].point.get();
        const auto it = colour.find(d.table[c.intervention].key);
        m.fill = it == colour.end() ? "#666" : it->second;
        m.stroke = "#222";
        m.stroke_width = 0.8;
        m.radius = 5;
        m.title = fmt::format("{} at {}: {}", d.table[c.intervention].label, candidate_place(d, i), money(c.cost));
        shapes.push_back(m);
    }
    shapes.push_back({e.targets.front().geometry.get(), "none", "#0033cc", 2.5, "top candidate"});
    std::vector<LegendItem> legend;
    for (const auto& spec : d.table)
        if (colour.count(spec.key)) legend.push_back({colour.at(spec.key), spec.label});
    p.set("map", svg_map(shapes, 600, legend, nullptr,
                         fmt::format("{} in the top candidate; points are the centres of {:g} m cells or the middle of alley segments.",
                                     d.with_budget ? "The planned interventions" : "The best interventions", d.grid.cell)));
    return p;
}

TemplateData methods_data(const BidOutputs& o, TemplateData& page) {
    const bid::BidEvidence& e = o.evidence;
    // Its own sentence: the descriptions hold parentheses of their own ("Neighbourhood crime (Home
    // Office Safer Streets): ..."), which inside another pair read as a nested aside.
    page.set("group_sentence", as_sentence(e.groups[e.group].description));
    // The title block names the group by what it counts; its description follows unless it only
    // says the same ("violence and sexual offences. Violence and sexual offences.").
    if (lower_trim(e.groups[e.group].description) != crime_phrase(e.groups[e.group])) page.set("title_group_sentence", as_sentence(e.groups[e.group].description));
    page.set("span", std::to_string(e.window.span));
    page.set("data_from", e.window.data_first.str());
    page.set("data_to", e.window.data_last.str());
    if (!o.compare_by.empty()) page.set("compare_by", o.compare_by);
    page.set("change_rule", change_rule(e));
    if (!e.gi_error.empty()) page.set("gi_error", e.gi_error);
    page.set("max_areas", std::to_string(o.options.targets.max_areas));
    page.set("max_population", grouped(o.options.targets.max_population));
    page.set("min_population", grouped(o.options.targets.min_population));
    page.set("bandwidth", fmt::format("{:.0f}", e.density.bandwidth));
    page.set("bandwidth_rule", e.density.bandwidth_fallback ? "(fixed, as the incidents are all at one place)"
                                                            : "by ArcGIS's rule 0.9 min(SD, sqrt(1/ln 2) Dm) n^(-1/5)");
    page.set("cell", fmt::format("{:g}", e.density.grid.cell));
    page.set("crs", o.study.working_crs);
    page.set("transform", o.study.crimes.transform_operation);
    if (o.plan) {
        const design::DesignOutPlan& d = *o.plan;
        TemplateData m;
        m.set("cell", fmt::format("{:g}", d.grid.cell));
        m.set("height_factor", fmt::format("{:g}", o.model->light_rule.height_factor));
        m.set("light_radius", fmt::format("{:g}", o.model->light_rule.default_radius));
        m.set("camera_range", fmt::format("{:.1f}", d.default_range));
        m.set("path_reach", fmt::format("{:g}", o.model->path_reach));
        if (!o.costs_path.empty()) m.set("costs_file", o.costs_path);
        TemplateData effects = TemplateData::type::list;
        std::vector<size_t> with_effect;
        for (size_t k = 0; k < d.table.size(); ++k)
            if (d.table[k].effect > 0) with_effect.push_back(k);
        for (size_t j = 0; j < with_effect.size(); ++j) {
            const plan::InterventionSpec& spec = d.table[with_effect[j]];
            TemplateData x;
            x.set("label", spec.label);
            x.set("percent", fmt::format("{:.0f}", 100 * spec.effect));
            x.set("types", type_list(d, with_effect[j]));
            x.set("source", spec.effect_source);
            x.set("cost", money(spec.unit_cost));
            x.set("unit", spec.unit);
            x.set("cost_source", spec.cost_source);
            x.set("last", j + 1 == with_effect.size());
            effects.push_back(x);
        }
        m.set("effects", effects);
        if (d.with_budget) m.set("budget", TemplateData{"budget", money(*o.model->budget)}), m.set("method", d.chosen_plan.method);
        return m;
    }
    return TemplateData(false);
}

/// "Bristol 032B (123.3), then + Bristol 032A (80.1)": the order the cluster took its areas in.
std::string growth_words(const BidOutputs& o, const bid::Target& t) {
    const Areas& areas = o.study.areas;
    std::vector<std::string> steps;
    for (size_t i = 0; i < t.candidate.grown.size(); ++i) {
        const size_t a = t.candidate.grown[i];
        steps.push_back(fmt::format("{}{} ({})", i ? "+ " : "from ", areas.name[a].empty() ? areas.code[a] : areas.name[a],
                                    grouped(annual_rate(o.evidence, t.candidate.grown_rate[i]), 1)));
    }
    return fmt::format("{}", fmt::join(steps, ", "));
}

/// The target's rate beside its district's, the whole input's and the national rate, by name.
TemplateData comparison_table(const BidOutputs& o) {
    const bid::BidEvidence& e = o.evidence;
    const bid::Target& t = e.targets.front();
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"top candidate: " + target_place(o, 0), grouped(t.candidate.count), grouped(t.candidate.population), grouped(annual_rate(e, t.candidate.rate), 1), "1.0"});
    if (!o.compare_by.empty() && !o.options.compare_group[t.areas.front()].empty()) {
        double count = 0, population = 0;
        for (size_t a = 0; a < o.study.areas.size(); ++a)
            if (o.options.compare_group[a] == o.options.compare_group[t.areas.front()] && o.study.areas.population[a] > 0)
                count += static_cast<double>(e.group_stats().count[a]), population += o.study.areas.population[a];
        rows.push_back({fmt::format("{} ({})", o.options.compare_group[t.areas.front()], o.compare_by), grouped(count), grouped(population),
                        grouped(annual_rate(e, t.comparison_rate), 1), fmt::format("{:.1f}", t.candidate.rate / t.comparison_rate)});
    }
    double count = 0, population = 0;
    for (size_t a = 0; a < o.study.areas.size(); ++a)
        if (o.study.areas.population[a] > 0) count += static_cast<double>(e.group_stats().count[a]), population += o.study.areas.population[a];
    rows.push_back({fmt::format("all {} areas of the input", grouped(static_cast<double>(o.study.areas.size()))), grouped(count), grouped(population),
                    grouped(annual_rate(e, e.input_rate), 1), fmt::format("{:.1f}", t.candidate.rate / e.input_rate)});
    if (o.national_rate)
        rows.push_back({o.national_label + " (given with --national-rate)", "", "", grouped(*o.national_rate, 1),
                        fmt::format("{:.1f}", annual_rate(e, t.candidate.rate) / *o.national_rate)});
    return table_data({"area", fmt::format("{} incidents", group_name(o)), "residents", annual_words(e), "top candidate's rate is this many times it"}, rows,
                      "The top candidate against the areas it is compared with");
}

/// The ten highest rates: whether each area was put forward, and why not.
TemplateData footfall_data(const BidOutputs& o) {
    const bid::BidEvidence& e = o.evidence;
    const Areas& areas = o.study.areas;
    const GroupColumns& gs = e.group_stats();
    std::vector<size_t> order;
    for (size_t a = 0; a < areas.size(); ++a)
        if (gs.rank[a] > 0) order.push_back(a);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return gs.rank[a] != gs.rank[b] ? gs.rank[a] < gs.rank[b] : a < b; });
    if (order.size() > 10) order.resize(10);
    std::vector<int> candidate_of(areas.size(), 0);
    for (size_t k = 0; k < e.targets.size(); ++k)
        for (size_t a : e.targets[k].areas) candidate_of[a] = static_cast<int>(k + 1);
    std::vector<std::vector<std::string>> rows;
    size_t flagged = 0;
    for (size_t a : order) {
        std::vector<std::string> flags;
        if (e.footfall[a] && e.town_centre_share[a] > bid::footfall_share)
            flags.push_back(fmt::format("{} of its crime is shoplifting or theft from the person, typical of a town centre", percent(e.town_centre_share[a])));
        if (e.footfall[a] && e.place_share[a] > bid::place_share)
            flags.push_back(fmt::format("{} of its crime was recorded at shops, car parks, nightclubs and other places people visit", percent(e.place_share[a])));
        if (e.footfall[a] && e.all_rate[a] > bid::rate_multiple * e.typical_all_rate)
            flags.push_back(fmt::format("{} crimes of all kinds per 1,000 residents, {:.0f} times the typical area's {}: far more than its residents account for",
                                        grouped(annual_rate(e, e.all_rate[a]), 0), e.all_rate[a] / e.typical_all_rate, grouped(annual_rate(e, e.typical_all_rate), 0)));
        if (e.few_residents[a]) flags.push_back(fmt::format("{} residents, under half the typical area's {}", grouped(areas.population[a]), grouped(e.typical_population)));
        flagged += !flags.empty();
        std::string status;
        if (candidate_of[a]) status = fmt::format("in candidate {}", candidate_of[a]);
        else if (o.options.residential_only && !flags.empty()) status = "left out with --residential-only";
        else status = fmt::format("not in any of the {} candidates listed: the clusters it could form ranked lower, or shared an area with a higher one", e.targets.size());
        rows.push_back({std::to_string(gs.rank[a]), fmt::format("{} ({})", areas.name[a], areas.code[a]), grouped(areas.population[a]),
                        grouped(static_cast<double>(gs.count[a])), grouped(annual_rate(e, gs.rate[a]), 1),
                        std::isfinite(e.town_centre_share[a]) ? percent(e.town_centre_share[a]) : "", flags.empty() ? "" : fmt::format("{}", fmt::join(flags, "; ")), status});
    }
    TemplateData d;
    d.set("areas_table", table_data({"rank", "area", "residents", "incidents", "per 1,000 a year", "shoplifting and theft from the person", "caveat", "put forward?"}, rows,
                              "The ten highest rates, and whether each was put forward"));
    d.set("flagged", std::to_string(flagged));
    d.set("residential_only", o.options.residential_only);
    d.set("typical", grouped(e.typical_population));
    return d;
}

} // namespace

std::string change_rule(const bid::BidEvidence& e) {
    const bid::ChangeWindows& c = e.change;
    const int span = e.window.span;
    if (c.full)
        return fmt::format("the {} months {} to {} against the {} before ({} to {})", span, e.window.from.str(), e.window.to.str(), span,
                           c.before_from.str(), c.before_to.str());
    const int half = span / 2;
    return fmt::format("the later {} months ({} to {}) against the earlier {} ({} to {}), as the data does not cover the {} months before {}{}", half,
                       c.after_from.str(), c.after_to.str(), half, c.before_from.str(), c.before_to.str(), span, e.window.from.str(),
                       span % 2 ? fmt::format("; the middle month, {}, is in neither", Month{e.window.from.index + half}.str()) : "");
}

std::string change_words(const bid::BidEvidence& e, double before, double after, double p) {
    const bid::ChangeWindows& c = e.change;
    std::string words = fmt::format("{} in {} to {} against {} in {} to {}", grouped(after), c.after_from.str(), c.after_to.str(), grouped(before),
                                    c.before_from.str(), c.before_to.str());
    if (before > 0) {
        const double pct = 100 * (after - before) / before;
        words += fmt::format(": {} {:.0f} %", pct >= 0 ? "up" : "down", std::abs(pct));
    } else {
        words += after > 0 ? ": none before" : ": none in either";
    }
    if (std::isfinite(p))
        words += fmt::format(" (exact test of the two counts, p = {}: {} at the 5 % level)", p < 0.001 ? std::string("< 0.001") : fmt::format("{:.3f}", p),
                             p < 0.05 ? "a significant change" : "not a significant change");
    if (before < bid::small_count || after < bid::small_count) words += "; these counts are small, so the percentage change says little";
    return words;
}

std::string target_place(const BidOutputs& o, size_t k) {
    const Areas& areas = o.study.areas;
    const bid::Target& t = o.evidence.targets[k];
    std::vector<std::string> names, codes;
    for (size_t a : t.areas) names.push_back(areas.name[a].empty() ? areas.code[a] : areas.name[a]), codes.push_back(areas.code[a]);
    if (names == codes) return and_list(codes);
    return fmt::format("{} ({})", and_list(names), fmt::join(codes, ", "));
}

std::string target_streets(const bid::Target& t, size_t n) {
    std::vector<std::string> streets;
    for (size_t i = 0; i < std::min(n, t.streets.size()); ++i) streets.push_back(t.streets[i].first);
    return and_list(streets);
}

double annual_rate(const bid::BidEvidence& e, double rate) { return rate * 12.0 / e.window.span; }

std::string annual_words(const bid::BidEvidence& e) {
    return e.window.span == 12 ? "per 1,000 residents a year" : fmt::format("per 1,000 residents a year (annualised from the {} months analysed)", e.window.span);
}

std::string comparison_words(const BidOutputs& o, size_t k) {
    const bid::BidEvidence& e = o.evidence;
    const bid::Target& t = e.targets[k];
    const double rate = t.candidate.rate;
    std::vector<std::string> parts;
    const bool district = !o.compare_by.empty() && !o.options.compare_group[t.areas.front()].empty();
    if (district) parts.push_back(fmt::format("{} {} ({})", times(rate / t.comparison_rate), compare_name(o, t.areas.front()), grouped(annual_rate(e, t.comparison_rate), 1)));
    parts.push_back(fmt::format("{} the rate across all {} areas of the input ({})", times(rate / e.input_rate), grouped(static_cast<double>(o.study.areas.size())),
                                grouped(annual_rate(e, e.input_rate), 1)));
    const std::string ranked = grouped(static_cast<double>(ranked_areas(e)));
    if (t.input_percentile >= 100)
        parts.push_back(fmt::format("a rate at or above that of every one of the {} areas of the input with residents", ranked));
    else if (std::isfinite(t.input_percentile))
        parts.push_back(fmt::format("a rate {} among the {} areas of the input with residents ({:.1f} % of them have a rate at or below it)",
                                    percentile_words(t.input_percentile), ranked, t.input_percentile));
    if (o.national_rate)
        parts.push_back(fmt::format("{} the {} rate ({}, as given with --national-rate)", times(annual_rate(e, rate) / *o.national_rate), o.national_label,
                                    grouped(*o.national_rate, 1)));
    return and_list(parts);
}

std::string months_analysed(const bid::BidEvidence& e) {
    return fmt::format("{} months ({} to {})", e.window.span, e.window.from.str(), e.window.to.str());
}

std::string target_reason(const BidOutputs& o, size_t k) {
    const bid::BidEvidence& e = o.evidence;
    const bid::Target& t = e.targets[k];
    const TargetCandidate& c = t.candidate;
    const std::string streets = target_streets(t);
    return fmt::format("{}{}: {} residents in {} LSOA{}; {} incident{} of {} in {} months ({} {}), {}; {}", target_place(o, k),
                       streets.empty() ? "" : ", around " + streets, grouped(c.population), t.areas.size(), t.areas.size() == 1 ? "" : "s", grouped(c.count),
                       c.count == 1 ? "" : "s", group_phrase(o), e.window.span, grouped(annual_rate(e, c.rate), 1), annual_words(e), comparison_words(o, k),
                       t.best_bin <= 0           ? "not a significant Gi* hot spot"
                       : t.areas.size() == 1 ? fmt::format("hot at {} (Gi*)", confidence_text(t.best_bin))
                                             : fmt::format("hot at {} (Gi*) in {}", confidence_text(t.best_bin),
                                                           part_of_whole(t.at_best_bin, t.areas.size(), "its", {"LSOA", "LSOAs"}, {})));
}

Table bid_areas_table(const BidOutputs& o) {
    const bid::BidEvidence& e = o.evidence;
    const Areas& areas = o.study.areas;
    const std::string& group = group_name(o);
    Table t = areas_table(areas, e.stats,
                          fmt::format("Areas with crime counts and rates ({} to {}), ratios, ranks, change, Gi* and IMD decile", e.window.from.str(), e.window.to.str()));
    for (size_t k = 0; k < e.group_types.size(); ++k) {
        const std::string_view type = o.study.crimes.types.name(e.group_types[k]);
        t.columns.push_back(Column::real("type_" + layer_name_part(type) + "_count", fmt::format("{} in the months analysed", type), e.type_count[k]));
    }
    t.columns.push_back(Column::real("burglary_per_1000_households", "Burglaries per 1,000 households, where households are given", e.burglary_per_household));
    t.columns.push_back(Column::real(group + "_before", "Incidents of the group in the earlier comparison window", e.before));
    t.columns.push_back(Column::real(group + "_after", "Incidents of the group in the later comparison window", e.after));
    t.columns.push_back(Column::real(group + "_change_pct", "100 (after - before) / before; empty when before is 0", e.change_pct));
    t.columns.push_back(Column::real(group + "_change_p", "Two-sided p of the exact conditional test of after against before (as R's poisson.test)", e.change_p));
    t.columns.push_back(Column::real("town_centre_share", "Shoplifting and theft from the person as a share of all crime, 0..1", e.town_centre_share));
    t.columns.push_back(Column::real("place_share", "Share of all crime recorded at police.uk's non-residential map points (supermarkets, car parks, nightclubs...), 0..1",
                                     e.place_share));
    std::vector<int64_t> footfall(e.footfall.begin(), e.footfall.end()), few(e.few_residents.begin(), e.few_residents.end());
    t.columns.push_back(Column::integer("footfall", "1 where crime looks like footfall: town-centre types over half, over 30 % at places people visit, or all crime per "
                                                    "resident over 5 times the median area's",
                                        footfall));
    t.columns.push_back(Column::integer("few_residents", "1 where residents are under half the median area's", few));
    t.columns.push_back(Column::real("gi_z", fmt::format("Gi* z of the {} rate, queen contiguity", group), e.gi_z));
    t.columns.push_back(Column::real("gi_p", "Two-sided p of gi_z", e.gi_p));
    t.columns.push_back(Column::integer("gi_bin", "Esri Gi_Bin: +-3, 2, 1 = hot/cold at 99, 95, 90 %", e.gi_bin, e.gi_null));
    std::vector<std::string> imd = o.imd_decile, compare = o.options.compare_group;
    imd.resize(areas.size()), compare.resize(areas.size());
    std::vector<uint8_t> no_imd(areas.size()), no_group(areas.size());
    for (size_t a = 0; a < areas.size(); ++a) no_imd[a] = imd[a].empty(), no_group[a] = compare[a].empty();
    t.columns.push_back(Column::text("imd_decile", "IMD 2019 decile (1 = most deprived 10 %)", imd, no_imd));
    t.columns.push_back(Column::text("compare_group", o.compare_by.empty() ? "Comparison area (all areas)" : "Comparison area: " + o.compare_by, compare, no_group));
    return t;
}

Table target_areas_table(const BidOutputs& o) {
    const bid::BidEvidence& e = o.evidence;
    Table t;
    t.name = "target_areas";
    t.description = fmt::format("Target-area candidates: contiguous clusters of up to {} LSOAs with {} to {} residents, ranked by {} rate", o.options.targets.max_areas,
                                grouped(o.options.targets.min_population), grouped(o.options.targets.max_population), group_name(o));
    t.geometry_kind = GeometryKind::polygon;
    std::vector<int64_t> rank_rate, rank_count, n_areas;
    std::vector<double> pop, count, rate, ratio, pct;
    std::vector<std::string> codes, reason;
    for (size_t k = 0; k < e.targets.size(); ++k) {
        const bid::Target& x = e.targets[k];
        t.geometry.push_back(x.geometry.get());
        rank_rate.push_back(static_cast<int64_t>(x.candidate.rank_by_rate));
        rank_count.push_back(static_cast<int64_t>(x.candidate.rank_by_count));
        n_areas.push_back(static_cast<int64_t>(x.areas.size()));
        pop.push_back(x.candidate.population), count.push_back(x.candidate.count), rate.push_back(x.candidate.rate), ratio.push_back(x.candidate.rate / x.comparison_rate);
        pct.push_back(x.input_percentile);
        codes.push_back(codes_of(o.study.areas, x.areas, ","));
        reason.push_back(target_reason(o, k));
    }
    t.columns.push_back(Column::integer("rank", "Rank by rate per 1,000 residents", rank_rate));
    t.columns.push_back(Column::integer("rank_by_count", "Rank by number of incidents", rank_count));
    t.columns.push_back(Column::text("codes", "LSOA codes in the cluster", codes));
    t.columns.push_back(Column::integer("areas", "LSOAs in the cluster", n_areas));
    t.columns.push_back(Column::real("population", "Residents", pop));
    t.columns.push_back(Column::real("count", fmt::format("{} incidents, {} to {}", group_name(o), e.window.from.str(), e.window.to.str()), count));
    t.columns.push_back(Column::real("rate", "Per 1,000 residents", rate));
    t.columns.push_back(Column::real("ratio", "Rate / comparison area's rate", ratio));
    t.columns.push_back(Column::real("rate_pct", fmt::format("Percentile of the rate among the {} areas of the input with residents: 100 x areas whose rate is at or below it / those areas",
                                                             ranked_areas(e)),
                                     pct));
    t.columns.push_back(Column::text("reason", "Why it is a candidate", reason));
    return t;
}

Table plan_table(const BidOutputs& o) {
    Table t = recommendations_table(*o.plan, *o.model, o.study.crimes.types, o.plan_shown, "target_interventions", months_analysed(o.evidence));
    t.description = fmt::format("Interventions for the top target-area candidate ({}): every candidate, best crimes prevented per pound first{}; costs and their sources in the methods",
                                fmt::join(o.top->areas.code, ", "), o.plan->with_budget ? ", with the budget plan" : "");
    return t;
}

std::string monthly_csv(const BidOutputs& o) {
    const bid::MonthlySeries& s = o.evidence.monthly;
    std::string csv = csv_line({"month", "crime_type", "target_count", "target_rate_per_1000", "comparison_count", "comparison_rate_per_1000"});
    for (size_t k = 0; k < o.evidence.group_types.size(); ++k)
        for (size_t m = 0; m < s.months.size(); ++m)
            csv += csv_line({s.months[m].str(), csv_text(o.study.crimes.types.name(o.evidence.group_types[k])), csv_number(s.target[k][m]),
                             csv_number(1000 * s.target[k][m] / s.target_population), csv_number(s.comparison[k][m]),
                             csv_number(1000 * s.comparison[k][m] / s.comparison_population)});
    return csv;
}

Table target_streets_table(const BidOutputs& o) {
    const bid::TargetStreets& st = *o.streets;
    const bid::BidEvidence& e = o.evidence;
    Table t;
    t.name = "target_streets";
    t.description = fmt::format("Street segments of the top target-area candidate (their middle in its LSOAs), busiest first: {} {} to {} on each "
                                "(nearest segment within {:g} m), network density and Gi* over every segment",
                                group_phrase(o), e.window.from.str(), e.window.to.str(), st.options.tolerance);
    t.geometry_kind = GeometryKind::line;
    std::vector<int64_t> rank;
    for (size_t k = 0; k < st.top.size(); ++k) rank.push_back(static_cast<int64_t>(k + 1));
    t.columns.push_back(Column::integer("rank", "1 = the most incidents (then the highest density)", rank));
    append_segment_columns(t, st.segments, st.top);
    return t;
}

/// The top candidate's busiest streets for the report (with --streets).
TemplateData streets_data(const BidOutputs& o) {
    const bid::TargetStreets& st = *o.streets;
    TemplateData d;
    d.set("tolerance", fmt::format("{:g}", st.options.tolerance));
    d.set("method", segments_method_sentence(st.options));
    if (!st.error.empty()) {
        d.set("error", st.error);
        return d;
    }
    const size_t with_crime = static_cast<size_t>(std::count_if(st.top.begin(), st.top.end(), [&](size_t s) { return st.segments.count[s] > 0; }));
    if (st.top.empty() || with_crime == 0) {
        d.set("none", true);
        return d;
    }
    double in_top = 0, top_total = 0;
    for (size_t s : st.top) top_total += st.segments.count[s];
    const size_t shown = std::min<size_t>(10, with_crime);
    for (size_t k = 0; k < shown; ++k) in_top += st.segments.count[st.top[k]];
    d.set("summary", fmt::format("{} street segments have their middle in the top candidate. {} incidents of {} count on them (each on its nearest "
                                 "segment within {:g} m, so this can differ from the count by LSOA), {} on the {} busiest. The busiest: {}.",
                                 st.top.size(), grouped(top_total), group_phrase(o), st.options.tolerance, grouped(in_top), shown,
                                 segment_sentence(st.segments, st.top.front())));
    std::vector<std::vector<std::string>> rows;
    for (size_t k = 0; k < shown; ++k) rows.push_back(segment_report_row(st.segments, st.top[k]));
    d.set("streets_table", table_data(segment_report_header(), rows,
                                      fmt::format("The top candidate's busiest street segments ({}, {} to {}; all are in the target_streets layer)",
                                                  group_phrase(o), o.evidence.window.from.str(), o.evidence.window.to.str())));
    return d;
}

std::string bid_report_html(const BidOutputs& o) {
    const bid::BidEvidence& e = o.evidence;
    const Areas& areas = o.study.areas;
    const GroupColumns& gs = e.group_stats();
    const std::string& group = group_name(o);
    TemplateData page;
    page.set("title", fmt::format("Safer Streets evidence: {}, {} to {}", group_phrase(o), e.window.from.str(), e.window.to.str()));
    if (!e.no_population.empty()) {
        TemplateData x;
        x.set("count", std::to_string(e.no_population.size()));
        x.set("areas", std::to_string(areas.size()));
        x.set("population_file", o.study.population_report.path);
        x.set("codes", fmt::format("{}", fmt::join(e.no_population, ", ")));
        page.set("incomplete", x);
    }
    page.set("top_reason", target_reason(o, 0));
    page.set("top_place", target_place(o, 0));
    if (const std::string streets = target_streets(e.targets.front(), bid::max_streets); !streets.empty()) page.set("top_streets", streets);
    page.set("comparisons", comparison_table(o));
    page.set("top_change", change_words(e, e.targets.front().before, e.targets.front().after, e.targets.front().change_p));
    page.set("annual_words", annual_words(e));
    page.set("footfall", footfall_data(o));
    if (!std::any_of(areas.households.begin(), areas.households.end(), [](double h) { return h > 0; }))
        page.set("no_households", true);
    page.set("total", grouped(static_cast<double>(gs.total)));
    page.set("group", group);
    page.set("group_phrase", group_phrase(o));
    page.set("group_heading", capitalised(group_phrase(o)));
    page.set("area_count", grouped(static_cast<double>(areas.size())));
    page.set("from", e.window.from.str());
    page.set("to", e.window.to.str());
    page.set("rate", fmt::format("{:.2f}", gs.comparison_rate));
    page.set("rate_map", rate_map(o));
    page.set("density_map", density_map(o));
    page.set("charts", trend_charts(o));
    std::vector<std::vector<std::string>> rows;
    for (size_t k = 0; k < e.targets.size(); ++k) {
        const bid::Target& t = e.targets[k];
        const TargetCandidate& c = t.candidate;
        rows.push_back({std::to_string(c.rank_by_rate), target_place(o, k), target_streets(t), grouped(c.population), grouped(c.count),
                        grouped(annual_rate(e, c.rate), 1), fmt::format("{:.2f}", c.rate / t.comparison_rate), growth_words(o, t),
                        change_words(e, t.before, t.after, t.change_p)});
    }
    {
        const std::vector<geos::Geometry> dots = group_points(o);
        TemplateData maps = TemplateData::type::list;
        for (size_t k = 0; k < std::min<size_t>(e.targets.size(), 3); ++k) {
            TemplateData m;
            m.set("title", fmt::format("Candidate {}: {}", k + 1, target_place(o, k)));
            m.set("map", candidate_map(o, k, dots));
            maps.push_back(m);
        }
        page.set("candidate_maps", maps);
    }
    page.set("targets", table_data({"rank", "LSOAs", "most incidents recorded on or near", "residents", "incidents",
                                    fmt::format("per 1,000 a year"), "ratio", "how the cluster grew (rate a year after each step)", "change"},
                                   rows));
    if (o.plan) page.set("plan", plan_data(o));
    if (o.streets) page.set("streets", streets_data(o));
    std::vector<size_t> order;
    for (size_t a = 0; a < areas.size(); ++a)
        if (gs.rank[a] > 0) order.push_back(a);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return gs.rank[a] != gs.rank[b] ? gs.rank[a] < gs.rank[b] : a < b; });
    rows.clear();
    for (size_t k = 0; k < std::min<size_t>(20, order.size()); ++k) {
        const size_t a = order[k];
        std::string change = std::isfinite(e.change_pct[a]) ? fmt::format("{:+.0f} %", e.change_pct[a]) : "";
        if (std::isfinite(e.change_p[a])) change += e.change_p[a] < 0.001 ? " (p < 0.001)" : fmt::format(" (p = {:.2f})", e.change_p[a]);
        if (e.before[a] < bid::small_count || e.after[a] < bid::small_count) change += ", small counts";
        rows.push_back({std::to_string(gs.rank[a]), areas.code[a], areas.name[a], grouped(areas.population[a]), grouped(static_cast<double>(gs.count[a])),
                        grouped(annual_rate(e, gs.rate[a]), 1), fmt::format("{:.2f}", gs.ratio[a]), fmt::format("{:.2f}", gs.pct[a]), change,
                        e.gi_null[a] ? "" : (e.gi_bin[a] > 0 ? "hot " : e.gi_bin[a] < 0 ? "cold " : "") + confidence_text(static_cast<int>(e.gi_bin[a])),
                        a < o.imd_decile.size() ? o.imd_decile[a] : ""});
    }
    page.set("top20", table_data({"rank", "code", "name", "residents", "incidents", "per 1,000 a year", "ratio", "percentile among the input's areas", "change (exact test)", "Gi*", "IMD decile"}, rows));
    page.set("model", methods_data(o, page));
    if (!o.plan && o.budget) page.set("budget_without_assets", TemplateData{"budget", money(*o.budget)});
    set_provenance(page, o.study, o.command_line);
    return render_template("bid_report", page);
}

} // namespace safer::layers
