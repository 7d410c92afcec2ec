#include "layers/site_output.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "engine/errors.hpp"
#include "engine/text.hpp"
#include "layers/geopackage.hpp"
#include "layers/report.hpp"
#include "layers/segments_output.hpp"
#include "layers/templates.hpp"
#include "layers/wording.hpp"

namespace safer::layers {

using namespace safer::site;

namespace {

std::string group_colour(const std::string& g) {
    if (g == "neighbourhood") return "#d7301f";
    if (g == "violence") return "#7a0177";
    if (g == "asb") return "#2c7fb8";
    if (g == "damage") return "#fe9929";
    return "#636363";
}
const char* gating_text(Gating g) { return g == Gating::gated ? "1" : g == Gating::partial ? "partial" : g == Gating::open ? "0" : ""; }
const char* gating_words(Gating g) { return g == Gating::gated ? "gated" : g == Gating::partial ? "partly gated" : g == Gating::open ? "ungated" : "gating unknown"; }
std::string gating_colour(Gating g) { return g == Gating::gated ? "#1a9641" : g == Gating::partial ? "#fdae61" : g == Gating::open ? "#d7191c" : "#555555"; }

/// "Site 000001", and "Site 1" for a site named "site 1".
std::string site_title(const std::string& id) {
    const std::string lower = id.size() >= 5 ? id.substr(0, 5) : id;
    if ((lower == "site " || lower == "Site ") && id.size() > 5) return "Site " + id.substr(5);
    return "Site " + id;
}

const plan::InterventionSpec& effect_of(const SiteOutputs& o, const char* key) {
    for (const auto& e : o.table)
        if (e.key == key) return e;
    throw std::logic_error(std::string("no intervention ") + key);
}

size_t group_index(const char* name) {
    static const std::vector<CrimeGroup> groups = builtin_crime_groups();
    for (size_t g = 0; g < groups.size(); ++g)
        if (groups[g].name == name) return g;
    return groups.size() - 1;
}

/// "Welsh & Farrington 2008": a short source inside a parenthesis, without nested brackets.
std::string cite_in_text(const std::string& source) {
    std::string s = short_source(source);
    s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '(' || c == ')'; }), s.end());
    return s;
}

/// The built-in crime groups as a report names them.
const char* group_words(const std::string& g) {
    if (g == "neighbourhood") return "Neighbourhood crime (burglary, robbery, theft from the person, vehicle crime)";
    if (g == "acquisitive") return "Acquisitive crime (neighbourhood crime, bicycle theft, shoplifting, other theft)";
    if (g == "violence") return "Violence and sexual offences";
    if (g == "asb") return "Anti-social behaviour";
    if (g == "damage") return "Criminal damage and arson";
    return "All crime";
}

bool uses_car_park(const std::vector<SiteUse>& uses) { return std::find(uses.begin(), uses.end(), SiteUse::car_park) != uses.end(); }

/// The design guides for the site's uses: "Secured by Design Homes 2023", ...
std::vector<std::string> guides_for(const std::vector<SiteUse>& uses) {
    std::vector<std::string> g;
    if (has_homes(uses)) g.emplace_back("Secured by Design Homes 2023");
    if (has_commerce(uses)) g.emplace_back("Secured by Design Commercial 2023");
    if (uses_car_park(uses)) g.emplace_back("the Safer Parking Scheme's Park Mark standard (British Parking Association)");
    return g;
}

std::string uses_words(const std::vector<SiteUse>& uses) {
    std::vector<std::string> names;
    for (SiteUse u : uses) names.emplace_back(use_name(u));
    return fmt::format("{}", fmt::join(names, ", "));
}

/// The per-site map: the rings, the LSOA boundaries, the paths near the site, the red line and
/// the incidents as dots.
std::string site_map(const SiteOutputs& o, const SiteResult& r, const std::vector<std::string>& label, std::vector<geos::Geometry>& owned) {
    GEOSContextHandle_t ctx = geos::context();
    const Areas& areas = o.study.areas;
    const Incidents& in = o.study.crimes.incidents;
    const std::vector<double>& radii = o.review.radii;
    const size_t R = radii.size();
    std::vector<MapShape> shapes;
    const Extent se = geos::extent(r.rings.ring.back().get()); // the map's frame
    for (size_t a = 0; a < areas.size(); ++a) {
        if (!geos::extent(areas.geometry[a].get()).overlaps(se)) continue;
        geos::Geometry clipped(GEOSClipByRect_r(ctx, areas.geometry[a].get(), se.min_x, se.min_y, se.max_x, se.max_y));
        if (!clipped) continue;
        owned.push_back(std::move(clipped));
        shapes.push_back({owned.back().get(), "none", "#bbbbbb", 0.7, areas.code[a]});
    }
    for (size_t k = R; k-- > 0;) shapes.push_back({r.rings.ring[k].get(), k % 2 ? "#f7f7f7" : "#eeeeee", "#999", 0.5, fmt::format("{:g} m", radii[k])});
    for (const SitePath& p : r.guardianship.paths) { // paths entering or passing the site, coloured by gating
        geos::Geometry clipped(GEOSClipByRect_r(ctx, o.review.network.segments[p.segment].geometry.get(), se.min_x, se.min_y, se.max_x, se.max_y));
        if (!clipped || GEOSisEmpty_r(ctx, clipped.get())) continue;
        owned.push_back(std::move(clipped));
        shapes.push_back({owned.back().get(), "none", gating_colour(p.gating), 2, fmt::format("path {} ({})", p.segment + 1, gating_words(p.gating))});
    }
    shapes.push_back({r.site, "none", "#d00000", 2.5, "red line"});
    for (size_t i : r.incidents) {
        owned.push_back(geos::point(in.x[i], in.y[i]));
        shapes.push_back({owned.back().get(), group_colour(label[in.type[i]]), "none", 0, std::string(o.study.crimes.types.name(in.type[i]))});
    }
    return svg_map(shapes, 560,
                   {{"none", "red line", "#d00000", 2.5},
                    {group_colour("neighbourhood"), "neighbourhood crime"},
                    {group_colour("violence"), "violence and sexual offences"},
                    {group_colour("asb"), "anti-social behaviour"},
                    {group_colour("damage"), "criminal damage and arson"},
                    {group_colour("other"), "other crime"}},
                   nullptr, fmt::format("Rings at {} m from the red line; LSOA boundaries in grey.", fmt::join(radii, ", ")));
}

/// The guardianship map: coverage, lights, path parts coloured by gating, the red line.
std::string guardianship_map(const SiteOutputs& o, const SiteResult& r, std::vector<geos::Geometry>& owned) {
    const SiteGuardianship& gu = r.guardianship;
    const SiteStudy& v = o.review;
    std::vector<MapShape> shapes;
    owned.push_back(geos::checked(GEOSBuffer_r(geos::context(), r.site, guard_distance, 64), "buffer"));
    shapes.push_back({owned.back().get(), "none", "#999", 0.8, fmt::format("{:g} m", guard_distance)});
    for (const auto& p : gu.lit_pieces) shapes.push_back({p.get(), "rgba(255,214,0,0.45)", "none", 0, ""});
    for (const auto& l : gu.lights) shapes.push_back({l.get(), "#b8860b", "none", 0, "street light"});
    for (const auto& p : gu.seen_pieces) shapes.push_back({p.get(), "rgba(49,130,189,0.35)", "none", 0, ""});
    for (const PathPart& part : gu.parts) {
        const paths::Segment& seg = v.network.segments[part.segment];
        if (part.path < 0) {
            shapes.push_back({part.geometry.get(), "none", "#888888", 1.2, fmt::format("{} {}, {:.0f} m", seg.kind, part.segment + 1, seg.length)});
        } else {
            const Gating g = gu.paths[static_cast<size_t>(part.path)].gating;
            shapes.push_back({part.geometry.get(), "none", gating_colour(g), 3, fmt::format("{} {} ({}), {:.0f} m", seg.kind, part.segment + 1, gating_words(g), seg.length)});
        }
    }
    shapes.push_back({r.site, "none", "#d00000", 2.5, "red line"});
    std::vector<LegendItem> legend{{"none", "red line", "#d00000", 2.5}};
    if (v.lighting) legend.push_back({"rgba(255,214,0,0.45)", "lit (street light reach)"}), legend.push_back({"#b8860b", "street light"});
    if (v.cctv) legend.push_back({"rgba(49,130,189,0.35)", "in view of CCTV"});
    if (v.paths) {
        if (v.gates) {
            legend.push_back({"none", "path entering or passing: ungated", "#d7191c", 3});
            legend.push_back({"none", "partly gated", "#fdae61", 3});
            legend.push_back({"none", "gated", "#1a9641", 3});
        } else {
            legend.push_back({"none", "path entering or passing (gating unknown)", "#555555", 3});
        }
        legend.push_back({"none", "other path within 100 m", "#888888", 1.2});
    }
    return svg_map(shapes, 560, legend, nullptr, fmt::format("Guardianship within {:g} m of the red line.", guard_distance));
}

TemplateData guardianship_data(const SiteOutputs& o, const SiteResult& r, std::vector<geos::Geometry>& owned) {
    const SiteGuardianship& gu = r.guardianship;
    const SiteStudy& v = o.review;
    TemplateData g;
    const auto pct = [](double x) { return std::isnan(x) ? std::string("not assessed") : fmt::format("{:.1f} %", 100 * x); };
    std::vector<std::vector<std::string>> rows;
    if (v.lighting) {
        rows.push_back({"Red line within reach of a street light", pct(gu.lit_boundary_share), fmt::format("{:.0f} m of {:.0f} m", gu.lit_boundary_m, gu.boundary_m)});
        rows.push_back({fmt::format("Paths within {:g} m lit", guard_distance), pct(gu.lit_path_share),
                        v.paths ? fmt::format("{:.0f} m of {:.0f} m", gu.lit_path_m, gu.path_m) : "no --paths"});
    }
    if (v.cctv) {
        rows.push_back({"Site in view of CCTV", pct(gu.cctv_site_share), plural(static_cast<size_t>(gu.cameras_site), "camera", "cameras")});
        rows.push_back({fmt::format("Land 0-{:g} m outside the red line in view of CCTV", guard_distance), pct(gu.cctv_ring_share),
                        plural(static_cast<size_t>(gu.cameras_ring), "camera", "cameras")});
    }
    if (v.paths) {
        rows.push_back({"Paths entering the site", fmt::format("{}", gu.entering), ""});
        rows.push_back({fmt::format("Paths passing within {:g} m", pass_distance), fmt::format("{}", gu.passing), ""});
        if (v.gates) rows.push_back({"Of these, ungated / partly gated", fmt::format("{} / {}", gu.ungated, gu.partly_gated), ""});
    }
    g.set("measures", table_data({"measure", "value", "detail"}, rows, "Lighting, CCTV and permeability"));
    if (v.paths && !gu.paths.empty()) {
        rows.clear();
        for (const SitePath& p : gu.paths) {
            const paths::Segment& seg = v.network.segments[p.segment];
            rows.push_back({fmt::format("{}", p.segment + 1), fmt::format("{}{}{}", seg.kind, seg.name.empty() ? "" : ", ", seg.name),
                            p.enters ? fmt::format("enters ({:.0f} m inside)", p.inside_m) : fmt::format("passes {:.0f} m away", p.distance_m), p.side,
                            fmt::format("{:.0f}", seg.length), v.gates ? fmt::format("{} ({} of {})", gating_words(p.gating), p.gates, p.gates_needed) : "unknown",
                            fmt::format("{}", p.burglaries), fmt::format("{}", p.neighbourhood), pct(p.lit_share)});
        }
        g.set("paths_table", table_data({"segment", "path", "relation", "side", "length m", "gated", fmt::format("burglaries within {:g} m", guard_distance),
                                         fmt::format("neighbourhood crimes within {:g} m", guard_distance), fmt::format("lit within {:g} m", guard_distance)},
                                        rows, "Paths and alleys entering or passing the site"));
    } else if (v.paths) {
        g.set("no_paths", TemplateData{"distance", fmt::format("{:g}", pass_distance)});
    }
    g.set("map", guardianship_map(o, r, owned));
    return g;
}

/// The street segments within street_distance of the red line (with --streets): the busiest in a
/// sentence and up to ten in a table.
TemplateData streets_data(const SiteOutputs& o, const SiteResult& r) {
    const SiteStudy& v = o.review;
    TemplateData d;
    d.set("distance", fmt::format("{:g}", street_distance));
    if (!v.streets_error.empty()) {
        d.set("error", v.streets_error);
        return d;
    }
    const segments::SegmentResult& sr = v.street_segments;
    if (r.streets.empty()) {
        d.set("none", true);
        return d;
    }
    d.set("count", std::to_string(r.streets.size()));
    d.set("busiest", segment_sentence(sr, r.streets.front().first));
    std::vector<std::string> header = segment_report_header();
    header.push_back("from the red line");
    std::vector<std::vector<std::string>> rows;
    for (size_t k = 0; k < std::min<size_t>(10, r.streets.size()); ++k) {
        std::vector<std::string> row = segment_report_row(sr, r.streets[k].first);
        row.push_back(r.streets[k].second == 0 ? "touches or crosses it" : fmt::format("{:.0f} m", r.streets[k].second));
        rows.push_back(std::move(row));
    }
    d.set("streets_table", table_data(header, rows,
                              fmt::format("Street segments within {:g} m of the red line, busiest first{}", street_distance,
                                          r.streets.size() > 10 ? fmt::format(" (10 of {}; all are in the site_segments layer)", r.streets.size()) : "")));
    return d;
}

/// Each crime group within the last ring: its incidents, the last 12 months against the 12
/// before where 24 or more months are reviewed, and its Mann-Kendall trend.
TemplateData trend_table(const SiteStudy& v, const SiteResult& r) {
    static const std::vector<CrimeGroup> groups = builtin_crime_groups();
    const bool years = v.span >= 24;
    const size_t n = static_cast<size_t>(v.span);
    std::vector<std::string> header{"crime group", fmt::format("incidents within {:g} m, {} months", v.radii.back(), v.span)};
    if (years) header.push_back(fmt::format("last 12 months ({} to {})", Month{v.to.index - 11}.str(), v.to.str())),
        header.push_back(fmt::format("12 months before ({} to {})", Month{v.to.index - 23}.str(), Month{v.to.index - 12}.str()));
    header.push_back("trend of the monthly counts");
    std::vector<std::vector<std::string>> rows;
    for (size_t g = 0; g < groups.size(); ++g) {
        const std::vector<double>& m = r.monthly_by_group[g];
        double total = 0, last = 0, before = 0;
        for (size_t k = 0; k < n; ++k) {
            total += m[k];
            if (k + 12 >= n) last += m[k];
            else if (k + 24 >= n) before += m[k];
        }
        std::vector<std::string> row{group_words(groups[g].name), grouped(total)};
        if (years) row.push_back(grouped(last)), row.push_back(grouped(before));
        row.push_back(total < 10 ? std::string("too few to test (under 10)") : trend_text(r.trend_by_group[g]));
        rows.push_back(std::move(row));
    }
    return table_data(header, rows, fmt::format("Trend by crime group within {:g} m of the red line", v.radii.back()));
}

TemplateData site_data(const SiteOutputs& o, const SiteResult& r, const std::vector<std::string>& label, std::vector<geos::Geometry>& owned) {
    const SiteStudy& v = o.review;
    const std::vector<double>& radii = v.radii;
    const size_t R = radii.size(), all_g = v.all_group;
    TemplateData s;
    s.set("title", site_title(r.id));
    s.set("area", fmt::format("{:.2f}", r.area_ha));
    s.set("total", fmt::format("{:.0f}", r.within[R - 1][all_g]));
    s.set("near", fmt::format("{:.0f}", r.within[0][all_g]));
    s.set("first_radius", fmt::format("{:g} m", radii[0]));
    s.set("inside", fmt::format("{:.0f}", r.inside[all_g]));
    s.set("use", uses_words(o.options.uses));
    s.set("kde", std::isnan(r.kde) ? "n/a" : grouped(r.kde));
    if (!std::isnan(r.kde_pct)) s.set("kde_position", density_position_text(v, r));
    s.set("gi", gi_status_text(v, r));
    s.set("nearest_hot", std::isnan(r.nearest_hot) ? "none" : r.nearest_hot == 0 ? "at the site" : fmt::format("{:.0f} m away", r.nearest_hot));
    s.set("trend", trend_text(r.trend));
    s.set("map", site_map(o, r, label, owned));
    if (r.nearby() == 0) s.set("no_incidents", true);
    // Incidents by ring and type.
    // The first ring split: on or inside the red line, and 0-r0 m outside it.
    std::vector<std::string> header{"crime type", "inside the red line"};
    for (size_t k = 0; k < R; ++k) header.push_back(fmt::format("{:g}-{:g} m{}", k ? radii[k - 1] : 0, radii[k], k ? "" : " outside"));
    header.push_back(fmt::format("per ha within {:g} m", radii.back()));
    double total_area = 0;
    for (double a : r.rings.area_m2) total_area += a;
    const CrimeTypes& types = o.study.crimes.types;
    std::vector<CrimeTypeId> met;
    for (size_t t = 0; t < r.by_type.size(); ++t)
        if (!r.by_type[t].empty()) met.push_back(static_cast<CrimeTypeId>(t));
    std::sort(met.begin(), met.end(), [&](CrimeTypeId a, CrimeTypeId b) { return types.name(a) < types.name(b); });
    std::vector<std::vector<std::string>> rows;
    for (CrimeTypeId type : met) {
        std::vector<std::string> row{std::string(types.name(type)), fmt::format("{:.0f}", r.inside_by_type[type])};
        double t = 0;
        for (size_t k = 0; k < R; ++k) {
            const double c = r.by_type[type][k];
            row.push_back(fmt::format("{:.0f}", k ? c : c - r.inside_by_type[type])), t += c;
        }
        row.push_back(fmt::format("{:.2f}", t / (total_area / 1e4)));
        rows.push_back(row);
    }
    std::vector<std::string> total_row{"all crime", fmt::format("{:.0f}", r.inside[all_g])},
        density_row{"all crime per ha", fmt::format("{:.2f}", r.inside[all_g] / r.area_ha)};
    for (size_t k = 0; k < R; ++k) {
        const double count = r.by_group[k][all_g] - (k ? 0 : r.inside[all_g]), area_ha = (r.rings.area_m2[k] - (k ? 0 : 1e4 * r.area_ha)) / 1e4;
        total_row.push_back(fmt::format("{:.0f}", count));
        density_row.push_back(fmt::format("{:.2f}", count / area_ha));
    }
    total_row.push_back(fmt::format("{:.2f}", r.within[R - 1][all_g] / (total_area / 1e4)));
    density_row.push_back("");
    rows.push_back(total_row);
    rows.push_back(density_row);
    s.set("rings_table", table_data(header, rows,
                                    fmt::format("Incidents inside the red line and by ring of distance from it (ring 1 of the site_rings layer, 0-{:g} m, holds "
                                                "both of the first two columns)",
                                                radii[0])));
    std::vector<std::string> month_labels;
    for (int m = v.from.index; m <= v.to.index; ++m) month_labels.push_back(Month{m}.str());
    s.set("chart", svg_line_chart(fmt::format("Incidents a month within {:g} m", radii.back()), month_labels, {{"all crime", "#d00000", r.monthly, false}},
                                  "incidents", 560, 220));
    s.set("trend_table", trend_table(v, r));
    if (!r.lsoas.empty()) {
        const Areas& areas = o.study.areas;
        rows.clear();
        for (size_t a : r.lsoas) {
            const double rate = v.area_rate[a];
            rows.push_back({areas.code[a], areas.name[a], fmt::format("{:.0f}", v.area_count[a]), std::isfinite(rate) ? fmt::format("{:.1f}", rate) : "no population",
                            std::isfinite(rate) && v.comparison_rate > 0 ? fmt::format("{:.2f}", rate / v.comparison_rate) : ""});
        }
        s.set("lsoa_table", table_data({"LSOA", "name", "incidents", "per 1,000 residents", "ratio to all areas"}, rows,
                                       std::isfinite(v.comparison_rate) ? fmt::format("LSOAs the site lies in (all areas: {:.1f} per 1,000)", v.comparison_rate)
                                                                        : "LSOAs the site lies in"));
    }
    if (v.lighting || v.cctv || v.paths) s.set("guardianship", guardianship_data(o, r, owned));
    if (v.streets) s.set("streets", streets_data(o, r));
    TemplateData findings = TemplateData::type::list;
    for (const Finding& f : r.findings) {
        TemplateData x;
        x.set("principle", principle_name(f.principle));
        x.set("text", finding_text(o, r, f));
        findings.push_back(x);
    }
    s.set("findings", findings);
    return s;
}

} // namespace

const char* principle_name(Principle p) {
    switch (p) {
    case Principle::context: return "Context";
    case Principle::natural_surveillance: return "Natural surveillance";
    case Principle::access_control: return "Access control and physical security";
    case Principle::territorial_reinforcement: return "Territorial reinforcement";
    case Principle::activity_support: return "Activity support";
    case Principle::maintenance: return "Maintenance and management";
    }
    return "";
}

std::string gi_status_text(const SiteStudy& review, const SiteResult& r) {
    if (!review.have_gi) return "not computed";
    const std::string z = std::isnan(r.gi_z) ? std::string("") : fmt::format("z {:.2f}, ", r.gi_z);
    if (r.best_bin >= 1) return fmt::format("hot spot at {} (Gi* {}100 m cells)", confidence_text(r.best_bin), z);
    if (r.best_bin <= -1) return fmt::format("cold spot at {} (Gi* {}100 m cells)", confidence_text(r.best_bin), z);
    return fmt::format("not a significant hot or cold spot (Gi* {}100 m cells)", z);
}

std::string density_position_text(const SiteStudy& review, const SiteResult& r) {
    if (std::isnan(r.kde_pct)) return "not measured";
    return fmt::format("{} of the {} cells ({:g} m) with recorded crime: ranked {} of {}", percentile_words(r.kde_pct), grouped(static_cast<double>(review.crime_cells)),
                       review.density.grid.cell, grouped(static_cast<double>(r.kde_rank)), grouped(static_cast<double>(review.crime_cells)));
}

std::string trend_text(const hotspots::MannKendall& t) {
    return std::abs(t.z) > 0 && t.p < 0.05 ? fmt::format("{} (Mann-Kendall z {:.2f}, {})", t.s > 0 ? "rising" : "falling", t.z, p_words(t.p))
                                            : fmt::format("no significant trend (Mann-Kendall z {:.2f}, p = {:.2f})", t.z, t.p);
}

std::string finding_text(const SiteOutputs& o, const SiteResult& r, const Finding& f) {
    const SiteStudy& v = o.review;
    const std::vector<double>& radii = v.radii;
    const size_t R = radii.size(), r2 = std::min<size_t>(1, R - 1);
    const std::string first = fmt::format("{:g} m", radii[0]), second = fmt::format("{:g} m", radii[r2]);
    const SiteGuardianship& gu = r.guardianship;
    const plan::InterventionSpec &lighting = effect_of(o, "lighting"), &cctv = effect_of(o, "cctv"), &gating = effect_of(o, "gating");
    const CrimeTypes& types = o.study.crimes.types;
    const std::vector<SiteUse>& uses = o.options.uses;
    switch (f.kind) {
    case FindingKind::nothing_recorded:
        return fmt::format("No incident was recorded within {:g} m of the site from {} to {}.", radii.back(), v.from.str(), v.to.str());
    case FindingKind::burglary: {
        const double n = r.in_first_ring(types, "Burglary");
        std::string advice;
        if (has_homes(uses))
            advice += fmt::format(" Limit access to the rear of homes (gate or close rear alleys: burglary {:.0f} % lower, {}) and build to Secured by Design "
                                  "Homes 2023 (PAS 24 doors and windows).",
                                  100 * gating.effect, cite_in_text(gating.effect_source));
        if (has_commerce(uses))
            advice += " Secure the building's shell, service yards and roof access, with doors, windows and shutters to Secured by Design Commercial 2023 "
                      "(PAS 24, LPS 1175); avoid recesses and blank elevations out of sight of the street.";
        return fmt::format("{:.0f} burglar{} within {} of the red line in {} months.{}", n, n == 1 ? "y" : "ies", first, v.span, advice);
    }
    case FindingKind::retail_theft: {
        const double shop = r.in_first_ring(types, "Shoplifting"), person = r.in_first_ring(types, "Theft from the person");
        return fmt::format("{} and {} within {} of the red line in {} months. Give shop floors and entrances "
                           "clear sightlines from tills and from the street, and place seating, cash machines and cycle parking where they are overlooked "
                           "(Secured by Design Commercial 2023).",
                           plural(static_cast<size_t>(shop), "shoplifting offence", "shoplifting offences"),
                           plural(static_cast<size_t>(person), "theft from the person", "thefts from the person"), first, v.span);
    }
    case FindingKind::vehicle: {
        const double n = r.in_first_ring(types, "Vehicle crime");
        return fmt::format("{} within {} of the red line in {} months. Design the car park to the Safer Parking Scheme's Park Mark standard (British "
                           "Parking Association): controlled entry and exit, even lighting, open sightlines and no hiding places; public-area CCTV cut "
                           "crime most in car parks (crime {:.0f} % lower overall, {}).",
                           plural(static_cast<size_t>(n), "vehicle crime", "vehicle crimes"), first, v.span, 100 * cctv.effect, cite_in_text(cctv.effect_source));
    }
    case FindingKind::hot_spot: {
        const std::string overlook = has_homes(uses)       ? "Overlook paths, parking and entrances from active rooms"
                                     : has_commerce(uses) ? "Give the ground floor active, glazed frontages that overlook the street, paths and parking"
                                                          : "Keep open sightlines across the car park and from the buildings around it";
        return fmt::format("The site is in a Gi* hot spot of crime at {}{}. {}; light routes and parking to BS 5489-1 (improved street lighting: crime {:.0f} % "
                           "lower, {}). {:.0f} neighbourhood crimes within {}.",
                           confidence_text(r.best_bin), std::isnan(r.gi_z) ? std::string("") : fmt::format(" (z {:.2f} on 100 m cells)", r.gi_z), overlook,
                           100 * lighting.effect, cite_in_text(lighting.effect_source), r.within[0][group_index("neighbourhood")],
                           first);
    }
    case FindingKind::violence_asb:
        return fmt::format("{:.0f} violent and {:.0f} anti-social behaviour incidents within {}. Place communal and commercial uses so that they are "
                           "overlooked; avoid unsupervised gathering spaces and through-routes that nobody owns.",
                           r.within[r2][group_index("violence")], r.within[r2][group_index("asb")], second);
    case FindingKind::damage:
        return fmt::format("{:.0f} criminal damage incidents within {}. Specify robust, easily repaired finishes and a management plan (prompt graffiti "
                           "and damage repair).",
                           r.within[r2][group_index("damage")], second);
    case FindingKind::dense:
        return fmt::format("Crime density at the site is {}. Make public and private space clearly defined with boundary treatments, {}.",
                           density_position_text(v, r),
                           has_homes(uses) ? "and keep defensible space in front of homes" : "and make clear who owns and looks after forecourts, yards and parking");
    case FindingKind::open_path: {
        const SitePath& p = gu.paths[f.path];
        const paths::Segment& seg = v.network.segments[p.segment];
        const std::string what = seg.kind == "alley" ? "alley" : seg.kind.empty() ? "path" : seg.kind;
        std::string where;
        if (p.enters) {
            where = p.side == "inside"                    ? "lies inside the site"
                    : p.side.find(',') == std::string::npos ? fmt::format("enters the site from the {}", p.side)
                                                            : fmt::format("crosses the site (red line crossed on the {} sides)", p.side);
        } else {
            where = p.side == "centre" ? fmt::format("runs beside the site, {:.0f} m from the red line", p.distance_m)
                                       : fmt::format("runs along the {}ern boundary, {:.0f} m from the red line", p.side, p.distance_m);
        }
        const std::string state = p.gating == Gating::partial ? fmt::format("A partly gated {}", what)
                                  : p.gating == Gating::open  ? fmt::format("An ungated {}", what)
                                                              : fmt::format("{} {}", what == "alley" ? "An" : "A", what);
        const std::string note = p.gating == Gating::partial   ? fmt::format("; {} of the {} gates it needs", p.gates, p.gates_needed)
                                 : p.gating == Gating::unknown ? "; whether it is gated is unknown: no --gates layer"
                                                               : "";
        return fmt::format("{} ({}segment {}, {:.0f} m{}) {}; {} and {} neighbourhood crime{} within {:g} m of it in {} months. Consider {} (alley gating: "
                           "burglary {:.0f} % lower, {}).",
                           state, seg.name.empty() ? "" : seg.name + ", ", p.segment + 1, seg.length, note, where,
                           p.burglaries == 1 ? std::string("1 burglary") : fmt::format("{} burglaries", p.burglaries), p.neighbourhood, p.neighbourhood == 1 ? "" : "s",
                           guard_distance, v.span, p.enters ? "closing or gating it, or making it overlooked along its length" : "gating it", 100 * gating.effect,
                           cite_in_text(gating.effect_source));
    }
    case FindingKind::more_open_paths: return fmt::format("{} more open paths near the site: see the table of paths.", f.count);
    case FindingKind::low_lighting:
        return fmt::format("Street lights reach {:.0f} % of the red line ({:.0f} m of {:.0f} m){}. Light the boundary, routes and parking to BS 5489-1 "
                           "(improved street lighting: crime {:.0f} % lower, {}).",
                           100 * gu.lit_boundary_share, gu.lit_boundary_m, gu.boundary_m,
                           std::isnan(gu.lit_path_share) ? ""
                                                         : fmt::format(" and {:.0f} % of the paths within {:g} m ({:.0f} m of {:.0f} m)", 100 * gu.lit_path_share,
                                                                       guard_distance, gu.lit_path_m, gu.path_m),
                           100 * lighting.effect, cite_in_text(lighting.effect_source));
    case FindingKind::low_cctv:
        return fmt::format("CCTV covers {:.0f} % of the site and {:.0f} % of the land within {:g} m of it ({} camera{} see{} the site). Where natural "
                           "surveillance cannot cover parking, entrances and paths, consider CCTV (public-area CCTV: crime {:.0f} % lower, {}; largest in "
                           "car parks).",
                           100 * gu.cctv_site_share, 100 * gu.cctv_ring_share, guard_distance, gu.cameras_site, gu.cameras_site == 1 ? "" : "s",
                           gu.cameras_site == 1 ? "s" : "", 100 * cctv.effect, cite_in_text(cctv.effect_source));
    case FindingKind::low_crime: return fmt::format("Crime around the site is low; apply {} as standard.", fmt::join(guides_for(uses), " and "));
    }
    return {};
}

std::vector<Table> site_tables(const SiteOutputs& o, std::span<const SiteResult> sites, std::vector<geos::Geometry>& owned) {
    const SiteStudy& v = o.review;
    const std::vector<double>& radii = v.radii;
    const size_t R = radii.size(), all_g = v.all_group;
    const std::vector<CrimeGroup> groups = builtin_crime_groups();
    const Incidents& in = o.study.crimes.incidents;
    const std::vector<std::string> label = label_groups(groups, o.study.crimes.types);
    const std::string from = v.from.str(), to = v.to.str();
    Table site_t, ring_t, inc_t, path_t;
    site_t.name = "site";
    site_t.description = "Planning sites reviewed, with the crime around them";
    site_t.geometry_kind = GeometryKind::polygon;
    ring_t.name = "site_rings";
    ring_t.description = fmt::format("Rings of distance from each site's red line (0 inside): incidents {} to {}", from, to);
    ring_t.geometry_kind = GeometryKind::polygon;
    inc_t.name = "site_incidents";
    inc_t.description = fmt::format("Incidents within {} m of a site's red line, {} to {}", radii.back(), from, to);
    inc_t.geometry_kind = GeometryKind::point;
    path_t.name = "site_paths";
    path_t.description = fmt::format("Path and alley segments entering a site or passing within {:g} m of its red line, with their gating and the crimes near "
                                     "them, {} to {}",
                                     pass_distance, from, to);
    path_t.geometry_kind = GeometryKind::line;
    std::vector<std::string> s_id, s_use, s_lsoas, s_gi, s_trend, r_id, i_id, i_month, i_type, i_group;
    std::vector<int64_t> s_kde_rank;
    std::vector<double> s_inside, s_gi_z;
    std::vector<double> s_area_ha, s_near, s_kde, s_kde_pct, s_nearest_hot, r_inner, r_outer, r_area, r_count, r_density, i_dist;
    std::vector<int64_t> r_ring, i_ring;
    std::vector<std::vector<double>> r_group(groups.size());
    std::vector<double> g_lit_boundary, g_lit_boundary_m, g_lit_path, g_path_m, g_cctv_site, g_cctv_ring;
    std::vector<int64_t> g_cam_site, g_cam_ring, g_entering, g_passing, g_ungated, g_partly;
    std::vector<uint8_t> g_cam_null, g_paths_null, g_gates_null;
    std::vector<std::string> p_site, p_kind, p_name, p_relation, p_side, p_gated;
    std::vector<int64_t> p_segment, p_gates, p_needed, p_burglaries, p_neighbourhood;
    std::vector<uint8_t> p_gates_null;
    std::vector<double> p_length, p_inside, p_near, p_distance, p_lit, p_cctv;
    for (const SiteResult& r : sites) {
        for (size_t j = 0; j < r.incidents.size(); ++j) {
            const size_t i = r.incidents[j];
            owned.push_back(geos::point(in.x[i], in.y[i]));
            inc_t.geometry.push_back(owned.back().get());
            i_id.push_back(r.id), i_ring.push_back(r.incident_ring[j] + 1), i_dist.push_back(r.incident_distance[j]), i_month.push_back(in.month[i].str());
            i_type.emplace_back(o.study.crimes.types.name(in.type[i])), i_group.push_back(label[in.type[i]]);
        }
        for (size_t k = 0; k < R; ++k) {
            ring_t.geometry.push_back(r.rings.ring[k].get());
            r_id.push_back(r.id), r_ring.push_back(static_cast<int64_t>(k + 1));
            r_inner.push_back(k ? radii[k - 1] : 0), r_outer.push_back(radii[k]), r_area.push_back(r.rings.area_m2[k] / 1e4);
            r_count.push_back(r.by_group[k][all_g]), r_density.push_back(r.by_group[k][all_g] / (r.rings.area_m2[k] / 1e4));
            for (size_t g = 0; g < groups.size(); ++g) r_group[g].push_back(r.by_group[k][g]);
        }
        std::vector<std::string> codes;
        for (size_t a : r.lsoas) codes.push_back(o.study.areas.code[a]);
        site_t.geometry.push_back(r.site);
        s_id.push_back(r.id), s_area_ha.push_back(r.area_ha), s_near.push_back(r.within[0][all_g]);
        s_use.push_back(uses_words(o.options.uses)), s_inside.push_back(r.inside[all_g]), s_kde_rank.push_back(static_cast<int64_t>(r.kde_rank)), s_gi_z.push_back(r.gi_z);
        s_lsoas.push_back(fmt::format("{}", fmt::join(codes, ",")));
        s_kde.push_back(r.kde), s_kde_pct.push_back(r.kde_pct), s_gi.push_back(gi_status_text(v, r)), s_trend.push_back(trend_text(r.trend)),
            s_nearest_hot.push_back(r.nearest_hot);
        const SiteGuardianship& gu = r.guardianship;
        g_lit_boundary.push_back(gu.lit_boundary_share), g_lit_boundary_m.push_back(gu.lit_boundary_m);
        g_lit_path.push_back(gu.lit_path_share), g_path_m.push_back(gu.path_m);
        g_cctv_site.push_back(gu.cctv_site_share), g_cctv_ring.push_back(gu.cctv_ring_share);
        g_cam_site.push_back(std::max<int64_t>(0, gu.cameras_site)), g_cam_ring.push_back(std::max<int64_t>(0, gu.cameras_ring));
        g_cam_null.push_back(!v.cctv);
        g_entering.push_back(std::max<int64_t>(0, gu.entering)), g_passing.push_back(std::max<int64_t>(0, gu.passing));
        g_paths_null.push_back(!v.paths);
        g_ungated.push_back(std::max<int64_t>(0, gu.ungated)), g_partly.push_back(std::max<int64_t>(0, gu.partly_gated));
        g_gates_null.push_back(!v.gates);
        for (const SitePath& p : gu.paths) {
            const paths::Segment& seg = v.network.segments[p.segment];
            path_t.geometry.push_back(seg.geometry.get());
            p_site.push_back(r.id), p_segment.push_back(static_cast<int64_t>(p.segment + 1)), p_kind.push_back(seg.kind), p_name.push_back(seg.name);
            p_relation.push_back(p.enters ? "enter" : "pass"), p_side.push_back(p.side), p_length.push_back(seg.length);
            p_inside.push_back(p.inside_m), p_near.push_back(p.near_m), p_distance.push_back(p.distance_m);
            p_gated.push_back(gating_text(p.gating)), p_gates.push_back(p.gates), p_gates_null.push_back(!v.gates);
            p_needed.push_back(p.gates_needed), p_burglaries.push_back(p.burglaries), p_neighbourhood.push_back(p.neighbourhood);
            p_lit.push_back(p.lit_share), p_cctv.push_back(p.cctv_share);
        }
    }
    site_t.columns.push_back(Column::text("site_id", "Site", s_id));
    site_t.columns.push_back(Column::text("use", "What the site is for (--use): residential, commercial, mixed, car-park", s_use));
    site_t.columns.push_back(Column::real("area_ha", "Site area, hectares", s_area_ha));
    site_t.columns.push_back(Column::real("incidents_inside", fmt::format("Incidents on or inside the red line, {} to {}", from, to), s_inside));
    site_t.columns.push_back(Column::real("incidents_near", fmt::format("Incidents within {:g} m of the red line (those inside it included)", radii[0]), s_near));
    site_t.columns.push_back(Column::text("lsoas", "LSOAs the site lies in", s_lsoas));
    site_t.columns.push_back(Column::real("kde", "Density of all crime at the site, incidents per km2", s_kde));
    site_t.columns.push_back(Column::real("kde_pct", "Percentile of that density among the density cells with at least one recorded crime (the share at or below it)", s_kde_pct));
    site_t.columns.push_back(Column::integer("kde_rank", "Rank of that density among the density cells with at least one recorded crime (1 = densest)", s_kde_rank));
    site_t.columns.push_back(Column::text("gi_status", "Gi* status of the 100 m cells the site touches", s_gi));
    site_t.columns.push_back(Column::real("gi_z", "The highest Gi* z-score among the 100 m cells the site touches", s_gi_z));
    site_t.columns.push_back(Column::real("nearest_hot_m", "Distance to the nearest 100 m cell hot at 95 %", s_nearest_hot));
    site_t.columns.push_back(Column::text("trend", "Mann-Kendall trend of monthly incidents within the largest ring", s_trend));
    site_t.columns.push_back(Column::real("lit_boundary_share", "Share of the red line (boundary length) within reach of a street light, 0..1; NULL without --lighting", g_lit_boundary));
    site_t.columns.push_back(Column::real("lit_boundary_m", "Metres of the red line within reach of a street light; NULL without --lighting", g_lit_boundary_m));
    site_t.columns.push_back(Column::real("lit_path_share_100m",
                                          fmt::format("Lit share of the length of path segments within {:g} m of the red line; NULL without --lighting or --paths, or with no path there",
                                                      guard_distance),
                                          g_lit_path));
    site_t.columns.push_back(Column::real("path_m_100m", fmt::format("Metres of path segments within {:g} m of the red line; NULL without --paths", guard_distance), g_path_m));
    site_t.columns.push_back(Column::real("cctv_site_share", "Share of the site's area in view of CCTV, 0..1; NULL without --cctv", g_cctv_site));
    site_t.columns.push_back(Column::real("cctv_ring_share",
                                          fmt::format("Share of the ring 0-{:g} m outside the red line (site excluded) in view of CCTV; NULL without --cctv", guard_distance),
                                          g_cctv_ring));
    site_t.columns.push_back(Column::integer("cameras_site", "Cameras whose view reaches the site; NULL without --cctv", g_cam_site, g_cam_null));
    site_t.columns.push_back(Column::integer("cameras_ring",
                                             fmt::format("Cameras whose view reaches the ring 0-{:g} m outside the red line; NULL without --cctv", guard_distance),
                                             g_cam_ring, g_cam_null));
    site_t.columns.push_back(Column::integer("paths_entering", "Path segments crossing the site's interior; NULL without --paths", g_entering, g_paths_null));
    site_t.columns.push_back(Column::integer("paths_passing", fmt::format("Path segments not entering but within {:g} m of the red line; NULL without --paths", pass_distance),
                                             g_passing, g_paths_null));
    site_t.columns.push_back(Column::integer("ungated_paths", "Entering or passing segments with no gate; NULL without --gates", g_ungated, g_gates_null));
    site_t.columns.push_back(Column::integer("partly_gated_paths", "Entering or passing segments with fewer gates than they need; NULL without --gates", g_partly, g_gates_null));
    path_t.columns.push_back(Column::text("site_id", "Site", p_site));
    path_t.columns.push_back(Column::integer("segment_id", "Segment number in the --paths network (as path_segments of safer score)", p_segment));
    path_t.columns.push_back(Column::text("kind", "alley, footway, path, ... (the kind covering most of its length)", p_kind));
    path_t.columns.push_back(Column::text("name", "Name (of most of its length)", p_name));
    path_t.columns.push_back(Column::text("relation", fmt::format("enter: crosses the site's interior; pass: within {:g} m of the red line", pass_distance), p_relation));
    path_t.columns.push_back(Column::text(
        "side", "Side of the site, from its centroid: north, east, south, west (entering: the sides where it crosses the red line, in order)", p_side));
    path_t.columns.push_back(Column::real("length_m", "Length of the whole segment, m", p_length));
    path_t.columns.push_back(Column::real("inside_m", "Length inside the site, m", p_inside));
    path_t.columns.push_back(Column::real("near_m", fmt::format("Length within {:g} m of the red line (inside included), m", pass_distance), p_near));
    path_t.columns.push_back(Column::real("distance_m", "Distance from the red line, m (0 when it touches or enters)", p_distance));
    path_t.columns.push_back(Column::text("gated", "1: gates on it >= gates it needs; partial: fewer; 0: none; NULL without --gates", p_gated, p_gates_null));
    path_t.columns.push_back(Column::integer("gates", "Gates on it; NULL without --gates", p_gates, p_gates_null));
    path_t.columns.push_back(Column::integer("gates_needed", "Gates needed to close it: one at each end that meets other lines", p_needed));
    path_t.columns.push_back(Column::integer("burglaries_100m", fmt::format("Burglaries within {:g} m of the segment, {} to {}", guard_distance, from, to), p_burglaries));
    path_t.columns.push_back(
        Column::integer("neighbourhood_100m", fmt::format("Neighbourhood crimes within {:g} m of the segment, {} to {}", guard_distance, from, to), p_neighbourhood));
    path_t.columns.push_back(
        Column::real("lit_share", fmt::format("Lit share of its length within {:g} m of the red line; NULL without --lighting", guard_distance), p_lit));
    path_t.columns.push_back(
        Column::real("cctv_share", fmt::format("Share of its length within {:g} m of the red line in view of CCTV; NULL without --cctv", guard_distance), p_cctv));
    ring_t.columns.push_back(Column::text("site_id", "Site", r_id));
    ring_t.columns.push_back(Column::integer("ring", "1 = nearest", r_ring));
    ring_t.columns.push_back(Column::real("inner_m", "Inner distance from the red line", r_inner));
    ring_t.columns.push_back(Column::real("outer_m", "Outer distance from the red line", r_outer));
    ring_t.columns.push_back(Column::real("area_ha", "Ring area, hectares", r_area));
    ring_t.columns.push_back(Column::real("count", "All incidents in the ring", r_count));
    ring_t.columns.push_back(Column::real("per_ha", "Incidents per hectare", r_density));
    for (size_t g = 0; g + 1 < groups.size(); ++g) ring_t.columns.push_back(Column::real(groups[g].name + "_count", groups[g].description, r_group[g]));
    inc_t.columns.push_back(Column::text("site_id", "Site", i_id));
    inc_t.columns.push_back(Column::integer("ring", "Ring (1 = nearest, as site_rings.ring)", i_ring));
    inc_t.columns.push_back(Column::real("distance_m", "Distance from the red line (0 inside)", i_dist));
    inc_t.columns.push_back(Column::text("month", "YYYY-MM", i_month));
    inc_t.columns.push_back(Column::text("crime_type", "police.uk crime type", i_type));
    inc_t.columns.push_back(Column::text("crime_group", "Crime group", i_group));
    std::vector<Table> tables{std::move(site_t), std::move(ring_t), std::move(inc_t)};
    if (v.paths) tables.push_back(std::move(path_t));
    if (v.streets && v.streets_error.empty()) {
        Table t;
        t.name = "site_segments";
        t.description = fmt::format("Street segments within {:g} m of each site's red line, with all crime on them {} to {} (nearest segment within {:g} m), "
                                    "their network density and Gi*",
                                    street_distance, from, to, v.street_options.tolerance);
        t.geometry_kind = GeometryKind::line;
        std::vector<std::string> id;
        std::vector<double> distance;
        std::vector<size_t> chosen;
        for (const SiteResult& r : sites)
            for (const auto& [seg, d] : r.streets) id.push_back(r.id), distance.push_back(d), chosen.push_back(seg);
        t.columns.push_back(Column::text("site_id", "Site", id));
        t.columns.push_back(Column::real("distance_m", "Distance from the red line, m (0 when it touches or crosses it)", distance));
        append_segment_columns(t, v.street_segments, chosen);
        tables.push_back(std::move(t));
    }
    return tables;
}

namespace {

/// "hot spot at 99 %", for the summary table (whose header says Gi* on 100 m cells).
std::string gi_short(const SiteStudy& review, const SiteResult& r) {
    if (!review.have_gi) return "not computed";
    const std::string z = std::isnan(r.gi_z) ? std::string("") : fmt::format(" (z {:.2f})", r.gi_z);
    if (r.best_bin >= 1) return fmt::format("hot spot at {}{}", confidence_text(r.best_bin), z);
    if (r.best_bin <= -1) return fmt::format("cold spot at {}{}", confidence_text(r.best_bin), z);
    return "not significant" + z;
}

/// Findings that call for a measure: all but the two that only describe the crime around the site.
size_t measures(const SiteResult& r) {
    return static_cast<size_t>(std::count_if(r.findings.begin(), r.findings.end(), [](const Finding& f) {
        return f.kind != FindingKind::nothing_recorded && f.kind != FindingKind::low_crime;
    }));
}

} // namespace

double site_section_bytes(size_t incidents) { return 60e3 + 150.0 * static_cast<double>(incidents); }

size_t report_sites(size_t requested, bool given, const site::SiteReviewer& reviewer, Progress& progress) {
    const size_t n = std::min(requested, reviewer.size());
    double bytes = 0;
    size_t fit = 0, incidents = 0;
    for (size_t s = 0; s < n; ++s) {
        const size_t bound = reviewer.incidents_bound(s);
        bytes += site_section_bytes(bound), incidents += bound;
        if (bytes <= report_budget_bytes) fit = s + 1;
    }
    if (fit == n) return n;
    const std::string why = fmt::format("the detailed sections of the first {} sites would take up to {:.0f} MB of HTML (each draws the incidents within {:g} m "
                                        "of its red line on a map: up to {} here), over the report's {:.0f} MB",
                                        grouped(static_cast<double>(n)), bytes / 1e6, reviewer.study().radii.back(), grouped(static_cast<double>(incidents)),
                                        report_budget_bytes / 1e6);
    if (given)
        throw UsageError(fmt::format("--report-sites {}: {}; give --report-sites {} or fewer (every site keeps its row in the summary table and in the "
                                     "layers), or smaller --radii",
                                     requested, why, fit));
    progress.warn(fmt::format("{}: the report details the first {} (every site keeps its row in the summary table and in the layers)", why, fit));
    return fit;
}

/// Why these months: "the last 36 months of the data", or why fewer.
static std::string months_note(const SiteOutputs& o) {
    const SiteStudy& v = o.review;
    if (o.months_asked > 0) return fmt::format("{} months, as --months asked", v.span);
    if (!o.study.window) return fmt::format("{} months", v.span);
    const AnalysisWindow& w = *o.study.window;
    const int data = w.data_last.index - w.data_first.index + 1;
    if (v.span == 36) return "the last 36 months of the data";
    return fmt::format("the data covers {} months, {} to {}: fewer than the 36 a review takes where it can, so the last {}; --months sets it", data,
                       w.data_first.str(), w.data_last.str(), v.span == 12 ? std::string("12") : fmt::format("{} (all it has)", v.span));
}

SiteReportBuilder::SiteReportBuilder(const SiteOutputs& o, size_t sites, size_t detailed)
    : m_o(o), m_sites(sites), m_detailed(std::min(detailed, sites)), m_label(label_groups(builtin_crime_groups(), o.study.crimes.types)) {}

void SiteReportBuilder::add(const SiteResult& r) {
    const SiteStudy& v = m_o.review;
    const size_t R = v.radii.size(), all_g = v.all_group, number = ++m_added;
    const bool detailed = number <= m_detailed;
    if (detailed) {
        std::vector<geos::Geometry> owned; // the maps' shapes, drawn by the time site_data returns
        TemplateData s = site_data(m_o, r, m_label, owned);
        s.set("number", std::to_string(number));
        m_sections.push_back(s);
    }
    TemplateData row;
    row.set("number", std::to_string(number));
    row.set("id", r.id);
    if (detailed) row.set("detailed", true);
    row.set("area", fmt::format("{:.2f}", r.area_ha));
    row.set("near", grouped(r.within[0][all_g]));
    row.set("total", grouped(r.within[R - 1][all_g]));
    row.set("density", std::isnan(r.kde_pct) ? std::string("not measured")
                                              : fmt::format("{}, ranked {}", percentile_words(r.kde_pct), grouped(static_cast<double>(r.kde_rank))));
    row.set("gi", gi_short(v, r));
    row.set("measures", std::to_string(measures(r)));
    m_summary.push_back(row);
}

std::string SiteReportBuilder::html() const {
    const SiteStudy& v = m_o.review;
    const std::vector<double>& radii = v.radii;
    TemplateData page;
    page.set("title", fmt::format("Crime impact review: {} site{}, {} to {}", grouped(static_cast<double>(m_sites)), m_sites == 1 ? "" : "s", v.from.str(), v.to.str()));
    page.set("radii", fmt::format("{}", fmt::join(radii, ", ")));
    page.set("first_radius", fmt::format("{:g}", radii.front()));
    page.set("last_radius", fmt::format("{:g}", radii.back()));
    page.set("from", v.from.str());
    page.set("to", v.to.str());
    std::vector<std::string> not_given;
    if (!v.lighting) not_given.push_back("--lighting (street lights)");
    if (!v.cctv) not_given.push_back("--cctv (cameras)");
    if (!v.paths) not_given.push_back("--paths (paths and alleys)");
    if (!v.gates) not_given.push_back("--gates (alley gates)");
    if (!not_given.empty()) page.set("not_given", fmt::format("{}", fmt::join(not_given, ", ")));
    if (m_detailed < m_sites) {
        std::vector<std::string> names{"site", "site_rings", "site_incidents"};
        if (v.paths) names.push_back("site_paths");
        if (v.streets && v.streets_error.empty()) names.push_back("site_segments");
        const std::string last = names.back();
        names.pop_back();
        const std::string layers = fmt::format("{} and {}", fmt::join(names, ", "), last);
        page.set("partial", m_detailed == 0 ? fmt::format("{} sites were reviewed. This report details none of them (--report-sites 0); the summary table gives each "
                                                          "site one row, and the GeoPackage layers {} hold all {} sites.",
                                                          grouped(static_cast<double>(m_sites)), layers, grouped(static_cast<double>(m_sites)))
                                            : fmt::format("{} sites were reviewed. This report details the first {} (in the order of --site; --report-sites sets "
                                                          "how many); the summary table gives each of the {} sites one row, and the GeoPackage layers {} hold "
                                                          "all of them.",
                                                          grouped(static_cast<double>(m_sites)),
                                                          m_detailed == 1 ? std::string("site") : grouped(static_cast<double>(m_detailed)),
                                                          grouped(static_cast<double>(m_sites)), layers));
    }
    if (m_sites > 1) page.set("has_summary", true), page.set("summary", m_summary);
    page.set("sites", m_sections);
    // Methods.
    page.set("bandwidth", fmt::format("{:.0f}", v.density.bandwidth));
    page.set("bandwidth_rule", v.density.bandwidth_fallback ? "fixed, as the incidents are all at one place" : "by ArcGIS's rule");
    page.set("cell", fmt::format("{:g}", v.density.grid.cell));
    page.set("hotspot_cell", fmt::format("{:g}", hotspot_cell));
    page.set("hotspot_band", fmt::format("{:g}", hotspot_band));
    page.set("crs", m_o.study.working_crs);
    page.set("height_factor", fmt::format("{:g}", m_o.options.light_rule.height_factor));
    page.set("light_radius", fmt::format("{:g}", m_o.options.light_rule.default_radius));
    page.set("quadrant_segments", std::to_string(m_o.options.quadrant_segments));
    page.set("guard_distance", fmt::format("{:g}", guard_distance));
    page.set("pass_distance", fmt::format("{:g}", pass_distance));
    page.set("camera_range", fmt::format("{:.1f}", guard::camera_range(std::nullopt, std::nullopt, m_o.options.camera_rule)));
    page.set("gate_tolerance", fmt::format("{:g}", m_o.options.gate_tolerance));
    page.set("lighting_source", effect_of(m_o, "lighting").effect_source);
    page.set("cctv_source", effect_of(m_o, "cctv").effect_source);
    page.set("gating_source", effect_of(m_o, "gating").effect_source);
    if (v.streets) page.set("streets_method", segments_method_sentence(v.street_options));
    page.set("sites_from", m_o.site_report.id_field.empty() ? fmt::format("The site was given on the {}, named \"site 1\"", m_o.site_report.source)
                                                             : fmt::format("Sites from {}, named by {}", m_o.site_report.source, m_o.site_report.id_field));
    page.set("use", uses_words(m_o.options.uses));
    page.set("guides", fmt::format("{}", fmt::join(guides_for(m_o.options.uses), "; ")));
    page.set("months_note", months_note(m_o));
    page.set("crime_cells", grouped(static_cast<double>(v.crime_cells)));
    page.set("sites_repaired", m_o.site_report.repaired.empty() ? "all valid" : fmt::format("repaired: {}", fmt::join(m_o.site_report.repaired, ", ")));
    set_provenance(page, m_o.study, m_o.command_line);
    return render_template("site_report", page);
}

} // namespace safer::layers
