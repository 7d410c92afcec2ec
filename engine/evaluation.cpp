#include "engine/evaluation.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <boost/geometry/geometries/box.hpp>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <numeric>

#include "engine/area_index.hpp"
#include "engine/errors.hpp"

namespace safer::evaluation {

namespace {

enum Role : int8_t { none = -1, target_role = 0, buffer_role = 1, control_role = 2 };

/// The union of polygons (cloned), valid.
geos::Geometry union_of(const std::vector<const GEOSGeometry*>& parts) {
    GEOSContextHandle_t ctx = geos::context();
    std::vector<GEOSGeometry*> clones;
    for (const GEOSGeometry* g : parts) clones.push_back(geos::clone(g).release());
    geos::Geometry collection = geos::checked(GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, clones.data(), static_cast<unsigned>(clones.size())),
                                              "collecting polygons");
    return geos::checked(GEOSUnaryUnion_r(ctx, collection.get()), "union of polygons");
}

std::vector<const GEOSGeometry*> area_geometries(const Areas& areas, const std::vector<size_t>& which) {
    std::vector<const GEOSGeometry*> g;
    for (size_t a : which) g.push_back(areas.geometry[a].get());
    return g;
}

double overlap_m2(const GEOSGeometry* a, const GEOSGeometry* b) {
    if (!geos::extent(a).overlaps(geos::extent(b))) return 0;
    GEOSContextHandle_t ctx = geos::context();
    if (!GEOSIntersects_r(ctx, a, b)) return 0;
    const geos::Geometry i = geos::checked(GEOSIntersection_r(ctx, a, b), "intersection");
    return geos::area(i.get());
}

bool within(const Extent& e, double x, double y) { return x >= e.min_x && x <= e.max_x && y >= e.min_y && y <= e.max_y; }

std::string some_codes(const Areas& areas, const std::vector<size_t>& which) {
    std::vector<std::string> codes;
    for (size_t k = 0; k < std::min<size_t>(which.size(), 10); ++k) codes.push_back(areas.code[which[k]]);
    return fmt::format("{}{}", fmt::join(codes, ", "), which.size() > 10 ? fmt::format(" and {} more", which.size() - 10) : "");
}

/// Level and trend of a series before the start, for matching: log of (crimes a month per LSOA +
/// 0.5), and log of (last half + 0.5) / (first half + 0.5) per LSOA.
struct Features {
    double level, trend;
};
Features features(const std::vector<double>& monthly, int before, double size) {
    double sum = 0, early = 0, late = 0;
    const int half = before / 2;
    for (int t = 0; t < before; ++t) {
        sum += monthly[static_cast<size_t>(t)];
        if (t < half) early += monthly[static_cast<size_t>(t)];
        if (t >= before - half) late += monthly[static_cast<size_t>(t)];
    }
    return {std::log(sum / before / size + 0.5), std::log((late / size + 0.5) / (early / size + 0.5))};
}

double sum_range(const std::vector<double>& v, int from, int to) {
    return std::accumulate(v.begin() + from, v.begin() + to, 0.0);
}

/// The target overlapping the control, or the buffer overlapping it, is refused: a place cannot
/// stand for what happened without the intervention while having it, or while crime displaced by
/// it could reach it.
void check_overlaps(const Evaluation& e, const Areas& areas) {
    const auto overlapping = [&](const GEOSGeometry* place) {
        std::vector<size_t> which;
        for (size_t a : e.control.areas)
            if (overlap_m2(areas.geometry[a].get(), place) > overlap_tolerance_m2) which.push_back(a);
        return which;
    };
    const auto check = [&](const GEOSGeometry* place, const char* what, const char* advice) {
        if (e.control.areas.empty()) {
            const double shared = overlap_m2(e.control.geometry.get(), place);
            if (shared > overlap_tolerance_m2)
                throw InputError(fmt::format("the control overlaps {} ({:.0f} m2 in common): {}", what, shared, advice));
        } else if (const std::vector<size_t> which = overlapping(place); !which.empty()) {
            throw InputError(fmt::format("the control overlaps {}: {} of its {} areas ({}) {}: {}", what, which.size(), e.control.areas.size(),
                                         some_codes(areas, which), which.size() == 1 ? "lies partly or wholly in it" : "lie partly or wholly in it", advice));
        }
    };
    check(e.target.geometry.get(), "the target", "choose control areas outside the target");
    if (!GEOSisEmpty_r(geos::context(), e.buffer.geometry.get()))
        check(e.buffer.geometry.get(),
              std::isnan(e.buffer_m) ? "the buffer (--buffer-area)" : fmt::format("the buffer ({:g} m around the target)", e.buffer_m).c_str(),
              "crime displaced from the target could reach it; choose control areas further away, or a smaller --buffer");
}

/// Each incident evaluated in the months to its place (target first, then buffer, then control),
/// and the monthly counts of each place.
void count_roles(Evaluation& e, const Incidents& in, const std::vector<uint8_t>& evaluated, const std::vector<int32_t>& area_of, const EvaluationDesign& design) {
    GEOSContextHandle_t ctx = geos::context();
    const Periods& p = e.periods;
    const size_t M = static_cast<size_t>(p.months());
    for (RoleResult* r : {&e.target, &e.buffer, &e.control}) r->monthly.assign(M, 0.0);
    std::vector<int8_t> area_role;
    if (!area_of.empty()) {
        int32_t top = 0;
        for (int32_t a : area_of) top = std::max(top, a + 1);
        area_role.assign(static_cast<size_t>(top), none);
        const auto mark = [&](const std::vector<size_t>& which, Role role) {
            for (size_t a : which)
                if (a < area_role.size() && area_role[a] == none) area_role[a] = role;
        };
        mark(e.target.areas, target_role);
        mark(e.control.areas, control_role);
    }
    struct Shape {
        geos::Prepared prepared;
        Extent extent;
    };
    const auto shape = [&](const RoleResult& r) { return Shape{geos::prepare(r.geometry.get()), geos::extent(r.geometry.get())}; };
    const Shape target = shape(e.target), buffer = shape(e.buffer), control = shape(e.control);
    const auto inside = [&](const Shape& s, double x, double y) {
        if (!within(s.extent, x, y)) return false;
        const geos::Geometry pt = geos::point(x, y);
        return GEOSPreparedIntersects_r(ctx, s.prepared.get(), pt.get()) == 1;
    };
    e.incident_role.assign(in.size(), none);
    for (size_t i = 0; i < in.size(); ++i) {
        if (!evaluated[i] || in.month[i] < p.first || in.month[i] > p.end) continue;
        ++e.evaluated;
        const int32_t a = area_of.empty() ? no_area : area_of[i];
        const int8_t by_area = a == no_area || static_cast<size_t>(a) >= area_role.size() ? int8_t{none} : area_role[static_cast<size_t>(a)];
        int8_t role = none;
        if (design.target.by_areas() ? by_area == target_role : inside(target, in.x[i], in.y[i])) role = target_role;
        else if (inside(buffer, in.x[i], in.y[i])) role = buffer_role;
        else if (!e.control.areas.empty() ? by_area == control_role : inside(control, in.x[i], in.y[i])) role = control_role;
        e.incident_role[i] = role;
        if (role == none) continue;
        RoleResult& r = role == target_role ? e.target : role == buffer_role ? e.buffer : e.control;
        r.monthly[static_cast<size_t>(in.month[i].index - p.first.index)] += 1;
    }
    for (RoleResult* r : {&e.target, &e.buffer, &e.control}) {
        r->before = sum_range(r->monthly, 0, p.before);
        r->after = sum_range(r->monthly, p.before, p.months());
    }
}

/// How far the buffer reaches from the target: the farthest point of the buffer from it.
double buffer_reach(const Evaluation& e) {
    GEOSContextHandle_t ctx = geos::context();
    if (GEOSisEmpty_r(ctx, e.buffer.geometry.get())) return 0;
    double d = 0;
    GEOSHausdorffDistance_r(ctx, e.buffer.geometry.get(), e.target.geometry.get(), &d);
    return d;
}

/// For each of `which` areas, those of `which` within `distance` of it (itself included), as
/// positions in `which`.
std::vector<std::vector<uint32_t>> near_lsoas(const Areas& areas, const std::vector<size_t>& which, double distance) {
    namespace bgi = boost::geometry::index;
    using Box = boost::geometry::model::box<boost::geometry::model::d2::point_xy<double>>;
    std::vector<std::pair<Box, uint32_t>> boxes;
    for (size_t k = 0; k < which.size(); ++k) {
        const Extent x = geos::extent(areas.geometry[which[k]].get());
        boxes.emplace_back(Box({x.min_x, x.min_y}, {x.max_x, x.max_y}), static_cast<uint32_t>(k));
    }
    const bgi::rtree<std::pair<Box, uint32_t>, bgi::rstar<16>> tree(boxes.begin(), boxes.end());
    std::vector<std::vector<uint32_t>> near(which.size());
    tbb::parallel_for(tbb::blocked_range<size_t>(0, which.size()), [&](const tbb::blocked_range<size_t>& range) {
        GEOSContextHandle_t ctx = geos::context();
        std::vector<std::pair<Box, uint32_t>> found;
        for (size_t k = range.begin(); k != range.end(); ++k) {
            const Extent x = geos::extent(areas.geometry[which[k]].get()).grown(distance);
            found.clear();
            tree.query(bgi::intersects(Box({x.min_x, x.min_y}, {x.max_x, x.max_y})), std::back_inserter(found));
            for (const auto& [box, other] : found) {
                double d = 0;
                if (other == k || (GEOSDistance_r(ctx, areas.geometry[which[k]].get(), areas.geometry[which[other]].get(), &d) == 1 && d <= distance))
                    near[k].push_back(other);
            }
            std::sort(near[k].begin(), near[k].end());
        }
    });
    return near;
}

} // namespace

Periods resolve_periods(Month data_first, Month data_last, Month start, std::optional<Month> end) {
    Periods p;
    p.first = data_first;
    p.start = start;
    p.end = end.value_or(data_last);
    if (start > data_last || start <= data_first)
        throw InputError(fmt::format("--start {}: the data cover {} to {}, so the start must be after {} and no later than {}", start.str(),
                                     data_first.str(), data_last.str(), data_first.str(), data_last.str()));
    if (p.end > data_last) throw InputError(fmt::format("--end {}: the data end in {}", p.end.str(), data_last.str()));
    if (p.end < start) throw InputError(fmt::format("--end {} is before --start {}", p.end.str(), start.str()));
    p.before = start.index - data_first.index;
    p.after = p.end.index - start.index + 1;
    if (p.before < min_months_before)
        throw InputError(fmt::format("only {} month{} of data before the start ({} to {}); an evaluation needs at least {}: start later, or add "
                                     "earlier months of crime data",
                                     p.before, p.before == 1 ? "" : "s", data_first.str(), Month{start.index - 1}.str(), min_months_before));
    if (p.after < min_months_after)
        throw InputError(fmt::format("only {} month{} of data from the start ({} to {}); an evaluation needs at least {} after it: add later "
                                     "months of crime data",
                                     p.after, p.after == 1 ? "" : "s", start.str(), p.end.str(), min_months_after));
    return p;
}

Evaluation evaluate(const Incidents& in, const std::vector<uint8_t>& evaluated, const Areas& areas, const std::vector<int32_t>& area_of,
                    const EvaluationDesign& design, const EvaluationOptions& options, Progress* progress) {
    Evaluation e;
    GEOSContextHandle_t ctx = geos::context();
    // The months, and no gap in them: a month without a single incident is a missing file.
    Month data_first{INT32_MAX}, data_last{-1};
    for (Month m : in.month) data_first = std::min(data_first, m), data_last = std::max(data_last, m);
    if (in.size() == 0) throw InputError("no incidents to evaluate");
    e.periods = resolve_periods(data_first, data_last, options.start, options.end);
    const Periods& p = e.periods;
    const int months = p.months();
    std::vector<uint64_t> any(static_cast<size_t>(months), 0);
    for (Month m : in.month)
        if (m >= p.first && m <= p.end) ++any[static_cast<size_t>(m.index - p.first.index)];
    std::vector<std::string> empty_months;
    for (int t = 0; t < months; ++t)
        if (any[static_cast<size_t>(t)] == 0) empty_months.push_back(Month{p.first.index + t}.str());
    if (!empty_months.empty())
        throw InputError(fmt::format("no incident at all is recorded in {} (between {} and {}): a month of the crime data is probably missing",
                                     fmt::join(empty_months, ", "), p.first.str(), p.end.str()));

    // The places: target, buffer ring, control.
    e.target.areas = design.target.areas;
    e.target.geometry = union_of(design.target.by_areas() ? area_geometries(areas, design.target.areas) : design.target.polygons);
    e.target.area_m2 = geos::area(e.target.geometry.get());
    geos::Geometry around; // target and buffer together
    if (!design.buffer_polygons.empty()) {
        around = union_of(design.buffer_polygons);
        around = geos::checked(GEOSUnion_r(ctx, around.get(), e.target.geometry.get()), "target and buffer");
    } else {
        e.buffer_m = design.buffer_m;
        around = geos::checked(GEOSBuffer_r(ctx, e.target.geometry.get(), design.buffer_m, 16), "buffer around the target");
    }
    e.buffer.geometry = geos::checked(GEOSDifference_r(ctx, around.get(), e.target.geometry.get()), "buffer ring");
    e.buffer.area_m2 = geos::area(e.buffer.geometry.get());

    // Areas clear of the target and buffer: candidates for the control and donors.
    std::vector<size_t> clear;
    std::vector<double> target_share(areas.size(), 0.0);
    {
        const geos::Prepared prepared = geos::prepare(around.get());
        const Extent around_extent = geos::extent(around.get());
        for (size_t a = 0; a < areas.size(); ++a) {
            const GEOSGeometry* g = areas.geometry[a].get();
            if (!geos::extent(g).overlaps(around_extent) || !GEOSPreparedIntersects_r(ctx, prepared.get(), g) ||
                overlap_m2(g, around.get()) <= overlap_tolerance_m2) {
                clear.push_back(a);
                continue;
            }
            target_share[a] = overlap_m2(g, e.target.geometry.get()) / std::max(geos::area(g), 1e-9);
        }
    }
    e.selection.target_size = design.target.by_areas() ? static_cast<double>(design.target.areas.size())
                                                       : std::accumulate(target_share.begin(), target_share.end(), 0.0);
    if (!(e.selection.target_size > 0)) e.selection.target_size = 1;

    // Crimes by area and month (evaluated, and the rest for matching).
    const size_t M = static_cast<size_t>(months);
    std::vector<std::vector<double>> area_evaluated(areas.size(), std::vector<double>(M, 0.0)), area_other = area_evaluated;
    for (size_t i = 0; i < in.size(); ++i) {
        if (in.month[i] < p.first || in.month[i] > p.end || area_of.empty() || area_of[i] == no_area) continue;
        (evaluated[i] ? area_evaluated : area_other)[static_cast<size_t>(area_of[i])][static_cast<size_t>(in.month[i].index - p.first.index)] += 1;
    }
    uint64_t other_total = 0;
    for (uint8_t f : evaluated) other_total += !f;

    // The control: given, or chosen.
    if (design.automatic_control) {
        ControlSelection& s = e.selection;
        s.automatic = true;
        s.on_other_crime = other_total > 0;
        s.candidates = clear.size();
        const auto& matching = s.on_other_crime ? area_other : area_evaluated;
        if (clear.empty()) throw InputError("--control auto: every area overlaps the target or its buffer; there is none left to compare with");
        // The target's own series of the matching crime, by its places.
        std::vector<double> target_matching(M, 0.0);
        {
            const geos::Prepared prepared = geos::prepare(e.target.geometry.get());
            std::vector<uint8_t> in_target(areas.size(), 0);
            for (size_t a : design.target.areas) in_target[a] = 1;
            const Extent te = geos::extent(e.target.geometry.get());
            for (size_t i = 0; i < in.size(); ++i) {
                if ((s.on_other_crime && evaluated[i]) || in.month[i] < p.first || in.month[i] > p.end) continue;
                bool inside;
                if (design.target.by_areas()) inside = !area_of.empty() && area_of[i] != no_area && in_target[static_cast<size_t>(area_of[i])];
                else {
                    inside = within(te, in.x[i], in.y[i]);
                    if (inside) {
                        const geos::Geometry pt = geos::point(in.x[i], in.y[i]);
                        inside = GEOSPreparedIntersects_r(ctx, prepared.get(), pt.get());
                    }
                }
                if (inside) target_matching[static_cast<size_t>(in.month[i].index - p.first.index)] += 1;
            }
        }
        const Features t = features(target_matching, p.before, s.target_size);
        std::vector<Features> f;
        for (size_t a : clear) f.push_back(features(matching[a], p.before, 1));
        // Standardised by their spread among the candidates.
        const auto spread = [&](auto member) {
            double mean = 0, ss = 0;
            for (const Features& x : f) mean += x.*member;
            mean /= static_cast<double>(f.size());
            for (const Features& x : f) ss += (x.*member - mean) * (x.*member - mean);
            const double sd = std::sqrt(ss / static_cast<double>(f.size()));
            return sd > 0 ? sd : 1.0;
        };
        const double sd_level = spread(&Features::level), sd_trend = spread(&Features::trend);
        std::vector<size_t> order(clear.size());
        std::iota(order.begin(), order.end(), size_t{0});
        std::vector<double> distance(clear.size());
        for (size_t k = 0; k < clear.size(); ++k) {
            const double dl = (f[k].level - t.level) / sd_level, dt = (f[k].trend - t.trend) / sd_trend;
            distance[k] = dl * dl + dt * dt;
        }
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return distance[a] < distance[b]; });
        size_t want = options.control_areas ? options.control_areas
                                            : std::max(min_control_areas, static_cast<size_t>(std::ceil(control_size_factor * s.target_size)));
        want = std::min(want, clear.size());
        for (size_t k = 0; k < want; ++k) e.control.areas.push_back(clear[order[k]]);
        std::sort(e.control.areas.begin(), e.control.areas.end());
        // The figures that show the match: per LSOA, as crimes a month and the ratio of halves.
        std::vector<double> control_matching(M, 0.0), control_evaluated(M, 0.0);
        for (size_t a : e.control.areas)
            for (size_t m = 0; m < M; ++m) control_matching[m] += matching[a][m], control_evaluated[m] += area_evaluated[a][m];
        const double n = static_cast<double>(e.control.areas.size());
        const int half = p.before / 2;
        const auto ratio_of_halves = [&](const std::vector<double>& v) {
            const double early = sum_range(v, 0, half), late = sum_range(v, p.before - half, p.before);
            return early > 0 ? late / early : std::nan("");
        };
        s.target_level = sum_range(target_matching, 0, p.before) / p.before / s.target_size;
        s.control_level = sum_range(control_matching, 0, p.before) / p.before / n;
        s.target_trend = ratio_of_halves(target_matching);
        s.control_trend = ratio_of_halves(control_matching);
        s.control_evaluated_level = sum_range(control_evaluated, 0, p.before) / p.before / n;
    } else if (design.control.by_areas()) {
        e.control.areas = design.control.areas;
    }
    e.control.geometry = union_of(e.control.areas.empty() ? design.control.polygons : area_geometries(areas, e.control.areas));
    e.control.area_m2 = geos::area(e.control.geometry.get());
    if (!design.automatic_control) check_overlaps(e, areas);

    count_roles(e, in, evaluated, area_of, design);
    if (!(e.target.before > 0))
        throw InputError(fmt::format("the target recorded none of the {} before the start ({} to {}): there is nothing whose change could be measured",
                                     options.crimes, p.first.str(), Month{p.start.index - 1}.str()));
    if (!(e.control.before > 0))
        throw InputError(fmt::format("the control recorded none of the {} before the start ({} to {}): it cannot show how crime would have changed; "
                                     "choose larger control areas",
                                     options.crimes, p.first.str(), Month{p.start.index - 1}.str()));
    e.selection.target_evaluated_level = e.target.before / p.before / e.selection.target_size;
    if (!e.selection.automatic && !e.control.areas.empty()) e.selection.control_evaluated_level = e.control.before / p.before / static_cast<double>(e.control.areas.size());

    // Method 1: each place's change, and the target's against the control's.
    const auto count = [](double c) { return static_cast<uint64_t>(std::llround(c)); };
    for (RoleResult* r : {&e.target, &e.buffer, &e.control})
        r->change = rate_ratio_test(count(r->after), p.after, count(r->before), p.before, options.confidence);
    e.relative = fisher_exact_2x2(count(e.target.after), count(e.target.before), count(e.control.after), count(e.control.before), options.confidence);
    e.buffer_relative = fisher_exact_2x2(count(e.buffer.after), count(e.buffer.before), count(e.control.after), count(e.control.before), options.confidence);
    {
        const double share = e.target.before / (e.target.before + e.control.before);
        double chi2 = 0;
        int df = -1;
        for (int t = 0; t < p.before; ++t) {
            const double n = e.target.monthly[static_cast<size_t>(t)] + e.control.monthly[static_cast<size_t>(t)];
            if (!(n > 0)) continue;
            const double expected = n * share;
            chi2 += (e.target.monthly[static_cast<size_t>(t)] - expected) * (e.target.monthly[static_cast<size_t>(t)] - expected) / (expected * (1 - share));
            ++df;
        }
        if (df > 0 && share < 1) {
            e.dispersion = chi2 / df;
            e.dispersion_p = boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), chi2));
        }
    }
    // Methods 2 and 3: displacement and diffusion of benefit in the buffer.
    const AreaCounts t{e.target.before, e.target.after}, b{e.buffer.before, e.buffer.after}, c{e.control.before, e.control.after};
    e.wdq = displacement_quotient(t, b, c);
    e.wdd = displacement_difference(t, c, b, c, true, ControlScaling::before_ratio, options.confidence);
    // Method 4: the target and control month by month.
    DidInput did;
    did.counts = {e.target.monthly, e.control.monthly};
    did.treated = {1, 0};
    did.first_post = static_cast<size_t>(p.before);
    e.did = poisson_did(did, options.confidence);
    // Method 5: the synthetic control from the areas clear of the target and buffer.
    if (!areas.size()) return e;
    e.have_synthetic = true;
    SyntheticInput si;
    si.target = e.target.monthly;
    si.pre_months = static_cast<size_t>(p.before);
    si.placebos = options.placebos;
    si.seed = options.seed;
    si.donor_near = near_lsoas(areas, clear, std::isnan(e.buffer_m) ? buffer_reach(e) : e.buffer_m);
    for (size_t a : clear) {
        e.donors.push_back(a);
        si.donors.push_back(area_evaluated[a]);
        const geos::Geometry centre = geos::checked(GEOSPointOnSurface_r(ctx, areas.geometry[a].get()), "point on surface");
        double x = 0, y = 0;
        GEOSGeomGetX_r(ctx, centre.get(), &x);
        GEOSGeomGetY_r(ctx, centre.get(), &y);
        si.donor_x.push_back(x), si.donor_y.push_back(y);
    }
    e.synthetic = synthetic_control(si, options.confidence, progress);
    return e;
}

} // namespace safer::evaluation
