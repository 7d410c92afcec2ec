// safer site: the crime-around-a-site review a Designing Out Crime Officer runs on a planning
// application's red line, for every site in a layer: rings of distance from the red line, the
// LSOAs it lies in, density and hot-spot status at the site, the trend, and findings grouped by
// CPTED principle, in a printable HTML report (and a PDF where Chromium is installed).
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "engine/area_index.hpp"
#include "engine/errors.hpp"
#include "engine/getis_ord.hpp"
#include "engine/kde.hpp"
#include "engine/site_rings.hpp"
#include "engine/space_time.hpp"
#include "engine/spatial_weights.hpp"
#include "layers/area_reader.hpp"
#include "layers/checksum.hpp"
#include "layers/geopackage.hpp"
#include "layers/report.hpp"
#include "layers/site_reader.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace safer::tools {

namespace {

namespace fs = std::filesystem;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
/// Grid for the hot-spot status around sites: 100 m cells, Gi* over a 300 m band.
constexpr double hotspot_cell = 100, hotspot_band = 300;

std::string group_colour(const std::string& g) {
    if (g == "neighbourhood") return "#d7301f";
    if (g == "violence") return "#7a0177";
    if (g == "asb") return "#2c7fb8";
    if (g == "damage") return "#fe9929";
    return "#636363";
}

struct SiteCommand {
    CrimeOptions crimes;
    OutputOptions out;
    std::string site_arg;
    std::string site_id;
    std::string report_path;
    std::string areas_path;
    std::string population_path;
    std::vector<double> radii{100, 250, 500, 1000};
    int months = 12;
    bool no_pdf = false;

    void run() const {
        Progress progress(out.quiet);
        check_radii(radii);
        if (months != 12 && months != 36 && (months < 1 || months > 120)) throw UsageError("--months: give 12 or 36 (or 1 to 120)");
        layers::check_output_path(out.output, out.overwrite);
        layers::check_output_path(report_path, out.overwrite);
        const layers::IngestOptions options = crimes.resolve();

        layers::SiteReport site_report;
        const Areas sites = layers::read_sites(site_arg, site_id, options.working_crs, site_report, progress);
        if (!site_report.repaired.empty())
            progress.warn(fmt::format("{} invalid site polygon(s) repaired with GEOS MakeValid: {}", site_report.repaired.size(),
                                      fmt::join(site_report.repaired, ", ")));
        if (site_report.crs == "EPSG:4326") progress.info(fmt::format("the site was given in longitude/latitude; reprojected to {}", options.working_crs));

        layers::IngestResult result = layers::read_incidents(crimes.crimes, options, progress);
        Areas areas;
        if (!areas_path.empty()) {
            layers::AreaOptions ao;
            ao.working_crs = options.working_crs;
            ao.input_crs = options.input_crs;
            layers::AreaReport ar;
            areas = layers::read_areas(areas_path, ao, ar, progress);
            if (!population_path.empty()) {
                layers::PopulationReport pr;
                layers::join_population(areas, population_path, {}, pr);
            }
        }
        // The months: the last --months of the data (or --from/--to).
        Incidents& in = result.incidents;
        if (in.size() == 0) throw InputError("no incidents were read: nothing to review");
        Month first{INT32_MAX}, last{-1};
        Extent data_extent;
        for (size_t i = 0; i < in.size(); ++i) first = std::min(first, in.month[i]), last = std::max(last, in.month[i]), data_extent.add(in.x[i], in.y[i]);
        const Month to = options.window.to ? *options.window.to : last;
        const Month from = options.window.from ? *options.window.from : Month{std::max(first.index, to.index - months + 1)};
        std::vector<uint8_t> keep(in.size());
        for (size_t i = 0; i < in.size(); ++i) {
            keep[i] = in.month[i] >= from && in.month[i] <= to;
            if (!keep[i])
                result.rejects.add(in.source[i], in.line[i], RejectReason::outside_window, fmt::format("{}: outside the months reviewed", in.month[i].str()));
        }
        in.keep(keep);
        result.rejects.sort();
        print_ingest_summary(result, in.size(), progress);
        const int span = to.index - from.index + 1;
        if (span < months && !options.window.from)
            progress.warn(fmt::format("--months {}: the data covers only {} months ({} to {}); the review uses those", months, span, from.str(), to.str()));

        const std::vector<CrimeGroup> groups = builtin_crime_groups();
        const std::vector<std::string> label = layers::label_groups(groups, result.types);

        // Sites outside the crime data's extent cannot be reviewed.
        for (size_t s = 0; s < sites.size(); ++s) {
            const geos::Envelope e = geos::envelope(sites.geometry[s].get());
            if (e.max_x < data_extent.min_x || e.min_x > data_extent.max_x || e.max_y < data_extent.min_y || e.min_y > data_extent.max_y)
                throw InputError(fmt::format("site {}: it lies outside the extent of the crime data ({:.0f}, {:.0f} to {:.0f}, {:.0f} in {}); check "
                                             "the site's coordinates and CRS, and that the crimes cover its area",
                                             sites.code[s], data_extent.min_x, data_extent.min_y, data_extent.max_x, data_extent.max_y, options.working_crs));
        }

        // The study area: the areas if given, else the sites' surroundings (5 km beyond the last
        // ring). police.uk files carry a few points far outside a force, which must not stretch
        // the surfaces across the country.
        Extent study_extent;
        for (const auto& g : areas.geometry) {
            const geos::Envelope e = geos::envelope(g.get());
            study_extent.add(Extent{e.min_x, e.min_y, e.max_x, e.max_y});
        }
        geos::Geometry surroundings;
        if (study_extent.empty()) {
            for (const auto& g : sites.geometry) {
                const geos::Envelope e = geos::envelope(g.get());
                study_extent.add(Extent{e.min_x, e.min_y, e.max_x, e.max_y});
            }
            study_extent = study_extent.grown(radii.back() + 5000);
            surroundings = geos::checked(
                GEOSGeom_createRectangle_r(geos::context(), study_extent.min_x, study_extent.min_y, study_extent.max_x, study_extent.max_y), "extent");
        }
        // Study-wide surfaces: density of all crime, and Gi* of counts on a 100 m grid.
        progress.begin("density and hot spots over the study area", 1);
        kde::Points all;
        for (size_t i = 0; i < in.size(); ++i)
            if (in.x[i] >= study_extent.min_x && in.x[i] <= study_extent.max_x && in.y[i] >= study_extent.min_y && in.y[i] <= study_extent.max_y)
                all.x.push_back(in.x[i]), all.y.push_back(in.y[i]);
        kde::Options kopt;
        if (all.size() < 2) { // nothing to measure a bandwidth from: a fixed, stated one
            kopt.bandwidth = 250;
            if (all.size() == 0) all.x.push_back(study_extent.min_x), all.y.push_back(study_extent.min_y);
        }
        kde::StudyArea study;
        for (const auto& g : areas.geometry) study.polygons.push_back(g.get());
        if (surroundings) study.polygons.push_back(surroundings.get());
        const kde::Surface surface = kde::estimate(all, kopt, &study);
        std::vector<float> valid;
        for (float v : surface.value)
            if (v != kde::nodata) valid.push_back(v);
        std::sort(valid.begin(), valid.end());
        const Grid hgrid = Grid::covering(study_extent, 0, hotspot_cell);
        hotspots::CellGrid cells{static_cast<int32_t>(hgrid.nx), static_cast<int32_t>(hgrid.ny), hgrid.cell, {}};
        std::vector<double> cell_count(hgrid.cells(), 0);
        for (size_t i = 0; i < in.size(); ++i) {
            const int64_t r = hgrid.row_of(in.y[i]), c = hgrid.col_of(in.x[i]);
            if (hgrid.contains(r, c)) cell_count[hgrid.index(r, c)] += 1;
        }
        hotspots::GiStarResult gi;
        bool have_gi = false;
        try {
            gi = hotspots::gi_star_grid(cells, cell_count, hotspot_band);
            have_gi = true;
        } catch (const InputError& e) {
            progress.warn(std::string("Gi* on the 100 m grid could not be computed: ") + e.what());
        }
        progress.end();

        std::vector<size_t> hot_cells; // hot at 95 %
        for (size_t c = 0; c < gi.bin.size(); ++c)
            if (gi.bin[c] >= 2) hot_cells.push_back(c);
        // LSOA rates (all crime) for the LSOAs a site lies in.
        std::vector<double> area_count(areas.size(), 0);
        double pop_total = 0, count_in_areas = 0;
        if (areas.size()) {
            const std::vector<int32_t> area_of = AreaIndex(areas).locate(in.x, in.y);
            for (int32_t a : area_of)
                if (a >= 0) area_count[static_cast<size_t>(a)] += 1;
            for (size_t a = 0; a < areas.size(); ++a)
                if (areas.population[a] > 0) pop_total += areas.population[a], count_in_areas += area_count[a];
        }
        const double comparison_rate = pop_total > 0 ? 1000 * count_in_areas / pop_total : nan;
        std::vector<geos::Envelope> area_env; // to skip areas far from a site before any GEOS test
        for (const auto& g : areas.geometry) area_env.push_back(geos::envelope(g.get()));

        // ---- Each site ---------------------------------------------------------------------------
        layers::Table site_t, ring_t, inc_t;
        site_t.name = "site";
        site_t.description = "Planning sites reviewed, with the crime around them";
        site_t.geometry_kind = layers::GeometryKind::polygon;
        ring_t.name = "site_rings";
        ring_t.description = fmt::format("Rings of distance from each site's red line (0 inside): incidents {} to {}", from.str(), to.str());
        ring_t.geometry_kind = layers::GeometryKind::polygon;
        inc_t.name = "site_incidents";
        inc_t.description = fmt::format("Incidents within {} m of a site's red line, {} to {}", radii.back(), from.str(), to.str());
        inc_t.geometry_kind = layers::GeometryKind::point;
        std::vector<std::string> s_id, s_lsoas, s_gi, s_trend, r_id, i_id, i_month, i_type, i_group;
        std::vector<double> s_area_ha, s_near, s_kde, s_kde_pct, s_nearest_hot, r_inner, r_outer, r_area, r_count, r_density, i_dist;
        std::vector<int64_t> r_ring, i_ring;
        std::vector<std::vector<double>> r_group(groups.size());
        std::vector<geos::Geometry> owned;
        std::vector<SiteRings> all_rings; // the ring layer points into these
        all_rings.reserve(sites.size());
        GEOSContextHandle_t ctx = geos::context();
        layers::HtmlReport report(fmt::format("Crime impact review: {} site{}, {} to {}", sites.size(), sites.size() == 1 ? "" : "s", from.str(), to.str()));
        report.paragraph(fmt::format("For each planning site: crime within {} m of its red line (distances from the boundary, 0 inside the site), "
                                     "the LSOAs it lies in, the density and hot-spot status of crime at the site, the trend, and findings grouped by "
                                     "the CPTED principles. Police.uk data are anonymised to map points, so counts near a boundary are approximate.",
                                     fmt::join(radii, ", ")));
        progress.begin(fmt::format("reviewing {} site{}", sites.size(), sites.size() == 1 ? "" : "s"), sites.size());
        for (size_t s = 0; s < sites.size(); ++s) {
            const GEOSGeometry* site = sites.geometry[s].get();
            const std::string& id = sites.code[s];
            all_rings.push_back(site_rings(site, radii));
            const SiteRings& rings = all_rings.back();
            std::vector<double> distance;
            const std::vector<int32_t> ring = ring_of_points(site, radii, in.x, in.y, &distance);
            const size_t R = radii.size();
            std::vector<std::vector<double>> by_group(R, std::vector<double>(groups.size(), 0));
            std::map<std::string, std::vector<double>> by_type; // type -> per ring
            std::vector<double> monthly(static_cast<size_t>(span), 0);
            std::vector<size_t> nearby;
            for (size_t i = 0; i < in.size(); ++i) {
                if (ring[i] < 0) continue;
                nearby.push_back(i);
                const auto k = static_cast<size_t>(ring[i]);
                for (size_t g = 0; g < groups.size(); ++g)
                    if (groups[g].all_types || label[in.type[i]] == groups[g].name) by_group[k][g] += 1;
                auto& t = by_type[std::string(result.types.name(in.type[i]))];
                t.resize(R, 0);
                t[k] += 1;
                monthly[static_cast<size_t>(in.month[i].index - from.index)] += 1;
                owned.push_back(geos::point(in.x[i], in.y[i]));
                inc_t.geometry.push_back(owned.back().get());
                i_id.push_back(id), i_ring.push_back(ring[i]), i_dist.push_back(distance[i]), i_month.push_back(in.month[i].str());
                i_type.emplace_back(result.types.name(in.type[i])), i_group.push_back(label[in.type[i]]);
            }
            const size_t all_g = groups.size() - 1; // "all" is the last built-in group
            for (size_t k = 0; k < R; ++k) {
                ring_t.geometry.push_back(rings.ring[k].get());
                r_id.push_back(id), r_ring.push_back(static_cast<int64_t>(k + 1));
                r_inner.push_back(k ? radii[k - 1] : 0), r_outer.push_back(radii[k]), r_area.push_back(rings.area_m2[k] / 1e4);
                r_count.push_back(by_group[k][all_g]), r_density.push_back(by_group[k][all_g] / (rings.area_m2[k] / 1e4));
                for (size_t g = 0; g < groups.size(); ++g) r_group[g].push_back(by_group[k][g]);
            }
            // Cumulative counts within each radius, by group.
            std::vector<std::vector<double>> within(R, std::vector<double>(groups.size(), 0));
            for (size_t k = 0; k < R; ++k)
                for (size_t g = 0; g < groups.size(); ++g) within[k][g] = by_group[k][g] + (k ? within[k - 1][g] : 0);
            // LSOAs the site lies in.
            std::vector<std::string> lsoa_rows;
            std::vector<std::vector<std::string>> lsoa_table;
            const geos::Envelope site_env = geos::envelope(site);
            for (size_t a = 0; a < areas.size(); ++a)
                if (area_env[a].max_x >= site_env.min_x && area_env[a].min_x <= site_env.max_x && area_env[a].max_y >= site_env.min_y &&
                    area_env[a].min_y <= site_env.max_y && GEOSIntersects_r(ctx, site, areas.geometry[a].get()) == 1) {
                    const double rate = areas.population[a] > 0 ? 1000 * area_count[a] / areas.population[a] : nan;
                    lsoa_rows.push_back(areas.code[a]);
                    lsoa_table.push_back({areas.code[a], areas.name[a], fmt::format("{:.0f}", area_count[a]),
                                          std::isfinite(rate) ? fmt::format("{:.1f}", rate) : "no population",
                                          std::isfinite(rate) && comparison_rate > 0 ? fmt::format("{:.2f}", rate / comparison_rate) : ""});
                }
            // Density at the site: the mean of the cells whose centre lies in it (else the cell
            // holding its point on surface), as a percentile of the study area's cells.
            const std::vector<uint8_t> mask = kde::rasterize(surface.grid, std::vector<const GEOSGeometry*>{site});
            double sum = 0;
            size_t n_cells = 0;
            for (size_t c = 0; c < mask.size(); ++c)
                if (mask[c] && surface.value[c] != kde::nodata) sum += surface.value[c], ++n_cells;
            if (n_cells == 0) {
                geos::Geometry p = geos::checked(GEOSPointOnSurface_r(ctx, site), "point on surface");
                double px = 0, py = 0;
                GEOSGeomGetX_r(ctx, p.get(), &px);
                GEOSGeomGetY_r(ctx, p.get(), &py);
                const int64_t r = surface.grid.row_of(py), c = surface.grid.col_of(px);
                if (surface.grid.contains(r, c) && surface.value[surface.grid.index(r, c)] != kde::nodata)
                    sum = surface.value[surface.grid.index(r, c)], n_cells = 1;
            }
            const double kde_value = n_cells ? sum / static_cast<double>(n_cells) : nan;
            const double kde_pct = n_cells && !valid.empty()
                                       ? 100.0 * static_cast<double>(std::upper_bound(valid.begin(), valid.end(), static_cast<float>(kde_value)) - valid.begin()) /
                                             static_cast<double>(valid.size())
                                       : nan;
            // Hot-spot status: the strongest Gi* bin among the 100 m cells the site touches, and
            // the distance to the nearest cell hot at 95 %.
            int best_bin = 0;
            double nearest_hot = nan;
            if (have_gi) {
                const geos::Prepared prepared = geos::prepare(site);
                const geos::Envelope e = geos::envelope(site);
                // Cells the site touches, from its envelope.
                const int64_t c0 = std::max<int64_t>(0, hgrid.col_of(e.min_x)), c1 = std::min<int64_t>(hgrid.nx - 1, hgrid.col_of(e.max_x));
                const int64_t r0 = std::max<int64_t>(0, hgrid.row_of(e.max_y)), r1 = std::min<int64_t>(hgrid.ny - 1, hgrid.row_of(e.min_y));
                const auto cell_box = [&](int64_t r, int64_t col) {
                    const double x0 = hgrid.x0 + static_cast<double>(col) * hgrid.cell, y1 = hgrid.y0 - static_cast<double>(r) * hgrid.cell;
                    return geos::checked(GEOSGeom_createRectangle_r(ctx, x0, y1 - hgrid.cell, x0 + hgrid.cell, y1), "cell");
                };
                for (int64_t r = r0; r <= r1; ++r)
                    for (int64_t col = c0; col <= c1; ++col) {
                        const int8_t b = gi.bin[hgrid.index(r, col)];
                        if (std::abs(b) > std::abs(best_bin) && GEOSPreparedIntersects_r(ctx, prepared.get(), cell_box(r, col).get()) == 1) best_bin = b;
                    }
                // The nearest cell hot at 95 %: hot cells in order of their envelope distance, a
                // lower bound of the true distance, stopping once the bound passes the best.
                std::vector<std::pair<double, size_t>> hot;
                for (size_t c : hot_cells) {
                    const int64_t r = static_cast<int64_t>(c) / hgrid.nx, col = static_cast<int64_t>(c) % hgrid.nx;
                    const double x0 = hgrid.x0 + static_cast<double>(col) * hgrid.cell, y1 = hgrid.y0 - static_cast<double>(r) * hgrid.cell;
                    const double dx = std::max({0.0, x0 - e.max_x, e.min_x - (x0 + hgrid.cell)});
                    const double dy = std::max({0.0, (y1 - hgrid.cell) - e.max_y, e.min_y - y1});
                    hot.emplace_back(std::hypot(dx, dy), c);
                }
                std::sort(hot.begin(), hot.end());
                for (const auto& [bound, c] : hot) {
                    if (bound >= nearest_hot) break;
                    double d = 0;
                    GEOSPreparedDistance_r(ctx, prepared.get(), cell_box(static_cast<int64_t>(c) / hgrid.nx, static_cast<int64_t>(c) % hgrid.nx).get(), &d);
                    if (!(d >= nearest_hot)) nearest_hot = d;
                }
            }
            const hotspots::MannKendall trend = hotspots::mann_kendall(monthly);
            const std::string trend_text = std::abs(trend.z) > 0 && trend.p < 0.05
                                               ? fmt::format("{} (Mann-Kendall z {:.2f}, p {:.3f})", trend.s > 0 ? "rising" : "falling", trend.z, trend.p)
                                               : fmt::format("no significant trend (Mann-Kendall z {:.2f}, p {:.2f})", trend.z, trend.p);
            const std::string gi_text = !have_gi ? "not computed"
                                        : best_bin >= 1 ? fmt::format("hot spot at {} % (Gi*, 100 m cells)", best_bin == 3 ? 99 : best_bin == 2 ? 95 : 90)
                                        : best_bin <= -1 ? fmt::format("cold spot at {} % (Gi*, 100 m cells)", best_bin == -3 ? 99 : best_bin == -2 ? 95 : 90)
                                                         : "not a significant hot or cold spot (Gi*, 100 m cells)";
            site_t.geometry.push_back(site);
            s_id.push_back(id), s_area_ha.push_back(geos::area(site) / 1e4), s_near.push_back(within[0][all_g]);
            s_lsoas.push_back(fmt::format("{}", fmt::join(lsoa_rows, ",")));
            s_kde.push_back(kde_value), s_kde_pct.push_back(kde_pct), s_gi.push_back(gi_text), s_trend.push_back(trend_text), s_nearest_hot.push_back(nearest_hot);

            // Findings by CPTED principle, from the crime around the site.
            const auto g_index = [&](const char* name) {
                for (size_t g = 0; g < groups.size(); ++g)
                    if (groups[g].name == name) return g;
                return all_g;
            };
            const double burglary = by_type.count("Burglary") ? by_type["Burglary"][0] : 0;
            const double nb100 = within[0][g_index("neighbourhood")], violence = within[std::min<size_t>(1, R - 1)][g_index("violence")];
            const double asb = within[std::min<size_t>(1, R - 1)][g_index("asb")], damage = within[std::min<size_t>(1, R - 1)][g_index("damage")];
            const std::string r1 = fmt::format("{:g} m", radii[0]), r2 = fmt::format("{:g} m", radii[std::min<size_t>(1, R - 1)]);
            std::vector<std::pair<std::string, std::string>> findings;
            if (nearby.empty())
                findings.push_back({"Context", fmt::format("No incident was recorded within {:g} m of the site from {} to {}.", radii.back(), from.str(), to.str())});
            if (burglary > 0)
                findings.push_back({"Access control and physical security",
                                    fmt::format("{:.0f} burglar{} within {} of the red line in {} months. Limit access to the rear of homes (gate or close "
                                                "rear alleys: alley gating reduced burglary in the areas studied, Sidebottom et al. 2018, Campbell "
                                                "Systematic Review) and build to Secured by Design (Homes 2023; PAS 24 doors and windows).",
                                                burglary, burglary == 1 ? "y" : "ies", r1, span)});
            if (nb100 > 0 && best_bin >= 2)
                findings.push_back({"Natural surveillance",
                                    fmt::format("The site is in a Gi* hot spot of crime. Overlook paths, parking and entrances from active rooms; light "
                                                "routes and parking to BS 5489-1 (improved street lighting: 21 % fewer crimes, Welsh & Farrington 2008)."
                                                " {:.0f} neighbourhood crimes within {}.", nb100, r1)});
            if (violence > 0 || asb > 0)
                findings.push_back({"Activity support",
                                    fmt::format("{:.0f} violent and {:.0f} anti-social behaviour incidents within {}. Place communal and commercial uses so "
                                                "that they are overlooked; avoid unsupervised gathering spaces and through-routes that nobody owns.",
                                                violence, asb, r2)});
            if (damage > 0)
                findings.push_back({"Maintenance and management",
                                    fmt::format("{:.0f} criminal damage incidents within {}. Specify robust, easily repaired finishes and a management plan "
                                                "(prompt graffiti and damage repair).", damage, r2)});
            if (!std::isnan(kde_pct) && kde_pct >= 90)
                findings.push_back({"Territorial reinforcement",
                                    fmt::format("Crime density at the site is in the top {:.0f} % of the study area. Make public and private space "
                                                "clearly defined with boundary treatments, and keep defensible space in front of homes.", 100 - kde_pct)});
            if (findings.empty())
                findings.push_back({"Context", "Crime around the site is low; apply Secured by Design principles as standard."});

            // Report section.
            report.heading(fmt::format("Site {}", id));
            report.paragraph(fmt::format("{:.2f} ha. {:.0f} incidents within {:g} m of the red line ({} to {}); {} within {}. Density at the site: {} "
                                         "incidents per km2{}; {}; nearest cell hot at 95 %: {}. Trend within {:g} m: {}.",
                                         geos::area(site) / 1e4, within[R - 1][all_g], radii.back(), from.str(), to.str(),
                                         fmt::format("{:.0f}", within[0][all_g]), r1, std::isnan(kde_value) ? "n/a" : fmt::format("{:.0f}", kde_value),
                                         std::isnan(kde_pct) ? "" : fmt::format(", the {:.0f}th percentile of the study area", kde_pct), gi_text,
                                         std::isnan(nearest_hot) ? "none" : nearest_hot == 0 ? "at the site" : fmt::format("{:.0f} m away", nearest_hot),
                                         radii.back(), trend_text));
            std::vector<layers::MapShape> shapes;
            for (size_t a = 0; a < areas.size(); ++a) {
                const geos::Envelope& e = area_env[a];
                const geos::Envelope se = geos::envelope(rings.ring.back().get());
                if (e.max_x < se.min_x || e.min_x > se.max_x || e.max_y < se.min_y || e.min_y > se.max_y) continue;
                geos::Geometry clipped(GEOSClipByRect_r(ctx, areas.geometry[a].get(), se.min_x, se.min_y, se.max_x, se.max_y));
                if (!clipped) continue;
                owned.push_back(std::move(clipped));
                shapes.push_back({owned.back().get(), "none", "#bbbbbb", 0.7, areas.code[a]});
            }
            for (size_t k = R; k-- > 0;) shapes.push_back({rings.ring[k].get(), k % 2 ? "#f7f7f7" : "#eeeeee", "#999", 0.5, fmt::format("{:g} m", radii[k])});
            shapes.push_back({site, "none", "#d00000", 2.5, "red line"});
            // The incidents are drawn from the site_incidents points, as dots.
            for (size_t k = inc_t.geometry.size() - nearby.size(); k < inc_t.geometry.size(); ++k)
                shapes.push_back({inc_t.geometry[k], group_colour(i_group[k]), "none", 0, i_type[k]});
            report.raw(layers::svg_map(shapes, 560,
                                       {{"none\" stroke=\"#d00000\" stroke-width=\"2.5", "red line"},
                                        {group_colour("neighbourhood"), "neighbourhood crime"}, {group_colour("violence"), "violence and sexual offences"},
                                        {group_colour("asb"), "anti-social behaviour"}, {group_colour("damage"), "criminal damage and arson"},
                                        {group_colour("other"), "other crime"}},
                                       nullptr, fmt::format("Rings at {} m from the red line; LSOA boundaries in grey.", fmt::join(radii, ", "))));
            std::vector<std::string> header{"crime type"};
            for (size_t k = 0; k < R; ++k) header.push_back(fmt::format("{:g}-{:g} m", k ? radii[k - 1] : 0, radii[k]));
            header.push_back(fmt::format("per ha within {:g} m", radii.back()));
            std::vector<std::vector<std::string>> rows;
            double total_area = 0;
            for (double a : rings.area_m2) total_area += a;
            for (const auto& [type, counts] : by_type) {
                std::vector<std::string> row{type};
                double t = 0;
                for (double c : counts) row.push_back(fmt::format("{:.0f}", c)), t += c;
                row.push_back(fmt::format("{:.2f}", t / (total_area / 1e4)));
                rows.push_back(row);
            }
            std::vector<std::string> total_row{"all crime"};
            for (size_t k = 0; k < R; ++k) total_row.push_back(fmt::format("{:.0f}", by_group[k][all_g]));
            total_row.push_back(fmt::format("{:.2f}", within[R - 1][all_g] / (total_area / 1e4)));
            rows.push_back(total_row);
            std::vector<std::string> density_row{"all crime per ha"};
            for (size_t k = 0; k < R; ++k) density_row.push_back(fmt::format("{:.2f}", by_group[k][all_g] / (rings.area_m2[k] / 1e4)));
            density_row.push_back("");
            rows.push_back(density_row);
            if (nearby.empty()) report.paragraph(fmt::format("No incident was recorded within {:g} m of this site in these months.", radii.back()));
            report.table(header, rows, "Incidents by ring of distance from the red line");
            std::vector<std::string> month_labels;
            for (int m = from.index; m <= to.index; ++m) month_labels.push_back(Month{m}.str());
            report.raw(layers::svg_line_chart(fmt::format("Incidents a month within {:g} m", radii.back()), month_labels,
                                              {{"all crime", "#d00000", monthly, false}}, "incidents", 560, 220));
            if (!lsoa_table.empty())
                report.table({"LSOA", "name", "incidents", "per 1,000 residents", "ratio to all areas"}, lsoa_table,
                             std::isfinite(comparison_rate) ? fmt::format("LSOAs the site lies in (all areas: {:.1f} per 1,000)", comparison_rate)
                                                            : "LSOAs the site lies in");
            report.heading("Findings by CPTED principle", 3);
            std::string list = "<ul>";
            for (const auto& [principle, text] : findings)
                list += "<li><strong>" + layers::html_escape(principle) + ".</strong> " + layers::html_escape(text) + "</li>";
            report.raw(list + "</ul>");
            progress.advance(1);
        }
        progress.end();
        report.heading("Methods and data");
        report.list({fmt::format("Months reviewed: {} to {}.", from.str(), to.str()),
                     fmt::format("Rings: distance from the red line (0 inside the site), at {} m; an incident's ring is decided by its exact distance "
                                 "to the polygon. Density per ha = incidents / ring area.", fmt::join(radii, ", ")),
                     fmt::format("Density at the site: quartic kernel density of all crime (bandwidth {:.0f} m by ArcGIS's rule, {:g} m cells), the "
                                 "mean over the cells whose centre lies in the site; percentile among the study area's cells.",
                                 surface.bandwidth, surface.grid.cell),
                     fmt::format("Hot spots: Getis-Ord Gi* of incident counts on {:g} m cells over the crimes' extent, {:g} m distance band, "
                                 "binary weights with self, analytic p; the site takes the strongest bin among the cells it touches.",
                                 hotspot_cell, hotspot_band),
                     "Trend: Mann-Kendall test on the monthly counts within the largest ring (two-sided, with tie and continuity corrections).",
                     "Evidence cited: Welsh & Farrington (2008) Effects of improved street lighting on crime, Campbell Systematic Reviews; "
                     "Sidebottom et al. (2018) Gating alleys to reduce crime: a meta-analysis and realist synthesis, Campbell Systematic Reviews; "
                     "Secured by Design, Homes 2023.",
                     fmt::format("Sites from {} ({}); {}.", site_report.source, site_report.id_field,
                                 site_report.repaired.empty() ? "all valid" : fmt::format("repaired: {}", fmt::join(site_report.repaired, ", ")))});
        std::vector<std::vector<std::string>> reject_rows{{"rows read", std::to_string(result.rows_read)}, {"rows used", std::to_string(in.size())}};
        for (size_t r = 0; r < reject_reason_count; ++r)
            if (const uint64_t c = result.rejects.count(static_cast<RejectReason>(r)))
                reject_rows.push_back({fmt::format("rejected: {}", reason_text(static_cast<RejectReason>(r))), std::to_string(c)});
        report.table({"rows", "count"}, reject_rows, "Every row read, used or rejected");
        report.paragraph(fmt::format("Made by safer {} with: {}", SAFER_VERSION, g_command_line));

        site_t.columns.push_back(layers::Column::text("site_id", "Site", s_id));
        site_t.columns.push_back(layers::Column::real("area_ha", "Site area, hectares", s_area_ha));
        site_t.columns.push_back(layers::Column::real("incidents_near", fmt::format("Incidents within {:g} m of the red line", radii[0]), s_near));
        site_t.columns.push_back(layers::Column::text("lsoas", "LSOAs the site lies in", s_lsoas));
        site_t.columns.push_back(layers::Column::real("kde", "Density of all crime at the site, incidents per km2", s_kde));
        site_t.columns.push_back(layers::Column::real("kde_pct", "Percentile of that density among the study area's cells", s_kde_pct));
        site_t.columns.push_back(layers::Column::text("gi_status", "Gi* status of the 100 m cells the site touches", s_gi));
        site_t.columns.push_back(layers::Column::real("nearest_hot_m", "Distance to the nearest 100 m cell hot at 95 %", s_nearest_hot));
        site_t.columns.push_back(layers::Column::text("trend", "Mann-Kendall trend of monthly incidents within the largest ring", s_trend));
        ring_t.columns.push_back(layers::Column::text("site_id", "Site", r_id));
        ring_t.columns.push_back(layers::Column::integer("ring", "1 = nearest", r_ring));
        ring_t.columns.push_back(layers::Column::real("inner_m", "Inner distance from the red line", r_inner));
        ring_t.columns.push_back(layers::Column::real("outer_m", "Outer distance from the red line", r_outer));
        ring_t.columns.push_back(layers::Column::real("area_ha", "Ring area, hectares", r_area));
        ring_t.columns.push_back(layers::Column::real("count", "All incidents in the ring", r_count));
        ring_t.columns.push_back(layers::Column::real("per_ha", "Incidents per hectare", r_density));
        for (size_t g = 0; g + 1 < groups.size(); ++g)
            ring_t.columns.push_back(layers::Column::real(groups[g].name + "_count", groups[g].description, r_group[g]));
        inc_t.columns.push_back(layers::Column::text("site_id", "Site", i_id));
        inc_t.columns.push_back(layers::Column::integer("ring", "Ring (1 = nearest)", i_ring));
        inc_t.columns.push_back(layers::Column::real("distance_m", "Distance from the red line (0 inside)", i_dist));
        inc_t.columns.push_back(layers::Column::text("month", "YYYY-MM", i_month));
        inc_t.columns.push_back(layers::Column::text("crime_type", "police.uk crime type", i_type));
        inc_t.columns.push_back(layers::Column::text("crime_group", "Crime group", i_group));

        nlohmann::ordered_json parameters{{"command", "site"}, {"site", site_arg}, {"from", from.str()}, {"to", to.str()},
                                          {"radii_m", radii}, {"working_crs", options.working_crs}, {"areas", areas_path},
                                          {"population", population_path}, {"kde_bandwidth_m", surface.bandwidth}};
        auto inputs = result.file_checksums();
        for (const std::string& p : {areas_path, population_path})
            if (!p.empty()) inputs.emplace_back(p, layers::sha256_file(p));
        if (site_report.source == site_arg) inputs.emplace_back(site_arg, layers::sha256_file(site_arg));
        progress.begin(fmt::format("writing {}", out.output), 1);
        layers::GeoPackageWriter writer(out.output, out.overwrite, options.working_crs);
        writer.write_table(site_t);
        writer.write_table(ring_t);
        writer.write_table(inc_t);
        std::vector<std::string> sources;
        for (const auto& src : result.sources) sources.push_back(src.path);
        writer.write_rejects(result.rejects, sources);
        record_run(writer, inputs, parameters.dump());
        writer.commit();
        report.write(report_path, out.overwrite);
        progress.end();
        // A PDF beside the report, printed by headless Chromium where it is installed.
        const std::string pdf = (fs::path(report_path).parent_path() / (fs::path(report_path).stem().string() + ".pdf")).string();
        if (!no_pdf && std::system("command -v chromium >/dev/null 2>&1") == 0) {
            const std::string command = fmt::format("timeout 120 chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer "
                                                    "--print-to-pdf='{}' 'file://{}' >/dev/null 2>&1",
                                                    pdf, fs::absolute(report_path).string());
            if (std::system(command.c_str()) == 0 && fs::exists(pdf))
                progress.info(fmt::format("printed {} with headless Chromium", pdf));
            else
                progress.warn("headless Chromium could not print the report to PDF; the HTML report is complete");
        }
        progress.info(fmt::format("{} site{}: {} incidents within {:g} m of a red line", sites.size(), sites.size() == 1 ? "" : "s", i_id.size(), radii.back()));
        progress.info(fmt::format("wrote {} (site, site_rings, site_incidents, rejects) and {}", out.output, report_path));
    }
};

} // namespace

Run setup_site(CLI::App& app) {
    auto command = std::make_shared<SiteCommand>();
    app.add_option("--site", command->site_arg, "Red-line polygons (any OGR source), or one polygon as WKT or a GeoJSON geometry")->required();
    app.add_option("--site-id", command->site_id, "Field naming each site (default: detect a code field, else number them)");
    command->crimes.add_to(app);
    app.add_option("--areas", command->areas_path, "LSOA boundaries: the LSOAs each site lies in, and the study area");
    app.add_option("--population", command->population_path, "Population CSV by LSOA code: rates per 1,000 residents");
    app.add_option("--radii", command->radii, "Ring distances from the red line, metres, increasing")->delimiter(',')->capture_default_str();
    app.add_option("--months", command->months, "Months reviewed: the last N of the data (12 or 36)")->capture_default_str();
    app.add_option("--report", command->report_path, "The HTML report (one printable file; a PDF beside it where Chromium is installed)")->required();
    app.add_flag("--no-pdf", command->no_pdf, "Do not print the report to PDF with headless Chromium");
    command->out.add_to(app, "Output GeoPackage: site, site_rings, site_incidents, rejects");
    return [command] { command->run(); };
}

} // namespace safer::tools
