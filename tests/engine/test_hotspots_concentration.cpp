#include <catch2/catch.hpp>

#include <numeric>
#include <vector>

#include "engine/concentration.hpp"
#include "engine/errors.hpp"

using namespace safer;
using namespace safer::hotspots;

TEST_CASE("Gini and the generalised Gini on hand examples", "[hotspots]") {
    // 8 incidents in 10 units. Ascending ranks 8, 9, 10 hold 1, 2, 5:
    // G = (5*1 + 7*2 + 9*5) / (10 * 8) = 64/80 = 0.8; n > N, so
    // G' = (10/8)(0.8 - 1) + 1 = 0.75 (Bernasco & Steenbeek's example in lorenzgini).
    const std::vector<double> sparse = {5, 2, 1, 0, 0, 0, 0, 0, 0, 0};
    CHECK(gini(sparse) == Approx(0.8).epsilon(1e-12));
    CHECK(generalised_gini(sparse) == Approx(0.75).epsilon(1e-12));
    // 20 incidents in 10 units: G = (5*2 + 7*8 + 9*10) / 200 = 0.78 and G' = G.
    const std::vector<double> dense = {10, 8, 2, 0, 0, 0, 0, 0, 0, 0};
    CHECK(gini(dense) == Approx(0.78).epsilon(1e-12));
    CHECK(generalised_gini(dense) == Approx(0.78).epsilon(1e-12));
    // All in one of n units: (n - 1)/n; equal counts: 0.
    CHECK(gini(std::vector<double>{10, 0, 0, 0, 0, 0, 0, 0, 0, 0}) == Approx(0.9).epsilon(1e-12));
    CHECK(gini(std::vector<double>{3, 3, 3, 3}) == Approx(0.0).margin(1e-15));
    // 3 incidents spread as evenly as they can be over 10 units: maximal equality, G' = 0.
    CHECK(generalised_gini(std::vector<double>{1, 1, 1, 0, 0, 0, 0, 0, 0, 0}) == Approx(0.0).margin(1e-12));
}

TEST_CASE("Top shares and the Lorenz table on hand examples", "[hotspots]") {
    // Counts 1..100: total 5050; top 1 % = the 100, top 5 % = 100+..+96 = 490, top 10 % = 955.
    std::vector<double> counts(100);
    std::iota(counts.begin(), counts.end(), 1.0);
    CHECK(top_share(counts, 0.01) == Approx(100.0 / 5050).epsilon(1e-12));
    CHECK(top_share(counts, 0.05) == Approx(490.0 / 5050).epsilon(1e-12));
    CHECK(top_share(counts, 0.10) == Approx(955.0 / 5050).epsilon(1e-12));
    // 150 units: the top 1 % is 1.5 units, the 10 and half of the 6: 13 of 20 incidents.
    std::vector<double> wide(150, 0.0);
    wide[40] = 10, wide[7] = 6, wide[99] = 4;
    CHECK(top_share(wide, 0.01) == Approx(13.0 / 20).epsilon(1e-12));

    // 5, 2, 2, 1, 0 (total 10): one point per run of equal counts.
    const auto curve = lorenz_curve(std::vector<double>{2, 0, 5, 1, 2});
    REQUIRE(curve.size() == 5);
    CHECK(curve[0].units == 0);
    CHECK(curve[1].units == 1);
    CHECK(curve[1].incident_share == Approx(0.5));
    CHECK(curve[2].units == 3);
    CHECK(curve[2].unit_share == Approx(0.6));
    CHECK(curve[2].incident_share == Approx(0.9));
    CHECK(curve[2].count == 2);
    CHECK(curve[3].units == 4);
    CHECK(curve[3].incident_share == 1.0);
    CHECK(curve[4].unit_share == 1.0);
    CHECK(curve[4].incident_share == 1.0);

    const Concentration c = concentration(counts);
    CHECK(c.units == 100);
    CHECK(c.incidents == 5050);
    CHECK(c.top5 == Approx(490.0 / 5050));
    CHECK(c.gini == Approx(gini(counts)));
    CHECK(c.lorenz.size() == 101);

    CHECK_THROWS_AS(concentration(std::vector<double>{0, 0, 0}), InputError);
    CHECK_THROWS_AS(concentration(std::vector<double>{1, -1}), InputError);
    CHECK_THROWS_AS(concentration(std::vector<double>{}), InputError);
}
