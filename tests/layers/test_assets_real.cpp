// Real asset layers (../shared/data, SOURCES.md): Bristol's 49,451 street lights over real LSOAs
// and 163 Trafford CCTV cameras, with coverage checked against independent brute-force sampling.
#include <catch2/catch.hpp>

#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <cmath>
#include <numbers>

#include "engine/guardianship.hpp"
#include "engine/progress.hpp"
#include "layers/area_reader.hpp"
#include "layers/asset_reader.hpp"

using namespace safer;
using namespace safer::layers;

namespace {
const std::string data = SAFER_DATA_DIR;
const std::string lights_csv = data + "/avon-and-somerset/assets/bristol/streetlights.csv.gz";
const std::string lsoas = data + "/avon-and-somerset/boundaries/lsoa_2011_avon_and_somerset.geojson";
const std::string cctv_csv = data + "/trafford/assets/trafford_cctv_cameras.csv";
const std::string cctv_geojson = data + "/trafford/assets/trafford_cctv_cameras.geojson";

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using BBox = bg::model::box<BPoint>;
} // namespace

TEST_CASE("Real data: Bristol's street lights, their union and LSOA and cell shares against brute-force sampling", "[score][real]") {
    AssetReport report;
    const std::vector<LightRecord> lights = read_lights(lights_csv, AssetOptions{}, report);
    CHECK(report.features == 49451); // SOURCES.md
    REQUIRE(lights.size() == 49451);
    CHECK(report.crs == "EPSG:4326");
    // Reprojected to the National Grid: the lights span lon -2.70..-2.24, lat 51.40..51.54
    // (SOURCES.md), about 348-384 km E and 166-182 km N.
    for (const auto& l : lights) {
        REQUIRE(l.x > 345000);
        REQUIRE(l.x < 386000);
        REQUIRE(l.y > 160000);
        REQUIRE(l.y < 190000);
    }
    Progress quiet(true);
    AreaOptions ao;
    AreaReport ar;
    const Areas areas = read_areas(lsoas, ao, ar, quiet);
    // Five Bristol LSOAs spread over the city.
    std::vector<size_t> chosen;
    for (size_t a = 0; a < areas.size() && chosen.size() < 5; ++a)
        if (areas.name[a].rfind("Bristol 0", 0) == 0 && a % 7 == 0) chosen.push_back(a);
    REQUIRE(chosen.size() == 5);

    const double r = 15;
    Extent e;
    std::vector<guard::Shape> shapes;
    std::vector<std::pair<BBox, size_t>> points;
    for (size_t i = 0; i < lights.size(); ++i) {
        e.add(lights[i].x, lights[i].y);
        shapes.push_back(guard::disc_shape(lights[i].x, lights[i].y, r));
        points.emplace_back(BBox(BPoint(lights[i].x, lights[i].y), BPoint(lights[i].x, lights[i].y)), i);
    }
    const Grid grid = Grid::covering(e, 20, 100);
    const guard::Coverage cov = guard::union_shapes(shapes, guard::tiling_for(grid, 1000));
    CHECK(cov.fallbacks == 0);
    CHECK(cov.shapes_used == 49451);
    const bgi::rtree<std::pair<BBox, size_t>, bgi::quadratic<16>> tree(points.begin(), points.end());
    const auto lit = [&](double x, double y) {
        const BBox near(BPoint(x - r, y - r), BPoint(x + r, y + r));
        for (auto it = tree.qbegin(bgi::intersects(near)); it != tree.qend(); ++it)
            if (std::hypot(it->first.min_corner().get<0>() - x, it->first.min_corner().get<1>() - y) <= r) return true;
        return false;
    };

    // LSOAs: lattice points 3 m apart inside each polygon (GEOS prepared point-in-polygon).
    std::vector<const GEOSGeometry*> polygons;
    for (size_t a : chosen) polygons.push_back(areas.geometry[a].get());
    const std::vector<double> share = guard::polygon_shares(cov, polygons);
    for (size_t k = 0; k < chosen.size(); ++k) {
        const geos::Prepared prepared = geos::prepare(polygons[k]);
        const geos::Envelope env = geos::envelope(polygons[k]);
        size_t in = 0, all = 0;
        for (double y = std::floor(env.min_y) + 1.5; y < env.max_y; y += 3)
            for (double x = std::floor(env.min_x) + 1.5; x < env.max_x; x += 3) {
                const geos::Geometry p = geos::point(x, y);
                if (GEOSPreparedContains_r(geos::context(), prepared.get(), p.get()) != 1) continue;
                ++all;
                in += lit(x, y);
            }
        INFO(areas.code[chosen[k]] << ": " << all << " sample points, union share " << share[k]);
        REQUIRE(all > 1000);
        // Stated tolerance: 0.01 of the area (3 m lattice sampling against polygonal circles).
        CHECK(share[k] == Approx(static_cast<double>(in) / static_cast<double>(all)).margin(0.01));
    }
    // Cells: 25 cells in the city centre, 1 m lattice (10,000 points each), within 0.005.
    std::vector<int64_t> cells;
    const int64_t r0 = grid.row_of(173200), c0 = grid.col_of(358600);
    for (int64_t dr = 0; dr < 5; ++dr)
        for (int64_t dc = 0; dc < 5; ++dc) cells.push_back(static_cast<int64_t>(grid.index(r0 + dr, c0 + dc)));
    const std::vector<double> cs = guard::cell_shares(cov, grid, cells);
    double worst = 0, mean = 0;
    for (size_t k = 0; k < cells.size(); ++k) {
        const int64_t row = cells[k] / grid.nx, col = cells[k] % grid.nx;
        const double x0 = grid.x0 + static_cast<double>(col) * grid.cell, y1 = grid.y0 - static_cast<double>(row) * grid.cell;
        size_t in = 0;
        for (int j = 0; j < 100; ++j)
            for (int i = 0; i < 100; ++i) in += lit(x0 + i + 0.5, y1 - j - 0.5);
        worst = std::max(worst, std::abs(cs[k] - in / 1e4));
        mean += cs[k] / static_cast<double>(cells.size());
    }
    INFO("mean share of the 25 centre cells " << mean);
    CHECK(mean > 0.3); // the centre is well lit
    CHECK(worst < 0.005);
}

TEST_CASE("Real data: Trafford's 163 CCTV cameras from CSV and GeoJSON, their union against sampling", "[score][real]") {
    AssetReport rc, rg;
    const std::vector<CameraRecord> a = read_cameras(cctv_csv, AssetOptions{}, rc);
    const std::vector<CameraRecord> b = read_cameras(cctv_geojson, AssetOptions{}, rg);
    REQUIRE(a.size() == 163);
    REQUIRE(b.size() == 163);
    CHECK(rc.crs == "EPSG:4326");
    CHECK(rg.crs == "EPSG:4326"); // GeoJSON in OGC:CRS84, which GDAL reports as EPSG:4326 in GIS axis order
    for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].x == Approx(b[i].x).margin(0.001));
        CHECK(a[i].y == Approx(b[i].y).margin(0.001));
        CHECK_FALSE(a[i].bearing.has_value()); // no bearings published: full circles
    }
    CHECK(a[0].id == "1001");
    // Trafford (Greater Manchester) is at about 370-380 km E, 390-400 km N.
    CHECK(a[0].x == Approx(380000).margin(10000));
    CHECK(a[0].y == Approx(396000).margin(10000));
    guard::CameraRule rule;
    const double range = guard::camera_range(std::nullopt, std::nullopt, rule);
    std::vector<guard::Camera> cams;
    Extent e;
    for (const auto& c : a) {
        guard::Camera cam;
        cam.x = c.x, cam.y = c.y, cam.range = range;
        cams.push_back(cam);
        e.add(c.x, c.y);
    }
    const std::vector<guard::Shape> shapes = guard::camera_shapes(cams, {});
    const Grid grid = Grid::covering(e, 30, 100);
    const guard::Coverage cov = guard::union_shapes(shapes, guard::tiling_for(grid, 1000));
    // Independent: each disc's lattice points (0.25 m) that no lower-numbered disc holds, so every
    // point of the union is counted once.
    const double step = 0.25;
    double area = 0;
    for (size_t i = 0; i < cams.size(); ++i) {
        const auto& c = cams[i];
        size_t own = 0;
        for (double y = c.y - range + step / 2; y < c.y + range; y += step)
            for (double x = c.x - range + step / 2; x < c.x + range; x += step) {
                if ((x - c.x) * (x - c.x) + (y - c.y) * (y - c.y) > range * range) continue;
                bool earlier = false;
                for (size_t j = 0; j < i && !earlier; ++j)
                    earlier = (x - cams[j].x) * (x - cams[j].x) + (y - cams[j].y) * (y - cams[j].y) <= range * range;
                own += !earlier;
            }
        area += static_cast<double>(own) * step * step;
    }
    INFO("union " << cov.area() << " m2, sampled " << area << " m2, 163 separate discs would be " << 163 * std::numbers::pi * range * range);
    CHECK(cov.area() == Approx(area).epsilon(0.003));
    CHECK(cov.area() < 163 * std::numbers::pi * range * range); // some cameras overlap
}
