#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "engine/errors.hpp"
#include "engine/space_time.hpp"

using namespace safer;
using namespace safer::hotspots;

TEST_CASE("Mann-Kendall on hand examples", "[hotspots]") {
    // 1, 3, 2, 5, 5: pairs rising 8, falling 1 (3 -> 2), tied 1 (5, 5): S = 7.
    // Var = [5*4*15 - 2*1*9] / 18 = 282/18; z = (7 - 1) / sqrt(282/18).
    // tau-b = 7 / sqrt((10 - 1) * 10).
    const MannKendall mk = mann_kendall(std::vector<double>{1, 3, 2, 5, 5});
    CHECK(mk.s == 7);
    CHECK(mk.var == Approx(282.0 / 18).epsilon(1e-12));
    CHECK(mk.z == Approx(6 / std::sqrt(282.0 / 18)).epsilon(1e-12));
    CHECK(mk.tau == Approx(7 / std::sqrt(90.0)).epsilon(1e-12));
    CHECK(mk.p == Approx(std::erfc(mk.z / std::sqrt(2.0))).epsilon(1e-12));
    // Strictly falling: S = -10, Var = 5*4*15/18 = 50/3, z = (-10 + 1) / sqrt(50/3).
    const MannKendall down = mann_kendall(std::vector<double>{5, 4, 3, 2, 1});
    CHECK(down.s == -10);
    CHECK(down.var == Approx(50.0 / 3).epsilon(1e-12));
    CHECK(down.z == Approx(-9 / std::sqrt(50.0 / 3)).epsilon(1e-12));
    CHECK(down.tau == Approx(-1.0));
    // Flat: all tied, no trend, and no NaN.
    const MannKendall flat = mann_kendall(std::vector<double>{2, 2, 2, 2});
    CHECK(flat.z == 0);
    CHECK(flat.p == 1);
    CHECK(flat.tau == 0);
}

namespace {
// A hand-made Gi* series: 'H' a hot spot (z = +3, p = 0.001), 'C' a cold spot, '.' neither
// (z = 0.5, p = 0.6). `slope` tilts the z of the significant periods to steer the trend.
struct Series {
    std::vector<double> z, p;
    Series(const std::string& pattern, double slope = 0.0) {
        for (size_t t = 0; t < pattern.size(); ++t) {
            const double tilt = slope * static_cast<double>(t);
            switch (pattern[t]) {
            case 'H': z.push_back(3 + tilt), p.push_back(0.001); break;
            case 'C': z.push_back(-3 + tilt), p.push_back(0.001); break;
            default: z.push_back(0.5), p.push_back(0.6); break;
            }
        }
    }
};

EmergingPattern pattern_of(const std::string& s, double slope = 0.0) {
    const Series series(s, slope);
    return emerging_pattern(series.z, series.p).pattern;
}

HotspotClass class_of(const std::string& s) {
    const Series series(s);
    return hotspot_classify(series.z, series.p);
}
} // namespace

TEST_CASE("Esri emerging hot spot patterns on hand-made series", "[hotspots]") {
    using P = EmergingPattern;
    // Ten periods, oldest first. 90 % of them is 9.
    CHECK(pattern_of(".........H") == P::new_hot);
    CHECK(pattern_of("......HHHH") == P::consecutive_hot);
    CHECK(pattern_of("HHHHHHHHHH", +0.5) == P::intensifying_hot);
    CHECK(pattern_of("HHHHHHHHHH") == P::persistent_hot); // flat z: no trend
    CHECK(pattern_of(".HHHHHHHHH") == P::persistent_hot); // 9 of 10, final included, no trend
    CHECK(pattern_of("HHHHHHHHHH", -0.25) == P::diminishing_hot);
    CHECK(pattern_of("H..H...H.H") == P::sporadic_hot);
    CHECK(pattern_of("..HH...HHH") == P::sporadic_hot);   // hot before the final run: not consecutive
    CHECK(pattern_of("C..H...C.H") == P::oscillating_hot);
    CHECK(pattern_of("HHHHHHHHH.") == P::historical_hot);

    CHECK(pattern_of(".........C") == P::new_cold);
    CHECK(pattern_of("......CCCC") == P::consecutive_cold);
    CHECK(pattern_of("CCCCCCCCCC", -0.5) == P::intensifying_cold); // ever colder
    CHECK(pattern_of("CCCCCCCCCC") == P::persistent_cold);
    CHECK(pattern_of("CCCCCCCCCC", +0.25) == P::diminishing_cold);
    CHECK(pattern_of("C..C...C.C") == P::sporadic_cold);
    CHECK(pattern_of("H..C...H.C") == P::oscillating_cold);
    CHECK(pattern_of("CCCCCCCCC.") == P::historical_cold);

    CHECK(pattern_of("..........") == P::no_pattern);
    CHECK(pattern_of("H.H......." ) == P::no_pattern); // hot twice long ago: none of Esri's patterns
    CHECK(pattern_of("HHHHHHHH..") == P::no_pattern); // 80 %, not hot at the end

    // Overlaps resolve in Esri's table order, hot before cold: first hot after a cold past is
    // "new" (not oscillating); 90 % hot then cold at the end is historical hot (not new cold).
    CHECK(pattern_of("CCCCCCCC.H") == P::new_hot);
    CHECK(pattern_of("HHHHHHHHHC") == P::historical_hot);

    // The trend is reported with the pattern.
    const Series rising("HHHHHHHHHH", 0.5);
    const EmergingResult r = emerging_pattern(rising.z, rising.p);
    CHECK(r.trend.s == 45);
    CHECK(r.trend.p < 0.001);
    CHECK(emerging_name(P::oscillating_cold) == "Oscillating Cold Spot");

    // Batch over units: two units of ten periods.
    const Series a(".........H"), b("HHHHHHHHH.");
    std::vector<double> z = a.z, p = a.p;
    z.insert(z.end(), b.z.begin(), b.z.end());
    p.insert(p.end(), b.p.begin(), b.p.end());
    const auto all = emerging_hotspots(10, z, p);
    REQUIRE(all.size() == 2);
    CHECK(all[0].pattern == P::new_hot);
    CHECK(all[1].pattern == P::historical_hot);
}

TEST_CASE("sfhotspot-style classification on hand-made series", "[hotspots]") {
    using C = HotspotClass;
    // Ten periods: the last 2 (floor(0.2 * 10)) are recent, the first 8 older.
    CHECK(class_of("HHHHHHHH..") == C::persistent_hot);  // 80 % >= persistent_prop 0.8
    CHECK(class_of("........H.") == C::emerging_hot);    // older 0/8 < 0.1, recent 1/2 >= 0.2
    CHECK(class_of("H.........") == C::former_hot);      // older 1/8 >= 0.1, recent 0/2 < 0.1
    CHECK(class_of("H.H.H....H") == C::intermittent_hot); // 40 %, hot both before and recently
    CHECK(class_of("CCCCCCCCC.") == C::persistent_cold);
    CHECK(class_of(".........C") == C::emerging_cold);
    CHECK(class_of(".C........") == C::former_cold);
    CHECK(class_of("C...C...CC") == C::intermittent_cold);
    CHECK(class_of("H......C..") == C::mixed);           // former hot and former cold
    CHECK(class_of("..........") == C::no_pattern);
    CHECK(hotspot_class_name(C::mixed) == "mixed hot/coldspot");
    // One period cannot be split into recent and older.
    const Series one("H");
    CHECK_THROWS_AS(hotspot_classify(one.z, one.p), InputError);
}
