// The crime impact review of a planning site (engine/site_review): rings measured from the red
// line itself, counts by ring and group, the LSOAs a site lies in, the monthly series and the
// findings, against incidents placed at distances worked out by hand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "engine/errors.hpp"
#include "engine/site_review.hpp"
#include "tests/support/hand_made.hpp"

using namespace safer;

namespace {
// Site S: the square 1000..1100 x 1000..1100. Rings at 50 and 100 m from its red line.
// Incidents in 2021-05 (distances from the red line, by hand):
//   (1050, 1050)  inside              0 m   ring 1   2 burglaries
//   (1130, 1050)  east of the site   30 m   ring 1   robbery
//   (1150, 1050)  east               50 m   ring 1   robbery (on the first radius: it belongs to it)
//   (1140, 1140)  off the NE corner  √(40² + 40²) = 56.6 m: ring 2 (from the centroid it is 127 m)
//                                                    violence
//   (1050, 1180)  north              80 m   ring 2   criminal damage
//   ( 900,  900)  off the SW corner  √(100² + 100²) = 141 m: beyond the last ring   burglary
// Site Q: the square 1500..1520 x 1500..1520, with one incident at (1700, 1700), 254.6 m away.
struct Fixture {
    Areas sites;
    Areas areas = test::make_areas({{900, 900, 150, 1500}, {1050, 900, 150, 500}});
    test::IncidentList l;
    std::vector<int32_t> area_of;
    Fixture() {
        sites.code = {"S", "Q"};
        sites.name = {"S", "Q"};
        sites.population = {std::nan(""), std::nan("")};
        sites.households = sites.population;
        sites.geometry.push_back(test::rectangle(1000, 1000, 1100, 1100));
        sites.geometry.push_back(test::rectangle(1500, 1500, 1520, 1520));
        l.add(1050, 1050, "2021-05", "Burglary", 2);
        l.add(1130, 1050, "2021-05", "Robbery");
        l.add(1150, 1050, "2021-05", "Robbery");
        l.add(1140, 1140, "2021-05", "Violence and sexual offences");
        l.add(1050, 1180, "2021-05", "Criminal damage and arson");
        l.add(900, 900, "2021-05", "Burglary");
        l.add(1700, 1700, "2021-07", "Drugs");
        // Areas: A0 is x 900..1050, A1 x 1050..1200 (y 900..1050). By hand: (1050, 1050) is on
        // their shared edge and goes to the east area, A1; the rest by x.
        area_of = {1, 1, 1, 1, 1, 1, 0, -1};
    }
    site::SiteReview review() const {
        site::SiteOptions o;
        o.radii = {50, 100};
        return site::review_sites(sites, l.incidents, l.types, areas, area_of, AssetSet{}, test::month("2021-01"), test::month("2021-12"), o, nullptr);
    }
};

bool has(const site::SiteResult& r, site::FindingKind kind) {
    return std::any_of(r.findings.begin(), r.findings.end(), [&](const site::Finding& f) { return f.kind == kind; });
}
} // namespace

TEST_CASE("Site review: incidents fall in rings by their distance from the red line", "[site][site_review]") {
    const Fixture f;
    const site::SiteReview review = f.review();
    REQUIRE(review.sites.size() == 2);
    const site::SiteResult& s = review.sites[0];
    CHECK(s.id == "S");
    CHECK(s.area_ha == Approx(1.0));
    CHECK(s.incidents == std::vector<size_t>{0, 1, 2, 3, 4, 5});
    CHECK(s.incident_ring == std::vector<int32_t>{0, 0, 0, 0, 1, 1});
    const std::vector<double> expected_distance{0, 0, 30, 50, std::sqrt(3200.0), 80};
    for (size_t k = 0; k < expected_distance.size(); ++k) CHECK(s.incident_distance[k] == Approx(expected_distance[k]).margin(1e-9));
    // By group: 'all' holds 4 then 2; cumulatively 4 and 6 within 50 and 100 m.
    const size_t all = review.all_group;
    CHECK(s.by_group[0][all] == 4);
    CHECK(s.by_group[1][all] == 2);
    CHECK(s.within[0][all] == 4);
    CHECK(s.within[1][all] == 6);
    // By type: 2 burglaries in ring 1, none in ring 2 (the third is beyond 100 m).
    CHECK(s.by_type[*f.l.types.find("Burglary")] == std::vector<double>{2, 0});
    CHECK(s.by_type[*f.l.types.find("Robbery")] == std::vector<double>{2, 0});
    // The ring polygons' areas: 100² + 4·100·50 + π·50² for the first; the second adds the ring
    // between 50 and 100 m: 4·100·50 + π·(100² − 50²).
    CHECK(s.rings.area_m2[0] == Approx(10000 + 20000 + std::numbers::pi * 2500).epsilon(1e-4));
    CHECK(s.rings.area_m2[1] == Approx(20000 + std::numbers::pi * 7500).epsilon(1e-4));
    // Every incident of the year within 100 m was in May (month 5 of 12).
    std::vector<double> monthly(12, 0);
    monthly[4] = 6;
    CHECK(s.monthly == monthly);
}

TEST_CASE("Site review: the LSOAs a site lies in and their all-crime rates", "[site][site_review]") {
    const Fixture f;
    const site::SiteReview review = f.review();
    // S spans both areas (x 1000..1100 across the edge at 1050); Q lies in neither.
    CHECK(review.sites[0].lsoas == std::vector<size_t>{0, 1});
    CHECK(review.sites[1].lsoas.empty());
    // Counts by area: A0 holds 1, A1 holds 6; rates 1/1500 and 6/500 per 1,000: 0.667 and 12.
    CHECK(review.area_count == std::vector<double>{1, 6});
    CHECK(review.area_rate[0] == Approx(1000.0 / 1500));
    CHECK(review.area_rate[1] == Approx(12.0));
    CHECK(review.comparison_rate == Approx(1000.0 * 7 / 2000));
}

TEST_CASE("Site review: findings follow the crimes near each site", "[site][site_review]") {
    const Fixture f;
    const site::SiteReview review = f.review();
    const site::SiteResult& s = review.sites[0];
    CHECK(has(s, site::FindingKind::burglary));     // burglaries within the first ring
    CHECK(has(s, site::FindingKind::violence_asb)); // violence within the second
    CHECK(has(s, site::FindingKind::damage));       // criminal damage within the second
    CHECK_FALSE(has(s, site::FindingKind::nothing_recorded));
    CHECK_FALSE(has(s, site::FindingKind::low_crime));
    // Findings come in the order of the CPTED principles.
    CHECK(std::is_sorted(s.findings.begin(), s.findings.end(), [](const site::Finding& a, const site::Finding& b) { return a.principle < b.principle; }));
    // Q: nothing within 100 m.
    const site::SiteResult& q = review.sites[1];
    CHECK(q.nearby() == 0);
    CHECK(has(q, site::FindingKind::nothing_recorded));
    CHECK(q.findings.size() == 1);
}

TEST_CASE("Site review: a site outside the crimes' extent is refused, and so are bad radii", "[site][site_review]") {
    Fixture f;
    f.sites.geometry[1] = test::rectangle(50000, 50000, 50100, 50100);
    f.sites.code[1] = "far";
    CHECK_THROWS_WITH(f.review(), Catch::Contains("site far") && Catch::Contains("outside the extent of the crime data"));
    site::SiteOptions o;
    o.radii = {100, 50};
    CHECK_THROWS_AS(site::review_sites(f.sites, f.l.incidents, f.l.types, f.areas, f.area_of, AssetSet{}, test::month("2021-01"),
                                       test::month("2021-12"), o, nullptr),
                    InputError);
}

TEST_CASE("Site review: a reviewer reviews each site alone, in any order, as review_sites does", "[site][site_review]") {
    const Fixture f;
    const site::SiteReview together = f.review();
    site::SiteOptions o;
    o.radii = {50, 100};
    const site::SiteReviewer reviewer(f.sites, f.l.incidents, f.l.types, f.areas, f.area_of, AssetSet{}, test::month("2021-01"), test::month("2021-12"), o, nullptr);
    REQUIRE(reviewer.size() == 2);
    CHECK(reviewer.study().area_count == together.area_count);
    for (size_t s : {1, 0, 1}) { // Q first, then S, then Q again: nothing carries over
        const site::SiteResult r = reviewer.review(s);
        const site::SiteResult& t = together.sites[s];
        CHECK(r.id == t.id);
        CHECK(r.incidents == t.incidents);
        CHECK(r.incident_ring == t.incident_ring);
        CHECK(r.incident_distance == t.incident_distance);
        CHECK(r.by_group == t.by_group);
        CHECK(r.monthly == t.monthly);
        CHECK(r.lsoas == t.lsoas);
        CHECK(r.findings.size() == t.findings.size());
    }
}

TEST_CASE("Site review: each site's incidents are bounded up front, and batches cut by the bound", "[site][site_review]") {
    const Fixture f;
    site::SiteOptions o;
    o.radii = {50, 100};
    const site::SiteReviewer reviewer(f.sites, f.l.incidents, f.l.types, f.areas, f.area_of, AssetSet{}, test::month("2021-01"), test::month("2021-12"), o, nullptr);
    // S's envelope grown by 100 m is 900..1200 x 900..1200: the two burglaries at (1050, 1050),
    // the four other incidents within 100 m and the burglary at (900, 900) on its corner, 141 m
    // from the red line: 7, one more than the 6 within 100 m. Q's, 1400..1620 square, holds none
    // ((1700, 1700) is beyond it).
    CHECK(reviewer.incidents_bound(0) == 7);
    CHECK(reviewer.incidents_bound(1) == 0);
    CHECK(reviewer.review(0).nearby() <= reviewer.incidents_bound(0));
    const auto ranges = [](const std::vector<site::SiteBatch>& b) {
        std::vector<std::pair<size_t, size_t>> v;
        for (const auto& x : b) v.emplace_back(x.begin, x.end);
        return v;
    };
    using Ranges = std::vector<std::pair<size_t, size_t>>;
    CHECK(ranges(reviewer.batches(7, 10)) == Ranges{{0, 2}});         // 7 + 0 fit in 7
    CHECK(ranges(reviewer.batches(6, 10)) == Ranges{{0, 1}, {1, 2}}); // S alone is over 6: a batch of its own
    CHECK(ranges(reviewer.batches(100, 1)) == Ranges{{0, 1}, {1, 2}}); // one site a batch
}
