// The evidence of a Safer Streets bid (engine/bid_evidence) on a strip of four hand-made LSOAs:
// rates, ratios to the comparison group, change against the previous period, Gi* of the rate,
// the top target-area candidate, its monthly series and its study, all worked out by hand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "engine/bid_evidence.hpp"
#include "engine/errors.hpp"
#include "tests/support/hand_made.hpp"

using namespace safer;

namespace {
// Four 100 m squares in a row, 1,000 residents each (A0 with 400 households). Twelve months,
// 2021-01..2021-12; the bid looks at the last six (2021-07..2021-12) against the six before.
//
//            2021-03 (before)   2021-09 (after)                     neighbourhood after
//   A0       2 burglaries       4 burglaries, 1 robbery              5
//   A1       4 burglaries       12 burglaries, 3 vehicle, 5 ASB      15
//   A2       6 burglaries       3 burglaries                         3
//   A3       -                  2 robberies                          2
struct Strip {
    Areas areas = test::make_areas({{0, 0, 100, 1000, 400}, {100, 0, 100, 1000}, {200, 0, 100, 1000}, {300, 0, 100, 1000}});
    test::IncidentList l;
    std::vector<int32_t> area_of;
    void add(int a, const char* month, const char* type, size_t n, const char* location = "") {
        l.add(100.0 * a + 30 + static_cast<double>(l.size() % 40), 50, month, type, n, location);
        area_of.insert(area_of.end(), n, a);
    }
    Strip() {
        add(0, "2021-03", "Burglary", 2);
        add(1, "2021-03", "Burglary", 4);
        add(2, "2021-03", "Burglary", 6);
        add(0, "2021-09", "Burglary", 4);
        add(0, "2021-09", "Robbery", 1);
        // A1's 12 burglaries after: 6 on or near High Street, 4 at a supermarket, 2 on Mill Lane.
        add(1, "2021-09", "Burglary", 6, "On or near High Street");
        add(1, "2021-09", "Burglary", 4, "On or near Supermarket");
        add(1, "2021-09", "Burglary", 2, "On or near Mill Lane");
        add(1, "2021-09", "Vehicle crime", 3);
        add(1, "2021-09", "Anti-social behaviour", 5);
        add(2, "2021-09", "Burglary", 3);
        add(3, "2021-09", "Robbery", 2);
        add(3, "2021-12", "Drugs", 1); // so the data reaches 2021-12
        add(0, "2021-01", "Drugs", 1); // and starts in 2021-01
    }
    AnalysisWindow window() const {
        WindowRule rule;
        rule.last_months = 6;
        rule.with_previous = true;
        return resolve_window(rule, test::month("2021-01"), test::month("2021-12"));
    }
    bid::BidOptions options() const {
        bid::BidOptions o;
        o.targets.max_areas = 2;
        o.targets.min_population = 1000;
        o.targets.max_population = 2000;
        return o;
    }
};

size_t type_index(const bid::BidEvidence& e, const CrimeTypes& types, const char* name) {
    const auto it = std::find(e.group_types.begin(), e.group_types.end(), *types.find(name));
    REQUIRE(it != e.group_types.end());
    return static_cast<size_t>(it - e.group_types.begin());
}
} // namespace

TEST_CASE("Bid evidence: rates, ratios and change of neighbourhood crime, worked by hand", "[bid][bid_evidence]") {
    Strip s;
    const bid::BidEvidence e = bid::bid_evidence(s.l.incidents, s.l.types, s.areas, s.area_of, s.window(), s.options(), nullptr);
    CHECK(e.window.from == test::month("2021-07"));
    REQUIRE(e.change.full);
    CHECK(e.change.before_from == test::month("2021-01"));
    CHECK(e.change.before_to == test::month("2021-06"));
    const GroupColumns& g = e.group_stats();
    CHECK(g.group == "neighbourhood");
    CHECK(g.count == std::vector<uint64_t>{5, 15, 3, 2});
    // Rates per 1,000 residents; the comparison rate is 1000 × 25 / 4000 = 6.25.
    CHECK(g.rate == std::vector<double>{5, 15, 3, 2});
    CHECK(g.comparison_rate == Approx(6.25));
    CHECK(g.ratio[1] == Approx(15 / 6.25));
    CHECK(g.rank == std::vector<int32_t>{2, 1, 3, 4});
    // Change: (after − before) / before; A3 had none before, so no percentage.
    CHECK(e.before == std::vector<double>{2, 4, 6, 0});
    CHECK(e.after == std::vector<double>{5, 15, 3, 2});
    CHECK(e.change_pct[0] == Approx(150.0));
    CHECK(e.change_pct[1] == Approx(275.0));
    CHECK(e.change_pct[2] == Approx(-50.0));
    CHECK(std::isnan(e.change_pct[3]));
    // Burglary per 1,000 households, where households are given: A0 4 / 400.
    CHECK(e.burglary_per_household[0] == Approx(10.0));
    CHECK(std::isnan(e.burglary_per_household[1]));
    CHECK(e.no_population.empty());
    // Counts by type of the group in the months analysed.
    CHECK(e.type_count[type_index(e, s.l.types, "Burglary")] == std::vector<double>{4, 12, 3, 0});
    CHECK(e.type_count[type_index(e, s.l.types, "Robbery")] == std::vector<double>{1, 0, 0, 2});
    CHECK(e.type_count[type_index(e, s.l.types, "Vehicle crime")] == std::vector<double>{0, 3, 0, 0});
}

TEST_CASE("Bid evidence: Gi* of the rate over queen-contiguous areas follows the formula", "[bid][bid_evidence]") {
    Strip s;
    const bid::BidEvidence e = bid::bid_evidence(s.l.incidents, s.l.types, s.areas, s.area_of, s.window(), s.options(), nullptr);
    // Rates 5, 15, 3, 2; neighbourhoods with self {0,1}, {0,1,2}, {1,2,3}, {2,3}.
    // x̄ = 6.25, s² = (25 + 225 + 9 + 4)/4 − 6.25² = 65.75 − 39.0625 = 26.6875.
    const double mean = 6.25, sd = std::sqrt(26.6875), n = 4;
    const auto z = [&](double local, double w) { return (local - w * mean) / (sd * std::sqrt((n * w - w * w) / (n - 1))); };
    CHECK(e.gi_z[0] == Approx(z(20, 2)));
    CHECK(e.gi_z[1] == Approx(z(23, 3)));
    CHECK(e.gi_z[2] == Approx(z(20, 3)));
    CHECK(e.gi_z[3] == Approx(z(5, 2)));
    CHECK(e.gi_error.empty());
}

TEST_CASE("Bid evidence: the top candidate, its monthly series and its study", "[bid][bid_evidence]") {
    Strip s;
    const bid::BidEvidence e = bid::bid_evidence(s.l.incidents, s.l.types, s.areas, s.area_of, s.window(), s.options(), nullptr);
    // Clusters of 1-2 areas with 1,000-2,000 residents: {A1} at 15 per 1,000 beats {A0,A1} at 10
    // and {A1,A2} at 9.
    REQUIRE(!e.targets.empty());
    const bid::Target& top = e.targets.front();
    CHECK(top.areas == std::vector<size_t>{1});
    CHECK(top.candidate.rate == Approx(15.0));
    CHECK(top.candidate.count == 15);
    CHECK(top.comparison_rate == Approx(6.25));
    CHECK(geos::area(top.geometry.get()) == Approx(10000.0));
    // The monthly series covers every month kept (2021-01..2021-12): 2021-03 is index 2, 2021-09 index 8.
    const bid::MonthlySeries& m = e.monthly;
    REQUIRE(m.months.size() == 12);
    const size_t burglary = type_index(e, s.l.types, "Burglary"), vehicle = type_index(e, s.l.types, "Vehicle crime"),
                 robbery = type_index(e, s.l.types, "Robbery");
    CHECK(m.target[burglary][2] == 4);
    CHECK(m.target[burglary][8] == 12);
    CHECK(m.target[vehicle][8] == 3);
    // The comparison area is every area with residents: burglaries in 2021-09 are 4 + 12 + 3.
    CHECK(m.comparison[burglary][8] == 19);
    CHECK(m.comparison[burglary][2] == 12);
    CHECK(m.comparison[robbery][8] == 3);
    CHECK(m.target_population == 1000);
    CHECK(m.comparison_population == 4000);
    // The density surface holds the group's 25 incidents of the months analysed.
    CHECK(e.density.incidents == 25);
    // The top candidate's study: every crime type recorded in A1 in the months analysed (12 + 3 + 5).
    const bid::TargetStudy t = bid::top_target_study(e, s.l.incidents, s.areas, s.area_of);
    CHECK(t.areas.code == std::vector<std::string>{"A1"});
    CHECK(t.incidents.size() == 20);
    CHECK(t.area_of == std::vector<int32_t>(20, 0));
}

TEST_CASE("Bid evidence: each area is compared with its own group", "[bid][bid_evidence]") {
    Strip s;
    bid::BidOptions o = s.options();
    o.compare_group = {"X", "X", "Y", "Y"};
    const bid::BidEvidence e = bid::bid_evidence(s.l.incidents, s.l.types, s.areas, s.area_of, s.window(), o, nullptr);
    // X: 1000 × (5 + 15) / 2000 = 10; Y: 1000 × (3 + 2) / 2000 = 2.5.
    const GroupColumns& g = e.group_stats();
    CHECK(g.ratio[0] == Approx(0.5));
    CHECK(g.ratio[1] == Approx(1.5));
    CHECK(g.ratio[2] == Approx(1.2));
    CHECK(g.ratio[3] == Approx(0.8));
    CHECK(e.targets.front().comparison_rate == Approx(10.0));
    CHECK(e.monthly.comparison_population == 2000);
}

TEST_CASE("Bid evidence: refused when the group has nothing in the months, or no cluster fits", "[bid][bid_evidence]") {
    Strip s;
    bid::BidOptions o = s.options();
    const auto groups = builtin_crime_groups();
    o.group = static_cast<size_t>(std::find_if(groups.begin(), groups.end(), [](const CrimeGroup& g) { return g.name == "violence"; }) - groups.begin());
    CHECK_THROWS_WITH(bid::bid_evidence(s.l.incidents, s.l.types, s.areas, s.area_of, s.window(), o, nullptr),
                      Catch::Contains("violence group has no incidents") && Catch::Contains("2021-07 to 2021-12"));
    o = s.options();
    o.targets.min_population = 5000;
    o.targets.max_population = 6000;
    CHECK_THROWS_AS(bid::bid_evidence(s.l.incidents, s.l.types, s.areas, s.area_of, s.window(), o, nullptr), InputError);
}

TEST_CASE("Bid evidence: the top candidate's streets, its growth and its change test", "[bid][bid_evidence]") {
    Strip s;
    const bid::BidEvidence e = bid::bid_evidence(s.l.incidents, s.l.types, s.areas, s.area_of, s.window(), s.options(), nullptr);
    const bid::Target& top = e.targets.front();
    // Police.uk's locations, most frequent first, "On or near " dropped and the supermarket (a
    // kind of place, not a street) left out.
    REQUIRE(top.streets.size() == 2);
    CHECK(top.streets[0] == std::pair<std::string, double>{"High Street", 6});
    CHECK(top.streets[1] == std::pair<std::string, double>{"Mill Lane", 2});
    CHECK(top.candidate.grown == std::vector<size_t>{1});
    CHECK(top.candidate.grown_rate == std::vector<double>{15});
    // 4 before and 15 after in equal six-month windows: under no change, after ~ Binomial(19, 1/2);
    // two-sided p = P(X <= 4) + P(X >= 15) = 2 x 5,036 / 2^19 = 0.0192108 (R: binom.test(15, 19)).
    CHECK(top.before == 4);
    CHECK(top.after == 15);
    CHECK(top.change_p == Approx(0.0192108154296875).epsilon(1e-9));
    CHECK(e.change_p[1] == Approx(0.0192108154296875).epsilon(1e-9));
    // The whole input's rate: 25 incidents over 4,000 residents.
    CHECK(e.input_rate == Approx(6.25));
}

TEST_CASE("Bid evidence: areas whose crime looks like footfall are flagged, and left out with --residential-only", "[bid][bid_evidence]") {
    Strip s;
    // A3: 20 shoplifting crimes in 2021-09, and only 400 residents (the median area has 1,000).
    s.add(3, "2021-09", "Shoplifting", 20);
    s.areas.population[3] = 400;
    bid::BidOptions o = s.options();
    o.targets.min_population = 400;
    const bid::BidEvidence e = bid::bid_evidence(s.l.incidents, s.l.types, s.areas, s.area_of, s.window(), o, nullptr);
    // A3's crime in the months analysed: 2 robberies, 1 drugs, 20 shoplifting: 20/23 town-centre.
    CHECK(e.town_centre_share[3] == Approx(20.0 / 23));
    CHECK(e.footfall == std::vector<uint8_t>{0, 0, 0, 1});
    CHECK(e.typical_population == 1000); // median of 400, 1000, 1000, 1000
    CHECK(e.few_residents == std::vector<uint8_t>{0, 0, 0, 1});
    // A3's rate (2 robberies per 400 residents: 5 per 1,000) is a candidate of its own ...
    const auto holds = [](const bid::BidEvidence& x, size_t area) {
        return std::any_of(x.targets.begin(), x.targets.end(), [&](const bid::Target& t) { return std::count(t.areas.begin(), t.areas.end(), area) > 0; });
    };
    CHECK(holds(e, 3));
    // ... but not with --residential-only.
    o.residential_only = true;
    const bid::BidEvidence r = bid::bid_evidence(s.l.incidents, s.l.types, s.areas, s.area_of, s.window(), o, nullptr);
    CHECK_FALSE(holds(r, 3));
}
