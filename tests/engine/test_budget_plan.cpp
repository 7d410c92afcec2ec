// The budget plan: no double counting, and the exact plan equals the exhaustive optimum.
#include <catch2/catch.hpp>

#include <random>

#include "engine/interventions.hpp"

using namespace safer::plan;

namespace {
Candidate cand(std::vector<uint32_t> crimes, double p, double cost) {
    Candidate c;
    c.crimes = std::move(crimes);
    c.p = p;
    c.cost = cost;
    return c;
}

std::vector<Candidate> random_case(uint64_t seed, size_t n, size_t crimes) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<uint32_t> crime(0, static_cast<uint32_t>(crimes - 1));
    std::uniform_int_distribution<int> size(1, 12);
    std::uniform_real_distribution<double> p(0.05, 0.6), cost(500, 30000);
    std::vector<Candidate> out;
    for (size_t i = 0; i < n; ++i) {
        std::vector<uint32_t> list;
        for (int k = size(rng); k > 0; --k) list.push_back(crime(rng));
        std::sort(list.begin(), list.end());
        list.erase(std::unique(list.begin(), list.end()), list.end());
        out.push_back(cand(list, p(rng), std::round(cost(rng) / 100) * 100));
    }
    return out;
}
} // namespace

TEST_CASE("A crime two interventions address is prevented at most once", "[score]") {
    // A covers crimes 1 and 2 with p = 0.5; B covers 2 and 3 with p = 0.4.
    const std::vector<Candidate> c = {cand({1, 2}, 0.5, 100), cand({2, 3}, 0.4, 100)};
    const size_t a[] = {0}, b[] = {1}, both[] = {0, 1};
    CHECK(prevented(c, a) == Approx(1.0));
    CHECK(prevented(c, b) == Approx(0.8));
    // Crime 2: 1 - (1 - 0.5)(1 - 0.4) = 0.7, not 0.9.
    CHECK(prevented(c, both) == Approx(0.5 + 0.7 + 0.4));
    CHECK(prevented_alone(c[0]) == Approx(1.0));
}

TEST_CASE("The budget plan equals the exhaustive optimum on small cases", "[score]") {
    for (uint64_t seed = 1; seed <= 12; ++seed) {
        const std::vector<Candidate> c = random_case(seed, 14, 40);
        for (double budget : {10000.0, 40000.0, 90000.0}) {
            const Plan exact = plan_budget(c, budget);
            const Plan truth = plan_exhaustive(c, budget);
            CHECK(exact.exact);
            CHECK(exact.prevented == Approx(truth.prevented).epsilon(1e-9));
            CHECK(exact.cost <= budget);
            CHECK(exact.method.find("exact") != std::string::npos);
            // The greedy, forced, is within its guarantee and never above the bound.
            const Plan greedy = plan_budget(c, budget, 0);
            CHECK_FALSE(greedy.exact);
            CHECK(greedy.cost <= budget);
            CHECK(greedy.prevented >= 0.5 * (1 - std::exp(-1.0)) * truth.prevented - 1e-9);
            CHECK(greedy.prevented <= truth.prevented + 1e-9);
            CHECK(greedy.upper_bound >= truth.prevented - 1e-9);
        }
    }
}

TEST_CASE("Overlapping candidates are not both bought when a disjoint one does better", "[score]") {
    // Two interventions over the same 10 crimes, and a third over 8 others.
    const std::vector<Candidate> c = {cand({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0.4, 1000), cand({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0.35, 1000),
                                      cand({10, 11, 12, 13, 14, 15, 16, 17}, 0.4, 1000)};
    const Plan plan = plan_budget(c, 2000);
    CHECK(plan.chosen == std::vector<size_t>{0, 2});
    CHECK(plan.prevented == Approx(4.0 + 3.2));
    // Counting the overlap twice would have preferred 0 and 1 (4.0 + 3.5 > 7.2).
    CHECK(plan_exhaustive(c, 2000).chosen == std::vector<size_t>{0, 2});
}

TEST_CASE("Nothing affordable, or nothing to prevent, gives an empty plan", "[score]") {
    const std::vector<Candidate> c = {cand({0}, 0.5, 5000), cand({1}, 0.0, 10)};
    const Plan plan = plan_budget(c, 1000);
    CHECK(plan.chosen.empty());
    CHECK(plan.prevented == 0);
    CHECK(plan.cost == 0);
}

TEST_CASE("The default table cites its sources and leaves target hardening out", "[score]") {
    const auto t = default_interventions();
    REQUIRE(t.size() == 4);
    CHECK(t[0].key == "lighting");
    CHECK(t[0].effect == 0.21);
    CHECK(t[0].effect_source.find("Welsh & Farrington (2008)") == 0);
    CHECK(t[1].effect == 0.16);
    CHECK(t[2].key == "gating");
    CHECK(t[2].effect == 0.37);
    CHECK(t[2].effect_source.find("Sidebottom") != std::string::npos);
    CHECK(t[3].effect == 0);
}
