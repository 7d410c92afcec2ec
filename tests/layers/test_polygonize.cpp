// Cells to a MultiPolygon (layers::polygonize, on engine/mask_polygons) against the peer it
// replaced, GDALPolygonize with 4-connected cells (tests/support/gdal_polygonize.hpp): the same
// point set (GEOS's symmetric difference has no area), the same number of polygons, the area of
// the set cells, and valid under GEOS with no repair. On seeded random masks, speckled and
// blobby, and on the hotspot classes of a real density surface.
#include <catch2/catch.hpp>
#include <ogr_api.h>
#include <ogr_geometry.h>

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/kde.hpp"
#include "engine/progress.hpp"
#include "layers/incident_reader.hpp"
#include "layers/raster.hpp"
#include "tests/support/gdal_polygonize.hpp"

using namespace safer;

namespace {

double area(const OGRGeometry& g) { return OGR_G_Area(OGRGeometry::ToHandle(const_cast<OGRGeometry*>(&g))); }

size_t set_cells(const std::vector<uint8_t>& mask) {
    size_t n = 0;
    for (uint8_t m : mask) n += m != 0;
    return n;
}

/// Compares the two polygonisers on one mask; returns the number of polygons.
size_t agree_with_gdal(const Grid& g, const std::vector<uint8_t>& mask) {
    const std::unique_ptr<OGRGeometry> ours = layers::polygonize(g, mask);
    const std::unique_ptr<OGRMultiPolygon> raw = test::gdal_polygons(g, mask);
    const size_t cells = set_cells(mask);
    if (cells == 0) {
        CHECK(!ours);
        CHECK(!raw);
        return 0;
    }
    REQUIRE(ours);
    REQUIRE(raw);
    REQUIRE(wkbFlatten(ours->getGeometryType()) == wkbMultiPolygon);
    const auto& multi = *ours->toMultiPolygon();
    // GDALPolygonize makes one polygon per 4-connected region of equal cells.
    CHECK(static_cast<size_t>(multi.getNumGeometries()) == static_cast<size_t>(raw->getNumGeometries()));
    CHECK(ours->IsValid());
    CHECK(area(*ours) == Approx(static_cast<double>(cells) * g.cell_area()).epsilon(1e-12));
    // The old path: GDAL's polygons made valid when GEOS found them invalid.
    const std::unique_ptr<OGRGeometry> old = test::gdal_polygonize(g, mask);
    REQUIRE(old);
    const std::unique_ptr<OGRGeometry> diff(ours->SymDifference(old.get()));
    REQUIRE(diff);
    CHECK(area(*diff) == 0);
    return static_cast<size_t>(multi.getNumGeometries());
}

/// A blobby mask: uniform noise smoothed by a few box passes, the top `share` of cells set.
std::vector<uint8_t> blobs(std::mt19937_64& rng, int64_t nx, int64_t ny, double share, int passes) {
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> v(static_cast<size_t>(nx * ny));
    for (double& x : v) x = u(rng);
    for (int p = 0; p < passes; ++p) {
        std::vector<double> s(v.size(), 0);
        for (int64_t r = 0; r < ny; ++r)
            for (int64_t c = 0; c < nx; ++c) {
                double sum = 0;
                int n = 0;
                for (int64_t dr = -1; dr <= 1; ++dr)
                    for (int64_t dc = -1; dc <= 1; ++dc)
                        if (r + dr >= 0 && r + dr < ny && c + dc >= 0 && c + dc < nx) sum += v[static_cast<size_t>((r + dr) * nx + c + dc)], ++n;
                s[static_cast<size_t>(r * nx + c)] = sum / n;
            }
        v.swap(s);
    }
    std::vector<double> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    const double cut = sorted[static_cast<size_t>(std::floor((1 - share) * static_cast<double>(sorted.size() - 1)))];
    std::vector<uint8_t> mask(v.size());
    for (size_t i = 0; i < v.size(); ++i) mask[i] = v[i] > cut;
    return mask;
}

} // namespace

TEST_CASE("Polygonize: seeded random masks give GDALPolygonize's point set and polygon count, valid with no repair", "[polygonize]") {
    std::mt19937_64 rng(7);
    int masks = 0;
    size_t polygons = 0;
    const std::vector<std::pair<int64_t, int64_t>> sizes{{1, 1}, {1, 40}, {37, 1}, {2, 30}, {5, 5}, {13, 11}, {40, 33}, {64, 64}};
    for (const auto& [nx, ny] : sizes) {
        // An awkward origin and cell, as a British National Grid study area would have.
        const Grid g{351234.5, 172345.25, 12.5, nx, ny};
        for (double density : {0.02, 0.2, 0.45, 0.6, 0.75, 0.9}) {
            for (int rep = 0; rep < 4; ++rep, ++masks) {
                std::bernoulli_distribution set(density);
                std::vector<uint8_t> mask(g.cells());
                for (auto& m : mask) m = set(rng);
                INFO("speckled " << nx << " x " << ny << ", density " << density << ", repeat " << rep);
                polygons += agree_with_gdal(g, mask);
            }
            for (int passes : {1, 3}) {
                ++masks;
                const std::vector<uint8_t> mask = blobs(rng, nx, ny, density, passes);
                INFO("blobby " << nx << " x " << ny << ", share " << density << ", passes " << passes);
                polygons += agree_with_gdal(g, mask);
            }
        }
    }
    CHECK(masks == 288);
    CHECK(polygons > 2000);
    // Edge cases: nothing set, everything set.
    const Grid g{0, 100, 10, 10, 10};
    CHECK(agree_with_gdal(g, std::vector<uint8_t>(100, 0)) == 0);
    CHECK(agree_with_gdal(g, std::vector<uint8_t>(100, 1)) == 1);
}

TEST_CASE("Polygonize: the top 1, 5 and 10 % classes of a real burglary density surface match GDALPolygonize", "[polygonize][real]") {
    // A year of Avon and Somerset burglary, quartic, h = 400 m, 50 m cells (as tests/engine/test_kde_real).
    Progress quiet(true);
    layers::IngestOptions o;
    o.window = {Month::parse("2021-04"), Month::parse("2022-03")};
    const layers::IngestResult in = layers::read_incidents({std::string(SAFER_DATA_DIR) + "/avon-and-somerset/crime/street"}, o, quiet);
    const CrimeTypeId burglary = *in.types.find("Burglary");
    kde::Points p;
    for (size_t i = 0; i < in.incidents.size(); ++i)
        if (in.incidents.type[i] == burglary && in.incidents.x[i] > 300000 && in.incidents.x[i] < 420000 && in.incidents.y[i] > 90000 &&
            in.incidents.y[i] < 210000)
            p.x.push_back(in.incidents.x[i]), p.y.push_back(in.incidents.y[i]);
    REQUIRE(p.size() > 6000);
    const kde::GridPlan plan = kde::plan_grid(p.extent(), kde::Kernel::quartic, 400, 50);
    const std::vector<float> v = kde::density(p, plan.grid, kde::Kernel::quartic, 400);
    const kde::Hotspots hs = kde::hotspot_classes(plan.grid, v, p);
    for (const kde::HotspotClass& c : hs.classes) {
        std::vector<uint8_t> mask(hs.cell_class.size());
        for (size_t i = 0; i < mask.size(); ++i) mask[i] = hs.cell_class[i] != 0 && hs.cell_class[i] <= c.percent;
        INFO("top " << c.percent << " %: " << c.cells << " cells");
        CHECK(set_cells(mask) == c.cells);
        CHECK(agree_with_gdal(plan.grid, mask) > 10);
    }
}
