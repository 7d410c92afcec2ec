// The report of safer site within its budget (layers/site_output): how many sites it details,
// checked up front from the reviewer's bounds of each site's incidents.
#include <catch2/catch.hpp>

#include "engine/errors.hpp"
#include "engine/site_review.hpp"
#include "layers/site_output.hpp"
#include "tests/support/hand_made.hpp"

using namespace safer;

TEST_CASE("Site report: the sites it details fit its budget; a number given over it is refused, the default cut", "[site][site_report]") {
    // 400,000 incidents, 1,000 at each point of a 20 x 20 grid of 10 m spacing over 1000..1190
    // (and one at (2000, 2000)), and three 10 m squares in its middle at 1090..1100 (shifted 1 m
    // east each): each site's envelope grown by its 100 m ring holds the 400,000 and not the one, so each detailed section is bounded by
    // site_section_bytes(400,000) = 60 kB + 150 B x 400,000 = 60.06 MB: two fit in 150 MB, three
    // (180.18 MB) do not.
    test::IncidentList l;
    for (int k = 0; k < 400; ++k) l.add(1000 + 10 * (k % 20), 1000 + 10 * (k / 20), "2021-05", "Burglary", 1000);
    l.add(2000, 2000, "2021-05", "Burglary");
    Areas sites;
    for (int k = 0; k < 3; ++k) {
        sites.code.push_back(fmt::format("S{}", k + 1));
        sites.name.push_back(sites.code.back());
        sites.population.push_back(std::nan(""));
        sites.households.push_back(std::nan(""));
        sites.geometry.push_back(test::rectangle(1090 + k, 1090, 1100 + k, 1100));
    }
    site::SiteOptions o;
    o.radii = {50, 100};
    const site::SiteReviewer reviewer(sites, l.incidents, l.types, Areas{}, {}, AssetSet{}, test::month("2021-01"), test::month("2021-12"), o, nullptr);
    for (size_t s = 0; s < 3; ++s) REQUIRE(reviewer.incidents_bound(s) == 400000);
    CHECK(layers::site_section_bytes(400000) == Approx(60.06e6));
    Progress quiet(true);
    CHECK(layers::report_sites(2, true, reviewer, quiet) == 2);
    CHECK(layers::report_sites(0, true, reviewer, quiet) == 0);
    CHECK(layers::report_sites(3, false, reviewer, quiet) == 2); // the default, cut to what fits
    CHECK_THROWS_WITH(layers::report_sites(3, true, reviewer, quiet),
                      Catch::Contains("--report-sites 3: the detailed sections of the first 3 sites would take up to 180 MB of HTML") &&
                          Catch::Contains("up to 1,200,000 here") && Catch::Contains("give --report-sites 2 or fewer"));
    CHECK_THROWS_AS(layers::report_sites(3, true, reviewer, quiet), UsageError);
}
