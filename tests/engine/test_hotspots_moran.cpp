#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "engine/errors.hpp"
#include "engine/moran.hpp"
#include "engine/spatial_weights.hpp"

using namespace safer;
using namespace safer::hotspots;

namespace {
// Four units in a row, 1 m apart (a path 0-1-2-3), values 1, 2, 3, 4:
// z = (-1.5, -0.5, 0.5, 1.5), sum z^2 = 5, sum z^4 = 10.25, b2 = 4 * 10.25 / 25 = 1.64.
const std::vector<double> px = {0, 1, 2, 3}, py = {0, 0, 0, 0}, pv = {1, 2, 3, 4};
} // namespace

TEST_CASE("Global Moran's I on a path of four units, by hand", "[hotspots]") {
    const SpatialWeights binary = distance_band(px, py, 1.0);
    const GlobalMoran b = global_moran(pv, binary);
    // Binary: S0 = 6, sum w z_i z_j = 2 (0.75 - 0.25 + 0.75) = 2.5, I = (4/6)(2.5/5) = 1/3.
    // S1 = 1/2 * 6 * 2^2 = 12, S2 = sum (2 d_i)^2 = 4 + 16 + 16 + 4 = 40.
    // Var_N = (16*12 - 4*40 + 3*36) / (15*36) - 1/9 = 140/540 - 1/9 = 4/27.
    // Var_R = [4(7*12 - 160 + 108) - 1.64(12*12 - 320 + 216)] / (6 * 36) - 1/9
    //       = (128 - 65.6) / 216 - 1/9 = 8/45.
    CHECK(b.I == Approx(1.0 / 3).epsilon(1e-12));
    CHECK(b.expected == Approx(-1.0 / 3).epsilon(1e-12));
    CHECK(b.var_normal == Approx(4.0 / 27).epsilon(1e-12));
    CHECK(b.var_random == Approx(8.0 / 45).epsilon(1e-12));
    CHECK(b.z_normal == Approx(std::sqrt(3.0)).epsilon(1e-12)); // (2/3) / sqrt(4/27)
    CHECK(b.z_random == Approx((2.0 / 3) / std::sqrt(8.0 / 45)).epsilon(1e-12));
    CHECK(b.p_normal == Approx(std::erfc(std::sqrt(3.0) / std::sqrt(2.0))).epsilon(1e-12));

    // Row-standardised: rows (1), (.5, .5), (.5, .5), (1); S0 = 4.
    // sum w z_i z_j = .75 + .375 - .125 - .125 + .375 + .75 = 2, I = (4/4)(2/5) = 0.4.
    // S1 = 1/2 [2 (1.5^2) + 2 (1^2) + 2 (1.5^2)] = 5.5; column sums .5, 1.5, 1.5, .5 so
    // S2 = 1.5^2 + 2.5^2 + 2.5^2 + 1.5^2 = 17.
    // Var_N = (16*5.5 - 4*17 + 3*16) / (15*16) - 1/9 = 68/240 - 1/9 = 31/180.
    // Var_R = [4(7*5.5 - 68 + 48) - 1.64(12*5.5 - 136 + 96)] / (6*16) - 1/9
    //       = (74 - 42.64) / 96 - 1/9 = 97/450.
    const GlobalMoran r = global_moran(pv, row_standardised(binary));
    CHECK(r.I == Approx(0.4).epsilon(1e-12));
    CHECK(r.var_normal == Approx(31.0 / 180).epsilon(1e-12));
    CHECK(r.var_random == Approx(97.0 / 450).epsilon(1e-12));

    CHECK_THROWS_AS(global_moran(std::vector<double>{1, 2, 3}, distance_band(std::vector<double>{0, 1, 2}, std::vector<double>{0, 0, 0}, 1.0)),
                    InputError);
    CHECK_THROWS_AS(global_moran(std::vector<double>{2, 2, 2, 2}, binary), InputError);
}

TEST_CASE("Local Moran's I and quadrants on a path of four units, by hand", "[hotspots]") {
    // Row-standardised lags of z: -0.5, -0.5, 0.5, 0.5; m2 = 5/4.
    // I = z * lag / m2 = 0.6, 0.2, 0.2, 0.6; quadrants LL, LL, HH, HH.
    LocalMoranOptions options;
    options.permutations = 99;
    const LocalMoranResult r = local_moran(pv, distance_band(px, py, 1.0), options);
    CHECK(r.I[0] == Approx(0.6).epsilon(1e-12));
    CHECK(r.I[1] == Approx(0.2).epsilon(1e-12));
    CHECK(r.I[2] == Approx(0.2).epsilon(1e-12));
    CHECK(r.I[3] == Approx(0.6).epsilon(1e-12));
    CHECK(r.quadrant == std::vector<int8_t>{low_low, low_low, high_high, high_high});
    CHECK(r.few_units);
    // Four units cannot be significant at 5 %: unit 0's neighbour is one of 3 others, so at best
    // a third of the draws tie or beat it.
    CHECK(r.cluster == std::vector<int8_t>{0, 0, 0, 0});
    for (double p : r.p_sim) CHECK(p > 0.05);

    CHECK_THROWS_WITH(local_moran(pv, distance_band(px, py, 1.0), LocalMoranOptions{0, 1, 0.05, false}),
                      Catch::Contains("permutations"));
}

TEST_CASE("Local Moran finds a planted cluster on a grid", "[hotspots]") {
    // 20 x 20 grid, a 4 x 4 block of high values in a field of low ones.
    std::vector<double> x, y, v;
    for (int r = 0; r < 20; ++r)
        for (int c = 0; c < 20; ++c) {
            x.push_back(c), y.push_back(r);
            v.push_back((r >= 5 && r < 9 && c >= 5 && c < 9) ? 10.0 + (r + c) % 3 : 1.0 + (r * 7 + c) % 3);
        }
    const SpatialWeights queen_like = distance_band(x, y, std::sqrt(2.0));
    LocalMoranOptions options;
    options.permutations = 999;
    const LocalMoranResult r = local_moran(v, queen_like, options);
    CHECK(r.cluster[6 * 20 + 6] == high_high);
    CHECK(r.cluster[7 * 20 + 7] == high_high);
    CHECK(r.cluster[0] != high_high);
    // A low unit next to the block: low among high neighbours is an outlier, LH.
    CHECK(r.quadrant[4 * 20 + 6] == low_high);
}
