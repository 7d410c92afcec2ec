// The hotspot study of safer hotspots (engine/hotspot_study): units, counts or rates, weights and
// Gi*, against counts placed by hand and Gi* written out from its closed formula (Getis & Ord
// 1992; Ord & Getis 1995, binary weights with self, as spdep's localG with include.self).
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/hotspot_study.hpp"
#include "tests/support/hand_made.hpp"

using namespace safer;

namespace {
// z_i = (Σ_{j∈N(i)} x_j − W_i x̄) / (s √((n W_i − W_i²)/(n − 1))), s² = Σx²/n − x̄², N(i) with i.
std::vector<double> gi_star_by_hand(const std::vector<double>& x, const std::vector<std::vector<size_t>>& neighbourhood) {
    const double n = static_cast<double>(x.size());
    double sum = 0, sum2 = 0;
    for (double v : x) sum += v, sum2 += v * v;
    const double mean = sum / n, s = std::sqrt(sum2 / n - mean * mean);
    std::vector<double> z;
    for (const auto& nb : neighbourhood) {
        double local = 0;
        for (size_t j : nb) local += x[j];
        const double w = static_cast<double>(nb.size());
        z.push_back((local - w * mean) / (s * std::sqrt((n * w - w * w) / (n - 1))));
    }
    return z;
}
double two_sided_p(double z) { return std::erfc(std::abs(z) / std::sqrt(2.0)); }
} // namespace

TEST_CASE("Hotspot study: grid cells over a study area count their incidents and get Gi* by the formula", "[hotspots][hotspot_study]") {
    // A 400 m square study area in 100 m cells: 16 cells, row 0 north. Counts placed at the cell
    // centres, row by row from the north-west:
    //   5 4 0 0
    //   4 3 0 0
    //   0 0 1 0
    //   0 0 0 1
    const std::vector<double> counts{5, 4, 0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    test::IncidentList l;
    for (size_t k = 0; k < 16; ++k)
        l.add(50 + 100.0 * static_cast<double>(k % 4), 350 - 100.0 * static_cast<double>(k / 4), "2021-05", "Burglary",
              static_cast<size_t>(counts[k]));
    Areas study = test::make_areas({{0, 0, 400, 1000}});
    const std::vector<uint8_t> selected(l.size(), 1);
    const std::vector<int32_t> area_of(l.size(), 0);
    hotspots::HotspotOptions o;
    o.grid_cell = 100;
    o.weights.kind = hotspots::WeightsSpec::Kind::distance;
    o.weights.distance = 100; // rook neighbours: centres 100 m apart; diagonals are 141 m
    o.permutations = 0;
    const hotspots::HotspotResult r = hotspots::analyse_hotspots(l.incidents, selected, area_of, study, o, nullptr);
    REQUIRE(r.units() == 16);
    CHECK(r.grid_units);
    CHECK(r.off_grid == 0);
    CHECK(r.incidents == 18);
    CHECK(r.count == counts);
    CHECK(r.weights.band == 100);
    // Neighbourhoods by hand: the cell itself and its rook neighbours.
    std::vector<std::vector<size_t>> nb(16);
    for (size_t k = 0; k < 16; ++k) {
        const size_t row = k / 4, col = k % 4;
        nb[k].push_back(k);
        if (row > 0) nb[k].push_back(k - 4);
        if (row < 3) nb[k].push_back(k + 4);
        if (col > 0) nb[k].push_back(k - 1);
        if (col < 3) nb[k].push_back(k + 1);
    }
    const std::vector<double> z = gi_star_by_hand(counts, nb);
    size_t hot = 0, cold = 0;
    for (size_t k = 0; k < 16; ++k) {
        INFO("cell " << k);
        CHECK(r.gi.z[k] == Approx(z[k]).epsilon(1e-12));
        CHECK(r.gi.p[k] == Approx(two_sided_p(z[k])).epsilon(1e-9));
        if (two_sided_p(z[k]) < 0.05) (z[k] > 0 ? hot : cold)++;
    }
    // The north-west corner: 5 + 4 + 4 = 13 against a mean of 18/16 = 1.125 over 3 cells.
    CHECK(z[0] > 2.5);
    CHECK(r.hot95 == hot);
    CHECK(r.cold95 == cold);
    CHECK(hot >= 1);
    // 16 units: global Moran is computed, with its expectation −1/(n − 1).
    CHECK(r.with_global);
    CHECK_FALSE(r.with_lisa);
    // The default weights on a grid are a band of 3 cells.
    o.weights = {};
    CHECK(hotspots::analyse_hotspots(l.incidents, selected, area_of, study, o, nullptr).weights.band == 300);
}

TEST_CASE("Hotspot study: rates per 1,000 residents leave out areas without population", "[hotspots][hotspot_study]") {
    // A strip of four 100 m squares; A2 has no population, so with rates A3 is cut off from A0-A1.
    Areas areas = test::make_areas({{0, 0, 100, 1000}, {100, 0, 100, 2000}, {200, 0, 100, std::nan("")}, {300, 0, 100, 500}});
    test::IncidentList l;
    std::vector<int32_t> area_of;
    const std::vector<size_t> counts{6, 3, 9, 2};
    for (size_t a = 0; a < 4; ++a) {
        l.add(100.0 * static_cast<double>(a) + 50, 50, "2021-05", "Robbery", counts[a]);
        area_of.insert(area_of.end(), counts[a], static_cast<int32_t>(a));
    }
    const std::vector<uint8_t> selected(l.size(), 1);
    hotspots::HotspotOptions o;
    o.rates = true;
    o.permutations = 0;
    const hotspots::HotspotResult r = hotspots::analyse_hotspots(l.incidents, selected, area_of, areas, o, nullptr);
    CHECK(r.left_out == std::vector<std::string>{"A2"});
    REQUIRE(r.units() == 3);
    CHECK(r.unit_area == std::vector<size_t>{0, 1, 3});
    CHECK(r.count == std::vector<double>{6, 3, 2});
    // Rates: 6/1000, 3/2000 and 2/500 per 1,000: 6, 1.5 and 4.
    CHECK(r.rate == std::vector<double>{6, 1.5, 4});
    // Queen contiguity among the three: A0-A1 touch; A3 touches none of them (A2 is left out).
    CHECK(r.islands == std::vector<int32_t>{2});
    const std::vector<double> z = gi_star_by_hand({6, 1.5, 4}, {{0, 1}, {0, 1}, {2}});
    for (size_t k = 0; k < 3; ++k) CHECK(r.gi.z[k] == Approx(z[k]).epsilon(1e-12));
    CHECK(r.gi.few_units);
    CHECK_FALSE(r.with_global); // fewer than 4 units
}

TEST_CASE("Hotspot study: refuses a trend over one period and a band shorter than a cell", "[hotspots][hotspot_study]") {
    Areas study = test::make_areas({{0, 0, 400, 1000}});
    test::IncidentList l;
    l.add(50, 50, "2021-05", "Burglary", 3);
    l.add(250, 250, "2021-05", "Burglary");
    const std::vector<uint8_t> selected(l.size(), 1);
    const std::vector<int32_t> area_of(l.size(), 0);
    hotspots::HotspotOptions o;
    o.grid_cell = 100;
    o.permutations = 0;
    o.by = PeriodKind::month;
    CHECK_THROWS_WITH(hotspots::analyse_hotspots(l.incidents, selected, area_of, study, o, nullptr), Catch::Contains("only 1 month"));
    o.by = PeriodKind::none;
    o.weights.kind = hotspots::WeightsSpec::Kind::distance;
    o.weights.distance = 50;
    CHECK_THROWS_WITH(hotspots::analyse_hotspots(l.incidents, selected, area_of, study, o, nullptr), Catch::Contains("shorter than a cell"));
}
