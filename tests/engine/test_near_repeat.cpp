#include <catch2/catch.hpp>

#include <tbb/task_arena.h>

#include <cmath>
#include <random>

#include "engine/errors.hpp"
#include "engine/near_repeat.hpp"

using namespace safer;
using namespace safer::nearrepeat;

namespace {

struct Events {
    std::vector<double> x, y;
    std::vector<int32_t> t;
    void add(double px, double py, int32_t pt) {
        x.push_back(px);
        y.push_back(py);
        t.push_back(pt);
    }
};

/// The table counted the plain way: every pair, its distance and its time apart put in a cell by
/// the band definitions (rows: same place, then k w <= d < (k + 1) w, then beyond; columns:
/// k tw <= |dt| < (k + 1) tw, then beyond), written without the engine's helpers.
std::vector<uint64_t> brute_force(const Events& e, const KnoxOptions& o) {
    const size_t rows = static_cast<size_t>(o.distance_bands) + 2, cols = static_cast<size_t>(o.time_bands) + 1;
    std::vector<uint64_t> table(rows * cols, 0);
    for (size_t i = 0; i < e.x.size(); ++i)
        for (size_t j = 0; j < i; ++j) {
            const double dx = e.x[i] - e.x[j], dy = e.y[i] - e.y[j];
            const double d = o.metric == Metric::euclidean ? std::hypot(dx, dy) : std::abs(dx) + std::abs(dy);
            size_t row = 0;
            if (d > 0) {
                row = rows - 1;
                for (int k = 0; k < o.distance_bands; ++k)
                    if (d >= k * o.distance_band && d < (k + 1) * o.distance_band) row = static_cast<size_t>(k) + 1;
            }
            const long dt = std::labs(long{e.t[i]} - e.t[j]);
            size_t col = cols - 1;
            for (int k = 0; k < o.time_bands; ++k)
                if (dt >= k * o.time_band && dt < (k + 1) * o.time_band) col = static_cast<size_t>(k);
            ++table[row * cols + col];
        }
    return table;
}

/// Incidents snapped to a 25 m lattice (so many share a place, as police.uk's map points do),
/// uniform over a square of `side` metres and `days` days.
Events random_events(size_t n, double side, int days, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, side);
    std::uniform_int_distribution<int> day(0, days - 1);
    Events e;
    for (size_t i = 0; i < n; ++i) e.add(std::round(u(rng) / 25) * 25 + 400000, std::round(u(rng) / 25) * 25 + 200000, day(rng) + 18000);
    return e;
}

/// `n` background incidents, then after each of `seeds` of them a near repeat 10-60 m away and
/// 1-6 days later: the pattern burglary studies report.
Events planted(size_t n, size_t seeds, uint32_t seed) {
    Events e = random_events(n, 3000, 365, seed);
    std::mt19937 rng(seed + 1);
    std::uniform_real_distribution<double> r(10, 60), angle(0, 2 * M_PI);
    std::uniform_int_distribution<int> lag(1, 6);
    for (size_t k = 0; k < seeds; ++k) {
        const double a = angle(rng), d = r(rng);
        e.add(e.x[k] + d * std::cos(a), e.y[k] + d * std::sin(a), e.t[k] + lag(rng));
    }
    return e;
}

size_t cell_index(const KnoxResult& r, size_t row, size_t col) { return row * r.cols() + col; }

} // namespace

TEST_CASE("Knox: every cell's observed count equals a brute-force count of the pairs", "[engine][nearrepeat]") {
    for (const Metric metric : {Metric::euclidean, Metric::manhattan}) {
        const Events e = random_events(600, 1500, 120, 7);
        KnoxOptions o;
        o.metric = metric;
        o.distance_band = 100;
        o.distance_bands = 4;
        o.time_band = 7;
        o.time_bands = 3;
        o.permutations = 19;
        const KnoxResult r = knox_test(e.x, e.y, e.t, o);
        const std::vector<uint64_t> expected = brute_force(e, o);
        REQUIRE(r.cells.size() == expected.size());
        uint64_t total = 0;
        for (size_t k = 0; k < expected.size(); ++k) {
            INFO("cell " << k << (metric == Metric::euclidean ? " euclidean" : " manhattan"));
            CHECK(r.cells[k].observed == expected[k]);
            total += r.cells[k].observed;
        }
        CHECK(total == 600 * 599 / 2);
        CHECK(r.pairs == 600 * 599 / 2);
        CHECK(r.locations < 600); // the lattice puts some incidents at one place
        CHECK(r.cells[cell_index(r, 0, 0)].observed > 0);
    }
}

TEST_CASE("Knox bands are half-open and named by their edges: 100 m and 14 days apart is in 100-200 and 14-28", "[engine][nearrepeat]") {
    // Davies' pathological pair (github.com/tobydavies/NearRepeat): the Near Repeat Calculator puts
    // two incidents 100 m and 3 days apart in "101 to 200" m and "4 to 6" days. Here, with 100 m and
    // 3-day bands, they are in the band starting at 100 m and the one starting at 3 days.
    KnoxOptions o;
    o.distance_band = 100;
    o.distance_bands = 2;
    o.time_band = 3;
    o.time_bands = 2;
    o.permutations = 19;
    Events e;
    e.add(0, 0, 0);
    e.add(0, 100, 3);
    KnoxResult r = knox_test(e.x, e.y, e.t, o);
    CHECK(r.cell(2, 1).observed == 1); // row 2 = [100, 200) m, column 1 = [3, 6) days
    CHECK(r.row_lower(2) == 100);
    CHECK(r.row_upper(2) == 200);
    CHECK(r.column_lower(1) == 3);
    CHECK(r.column_upper(1) == 6);
    CHECK(r.column_upper(2) == -1); // beyond: no end
    CHECK(std::isinf(r.row_upper(3)));
    // 99.9 m and 2 days: the first band of each.
    e.y[1] = 99.9;
    e.t[1] = 2;
    r = knox_test(e.x, e.y, e.t, o);
    CHECK(r.cell(1, 0).observed == 1);
    // The same place: row 0, whatever the time; 6 days: beyond the 2 x 3-day bands.
    e.y[1] = 0;
    e.t[1] = 6;
    r = knox_test(e.x, e.y, e.t, o);
    CHECK(r.cell(0, 2).observed == 1);
    // 200 m: beyond the 2 x 100 m bands.
    e.y[1] = 200;
    r = knox_test(e.x, e.y, e.t, o);
    CHECK(r.cell(3, 2).observed == 1);
}

TEST_CASE("Knox: the permutation mean is the exact expectation row pairs x column pairs / pairs", "[engine][nearrepeat]") {
    // Shuffling times over fixed places gives each pair of places a random pair of the times, so a
    // cell's expected count is (pairs in its distance row) x (pairs in its time column) / (all pairs).
    const Events e = random_events(400, 1200, 90, 3);
    KnoxOptions o;
    o.distance_band = 150;
    o.distance_bands = 3;
    o.time_band = 10;
    o.time_bands = 3;
    o.permutations = 999;
    const KnoxResult r = knox_test(e.x, e.y, e.t, o);
    for (size_t row = 0; row < r.rows(); ++row)
        for (size_t col = 0; col < r.cols(); ++col) {
            const double exact = static_cast<double>(r.row_pairs[row]) * static_cast<double>(r.column_pairs[col]) / static_cast<double>(r.pairs);
            const KnoxCell& c = r.cell(row, col);
            INFO("row " << row << " col " << col << " exact " << exact << " mean " << c.expected);
            // 999 draws: the mean is within a few standard errors (sd <= sqrt(exact) for counts like these)
            CHECK(std::abs(c.expected - exact) <= 4 * std::sqrt(exact / 999) + 1e-9);
            CHECK(static_cast<double>(c.min) <= c.expected);
            CHECK(static_cast<double>(c.max) >= c.expected);
            CHECK(c.p_value == Approx((c.at_least + 1.0) / 1000.0));
        }
}

TEST_CASE("Knox: a planted near-repeat pattern is detected, and the same incidents with shuffled times are not", "[engine][nearrepeat]") {
    const Events e = planted(1500, 150, 11);
    KnoxOptions o; // 100 m x 5, 14 days x 5
    o.permutations = 199;
    const KnoxResult r = knox_test(e.x, e.y, e.t, o);
    const KnoxCell& close = r.cell(1, 0); // 0-100 m, 0-14 days
    CHECK(close.p_value == Approx(1.0 / 200)); // no permutation reaches the observed count
    // About 290 pairs expected there by chance (1.1 million pairs x pi 100^2 / 3000^2 x 27/365) and
    // 150 planted: a ratio near 1.5.
    CHECK(close.knox_ratio > 1.3);
    // Far in space or in time: no excess.
    CHECK(r.cell(5, 4).knox_ratio == Approx(1).margin(0.25));
    CHECK(r.cell(r.rows() - 1, r.cols() - 1).knox_ratio == Approx(1).margin(0.01));

    Events shuffled = e;
    std::mt19937 rng(5);
    std::shuffle(shuffled.t.begin(), shuffled.t.end(), rng);
    const KnoxResult s = knox_test(shuffled.x, shuffled.y, shuffled.t, o);
    CHECK(s.cell(1, 0).p_value > 0.05);
    CHECK(s.cell(1, 0).knox_ratio == Approx(1).margin(0.3));
    CHECK(s.cell(1, 0).knox_ratio < close.knox_ratio - 0.3);
}

TEST_CASE("Knox: the same seed gives the same table on one thread or many; the seed changes the draws", "[engine][nearrepeat]") {
    const Events e = planted(800, 60, 2);
    KnoxOptions o;
    o.permutations = 99;
    o.seed = 42;
    const KnoxResult many = knox_test(e.x, e.y, e.t, o);
    KnoxResult one;
    tbb::task_arena(1).execute([&] { one = knox_test(e.x, e.y, e.t, o); });
    for (size_t k = 0; k < many.cells.size(); ++k) {
        CHECK(many.cells[k].at_least == one.cells[k].at_least);
        CHECK(many.cells[k].expected == one.cells[k].expected);
    }
    o.seed = 43;
    const KnoxResult other = knox_test(e.x, e.y, e.t, o);
    bool differs = false;
    for (size_t k = 0; k < many.cells.size(); ++k) differs |= other.cells[k].expected != many.cells[k].expected;
    CHECK(differs);
}

TEST_CASE("Knox: five incidents whose permutation distribution is known exactly", "[engine][nearrepeat]") {
    // Research notes (section 7, worked there by hand): A(0,0; day 0), B(30,40; 2), C(1000,0; 20),
    // D(1000,60; 23), E(500,500; 50); one 100 m band, one 7-day band. AB are 50 m and 2 days
    // apart, CD 60 m and 3 days; every other pair is at least 657 m or 18 days apart. Observed:
    // 2 pairs near in both, 8 far in both. Row pairs S = (2, 8), column pairs T = (2, 8), P = 10,
    // so E = S T / P = 0.4 and the Knox ratio 5. Over all 5! = 120 permutations of the days the
    // near-near count is 0 in 80, 1 in 32 and 2 in 8: p(>= 2) = 8/120 = 0.0667.
    Events e;
    e.add(0, 0, 0);
    e.add(30, 40, 2);
    e.add(1000, 0, 20);
    e.add(1000, 60, 23);
    e.add(500, 500, 50);
    KnoxOptions o;
    o.distance_band = 100;
    o.distance_bands = 1;
    o.time_band = 7;
    o.time_bands = 1;
    o.permutations = 19999;
    const KnoxResult r = knox_test(e.x, e.y, e.t, o);
    CHECK(r.cell(1, 0).observed == 2);
    CHECK(r.cell(1, 1).observed == 0);
    CHECK(r.cell(2, 0).observed == 0);
    CHECK(r.cell(2, 1).observed == 8);
    CHECK(r.cell(1, 0).expected == Approx(0.4).margin(0.02));
    CHECK(r.cell(1, 0).knox_ratio == Approx(5).margin(0.25));
    // p estimates 8/120 from 19,999 draws: standard error sqrt(0.0667 x 0.9333 / 19999) = 0.0018.
    CHECK(r.cell(1, 0).p_value == Approx(8.0 / 120).margin(4 * 0.0018));
    // Manhattan: B at (60, 60) is 120 m from A, beyond the band (84.9 m Euclidean, still inside).
    e.x[1] = 60, e.y[1] = 60;
    o.metric = Metric::manhattan;
    const KnoxResult m = knox_test(e.x, e.y, e.t, o);
    CHECK(m.cell(1, 0).observed == 1); // CD only
    CHECK(m.row_pairs[1] == 1);
    CHECK(m.cell(1, 0).expected == Approx(0.2).margin(0.02)); // S T / P = 1 x 2 / 10
    CHECK(m.cell(1, 0).p_value == Approx(0.2).margin(4 * std::sqrt(0.2 * 0.8 / 19999)));
    o.metric = Metric::euclidean;
    CHECK(knox_test(e.x, e.y, e.t, o).cell(1, 0).observed == 2);
}

TEST_CASE("Knox refuses what cannot give an answer", "[engine][nearrepeat]") {
    Events e;
    e.add(0, 0, 0);
    KnoxOptions o;
    CHECK_THROWS_AS(knox_test(e.x, e.y, e.t, o), InputError);
    e.add(1, 1, 1);
    o.permutations = 10;
    CHECK_THROWS_WITH(knox_test(e.x, e.y, e.t, o), Catch::Contains("at least 19"));
    o.permutations = 19;
    o.distance_band = 0;
    CHECK_THROWS_AS(knox_test(e.x, e.y, e.t, o), InputError);
    o.distance_band = 100;
    o.time_bands = 21;
    CHECK_THROWS_AS(knox_test(e.x, e.y, e.t, o), InputError);
}

TEST_CASE("Repeat locations: incidents per map point, repeats and the share at the top points (worked by hand)", "[engine][nearrepeat]") {
    // Points A x3, B x2, C x1, D x1: 7 incidents at 4 points; 2 repeat points hold 5 incidents.
    Events e;
    e.add(0, 0, 10);
    e.add(5, 5, 11);
    e.add(0, 0, 12);
    e.add(9, 9, 13);
    e.add(5, 5, 3);
    e.add(0, 0, 4);
    e.add(7, 7, 5);
    const RepeatLocations r = repeat_locations(e.x, e.y, e.t);
    CHECK(r.incidents == 7);
    REQUIRE(r.locations.size() == 4);
    CHECK(r.locations[0].incidents == 3);
    CHECK(r.locations[0].x == 0);
    CHECK(r.locations[0].first == 0);
    CHECK(r.locations[0].first_time == 4);
    CHECK(r.locations[0].last_time == 12);
    CHECK(r.locations[1].incidents == 2);
    CHECK(r.locations[1].first_time == 3);
    CHECK(r.locations[2].x == 9); // equal counts in order of first appearance
    CHECK(r.repeat_locations == 2);
    CHECK(r.repeat_incidents == 5);
    CHECK(r.by_size == std::vector<size_t>{2, 1, 1, 0, 0, 0, 0});
    // Top 10 % of 4 points = 0.4 of the busiest point: 0.4 x 3 / 7.
    CHECK(r.concentration.top10 == Approx(0.4 * 3 / 7));
}
