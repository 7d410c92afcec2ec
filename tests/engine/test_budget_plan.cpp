// The budget plan: no double counting, and the exact plan equals the exhaustive optimum.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <random>
#include <regex>
#include <set>
#include <string>

#include "engine/crime_types.hpp"
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

namespace {
const InterventionSpec* find_spec(const std::vector<InterventionSpec>& table, const std::string& key) {
    for (const InterventionSpec& s : table)
        if (s.key == key) return &s;
    return nullptr;
}

/// "21 %" for 0.21: how the sources state a reduction.
std::string percent(double share) { return std::to_string(std::lround(share * 100)) + " %"; }
} // namespace

TEST_CASE("The default effects are the figures the publications they cite report", "[score]") {
    // The reductions as published, looked up in the publications, not in the table.
    struct Published {
        const char* key;
        const char* study;
        double reduction;
    };
    const Published published[] = {
        // Campbell Systematic Reviews 2008:13, 13 studies: crime 21 % lower with improved lighting.
        {"lighting", "Welsh & Farrington (2008)", 0.21},
        // Justice Quarterly 26(4), 41 studies: crime 16 % lower in CCTV areas.
        {"cctv", "Welsh & Farrington (2009)", 0.16},
        // European Journal on Criminal Policy and Research 10(4), Liverpool: burglary 37 % lower.
        {"gating", "Bowers, Johnson & Hirschfield (2004)", 0.37},
    };
    const auto table = default_interventions();
    for (const Published& p : published) {
        INFO(p.key);
        const InterventionSpec* s = find_spec(table, p.key);
        REQUIRE(s);
        CHECK(s->effect == Approx(p.reduction));
        CHECK(s->effect_source.find(p.study) != std::string::npos);
        CHECK(s->effect_source.find(percent(p.reduction)) != std::string::npos);
    }
    // The later reviews stay cited beside them.
    CHECK(find_spec(table, "cctv")->effect_source.find("Piza") != std::string::npos);
    CHECK(find_spec(table, "gating")->effect_source.find("Sidebottom et al. (2018)") != std::string::npos);
    // Target hardening has no pooled area-level effect: 0 leaves it out of plans.
    REQUIRE(find_spec(table, "target_hardening"));
    CHECK(find_spec(table, "target_hardening")->effect == 0);
}

TEST_CASE("Every default effect is a share below 1, stated in a dated source, on police.uk crime types", "[score]") {
    const auto table = default_interventions();
    REQUIRE_FALSE(table.empty());
    std::set<std::string> keys;
    // An author's surname, then the year in brackets: "Welsh & Farrington (2008)".
    const std::regex author_year(R"([A-Z][a-z]+[^()]* \((19|20)[0-9]{2}\))");
    for (const InterventionSpec& s : table) {
        INFO(s.key);
        CHECK(keys.insert(s.key).second);
        CHECK(s.effect >= 0);
        CHECK(s.effect < 1);
        CHECK_FALSE(s.effect_source.empty());
        if (s.effect > 0) {
            CHECK(std::regex_search(s.effect_source, author_year));
            // The effect is the reduction its source states, so neither changes alone.
            CHECK(s.effect_source.find(percent(s.effect)) != std::string::npos);
        }
        // A misspelt type would match no incident and the intervention would prevent nothing.
        REQUIRE_FALSE(s.crime_types.empty());
        for (const std::string& type : s.crime_types)
            CHECK(std::find(std::begin(safer::known_crime_types), std::end(safer::known_crime_types), type) != std::end(safer::known_crime_types));
        CHECK(s.unit_cost > 0);
        CHECK_FALSE(s.unit.empty());
        CHECK_FALSE(s.cost_source.empty());
    }
}

TEST_CASE("Crimes prevented by type: each crime once, 1 - prod (1 - p) over the chosen candidates", "[budget]") {
    // Crimes 0, 1 are burglaries (type 2), crime 2 a robbery (type 9). Candidate A addresses 0 and 1
    // with p = 0.5; B addresses 1 and 2 with p = 0.2. Both chosen: crime 0 prevented with 0.5,
    // crime 1 with 1 - 0.5 x 0.8 = 0.6, crime 2 with 0.2: burglary 1.1, robbery 0.2.
    const std::vector<Candidate> c{{0, {0, 1}, 0.5, 100}, {1, {1, 2}, 0.2, 100}};
    const std::vector<safer::CrimeTypeId> type_of{2, 2, 9};
    const std::vector<size_t> both{0, 1};
    const auto by_type = prevented_by_type(c, both, type_of);
    REQUIRE(by_type.size() == 2);
    CHECK(by_type[0].first == 2);
    CHECK(by_type[0].second == Approx(1.1));
    CHECK(by_type[1].first == 9);
    CHECK(by_type[1].second == Approx(0.2));
    // The total is prevented()'s.
    CHECK(by_type[0].second + by_type[1].second == Approx(prevented(c, both)));
}
