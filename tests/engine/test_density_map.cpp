// The density map of safer kde (engine/density_map): one surface, or one per period on the same
// grid, checked against the quartic kernel summed by hand at cell centres.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "engine/density_map.hpp"
#include "tests/support/hand_made.hpp"

using namespace safer;

namespace {
// The quartic kernel per km², written out: 10⁶ · 3/(π h²) · (1 − d²/h²)² for d < h.
double quartic_per_km2(double d, double h) {
    if (d >= h) return 0;
    const double u = 1 - d * d / (h * h);
    return 1e6 * 3 / (std::numbers::pi * h * h) * u * u;
}

// Three incidents: two in 2021-03, one in 2021-04, and one not selected.
test::IncidentList three_incidents() {
    test::IncidentList l;
    l.add(1000, 1000, "2021-03", "Burglary");
    l.add(1100, 1000, "2021-03", "Burglary");
    l.add(1000, 1200, "2021-04", "Robbery");
    l.add(1050, 1050, "2021-04", "Drugs");
    return l;
}
} // namespace

TEST_CASE("Density map: each cell is the kernel sum of the selected incidents", "[kde][density_map]") {
    const test::IncidentList l = three_incidents();
    const std::vector<uint8_t> selected{1, 1, 1, 0};
    kde::Options o;
    o.bandwidth = 200;
    o.cell = 50;
    const kde::DensityMap map = kde::density_map(l.incidents, selected, PeriodKind::none, o, nullptr, nullptr);
    CHECK(map.incidents == 3);
    CHECK(map.total_weight == 3);
    REQUIRE(map.periods.size() == 1);
    CHECK(map.periods[0].period == "all");
    const Grid& g = map.surface.grid;
    // The grid covers the incidents' extent (1000..1100 x 1000..1200) grown by 200 m, in 50 m cells.
    CHECK(g.x0 == 800);
    CHECK(g.y0 == 1400);
    CHECK(g.nx == 10);
    CHECK(g.ny == 12);
    double worst = 0, peak = 0;
    for (int64_t r = 0; r < g.ny; ++r)
        for (int64_t c = 0; c < g.nx; ++c) {
            const double x = g.col_x(c), y = g.row_y(r);
            const double expected = quartic_per_km2(std::hypot(x - 1000, y - 1000), 200) + quartic_per_km2(std::hypot(x - 1100, y - 1000), 200) +
                                    quartic_per_km2(std::hypot(x - 1000, y - 1200), 200);
            worst = std::max(worst, std::abs(map.periods[0].value[g.index(r, c)] - expected));
            peak = std::max(peak, expected);
        }
    CHECK(worst < 1e-5 * peak); // stored as float
    // Its mass: 3 incidents (per km² × km² a cell); a 200 m kernel within the grid loses nothing.
    double mass = 0;
    for (float v : map.periods[0].value) mass += v * g.cell_area() / 1e6;
    CHECK(mass == Approx(3.0).epsilon(0.02)); // the kernel sampled at 50 m cell centres
}

TEST_CASE("Density map: period surfaces share the grid and add up to the whole", "[kde][density_map]") {
    const test::IncidentList l = three_incidents();
    const std::vector<uint8_t> selected{1, 1, 1, 0};
    kde::Options o;
    o.bandwidth = 200;
    o.cell = 50;
    // A study area that cuts the grid: the square 900..1200 x 900..1300, with edge correction.
    const geos::Geometry square = test::rectangle(900, 900, 1200, 1300);
    kde::StudyArea study{{square.get()}};
    o.edge_correct = true;
    const kde::DensityMap whole = kde::density_map(l.incidents, selected, PeriodKind::none, o, &study, nullptr);
    const kde::DensityMap by_month = kde::density_map(l.incidents, selected, PeriodKind::month, o, &study, nullptr);
    REQUIRE(by_month.periods.size() == 2);
    CHECK(by_month.periods[0].period == "2021-03");
    CHECK(by_month.periods[1].period == "2021-04");
    CHECK(by_month.periods[0].incidents == 2);
    CHECK(by_month.periods[1].incidents == 1);
    const Grid& g = whole.surface.grid;
    CHECK(by_month.surface.grid.x0 == g.x0);
    CHECK(by_month.surface.grid.nx == g.nx);
    size_t inside = 0;
    for (size_t i = 0; i < g.cells(); ++i) {
        const float all = whole.periods[0].value[i];
        const float a = by_month.periods[0].value[i], b = by_month.periods[1].value[i];
        if (all == kde::nodata) {
            // Outside the study area in every surface.
            CHECK(a == kde::nodata);
            CHECK(b == kde::nodata);
            continue;
        }
        ++inside;
        // The estimator is linear in the incidents, and edge correction divides each cell by the
        // same share whatever the period: the months add up to the whole.
        CHECK(a + b == Approx(all).epsilon(1e-5).margin(1e-3));
    }
    // Cells whose centre is in the square: x centres 925..1175 (6), y centres 925..1275 (8).
    CHECK(inside == 48);
}
