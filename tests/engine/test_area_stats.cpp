#include <catch2/catch.hpp>

#include <fmt/core.h>

#include <cmath>

#include "engine/area_index.hpp"
#include "engine/area_stats.hpp"

using namespace safer;

namespace {
geos::Geometry square(double x0, double y0, double size) {
    return geos::checked(GEOSGeom_createRectangle_r(geos::context(), x0, y0, x0 + size, y0 + size), "rectangle");
}

// Four areas; incidents placed by hand.
struct Fixture {
    Areas areas;
    Incidents incidents;
    CrimeTypes types;
    std::vector<int32_t> area_of;
    Fixture() {
        for (int a = 0; a < 4; ++a) {
            areas.code.push_back(fmt::format("A{}", a));
            areas.name.push_back(fmt::format("Area {}", a));
            areas.geometry.push_back(square(a * 100.0, 0, 100));
        }
        areas.population = {1000, 2000, 500, std::nan("")};
        areas.households = {400, 800, 200, std::nan("")};
        // (area, type, month) by hand: A0 3 burglaries; A1 2 burglaries + 1 ASB; A2 1 robbery; A3 4 burglaries.
        const std::vector<std::tuple<int, const char*, const char*>> rows = {
            {0, "Burglary", "2021-01"}, {0, "Burglary", "2021-01"}, {0, "Burglary", "2021-02"},
            {1, "Burglary", "2021-01"}, {1, "Burglary", "2021-02"}, {1, "Anti-social behaviour", "2021-02"},
            {2, "Robbery", "2021-03"},  {3, "Burglary", "2021-01"}, {3, "Burglary", "2021-01"},
            {3, "Burglary", "2021-01"}, {3, "Burglary", "2021-01"}};
        for (const auto& [a, type, month] : rows) {
            incidents.x.push_back(a * 100.0 + 50);
            incidents.y.push_back(50);
            incidents.month.push_back(*Month::parse(month));
            incidents.type.push_back(types.intern(type));
            area_of.push_back(a);
        }
    }
};
} // namespace

TEST_CASE("Area rates, ratios, ranks and percentiles match hand-worked values", "[engine][areas]") {
    Fixture f;
    const auto groups = builtin_crime_groups();
    const GroupMembership m(groups, f.types);
    const auto stats = summarise_areas(f.areas, groups, m, f.incidents, f.area_of);
    const GroupColumns& n = stats[0]; // neighbourhood
    REQUIRE(n.group == "neighbourhood");
    CHECK(n.count == std::vector<uint64_t>{3, 2, 1, 4});
    CHECK(n.total == 10);
    // Rates per 1,000: 3/1000 -> 3; 2/2000 -> 1; 1/500 -> 2; A3 has no population.
    CHECK(n.rate[0] == Approx(3.0));
    CHECK(n.rate[1] == Approx(1.0));
    CHECK(n.rate[2] == Approx(2.0));
    CHECK(std::isnan(n.rate[3]));
    // Comparison rate over areas with population: 1000 * 6 / 3500.
    CHECK(n.comparison_rate == Approx(6000.0 / 3500.0));
    CHECK(n.ratio[0] == Approx(3.0 / (6000.0 / 3500.0)));
    CHECK(n.rank == std::vector<int32_t>{1, 3, 2, 0});
    CHECK(n.pct[0] == Approx(100.0));
    CHECK(n.pct[2] == Approx(200.0 / 3.0));
    CHECK(n.pct[1] == Approx(100.0 / 3.0));
    CHECK(std::isnan(n.pct[3]));
}

TEST_CASE("Tied rates share the best rank", "[engine][areas]") {
    Fixture f;
    f.areas.population = {3000, 2000, 1000, 4000}; // rates 1, 1, 1, 1 for neighbourhood
    const auto groups = builtin_crime_groups();
    const auto stats = summarise_areas(f.areas, groups, GroupMembership(groups, f.types), f.incidents, f.area_of);
    CHECK(stats[0].rank == std::vector<int32_t>{1, 1, 1, 1});
    CHECK(stats[0].pct[0] == Approx(100.0));
}

TEST_CASE("Without population, areas rank by count", "[engine][areas]") {
    Fixture f;
    f.areas.population.assign(4, std::nan(""));
    const auto groups = builtin_crime_groups();
    const auto stats = summarise_areas(f.areas, groups, GroupMembership(groups, f.types), f.incidents, f.area_of);
    CHECK(stats[0].rank == std::vector<int32_t>{2, 3, 4, 1});
    CHECK(std::isnan(stats[0].ratio[0]));
}

TEST_CASE("Monthly counts by area and group are the non-zero cells in order", "[engine][areas]") {
    Fixture f;
    const auto groups = builtin_crime_groups();
    const auto rows = count_area_months(f.incidents, f.area_of, GroupMembership(groups, f.types));
    uint64_t neighbourhood_total = 0, all_total = 0;
    for (const auto& r : rows) {
        CHECK(r.count > 0);
        if (r.group == 0) neighbourhood_total += r.count;
        if (r.group == 5) all_total += r.count;
    }
    CHECK(neighbourhood_total == 10);
    CHECK(all_total == 11);
    // A3, 2021-01, neighbourhood: 4.
    bool found = false;
    for (const auto& r : rows)
        if (r.area == 3 && r.month == *Month::parse("2021-01") && r.group == 0) found = r.count == 4;
    CHECK(found);
    for (size_t i = 1; i < rows.size(); ++i)
        CHECK(std::tie(rows[i - 1].area, rows[i - 1].month.index, rows[i - 1].group) <
              std::tie(rows[i].area, rows[i].month.index, rows[i].group));
}

TEST_CASE("Competition ranks: ties share the best rank, NaN is unranked", "[area_stats]") {
    const std::vector<double> v{3, 5, 5, 1, std::nan(""), 3};
    CHECK(safer::competition_ranks(v) == std::vector<int64_t>{3, 1, 1, 5, 0, 3});
}
