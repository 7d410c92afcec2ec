#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "engine/accuracy.hpp"
#include "engine/errors.hpp"

using namespace safer;
using namespace safer::accuracy;

TEST_CASE("PAI, PEI and RRI of a ranking of ten cells, worked by hand", "[engine][accuracy]") {
    // cell:   0  1  2  3  4  5  6  7  8  9
    // score:  9  8  7  7  5  4  3  2  1  0   (cells 2 and 3 tie)
    // test:   5  3  0  2  1  0  0  1  0  0   N  = 12
    // train:  6  4  3  1  2  0  0  0  0  0   N1 = 16
    const std::vector<double> score{9, 8, 7, 7, 5, 4, 3, 2, 1, 0};
    const std::vector<double> test{5, 3, 0, 2, 1, 0, 0, 1, 0, 0};
    const std::vector<double> train{6, 4, 3, 1, 2, 0, 0, 0, 0, 0};

    // 10 %: one cell, cell 0. n = 5, hit rate 5/12, PAI = (5/12)/0.1 = 4.1667; the best one cell
    // holds 5 too, PEI 1; n1 = 6, RRI = (5/12)/(6/16) = 1.1111.
    CoverageScore s = score_at(score, test, train, 0.10);
    CHECK(s.hits == Approx(5));
    CHECK(s.hit_rate == Approx(5.0 / 12));
    CHECK(s.pai == Approx(50.0 / 12));
    CHECK(s.pei == Approx(1));
    CHECK(s.rri == Approx((5.0 / 12) / (6.0 / 16)));

    // 30 %: three cells: 0, 1, and half of each of the tied cells 2 and 3 (the average of taking
    // either). n = 5 + 3 + (0 + 2)/2 = 9, hit rate 0.75, PAI 2.5. The best three cells hold
    // 5 + 3 + 2 = 10: PEI 0.9. n1 = 6 + 4 + (3 + 1)/2 = 12: RRI = 0.75 / (12/16) = 1.
    s = score_at(score, test, train, 0.30);
    CHECK(s.hits == Approx(9));
    CHECK(s.hit_rate == Approx(0.75));
    CHECK(s.pai == Approx(2.5));
    CHECK(s.best_hits == Approx(10));
    CHECK(s.pei == Approx(0.9));
    CHECK(s.train_hits == Approx(12));
    CHECK(s.rri == Approx(1.0));
    CHECK(s.threshold == 7);
    CHECK(s.tied_cells == 2);

    // 25 %: 2.5 cells: 0, 1 and a quarter of each tied cell. n = 8 + 2/4 = 8.5, PAI =
    // (8.5/12)/0.25 = 2.8333; best 2.5 cells: 5 + 3 + half of the next best (2) = 9, PEI 8.5/9;
    // n1 = 10 + 4/4 = 11, RRI = (8.5/12)/(11/16).
    s = score_at(score, test, train, 0.25);
    CHECK(s.hits == Approx(8.5));
    CHECK(s.pai == Approx(8.5 / 12 / 0.25));
    CHECK(s.pei == Approx(8.5 / 9));
    CHECK(s.rri == Approx((8.5 / 12) / (11.0 / 16)));

    // The whole area: everything, PAI 1.
    s = score_at(score, test, train, 1.0);
    CHECK(s.hit_rate == Approx(1));
    CHECK(s.pai == Approx(1));
    CHECK(s.pei == Approx(1));
    CHECK(s.rri == Approx(1));
}

TEST_CASE("PAI, PEI and RRI of training counts as the prediction: the research notes' ten cells", "[engine][accuracy]") {
    // Research notes (section 6, worked there by hand): prediction = training counts, hotspot =
    // the top 2 of 10 equal cells (a / A = 0.2). n1 = 10 + 8 = 18 of N1 = 35, n = 7 + 3 = 10 of
    // N = 26: PAI = (10/26)/0.2 = 1.923077; the best two test cells hold 9 + 7 = 16, PEI = 10/16 =
    // 0.625; RRI = (10/18)/(26/35) = 0.747863 (Levine's form; ptools' "predicted / observed"
    // would be 1.8, a different index).
    const std::vector<double> train{10, 8, 6, 4, 3, 2, 1, 1, 0, 0};
    const std::vector<double> test{7, 3, 2, 9, 1, 1, 2, 0, 1, 0};
    const CoverageScore s = score_at(train, test, train, 0.2);
    CHECK(s.pai == Approx(1.923077).epsilon(1e-6));
    CHECK(s.pei == Approx(0.625));
    CHECK(s.rri == Approx(0.747863).epsilon(1e-6));
}

TEST_CASE("A ranking that cannot tell cells apart scores PAI 1; the test counts themselves score PEI 1", "[engine][accuracy]") {
    const std::vector<double> test{4, 0, 0, 1, 0, 7, 0, 0};
    const std::vector<double> train{1, 1, 1, 1, 1, 1, 1, 1};
    const std::vector<double> flat(8, 3.0);
    for (double c : {0.125, 0.25, 0.5}) {
        const CoverageScore s = score_at(flat, test, train, c);
        CHECK(s.pai == Approx(1)); // every cell tied: each taken in the same part
        CHECK(s.tied_cells == 8);
        CHECK(score_at(test, test, train, c).pei == Approx(1));
    }
    // No training incident where the ranking looks: RRI is undefined, not 0 or infinite.
    const std::vector<double> none(8, 0.0);
    CHECK(std::isnan(score_at(test, test, none, 0.25).rri));
    CHECK_THROWS_AS(score_at(flat, none, train, 0.25), InputError); // nothing to predict
    CHECK_THROWS_AS(score_at(flat, test, train, 0), InputError);
    CHECK_THROWS_AS(score_at(flat, test, train, 1.5), InputError);
}

namespace {

/// Incidents from a known surface: hot discs of radius `scale` metres, each drawing `per_disc`
/// incidents uniformly inside it, on a sparse uniform background over a 6 km square.
kde::Points surface(double scale, size_t discs, size_t per_disc, size_t background, uint32_t seed, const std::vector<std::pair<double, double>>& centres) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1), side(0, 6000);
    kde::Points p;
    for (size_t d = 0; d < discs; ++d)
        for (size_t k = 0; k < per_disc; ++k) {
            const double r = scale * std::sqrt(u(rng)), a = 2 * M_PI * u(rng);
            p.x.push_back(centres[d].first + r * std::cos(a));
            p.y.push_back(centres[d].second + r * std::sin(a));
        }
    for (size_t k = 0; k < background; ++k) p.x.push_back(side(rng)), p.y.push_back(side(rng));
    return p;
}

double predictive_choice(double scale) {
    std::mt19937 rng(17);
    std::uniform_real_distribution<double> where(1000, 5000);
    std::vector<std::pair<double, double>> centres;
    for (int d = 0; d < 12; ++d) centres.emplace_back(where(rng), where(rng));
    // The fitting months and the held-out month come from the same surface, independently.
    const kde::Points fit = surface(scale, 12, 60, 600, 1, centres);
    const kde::Points holdout = surface(scale, 12, 15, 150, 2, centres);
    Extent square;
    square.add(0, 0);
    square.add(6000, 6000);
    const EvaluationGrid grid = evaluation_grid(square, 25, Areas{});
    const BandwidthChoice c = choose_bandwidth(grid, fit, holdout, {25, 50, 100, 200, 400, 800, 1600, 3200}, 0.05);
    INFO("scale " << scale << ": chose " << c.bandwidth() << " m");
    return c.bandwidth();
}

} // namespace

TEST_CASE("The predictive bandwidth follows the true scale of the surface", "[engine][accuracy]") {
    // Hot discs of radius 100 m: a quartic kernel wider than about twice the disc smears each into
    // its surroundings, much narrower follows the noise of the few incidents it covers. Discs of
    // 400 m: the same, four times wider. The choice is within a factor of 2 of the disc radius (it
    // takes 100 m and 800 m here).
    const double tight = predictive_choice(100), broad = predictive_choice(400);
    CHECK(tight >= 50);
    CHECK(tight <= 200);
    CHECK(broad >= 200);
    CHECK(broad <= 800);
    CHECK(broad > tight);
}

TEST_CASE("The predictive choice scores every candidate and takes the best PAI, ties to the larger", "[engine][accuracy]") {
    Extent square;
    square.add(0, 0);
    square.add(1000, 1000);
    const EvaluationGrid grid = evaluation_grid(square, 100, Areas{});
    CHECK(grid.cells.size() == 100);
    kde::Points fit, holdout;
    fit.x = {150, 160, 850}, fit.y = {150, 140, 850};
    holdout.x = {155}, holdout.y = {145};
    // Both small bandwidths put the held-out incident's cell first (PAI 100 at 1 %): a tie, so the
    // larger wins.
    const BandwidthChoice c = choose_bandwidth(grid, fit, holdout, {60, 40}, 0.01);
    REQUIRE(c.candidates == std::vector<double>{40, 60});
    CHECK(c.scores[0].pai == Approx(100));
    CHECK(c.scores[1].pai == Approx(100));
    CHECK(c.bandwidth() == 60);
    CHECK_THROWS_AS(choose_bandwidth(grid, fit, holdout, {}, 0.05), InputError);
    CHECK_THROWS_AS(choose_bandwidth(grid, fit, holdout, {0}, 0.05), InputError);
}

TEST_CASE("Bandwidth scale: the median distance to the nearest other location and the study area's shorter side", "[engine][kde]") {
    // Locations at x = 0, 10, 30, 60 (y 0, and 0 to 400 with the last point's y): nearest others
    // 10, 10, 20, 30 -> median (10 + 20) / 2 = 15. Two incidents at one place count as one location.
    kde::Points p;
    p.x = {0, 10, 10, 30, 60};
    p.y = {0, 0, 0, 0, 0};
    Extent area;
    area.add(0, -200);
    area.add(1000, 200); // 1000 x 400 m: shorter side 400
    const kde::BandwidthScale s100 = kde::bandwidth_scale(p, 100, area);
    CHECK(s100.spacing == Approx(15));
    CHECK(s100.extent_side == Approx(400));
    CHECK_FALSE(s100.broad_for_spacing); // 100 <= 8 x 15 = 120
    CHECK(s100.broad_for_extent);        // 100 > 10 % of 400 = 40
    const kde::BandwidthScale s30 = kde::bandwidth_scale(p, 30, area);
    CHECK_FALSE(s30.broad_for_spacing);
    CHECK_FALSE(s30.broad_for_extent);
    CHECK(kde::bandwidth_scale(p, 121, area).broad_for_spacing);
    // Without a study area: the points' own extent, 60 x 0 m, whose shorter side is 0, so the longer.
    CHECK(kde::bandwidth_scale(p, 5, Extent{}).extent_side == Approx(60));
}

TEST_CASE("Nearest other point on the grid equals a brute force over every pair", "[engine][kde]") {
    // Clustered points (most within 50 m of ten centres, a few scattered over 20 km, two on one
    // place), points on a line (an extent of height 0), and two far apart: the grid search against
    // the distance to every other point.
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0, 20000), near(-50, 50);
    const auto check = [](const std::vector<double>& x, const std::vector<double>& y) {
        const std::vector<double> got = kde::nearest_other_distance(x, y);
        REQUIRE(got.size() == x.size());
        size_t wrong = 0;
        for (size_t i = 0; i < x.size(); ++i) {
            double best = std::numeric_limits<double>::infinity();
            for (size_t j = 0; j < x.size(); ++j)
                if (j != i) best = std::min(best, std::hypot(x[j] - x[i], y[j] - y[i]));
            wrong += !(got[i] == Approx(best).margin(1e-9));
        }
        CHECK(wrong == 0);
    };
    std::vector<double> x, y;
    std::vector<std::pair<double, double>> centres;
    for (int c = 0; c < 10; ++c) centres.emplace_back(u(rng), u(rng));
    for (int i = 0; i < 3000; ++i) {
        const auto& [cx, cy] = centres[static_cast<size_t>(i) % centres.size()];
        x.push_back(cx + near(rng)), y.push_back(cy + near(rng));
    }
    for (int i = 0; i < 200; ++i) x.push_back(u(rng)), y.push_back(u(rng));
    x.push_back(x[5]), y.push_back(y[5]); // two incidents at one place: 0 apart
    check(x, y);
    CHECK(kde::nearest_other_distance(x, y)[5] == 0);
    std::vector<double> lx, ly;
    for (int i = 0; i < 500; ++i) lx.push_back(u(rng)), ly.push_back(100);
    check(lx, ly);
    check({0, 1e6}, {0, 0});
    CHECK(std::isinf(kde::nearest_other_distance({3}, {4})[0]));
}
