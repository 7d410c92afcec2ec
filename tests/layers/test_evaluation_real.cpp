// Real data, issue 18: safer evaluate's methods on Avon and Somerset burglaries, 2021-03 to
// 2022-03, with the intervention starting 2021-10 (7 months before, 6 after). Planted effects: a
// known share of the burglaries in a cluster of LSOAs is removed after the start, and every
// method must find it within its interval; placebos: the same with nothing removed, where about
// 5 % of areas should come out significant at 5 %.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>

#include "engine/area_index.hpp"
#include "engine/evaluation.hpp"
#include "engine/permutation.hpp"
#include "layers/area_reader.hpp"
#include "layers/incident_reader.hpp"

using namespace safer;
using namespace safer::evaluation;

namespace {

struct RealData {
    layers::IngestResult crimes;
    Areas areas;
    std::vector<int32_t> area_of;
    std::vector<double> cx, cy; // a point in each LSOA
    std::vector<uint8_t> burglary;
};

const RealData& real_data() {
    static const RealData d = [] {
        RealData r;
        const std::string data = SAFER_DATA_DIR;
        Progress quiet(true);
        r.crimes = layers::read_incidents({data + "/avon-and-somerset/crime/street"}, {}, quiet);
        layers::AreaReport report;
        r.areas = layers::read_areas(data + "/avon-and-somerset/boundaries/lsoa_2011_avon_and_somerset.geojson", {}, report, quiet);
        r.area_of = AreaIndex(r.areas).locate(r.crimes.incidents.x, r.crimes.incidents.y);
        for (const auto& g : r.areas.geometry) {
            const geos::Geometry p(GEOSPointOnSurface_r(geos::context(), g.get()));
            double x = 0, y = 0;
            GEOSGeomGetX_r(geos::context(), p.get(), &x), GEOSGeomGetY_r(geos::context(), p.get(), &y);
            r.cx.push_back(x), r.cy.push_back(y);
        }
        const CrimeTypeId* burglary = r.crimes.types.find("Burglary");
        for (CrimeTypeId t : r.crimes.incidents.type) r.burglary.push_back(burglary && t == *burglary);
        return r;
    }();
    return d;
}

/// An LSOA and its nearest `size - 1` LSOAs by distance between their points.
std::vector<size_t> cluster(const RealData& d, size_t seed, size_t size) {
    std::vector<size_t> order(d.areas.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const double da = std::hypot(d.cx[a] - d.cx[seed], d.cy[a] - d.cy[seed]), db = std::hypot(d.cx[b] - d.cx[seed], d.cy[b] - d.cy[seed]);
        return da != db ? da < db : a < b;
    });
    order.resize(size);
    std::sort(order.begin(), order.end());
    return order;
}

struct Outcome {
    double estimate[5], low[5], high[5], p[5];
};
const char* const method_names[5] = {"before_after", "wdd", "did", "synthetic_control", "wdq"};

Outcome run(const RealData& d, const std::vector<size_t>& target, double removed_share, uint64_t seed, uint32_t placebos) {
    const Month start = *Month::parse("2021-10");
    const Incidents& all = d.crimes.incidents;
    // Remove the share of the target's burglaries after the start: the nearest whole number of
    // them, drawn at random with the seed.
    std::vector<uint8_t> keep(all.size(), 1);
    if (removed_share > 0) {
        std::vector<uint8_t> in_target(d.areas.size(), 0);
        for (size_t a : target) in_target[a] = 1;
        std::vector<size_t> after;
        for (size_t i = 0; i < all.size(); ++i)
            if (d.burglary[i] && all.month[i] >= start && d.area_of[i] >= 0 && in_target[static_cast<size_t>(d.area_of[i])]) after.push_back(i);
        const auto n = static_cast<size_t>(std::llround(removed_share * static_cast<double>(after.size())));
        hotspots::detail::UnitRng rng(seed, 99);
        for (size_t k = 0; k < n; ++k) std::swap(after[k], after[k + rng.below(static_cast<uint32_t>(after.size() - k))]);
        for (size_t k = 0; k < n; ++k) keep[after[k]] = 0;
    }
    Incidents in = all;
    in.keep(keep);
    std::vector<int32_t> area_of;
    std::vector<uint8_t> burglary;
    for (size_t i = 0; i < all.size(); ++i)
        if (keep[i]) area_of.push_back(d.area_of[i]), burglary.push_back(d.burglary[i]);
    EvaluationDesign design;
    design.target.areas = target;
    design.automatic_control = true;
    EvaluationOptions options;
    options.start = start;
    options.seed = seed;
    options.placebos = placebos;
    const Evaluation e = evaluate(in, burglary, d.areas, area_of, design, options, nullptr);
    Outcome o;
    o.estimate[0] = e.relative.estimate - 1, o.low[0] = e.relative.low - 1, o.high[0] = e.relative.high - 1, o.p[0] = e.relative.p;
    o.estimate[1] = e.wdd.wdd / e.wdd.expected_target, o.low[1] = e.wdd.low / e.wdd.expected_target, o.high[1] = e.wdd.high / e.wdd.expected_target, o.p[1] = e.wdd.p;
    o.estimate[2] = std::expm1(e.did.beta), o.low[2] = std::expm1(e.did.low), o.high[2] = std::expm1(e.did.high), o.p[2] = e.did.p;
    o.estimate[3] = e.synthetic.estimate, o.low[3] = e.synthetic.low, o.high[3] = e.synthetic.high, o.p[3] = e.synthetic.p;
    o.estimate[4] = e.wdq.wdq, o.low[4] = o.high[4] = o.p[4] = std::nan("");
    return o;
}

} // namespace

TEST_CASE("Real data experiment: placebo and planted areas", "[.experiment]") {
    const RealData& d = real_data();
    const size_t n = 100;
    hotspots::detail::UnitRng rng(2024, 1);
    std::vector<size_t> seeds;

    while (seeds.size() < n) {
        const size_t s = rng.below(static_cast<uint32_t>(d.areas.size()));
        const std::vector<size_t> c = cluster(d, s, 5);
        double total = 0;
        for (size_t i = 0; i < d.area_of.size(); ++i)
            if (d.burglary[i] && d.area_of[i] >= 0 && std::binary_search(c.begin(), c.end(), static_cast<size_t>(d.area_of[i]))) total += 1;
        if (total >= 30) seeds.push_back(s);
    }
    for (double share : {0.0, 0.3}) {
        size_t significant[4] = {0, 0, 0, 0}, covered[4] = {0, 0, 0, 0};
        double mean[4] = {0, 0, 0, 0};
        size_t valid[4] = {0, 0, 0, 0};
        std::vector<std::vector<double>> all_estimates(4);
        for (size_t k = 0; k < n; ++k) {
            const std::vector<size_t> target = cluster(d, seeds[k], 5);
            Outcome o;
            try {
                o = run(d, target, share, 7 + k, 199);
            } catch (const std::exception& ex) {
                std::cout << "area " << k << ": " << ex.what() << "\n";
                continue;
            }
            for (int m = 0; m < 4; ++m) {
                if (std::isnan(o.p[m])) continue;
                ++valid[m];
                significant[m] += o.p[m] < 0.05;
                covered[m] += o.low[m] <= -share && o.high[m] >= -share;
                mean[m] += std::log1p(std::max(o.estimate[m], -0.99));
                all_estimates[m].push_back(o.estimate[m]);
            }
        }
        for (int m = 0; m < 4; ++m) {
            std::sort(all_estimates[m].begin(), all_estimates[m].end());
            std::cout << "  median " << all_estimates[m][all_estimates[m].size() / 2] << "\n";
        }
        for (int m = 0; m < 4; ++m)
            std::cout << "share " << share << " " << method_names[m] << ": valid " << valid[m] << ", significant " << significant[m] << ", covered "
                      << covered[m] << ", mean log(1 + estimate) " << mean[m] / static_cast<double>(valid[m]) << "\n";
    }
}

TEST_CASE("Real data experiment: synthetic control diagnostics", "[.sc]") {
    const RealData& d = real_data();
    hotspots::detail::UnitRng rng(2024, 1);
    for (int k = 0; k < 12; ++k) {
        const std::vector<size_t> target = cluster(d, rng.below(static_cast<uint32_t>(d.areas.size())), 5);
        EvaluationDesign design;
        design.target.areas = target;
        design.automatic_control = true;
        EvaluationOptions options;
        options.start = *Month::parse("2021-10");
        options.placebos = 199;
        const Evaluation e = evaluate(d.crimes.incidents, d.burglary, d.areas, d.area_of, design, options, nullptr);
        const SyntheticResult& s = e.synthetic;
        // Unweighted: every donor LSOA summed.
        double dpre = 0, dpost = 0;
        for (size_t k2 = 0; k2 < e.donors.size(); ++k2) (void)k2;
        for (size_t i = 0; i < d.area_of.size(); ++i) {
            if (!d.burglary[i] || d.area_of[i] < 0) continue;
            if (!std::binary_search(e.donors.begin(), e.donors.end(), static_cast<size_t>(d.area_of[i]))) continue;
            (d.crimes.incidents.month[i] < options.start ? dpre : dpost) += 1;
        }
        const double spre = std::accumulate(s.synthetic.begin(), s.synthetic.begin() + 7, 0.0), spost = std::accumulate(s.synthetic.begin() + 7, s.synthetic.end(), 0.0);
        std::cout << "target " << e.target.before << " -> " << e.target.after << " (" << e.target.after / e.target.before << ") synth " << spre << " -> " << spost << " ("
                  << spost / spre << ") donors all " << dpre << " -> " << dpost << " (" << dpost / dpre << ") control " << e.control.before << " -> " << e.control.after
                  << " (" << e.control.after / e.control.before << ")\n";
        std::cout << "   target monthly:";
        for (double v : e.target.monthly) std::cout << " " << v;
        std::cout << "\n   synth monthly:";
        for (double v : s.synthetic) std::cout << " " << v;
        std::cout << "\n";
        if (k < 3) {
            // The weighted donor areas: rebuild them as the engine does (its base areas).
            std::vector<double> ratios;
            for (size_t g = 0; g < s.area_weight.size(); ++g) {
                if (s.area_weight[g] < 0.02) continue;
                std::cout << "   area " << g << " w " << s.area_weight[g] << "\n";
            }
            double wsum = 0, wpre = 0, wpost = 0;
            for (size_t j = 0; j < s.weight.size(); ++j) {
                if (s.weight[j] <= 0) continue;
                wsum += s.weight[j];
            }
            (void)wpre, (void)wpost;
            std::cout << "   donor areas median lsoas " << s.donor_area_lsoas << " placebo " << s.placebo_area_lsoas << "\n";
        }
    }
}

TEST_CASE("Real data experiment: synthetic control calibration", "[.sc2]") {
    const RealData& d = real_data();
    const Month start = *Month::parse("2021-10");
    for (int variant = 1; variant < 2; ++variant) {
        hotspots::detail::UnitRng rng(2024, 1);
        std::vector<double> target_stats, placebo_stats, ps, est;
        int runs = 0;
        while (runs < 60) {
            const std::vector<size_t> target = cluster(d, rng.below(static_cast<uint32_t>(d.areas.size())), 5);
            double before = 0;
            for (size_t i = 0; i < d.area_of.size(); ++i)
                if (d.burglary[i] && d.crimes.incidents.month[i] < start && d.area_of[i] >= 0 && std::binary_search(target.begin(), target.end(), static_cast<size_t>(d.area_of[i])))
                    before += 1;
            if (before < (variant == 0 ? 0 : 20)) continue;
            ++runs;
            EvaluationDesign design;
            design.target.areas = target;
            design.automatic_control = true;
            EvaluationOptions options;
            options.start = start;
            options.placebos = 199;
            const Evaluation e = evaluate(d.crimes.incidents, d.burglary, d.areas, d.area_of, design, options, nullptr);
            const SyntheticResult& s = e.synthetic;
            if (std::isnan(s.p)) continue;
            ps.push_back(s.p);
            {
                std::vector<double> pl;
                for (double v : s.placebo_estimates)
                    if (!std::isnan(v) && v > -1) pl.push_back(std::log1p(v));
                std::sort(pl.begin(), pl.end());
                est.push_back(pl[pl.size() / 2]);
                std::cout << "  target log " << std::log1p(s.estimate) << " did " << e.did.beta << " placebo median " << pl[pl.size() / 2] << " mean "
                          << std::accumulate(pl.begin(), pl.end(), 0.0) / static_cast<double>(pl.size()) << "\n";
            }
            target_stats.push_back(std::fabs(std::log1p(s.estimate)));
            for (double v : s.placebo_estimates)
                if (!std::isnan(v)) placebo_stats.push_back(std::fabs(std::log1p(v)));
        }
        std::sort(target_stats.begin(), target_stats.end());
        std::sort(placebo_stats.begin(), placebo_stats.end());
        double mean_p = 0, mean_est = 0;
        size_t p05 = 0, p10 = 0;
        for (double p : ps) mean_p += p, p05 += p < 0.05, p10 += p < 0.10;
        for (double v : est) mean_est += v;
        std::cout << "variant " << variant << ": runs " << ps.size() << " mean p " << mean_p / static_cast<double>(ps.size())
                  << " p<.05 " << p05 << " p<.10 " << p10 << " mean log est " << mean_est / static_cast<double>(est.size()) << " | ";
        for (double q : {0.5, 0.9, 0.95})
            std::cout << "q" << q << " " << target_stats[static_cast<size_t>(q * static_cast<double>(target_stats.size() - 1))] << "/"
                      << placebo_stats[static_cast<size_t>(q * static_cast<double>(placebo_stats.size() - 1))] << " ";
        std::cout << "\n";
    }
}
