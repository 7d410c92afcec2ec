#include <catch2/catch.hpp>

#include <tbb/task_arena.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/errors.hpp"
#include "engine/getis_ord.hpp"
#include "engine/moran.hpp"
#include "engine/spatial_weights.hpp"

using namespace safer;
using namespace safer::hotspots;

namespace {

// The 3 x 3 grid with values 1..9, row-major, as points one metre apart: a distance band of
// sqrt(2) m links each cell to its 8 surrounding cells (queen-like, diagonals included).
struct Grid3 {
    std::vector<double> x, y, v;
    Grid3() {
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 3; ++c) {
                x.push_back(c);
                y.push_back(r);
                v.push_back(r * 3 + c + 1);
            }
    }
};

// Gi* straight from Ord & Getis (1995) eq. 14 with binary weights, self included, written out
// over the grid's own geometry rather than any weights structure.
double closed_form_gi(const Grid3& g, int unit) {
    const double n = 9;
    double sum = 0, sum2 = 0;
    for (double v : g.v) sum += v, sum2 += v * v;
    const double mean = sum / n, s = std::sqrt(sum2 / n - mean * mean);
    const int r = unit / 3, c = unit % 3;
    double lag = 0, w = 0;
    for (int rr = 0; rr < 3; ++rr)
        for (int cc = 0; cc < 3; ++cc)
            if (std::abs(rr - r) <= 1 && std::abs(cc - c) <= 1) lag += g.v[static_cast<size_t>(rr * 3 + cc)], w += 1;
    const double s1 = w; // binary
    const double spread = n * s1 - w * w;
    if (spread == 0) return 0; // the centre's neighbourhood is the whole grid
    return (lag - mean * w) / (s * std::sqrt(spread / (n - 1)));
}

} // namespace

TEST_CASE("Gi* on a hand-worked 3x3 grid equals the closed formula", "[hotspots]") {
    const Grid3 g;
    const SpatialWeights w = distance_band(g.x, g.y, std::sqrt(2.0));
    const GiStarResult r = gi_star(g.v, w);
    REQUIRE(r.z.size() == 9);
    for (int i = 0; i < 9; ++i) CHECK(r.z[static_cast<size_t>(i)] == Approx(closed_form_gi(g, i)).margin(1e-12));

    // By hand: mean 5, s^2 = 285/9 - 25 = 20/3, n = 9.
    //  corner (0,0): lag 1+2+4+5 = 12, W = S1 = 4: z = (12 - 20) / (s sqrt((36 - 16)/8)) = -8 sqrt(3/50)
    //  edge (0,1):   lag 1+..+6 = 21,  W = S1 = 6: z = (21 - 30) / (s * 1.5)            = -6 sqrt(3/20)
    //  edge (1,0):   lag 27, W = 6:                z = -3 / (1.5 s)                      = -2 sqrt(3/20)
    //  centre:       W = n, so n S1 - W^2 = 0: no variance, reported as z = 0, p = 1 (never NaN)
    CHECK(r.z[0] == Approx(-8 * std::sqrt(3.0 / 50)).margin(1e-12));
    CHECK(r.z[8] == Approx(8 * std::sqrt(3.0 / 50)).margin(1e-12));
    CHECK(r.z[1] == Approx(-6 * std::sqrt(3.0 / 20)).margin(1e-12));
    CHECK(r.z[3] == Approx(-2 * std::sqrt(3.0 / 20)).margin(1e-12));
    CHECK(r.z[4] == 0.0);
    CHECK(r.p[4] == 1.0);
    CHECK(r.p[1] == Approx(std::erfc(6 * std::sqrt(3.0 / 20) / std::sqrt(2.0))).margin(1e-15));

    // The same through the grid fast path.
    CellGrid grid;
    grid.nx = grid.ny = 3;
    grid.cell = 1;
    const GiStarResult fast = gi_star_grid(grid, g.v, std::sqrt(2.0));
    for (int i = 0; i < 9; ++i) CHECK(fast.z[static_cast<size_t>(i)] == Approx(closed_form_gi(g, i)).margin(1e-12));

    // Fewer than 30 units: a warning, not an error.
    CHECK(r.few_units);
    CHECK_FALSE(r.warnings.empty());
}

TEST_CASE("Gi* bins follow Esri's Gi_Bin, from FDR-adjusted p with --fdr", "[hotspots]") {
    CHECK(gi_bin(3.0, 0.005) == 3);
    CHECK(gi_bin(-2.2, 0.03) == -2);
    CHECK(gi_bin(1.7, 0.09) == 1);
    CHECK(gi_bin(2.0, 0.01) == 2); // 0.01 is not below 0.01
    CHECK(gi_bin(-1.0, 0.3) == 0);

    const Grid3 g;
    const SpatialWeights w = distance_band(g.x, g.y, std::sqrt(2.0));
    GiStarOptions options;
    const GiStarResult plain = gi_star(g.v, w, options);
    options.fdr = true;
    const GiStarResult fdr = gi_star(g.v, w, options);
    // z by hand (see above): corners -+8 sqrt(3/50) (p 0.0500) and -+4 sqrt(3/50) (p 0.327),
    // edges -+6 sqrt(3/20) (p 0.0201) and -+2 sqrt(3/20) (p 0.439), centre 0.
    CHECK(plain.bin == std::vector<int8_t>{-1, -2, 0, 0, 0, 0, 0, 2, 1});
    // BH over the 9 p-values: the two edges at ranks 1-2 adjust to 9/2 p, the corners at 3-4
    // to 9/4 p; neither any longer below 0.05 (0.0905) or 0.10 (0.1126) respectively.
    CHECK(fdr.p_fdr[1] == Approx(4.5 * plain.p[1]).epsilon(1e-12));
    CHECK(fdr.p_fdr[0] == Approx(2.25 * plain.p[0]).epsilon(1e-12));
    CHECK(fdr.bin == std::vector<int8_t>{0, -1, 0, 0, 0, 0, 0, 1, 0});
}

TEST_CASE("Gi* refuses bad input with clear errors", "[hotspots]") {
    const Grid3 g;
    const SpatialWeights w = distance_band(g.x, g.y, 1.0);
    const std::vector<double> zeros(9, 0.0);
    CHECK_THROWS_AS(gi_star(zeros, w), InputError);
    CHECK_THROWS_WITH(gi_star(zeros, w), Catch::Contains("variance is zero"));
    const SpatialWeights none = distance_band(g.x, g.y, 0.5);
    CHECK_THROWS_WITH(gi_star(g.v, none), Catch::Contains("no unit has a neighbour"));
    GiStarOptions few;
    few.permutations = 50;
    CHECK_THROWS_WITH(gi_star(g.v, w, few), Catch::Contains("at least 99"));
    std::vector<double> nan = g.v;
    nan[3] = std::nan("");
    CHECK_THROWS_AS(gi_star(nan, w), InputError);
    // One island among connected units: reported, and its z is from its own value only.
    std::vector<double> x = g.x, y = g.y, v = g.v;
    x.push_back(50), y.push_back(50), v.push_back(100);
    const GiStarResult r = gi_star(v, distance_band(x, y, 1.0));
    CHECK(r.no_neighbours == std::vector<int32_t>{9});
    for (double z : r.z) CHECK(std::isfinite(z));
}

namespace {
struct Cloud {
    std::vector<double> x, y, v;
    Cloud(size_t n, uint64_t seed) {
        std::mt19937_64 gen(seed);
        std::uniform_real_distribution<double> u(0, 1000);
        std::normal_distribution<double> normal(20, 5);
        for (size_t i = 0; i < n; ++i) {
            x.push_back(u(gen));
            y.push_back(u(gen));
        }
        // A smooth hot area so that some units are significant.
        for (size_t i = 0; i < n; ++i) v.push_back(normal(gen) + 8 * std::exp(-(std::pow(x[i] - 300, 2) + std::pow(y[i] - 600, 2)) / 2e4));
    }
};
} // namespace

TEST_CASE("Permutation p-values repeat exactly for a seed, whatever the thread count", "[hotspots]") {
    const Cloud c(1500, 3);
    const SpatialWeights w = knn(c.x, c.y, 6);
    GiStarOptions gi;
    gi.permutations = 999;
    gi.seed = 2024;
    LocalMoranOptions lm;
    lm.permutations = 999;
    lm.seed = 2024;

    GiStarResult g1, g2, g1b;
    LocalMoranResult m1, m2;
    tbb::task_arena one(1), two(2);
    one.execute([&] {
        g1 = gi_star(c.v, w, gi);
        m1 = local_moran(c.v, w, lm);
    });
    two.execute([&] {
        g2 = gi_star(c.v, w, gi);
        m2 = local_moran(c.v, w, lm);
    });
    g1b = gi_star(c.v, w, gi);
    CHECK(g1.p_sim == g2.p_sim);
    CHECK(g1.p_sim == g1b.p_sim);
    CHECK(m1.p_sim == m2.p_sim);
    CHECK(m1.cluster == m2.cluster);
    gi.seed = 2025;
    CHECK(gi_star(c.v, w, gi).p_sim != g1.p_sim);
    for (double p : g1.p_sim) CHECK((p > 0 && p <= 1));
}

TEST_CASE("Permutation p-values converge to the analytic p on a large random example", "[hotspots]") {
    // n = 2000, 8 nearest neighbours, 9999 permutations. The Monte Carlo error of a pseudo p
    // near 0.05 is about 2 sqrt(0.025 * 0.975 / 9999) = 0.003; near 0.5 about 0.009.
    const Cloud c(2000, 9);
    const SpatialWeights w = knn(c.x, c.y, 8);
    GiStarOptions options;
    options.permutations = 9999;
    options.seed = 77;

    // Drawing x_i's own slot too is the null of Ord & Getis's moments: p_sim -> the analytic p.
    options.conditional = false;
    const GiStarResult total = gi_star(c.v, w, options);
    double worst = 0, mean_gap = 0;
    size_t small = 0;
    for (size_t i = 0; i < c.v.size(); ++i) {
        const double gap = std::fabs(total.p_sim[i] - total.p[i]);
        worst = std::max(worst, gap);
        mean_gap += gap / static_cast<double>(c.v.size());
        if (total.p[i] < 0.1) {
            ++small;
            CHECK(total.p_sim[i] == Approx(total.p[i]).margin(0.015));
        }
    }
    CHECK(small > 20);
    CHECK(worst < 0.05);
    CHECK(mean_gap < 0.008);

    // Conditional (x_i held): p_sim -> the normal p of the conditional null, whose moments are
    // those of k draws without replacement from the other n - 1 values (finite population).
    options.conditional = true;
    const GiStarResult cond = gi_star(c.v, w, options);
    const auto n = static_cast<double>(c.v.size());
    double sum = 0, sum2 = 0;
    for (double v : c.v) sum += v, sum2 += v * v;
    worst = 0;
    for (size_t i = 0; i < c.v.size(); ++i) {
        double obs = 0;
        for (int64_t e = w.offsets[i]; e < w.offsets[i + 1]; ++e) obs += c.v[static_cast<size_t>(w.neighbours[static_cast<size_t>(e)])];
        const double k = 8, others = n - 1;
        const double mean = (sum - c.v[i]) / others;
        const double var = (sum2 - c.v[i] * c.v[i]) / others - mean * mean;
        const double z = (obs - k * mean) / std::sqrt(k * var * (others - k) / (others - 1));
        const double p = std::erfc(std::fabs(z) / std::sqrt(2.0));
        worst = std::max(worst, std::fabs(cond.p_sim[i] - p));
        if (p < 0.1) CHECK(cond.p_sim[i] == Approx(p).margin(0.015));
    }
    CHECK(worst < 0.05);
}
