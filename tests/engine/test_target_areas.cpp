// Target-area candidates on hand-made strips of areas, with answers worked out by hand.
#include <catch2/catch.hpp>

#include "engine/target_areas.hpp"

using namespace safer;

namespace {
// A row of n areas, each touching the next.
hotspots::SpatialWeights strip(size_t n) {
    hotspots::SpatialWeights w;
    w.offsets = {0};
    for (size_t i = 0; i < n; ++i) {
        if (i > 0) w.neighbours.push_back(static_cast<int32_t>(i - 1));
        if (i + 1 < n) w.neighbours.push_back(static_cast<int32_t>(i + 1));
        w.offsets.push_back(static_cast<int64_t>(w.neighbours.size()));
    }
    return w;
}
} // namespace

TEST_CASE("Target areas: clusters grow by the neighbour that keeps the rate highest", "[bid]") {
    // Areas 0..4 with 1,000 residents each; counts 2, 30, 10, 20, 1 (rates 2, 30, 10, 20, 1).
    const std::vector<double> count{2, 30, 10, 20, 1}, pop(5, 1000);
    TargetOptions o;
    o.max_areas = 3;
    o.min_population = 2000;
    o.max_population = 3000;
    o.keep = 5;
    const auto c = target_candidates(count, pop, strip(5), o);
    // From area 1 (rate 30): {1} is too small (1,000 < 2,000); it takes 2 (rate 20 for {1,2})
    // rather than 0 (16); then 3 ({1,2,3}: 60/3000 = 20 per 1,000). Candidates from seed 1:
    // {1,2} at 20 and {1,2,3} at 20. From seed 3: {2,3} 15, {1,2,3} (seen). Seed 2: {1,2} seen...
    // Best: {1,2} and {1,2,3} tie at 20.0; the tie goes to the higher count, {1,2,3} (60 > 40).
    REQUIRE(!c.empty());
    CHECK(c[0].areas == std::vector<size_t>{1, 2, 3});
    CHECK(c[0].rate == Approx(20.0));
    CHECK(c[0].count == 60);
    CHECK(c[0].population == 3000);
    // Nothing else is disjoint from {1,2,3} and holds 2,000 residents: {0} and {4} alone are
    // too small and not neighbours of each other.
    CHECK(c.size() == 1);
    CHECK(c[0].rank_by_rate == 1);
    CHECK(c[0].rank_by_count == 1);
}

TEST_CASE("Target areas: population limits, contiguity and ties broken by code", "[bid]") {
    // Six areas in a strip, equal rates everywhere: every candidate ties on rate; the count
    // decides, then the area indexes (codes).
    const std::vector<double> count{10, 10, 10, 10, 10, 10}, pop(6, 1000);
    TargetOptions o;
    o.max_areas = 2;
    o.min_population = 2000;
    o.max_population = 2000;
    o.keep = 10;
    const auto w = strip(6);
    const auto c = target_candidates(count, pop, w, o);
    REQUIRE(c.size() == 3);
    CHECK(c[0].areas == std::vector<size_t>{0, 1});
    CHECK(c[1].areas == std::vector<size_t>{2, 3});
    CHECK(c[2].areas == std::vector<size_t>{4, 5});
    for (const auto& k : c) {
        CHECK(is_contiguous(k.areas, w));
        CHECK(k.population >= 2000);
        CHECK(k.population <= 2000);
    }
    CHECK_FALSE(is_contiguous({0, 2}, w));
    // Same input, same answer.
    CHECK(target_candidates(count, pop, w, o)[1].areas == c[1].areas);
}

TEST_CASE("Target areas: areas without population never join", "[bid]") {
    // Area 0 holds most of the incidents but no residents (NaN, then 0); areas 1 and 2 have rate 5.
    // Seed 1: {1} (1,000 residents, 5 incidents) is a candidate; it cannot take 0, takes 2:
    // {1,2} (2,000, 10, rate 5); nothing more it may take. Seed 2: {2}, then {1,2} again. All
    // rates tie at 5, so the higher count goes first: {1,2}; {1} and {2} share an area with it.
    // Had area 0 joined, {0,1,2} (60 incidents) would lead.
    const std::vector<double> count{50, 5, 5};
    TargetOptions o;
    o.max_areas = 3;
    o.min_population = 1000;
    o.max_population = 5000;
    for (const double none : {std::nan(""), 0.0}) {
        const std::vector<double> pop{none, 1000, 1000};
        const auto c = target_candidates(count, pop, strip(3), o);
        REQUIRE(c.size() == 1);
        CHECK(c[0].areas == std::vector<size_t>{1, 2});
        CHECK(c[0].population == 2000);
        CHECK(c[0].count == 10);
        CHECK(c[0].rate == Approx(5.0));
    }
}
