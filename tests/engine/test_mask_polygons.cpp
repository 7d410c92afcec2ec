// Cells to polygons (engine/mask_polygons): hand-drawn masks with their rings worked out on
// paper, and seeded random masks against a flood fill (components, holes, area), with GEOS
// judging validity. The comparison with GDALPolygonize is in tests/layers/test_polygonize.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/geos.hpp"
#include "engine/mask_polygons.hpp"

using namespace safer;

namespace {

using Points = std::vector<std::pair<double, double>>;

// A grid of 10 m cells whose north-west corner is (0, 10·rows), drawn row by row ('#' set).
struct Drawn {
    Grid grid;
    std::vector<uint8_t> mask;
};
Drawn draw(const std::vector<std::string>& rows, double x0 = 0, double cell = 10) {
    Drawn d;
    d.grid.ny = static_cast<int64_t>(rows.size());
    d.grid.nx = static_cast<int64_t>(rows.front().size());
    d.grid.cell = cell;
    d.grid.x0 = x0;
    d.grid.y0 = cell * static_cast<double>(rows.size());
    for (const std::string& r : rows)
        for (char ch : r) d.mask.push_back(ch == '#');
    return d;
}

Points points(const CellRing& r) {
    Points p;
    for (size_t i = 0; i < r.size(); ++i) p.emplace_back(r.x[i], r.y[i]);
    return p;
}

// Twice the signed area (shoelace): positive counter-clockwise.
double signed_area(const CellRing& r) {
    double s = 0;
    for (size_t i = 0; i + 1 < r.size(); ++i) s += r.x[i] * r.y[i + 1] - r.x[i + 1] * r.y[i];
    return s / 2;
}

geos::Geometry geos_ring(const CellRing& r) {
    GEOSContextHandle_t ctx = geos::context();
    GEOSCoordSequence* seq = GEOSCoordSeq_create_r(ctx, static_cast<unsigned>(r.size()), 2);
    for (size_t i = 0; i < r.size(); ++i) GEOSCoordSeq_setXY_r(ctx, seq, static_cast<unsigned>(i), r.x[i], r.y[i]);
    return geos::checked(GEOSGeom_createLinearRing_r(ctx, seq), "ring");
}

geos::Geometry geos_polygon(const CellPolygon& p) {
    GEOSContextHandle_t ctx = geos::context();
    std::vector<GEOSGeometry*> holes;
    for (const CellRing& h : p.holes) holes.push_back(geos_ring(h).release());
    return geos::checked(GEOSGeom_createPolygon_r(ctx, geos_ring(p.outer).release(), holes.data(), static_cast<unsigned>(holes.size())), "polygon");
}

geos::Geometry geos_multi(const std::vector<CellPolygon>& ps) {
    std::vector<GEOSGeometry*> parts;
    for (const CellPolygon& p : ps) parts.push_back(geos_polygon(p).release());
    return geos::checked(GEOSGeom_createCollection_r(geos::context(), GEOS_MULTIPOLYGON, parts.data(), static_cast<unsigned>(parts.size())), "multipolygon");
}

std::string validity(const GEOSGeometry* g) {
    char* reason = GEOSisValidReason_r(geos::context(), g);
    std::string s = reason ? reason : "?";
    GEOSFree_r(geos::context(), reason);
    return s;
}

// Flood fills, written apart from the tracer: the 4-connected components of the set cells
// (labels from 1 in row-major order of first cells), and for each one the number of bounded
// 4-connected regions of cells outside it.
struct Flood {
    int64_t nx, ny;
    std::vector<int> label;
    int components = 0;
    std::vector<int> holes; // per component
};
Flood flood(const Grid& g, const std::vector<uint8_t>& mask) {
    Flood f{g.nx, g.ny, std::vector<int>(mask.size(), 0), 0, {}};
    auto fill = [&](std::vector<int>& lab, int64_t r0, int64_t c0, int id, auto inside, int64_t nx, int64_t ny) {
        std::vector<std::pair<int64_t, int64_t>> stack{{r0, c0}};
        lab[static_cast<size_t>(r0 * nx + c0)] = id;
        bool touches_edge = false;
        while (!stack.empty()) {
            auto [r, c] = stack.back();
            stack.pop_back();
            const int64_t dr[4] = {-1, 1, 0, 0}, dc[4] = {0, 0, -1, 1};
            for (int k = 0; k < 4; ++k) {
                const int64_t rr = r + dr[k], cc = c + dc[k];
                if (rr < 0 || cc < 0 || rr >= ny || cc >= nx) {
                    touches_edge = true;
                    continue;
                }
                const size_t i = static_cast<size_t>(rr * nx + cc);
                if (lab[i] == 0 && inside(i)) lab[i] = id, stack.emplace_back(rr, cc);
            }
        }
        return touches_edge;
    };
    for (int64_t r = 0; r < g.ny; ++r)
        for (int64_t c = 0; c < g.nx; ++c)
            if (mask[g.index(r, c)] && f.label[g.index(r, c)] == 0) fill(f.label, r, c, ++f.components, [&](size_t i) { return mask[i] != 0; }, g.nx, g.ny);
    for (int id = 1; id <= f.components; ++id) {
        std::vector<int> outside(mask.size(), 0);
        int regions = 0, bounded = 0;
        for (size_t i = 0; i < mask.size(); ++i)
            if (f.label[i] != id && outside[i] == 0) {
                const bool edge = fill(outside, static_cast<int64_t>(i) / g.nx, static_cast<int64_t>(i) % g.nx, ++regions,
                                       [&](size_t k) { return f.label[k] != id; }, g.nx, g.ny);
                bounded += !edge;
            }
        f.holes.push_back(bounded);
    }
    return f;
}

} // namespace

TEST_CASE("Mask polygons: one cell is a square of five points from its north-west corner, counter-clockwise", "[mask_polygons]") {
    // Cell (0, 0) of a 1 × 1 grid at x0 = 100, y0 = 510, 10 m: x 100..110, y 500..510.
    Drawn d = draw({"#"}, 100);
    d.grid.y0 = 510;
    const std::vector<CellPolygon> ps = mask_polygons(d.grid, d.mask);
    REQUIRE(ps.size() == 1);
    CHECK(points(ps[0].outer) == Points{{100, 510}, {100, 500}, {110, 500}, {110, 510}, {100, 510}});
    CHECK(ps[0].holes.empty());
    CHECK(signed_area(ps[0].outer) == 100);
}

TEST_CASE("Mask polygons: an L of three cells has six corners and no collinear points", "[mask_polygons]") {
    // #.   (0,0) x 0..10, y 10..20
    // ##   (1,0) and (1,1): x 0..20, y 0..10
    const Drawn d = draw({"#.", "##"});
    const std::vector<CellPolygon> ps = mask_polygons(d.grid, d.mask);
    REQUIRE(ps.size() == 1);
    CHECK(points(ps[0].outer) == Points{{0, 20}, {0, 0}, {20, 0}, {20, 10}, {10, 10}, {10, 20}, {0, 20}});
    CHECK(signed_area(ps[0].outer) == 300);
}

TEST_CASE("Mask polygons: a 3 x 3 block without its centre is a shell and one clockwise hole", "[mask_polygons]") {
    const Drawn d = draw({"###", "#.#", "###"});
    const std::vector<CellPolygon> ps = mask_polygons(d.grid, d.mask);
    REQUIRE(ps.size() == 1);
    CHECK(points(ps[0].outer) == Points{{0, 30}, {0, 0}, {30, 0}, {30, 30}, {0, 30}});
    REQUIRE(ps[0].holes.size() == 1);
    // The centre cell, x 10..20, y 10..20, from its north-west corner eastward (clockwise).
    CHECK(points(ps[0].holes[0]) == Points{{10, 20}, {20, 20}, {20, 10}, {10, 10}, {10, 20}});
    CHECK(signed_area(ps[0].holes[0]) == -100);
    CHECK(geos::area(geos_multi(ps).get()) == 800);
}

TEST_CASE("Mask polygons: two cells meeting only at a corner are two polygons, each hugging its cell", "[mask_polygons]") {
    const Drawn d = draw({"#.", ".#"});
    const std::vector<CellPolygon> ps = mask_polygons(d.grid, d.mask);
    REQUIRE(ps.size() == 2);
    CHECK(points(ps[0].outer) == Points{{0, 20}, {0, 10}, {10, 10}, {10, 20}, {0, 20}});
    CHECK(points(ps[1].outer) == Points{{10, 10}, {10, 0}, {20, 0}, {20, 10}, {10, 10}});
    // The mirror image: the corner (10, 10) again, the cells the other way round.
    const Drawn m = draw({".#", "#."});
    const std::vector<CellPolygon> qs = mask_polygons(m.grid, m.mask);
    REQUIRE(qs.size() == 2);
    CHECK(points(qs[0].outer) == Points{{10, 20}, {10, 10}, {20, 10}, {20, 20}, {10, 20}});
    CHECK(points(qs[1].outer) == Points{{0, 10}, {0, 0}, {10, 0}, {10, 10}, {0, 10}});
    const geos::Geometry g = geos_multi(ps);
    CHECK(GEOSisValid_r(geos::context(), g.get()) == 1);
}

TEST_CASE("Mask polygons: a loop closed at a corner has a hole touching its shell at that one vertex, valid for GEOS", "[mask_polygons]") {
    // ###   Cells (1,2) and (2,1) meet only at the corner (20, 10) and belong to one component
    // #.#   (round by the top-left), so the centre cell is enclosed: a hole that touches the
    // ##.   shell at (20, 10). Neither ring passes that corner twice.
    const Drawn d = draw({"###", "#.#", "##."});
    const std::vector<CellPolygon> ps = mask_polygons(d.grid, d.mask);
    REQUIRE(ps.size() == 1);
    CHECK(points(ps[0].outer) == Points{{0, 30}, {0, 0}, {20, 0}, {20, 10}, {30, 10}, {30, 30}, {0, 30}});
    REQUIRE(ps[0].holes.size() == 1);
    CHECK(points(ps[0].holes[0]) == Points{{10, 20}, {20, 20}, {20, 10}, {10, 10}, {10, 20}});
    const geos::Geometry g = geos_multi(ps);
    CHECK(validity(g.get()) == "Valid Geometry");
    CHECK(geos::area(g.get()) == 700); // 7 cells of 100 m²
}

TEST_CASE("Mask polygons: a 4 x 4 checkerboard is eight single-cell squares in row-major order", "[mask_polygons]") {
    const Drawn d = draw({"#.#.", ".#.#", "#.#.", ".#.#"});
    const std::vector<CellPolygon> ps = mask_polygons(d.grid, d.mask);
    REQUIRE(ps.size() == 8);
    // Cell (r, c): x 10c..10c+10, y 30−10r..40−10r; set where r + c is even.
    const std::vector<std::pair<int, int>> cells{{0, 0}, {0, 2}, {1, 1}, {1, 3}, {2, 0}, {2, 2}, {3, 1}, {3, 3}};
    for (size_t k = 0; k < cells.size(); ++k) {
        const double w = 10.0 * cells[k].second, n = 40 - 10.0 * cells[k].first;
        INFO("cell " << cells[k].first << "," << cells[k].second);
        CHECK(points(ps[k].outer) == Points{{w, n}, {w, n - 10}, {w + 10, n - 10}, {w + 10, n}, {w, n}});
        CHECK(ps[k].holes.empty());
    }
    CHECK(GEOSisValid_r(geos::context(), geos_multi(ps).get()) == 1);
}

TEST_CASE("Mask polygons: cells on the grid's edges, an open bay that is no hole, a whole grid", "[mask_polygons]") {
    // #.#   The unset column reaches the north edge: no hole, one polygon of 8 corners.
    // #.#
    // ###
    const Drawn u = draw({"#.#", "#.#", "###"});
    const std::vector<CellPolygon> ps = mask_polygons(u.grid, u.mask);
    REQUIRE(ps.size() == 1);
    CHECK(points(ps[0].outer) == Points{{0, 30}, {0, 0}, {30, 0}, {30, 30}, {20, 30}, {20, 10}, {10, 10}, {10, 30}, {0, 30}});
    CHECK(ps[0].holes.empty());
    // Every cell set: the grid's extent, x 0..40, y 0..20.
    const Drawn all = draw({"####", "####"});
    const std::vector<CellPolygon> qs = mask_polygons(all.grid, all.mask);
    REQUIRE(qs.size() == 1);
    CHECK(points(qs[0].outer) == Points{{0, 20}, {0, 0}, {40, 0}, {40, 20}, {0, 20}});
    // Set cells only in the last column and last row: the window is one cell from the edges.
    const Drawn edge = draw({"...#", "...#", "####"});
    const std::vector<CellPolygon> es = mask_polygons(edge.grid, edge.mask);
    REQUIRE(es.size() == 1);
    CHECK(points(es[0].outer) == Points{{30, 30}, {30, 10}, {0, 10}, {0, 0}, {40, 0}, {40, 30}, {30, 30}});
}

TEST_CASE("Mask polygons: an empty mask has no polygons; any non-zero byte is set; a wrong size is refused", "[mask_polygons]") {
    const Drawn d = draw({"...", "..."});
    CHECK(mask_polygons(d.grid, d.mask).empty());
    CHECK(mask_polygons(Grid{0, 0, 1, 0, 0}, {}).empty());
    Drawn one = draw({"..", ".."});
    one.mask[3] = 7;
    const std::vector<CellPolygon> ps = mask_polygons(one.grid, one.mask);
    REQUIRE(ps.size() == 1);
    CHECK(points(ps[0].outer) == Points{{10, 10}, {10, 0}, {20, 0}, {20, 10}, {10, 10}});
    CHECK_THROWS_AS(mask_polygons(one.grid, std::vector<uint8_t>(3, 1)), std::invalid_argument);
}

TEST_CASE("Mask polygons: corners are placed as GDAL places them, x0 + i·cell and y0 − j·cell", "[mask_polygons]") {
    // An awkward origin and cell: the corner of cell (1, 2) is computed, not accumulated.
    Grid g{331234.56, 152345.67, 0.3, 4, 3};
    std::vector<uint8_t> mask(12, 0);
    mask[g.index(1, 2)] = 1;
    const std::vector<CellPolygon> ps = mask_polygons(g, mask);
    REQUIRE(ps.size() == 1);
    const double w = g.x0 + 2 * g.cell, e = g.x0 + 3 * g.cell, n = g.y0 + 1 * -g.cell, s = g.y0 + 2 * -g.cell;
    CHECK(points(ps[0].outer) == Points{{w, n}, {w, s}, {e, s}, {e, n}, {w, n}});
}

TEST_CASE("Mask polygons: seeded random masks agree with a flood fill, and GEOS finds each valid", "[mask_polygons]") {
    std::mt19937_64 rng(20240611);
    int masks = 0;
    for (const auto& [nx, ny] : std::vector<std::pair<int, int>>{{1, 1}, {1, 17}, {23, 1}, {2, 9}, {7, 7}, {16, 12}, {31, 29}}) {
        for (double density : {0.1, 0.3, 0.5, 0.6, 0.8, 0.95}) {
            for (int rep = 0; rep < 5; ++rep, ++masks) {
                Grid g{1000, 2000, 5, nx, ny};
                std::bernoulli_distribution set(density);
                std::vector<uint8_t> mask(g.cells());
                for (auto& m : mask) m = set(rng);
                const Flood f = flood(g, mask);
                const std::vector<CellPolygon> ps = mask_polygons(g, mask);
                INFO("grid " << nx << " x " << ny << ", density " << density << ", repeat " << rep);
                REQUIRE(ps.size() == static_cast<size_t>(f.components));
                double cells = 0;
                for (uint8_t m : mask) cells += m;
                double area = 0;
                for (size_t k = 0; k < ps.size(); ++k) {
                    // The components in order: polygon k's first corner is the north-west corner
                    // of the first cell labelled k + 1.
                    size_t first = 0;
                    while (f.label[first] != static_cast<int>(k) + 1) ++first;
                    CHECK(ps[k].outer.x[0] == g.x0 + static_cast<double>(static_cast<int64_t>(first) % nx) * g.cell);
                    CHECK(ps[k].outer.y[0] == g.y0 + static_cast<double>(static_cast<int64_t>(first) / nx) * -g.cell);
                    CHECK(ps[k].holes.size() == static_cast<size_t>(f.holes[k]));
                    CHECK(signed_area(ps[k].outer) > 0);
                    area += signed_area(ps[k].outer);
                    for (const CellRing& h : ps[k].holes) {
                        CHECK(signed_area(h) < 0);
                        area += signed_area(h);
                    }
                    // Corners only: no three consecutive points on one line.
                    auto corners_only = [](const CellRing& r) {
                        for (size_t i = 0; i + 2 < r.size(); ++i)
                            if ((r.x[i] == r.x[i + 1] && r.x[i + 1] == r.x[i + 2]) || (r.y[i] == r.y[i + 1] && r.y[i + 1] == r.y[i + 2])) return false;
                        return true;
                    };
                    CHECK(corners_only(ps[k].outer));
                    for (const CellRing& h : ps[k].holes) CHECK(corners_only(h));
                }
                CHECK(area == Approx(cells * g.cell_area()).margin(1e-6));
                if (!ps.empty()) {
                    const geos::Geometry m = geos_multi(ps);
                    CHECK(validity(m.get()) == "Valid Geometry");
                    CHECK(geos::area(m.get()) == Approx(cells * g.cell_area()).margin(1e-6));
                }
            }
        }
    }
    CHECK(masks == 210);
}
