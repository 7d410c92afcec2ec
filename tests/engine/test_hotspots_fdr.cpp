#include <catch2/catch.hpp>

#include <vector>

#include "engine/errors.hpp"
#include "engine/fdr.hpp"

using namespace safer;
using namespace safer::hotspots;

TEST_CASE("Benjamini-Hochberg equals a hand-computed example", "[hotspots]") {
    // m = 5. Sorted: 0.005 (unit 3), 0.01 (0), 0.03 (2), 0.04 (1), 0.20 (4).
    // m p / rank: 0.025, 0.025, 0.05, 0.05, 0.20; running minimum from the top changes nothing.
    const std::vector<double> p = {0.01, 0.04, 0.03, 0.005, 0.20};
    const std::vector<double> q = benjamini_hochberg(p);
    CHECK(q[0] == Approx(0.025).epsilon(1e-12));
    CHECK(q[1] == Approx(0.05).epsilon(1e-12));
    CHECK(q[2] == Approx(0.05).epsilon(1e-12));
    CHECK(q[3] == Approx(0.025).epsilon(1e-12));
    CHECK(q[4] == Approx(0.20).epsilon(1e-12));

    // Monotonicity: m = 4, sorted 0 (unit 3), 0.02 (0), 0.021 (1), 0.9 (2);
    // m p / rank = 0, 0.04, 0.028, 0.9; the running minimum lowers 0.04 to 0.028.
    const std::vector<double> q2 = benjamini_hochberg(std::vector<double>{0.02, 0.021, 0.9, 0.0});
    CHECK(q2[0] == Approx(0.028).epsilon(1e-12));
    CHECK(q2[1] == Approx(0.028).epsilon(1e-12));
    CHECK(q2[2] == Approx(0.9).epsilon(1e-12));
    CHECK(q2[3] == 0.0);

    // Ties: rank 2 gives 2 * 0.01 / 2 = 0.01, and the running minimum carries it to rank 1.
    CHECK(benjamini_hochberg(std::vector<double>{0.01, 0.01}) == std::vector<double>{0.01, 0.01});
    // 0.01, 0.03, 0.03 (m = 3): 0.03, 0.045, 0.03 -> 0.03 everywhere.
    CHECK(benjamini_hochberg(std::vector<double>{0.03, 0.01, 0.03}) == std::vector<double>{0.03, 0.03, 0.03});
    for (double v : benjamini_hochberg(std::vector<double>{1.0, 0.99, 0.98})) CHECK(v <= 1.0);
    CHECK(benjamini_hochberg(std::vector<double>{}).empty());
    CHECK_THROWS_AS(benjamini_hochberg(std::vector<double>{0.5, -0.1}), InputError);
}

TEST_CASE("Holm equals a hand-computed example", "[hotspots]") {
    // m = 4, sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max.
    const std::vector<double> q = holm(std::vector<double>{0.01, 0.04, 0.03, 0.005});
    CHECK(q[0] == Approx(0.03).epsilon(1e-12));
    CHECK(q[1] == Approx(0.06).epsilon(1e-12));
    CHECK(q[2] == Approx(0.06).epsilon(1e-12));
    CHECK(q[3] == Approx(0.02).epsilon(1e-12));
    CHECK(holm(std::vector<double>{0.6, 0.7}) == std::vector<double>{1.0, 1.0});
}

TEST_CASE("Two-sided normal p", "[hotspots]") {
    CHECK(two_sided_normal_p(0) == 1.0);
    CHECK(two_sided_normal_p(1.959963984540054) == Approx(0.05).epsilon(1e-12));
    CHECK(two_sided_normal_p(-2.5758293035489) == Approx(0.01).epsilon(1e-10));
    // erfc keeps the far tail's precision, where 1 - Phi(z) would round to 0.
    CHECK(two_sided_normal_p(8) == Approx(1.2441921148543e-15).epsilon(1e-9));
}
