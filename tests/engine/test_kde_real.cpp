// Real data: 12 months of Avon and Somerset burglary (../shared/data; SOURCES.md) and the
// force's 1,005 LSOA 2011 boundaries.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "engine/area_index.hpp"
#include "engine/kde.hpp"
#include "layers/area_reader.hpp"
#include "layers/incident_reader.hpp"

using namespace safer;
using namespace safer::kde;

namespace {
const std::string data = SAFER_DATA_DIR;
const std::string crimes = data + "/avon-and-somerset/crime/street";
const std::string lsoas = data + "/avon-and-somerset/boundaries/lsoa_2011_avon_and_somerset.geojson";
constexpr double pi = 3.14159265358979323846;

struct RealData {
    Areas areas;
    Extent force;
    Points burglary; // 2021-04 .. 2022-03, within the force area's envelope
};

const RealData& real_data() {
    static const RealData d = [] {
        RealData r;
        Progress quiet(true);
        layers::IngestOptions o;
        o.window = {Month::parse("2021-04"), Month::parse("2022-03")};
        const layers::IngestResult in = layers::read_incidents({crimes}, o, quiet);
        layers::AreaReport report;
        r.areas = layers::read_areas(lsoas, layers::AreaOptions{}, report, quiet);
        for (const auto& g : r.areas.geometry) {
            const geos::Envelope e = geos::envelope(g.get());
            r.force.add({e.min_x, e.min_y, e.max_x, e.max_y});
        }
        const CrimeTypeId burglary = *in.types.find("Burglary");
        for (size_t i = 0; i < in.incidents.size(); ++i) {
            const double x = in.incidents.x[i], y = in.incidents.y[i];
            // A few hundred located police.uk rows lie far outside the force area: leave them out.
            if (in.incidents.type[i] != burglary || x < r.force.min_x || x > r.force.max_x || y < r.force.min_y ||
                y > r.force.max_y)
                continue;
            r.burglary.x.push_back(x);
            r.burglary.y.push_back(y);
        }
        return r;
    }();
    return d;
}
} // namespace

TEST_CASE("Real data: a year of burglary, h = 400 m, 50 m cells: mass, exactness and the top 1 % share", "[kde][real]") {
    const Points& p = real_data().burglary;
    REQUIRE(p.size() > 6000);
    REQUIRE(p.size() < 7246); // SOURCES.md: 13 months hold 7,246
    const double h = 400, cell = 50;
    const GridPlan plan = plan_grid(p.extent(), Kernel::quartic, h, cell);
    const Grid& g = plan.grid;
    const std::vector<float> v = density(p, g, Kernel::quartic, h);

    // Mass: the grid reaches a bandwidth beyond every incident.
    double total = 0;
    for (float f : v) total += f;
    CHECK(total * cell * cell / 1e6 == Approx(static_cast<double>(p.size())).epsilon(0.005));

    // Brute force: every incident against every cell of the square around it, no merging, no
    // bands, the formula as written.
    std::vector<double> brute(g.cells(), 0.0);
    for (size_t i = 0; i < p.size(); ++i) {
        const int64_t c0 = std::max<int64_t>(0, static_cast<int64_t>((p.x[i] - h - g.x0) / cell) - 1);
        const int64_t c1 = std::min<int64_t>(g.nx - 1, static_cast<int64_t>((p.x[i] + h - g.x0) / cell) + 1);
        const int64_t r0 = std::max<int64_t>(0, static_cast<int64_t>((g.y0 - p.y[i] - h) / cell) - 1);
        const int64_t r1 = std::min<int64_t>(g.ny - 1, static_cast<int64_t>((g.y0 - p.y[i] + h) / cell) + 1);
        for (int64_t r = r0; r <= r1; ++r)
            for (int64_t c = c0; c <= c1; ++c) {
                const double dx = g.x0 + (static_cast<double>(c) + 0.5) * cell - p.x[i];
                const double dy = g.y0 - (static_cast<double>(r) + 0.5) * cell - p.y[i];
                const double d2 = dx * dx + dy * dy;
                if (d2 < h * h) brute[static_cast<size_t>(r * g.nx + c)] += 3 / (pi * h * h) * std::pow(1 - d2 / (h * h), 2) * 1e6;
            }
    }
    double worst = 0, peak = 0;
    for (size_t i = 0; i < brute.size(); ++i) {
        worst = std::max(worst, std::fabs(v[i] - brute[i]));
        peak = std::max(peak, brute[i]);
    }
    INFO("peak " << peak << " per km2, worst difference " << worst);
    CHECK(worst < peak * 1e-6);

    // The top 1 % of cells by the brute-force values (k = ⌈N/100⌉ cells, ties in, zeros out) and
    // the share of incidents standing in them.
    std::vector<float> sorted(brute.begin(), brute.end());
    std::sort(sorted.begin(), sorted.end(), std::greater<float>());
    const size_t k = (sorted.size() + 99) / 100;
    const float threshold = sorted[k - 1];
    REQUIRE(threshold > 0);
    size_t in_top = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        const auto c = static_cast<int64_t>(std::floor((p.x[i] - g.x0) / cell));
        const auto r = static_cast<int64_t>(std::floor((g.y0 - p.y[i]) / cell));
        in_top += static_cast<float>(brute[static_cast<size_t>(r * g.nx + c)]) >= threshold;
    }
    const double brute_share = static_cast<double>(in_top) / static_cast<double>(p.size());
    const Hotspots hs = hotspot_classes(g, v, p);
    INFO("top 1 %: threshold " << threshold << ", " << in_top << " of " << p.size() << " incidents");
    CHECK(hs.classes[0].threshold == Approx(threshold).epsilon(1e-6));
    CHECK(hs.classes[0].share == Approx(brute_share).margin(1e-12));
    CHECK(hs.weight_in_surface == static_cast<double>(p.size()));
    CHECK(brute_share > 0.05); // burglary concentrates: far more than 1 % of it in 1 % of the area
}

TEST_CASE("Real data: the mask of 1,005 LSOAs agrees with point-in-polygon at sampled cell centres", "[kde][real]") {
    const RealData& d = real_data();
    const Grid g = Grid::covering(d.force, 400, 25);
    std::vector<const GEOSGeometry*> polygons;
    for (const auto& geom : d.areas.geometry) polygons.push_back(geom.get());
    const std::vector<uint8_t> mask = rasterize(g, polygons);
    std::mt19937_64 rng(5);
    std::uniform_int_distribution<int64_t> row(0, g.ny - 1), col(0, g.nx - 1);
    std::vector<double> x, y;
    std::vector<size_t> cells;
    for (int i = 0; i < 50000; ++i) {
        const int64_t r = row(rng), c = col(rng);
        x.push_back(g.col_x(c));
        y.push_back(g.row_y(r));
        cells.push_back(g.index(r, c));
    }
    const std::vector<int32_t> area = AreaIndex(d.areas).locate(x, y);
    size_t disagree = 0, inside = 0;
    for (size_t i = 0; i < cells.size(); ++i) {
        disagree += (area[i] != no_area) != static_cast<bool>(mask[cells[i]]);
        inside += area[i] != no_area;
    }
    CHECK(inside > 10000);
    CHECK(disagree == 0);

    SECTION("edge-corrected surface over the study area") {
        Options o;
        o.bandwidth = 400;
        o.cell = 50;
        o.edge_correct = true;
        StudyArea study_area{polygons};
        const Surface s = estimate(d.burglary, o, &study_area);
        size_t valid = 0;
        for (size_t i = 0; i < s.value.size(); ++i) {
            if (!s.inside[i]) {
                REQUIRE(s.value[i] == nodata);
                continue;
            }
            ++valid;
            REQUIRE(std::isfinite(s.value[i]));
            REQUIRE(s.value[i] >= 0);
        }
        CHECK(valid > 1000000);
        CHECK(s.locations < s.incidents); // police.uk snaps incidents to shared map points
    }
}
