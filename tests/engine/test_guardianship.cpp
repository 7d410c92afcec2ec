// Guardianship coverage: discs and sectors, the tiled union, and the covered share of cells,
// polygons and lines, against closed forms and brute-force point sampling.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <numbers>
#include <random>

#include "engine/disc_union.hpp"
#include "engine/guardianship.hpp"

using namespace safer;
using namespace safer::guard;

namespace {

constexpr double pi = std::numbers::pi;

struct Circle {
    double x, y, r;
};

/// Share of the lattice points (spacing `step`, at cell-centre offsets) of the box that lie in
/// any of the true circles: an independent estimate of the covered share.
double sampled_share(const std::vector<Circle>& circles, const Extent& box, double step, const std::function<bool(double, double)>& keep = {}) {
    size_t in = 0, all = 0;
    for (double y = box.min_y + step / 2; y < box.max_y; y += step)
        for (double x = box.min_x + step / 2; x < box.max_x; x += step) {
            if (keep && !keep(x, y)) continue;
            ++all;
            for (const Circle& c : circles)
                if ((x - c.x) * (x - c.x) + (y - c.y) * (y - c.y) <= c.r * c.r) {
                    ++in;
                    break;
                }
        }
    return all ? static_cast<double>(in) / static_cast<double>(all) : 0.0;
}

/// Exact length of the line y = y0, x0 <= x <= x1 inside the union of circles.
double covered_length(const std::vector<Circle>& circles, double y0, double x0, double x1) {
    std::vector<std::pair<double, double>> iv;
    for (const Circle& c : circles) {
        const double dy = y0 - c.y;
        if (std::abs(dy) >= c.r) continue;
        const double h = std::sqrt(c.r * c.r - dy * dy);
        iv.emplace_back(std::max(x0, c.x - h), std::min(x1, c.x + h));
    }
    std::sort(iv.begin(), iv.end());
    double len = 0, end = -1e300;
    for (auto [a, b] : iv) {
        if (b <= a) continue;
        if (a > end) {
            len += b - a;
            end = b;
        } else if (b > end) {
            len += b - end;
            end = b;
        }
    }
    return len;
}

Grid grid_over(double x0, double y0, double size, double cell) {
    return Grid::covering(Extent{x0, y0, x0 + size, y0 + size}, 0, cell);
}

} // namespace

TEST_CASE("Discs and sectors have exactly the area of the curve they stand for", "[score]") {
    for (int qs : {2, 4, 8, 16}) {
        const geos::Geometry d = disc(400000, 200000, 15, qs);
        CHECK(geos::area(d.get()) == Approx(pi * 225).epsilon(1e-9));
    }
    Camera c;
    c.x = 0, c.y = 0, c.bearing = 90, c.fov = 60, c.range = 50;
    const geos::Geometry s = sector(c);
    CHECK(geos::area(s.get()) == Approx(pi * 2500 * 60 / 360).epsilon(1e-9));
    // Bearing 90 is east (compass, clockwise from north): (40, 0) is in view, (0, 40) is not.
    const auto covers = [&](const geos::Geometry& g, double x, double y) {
        const geos::Geometry p = geos::point(x, y);
        return GEOSIntersects_r(geos::context(), g.get(), p.get()) == 1;
    };
    CHECK(covers(s, 40, 0));
    CHECK(covers(s, 40, 20));   // 26.6 degrees off the bearing, inside the 30 degree half-angle
    CHECK_FALSE(covers(s, 40, 30)); // 36.9 degrees off
    CHECK_FALSE(covers(s, 0, 40));
    CHECK_FALSE(covers(s, 55, 0)); // beyond the range
    Camera north;
    north.range = 30, north.bearing = 0, north.fov = 90;
    const geos::Geometry n = sector(north);
    CHECK(covers(n, 10, 25));
    CHECK_FALSE(covers(n, 25, 10));
    Camera round;
    round.range = 20; // no bearing: a full circle
    CHECK(round.full_circle());
    CHECK(geos::area(sector(round).get()) == Approx(pi * 400).epsilon(1e-9));
}

TEST_CASE("Default ranges follow the EN 62676-4 pixel densities", "[score]") {
    CameraRule rule; // detect, 1920 px, 60 degrees
    rule.purpose = Purpose::observe;
    // d = 1920 / (2 * 62.5 * tan 30°) = 26.604 m
    CHECK(camera_range(std::nullopt, std::nullopt, rule) == Approx(1920 / (2 * 62.5 * std::tan(pi / 6))));
    CHECK(camera_range(std::nullopt, std::nullopt, rule) == Approx(26.604).margin(0.001));
    rule.purpose = Purpose::identify;
    CHECK(camera_range(std::nullopt, std::nullopt, rule) == Approx(6.651).margin(0.001));
    rule.purpose = Purpose::detect;
    CHECK(camera_range(std::nullopt, std::nullopt, rule) == Approx(66.511).margin(0.001));
    // A narrower lens sees further; 360 degrees uses the reference view; a given range wins.
    CHECK(camera_range(std::nullopt, 30.0, rule) == Approx(1920 / (2 * 25 * std::tan(pi / 12))));
    CHECK(camera_range(std::nullopt, 360.0, rule) == Approx(66.511).margin(0.001));
    CHECK(camera_range(80.0, 30.0, rule) == 80);
    LightRule lights;
    CHECK(light_radius(std::nullopt, std::nullopt, lights) == 15);
    CHECK(light_radius(std::nullopt, 10.0, lights) == 25);
    CHECK(light_radius(12.0, 10.0, lights) == 12);
}

TEST_CASE("One disc: the union and the cell, area and line shares are closed forms", "[score]") {
    const Grid grid = grid_over(400000, 200000, 1000, 100);
    const Tiling tiling = tiling_for(grid, 1000);
    // A disc of 10 m at a cell centre.
    const double cx = grid.col_x(3), cy = grid.row_y(4);
    const Coverage cov = union_shapes({disc_shape(cx, cy, 10)}, tiling);
    CHECK(cov.area() == Approx(pi * 100).epsilon(1e-9));
    const std::vector<int64_t> cells = {static_cast<int64_t>(grid.index(4, 3)), static_cast<int64_t>(grid.index(4, 4))};
    const std::vector<double> share = cell_shares(cov, grid, cells);
    CHECK(share[0] == Approx(pi * 100 / 10000).epsilon(1e-9));
    CHECK(share[1] == 0);
    // A line through the centre: 20 m of its 100 m are lit (up to the polygon, within 0.4 %).
    const geos::Geometry line = geos::checked(
        GEOSGeom_createLineString_r(geos::context(), [&] {
            GEOSCoordSequence* s = GEOSCoordSeq_create_r(geos::context(), 2, 2);
            GEOSCoordSeq_setXY_r(geos::context(), s, 0, cx - 50, cy);
            GEOSCoordSeq_setXY_r(geos::context(), s, 1, cx + 50, cy);
            return s;
        }()),
        "line");
    const GEOSGeometry* lines[] = {line.get()};
    CHECK(line_shares(cov, lines)[0] == Approx(0.2).epsilon(0.004));
    // Points: the centre is covered, 11 m away is not.
    const double px[] = {cx, cx + 11};
    const double py[] = {cy, cy};
    const std::vector<uint8_t> in = points_covered(cov, px, py);
    CHECK(in[0] == 1);
    CHECK(in[1] == 0);
}

TEST_CASE("A disc across a tile corner is split between tiles without loss", "[score]") {
    const Grid grid = grid_over(400000, 200000, 2000, 100);
    const Tiling tiling = tiling_for(grid, 1000);
    REQUIRE(tiling.nx == 2);
    const Coverage cov = union_shapes({disc_shape(401000, 201000, 30)}, tiling); // the corner of 4 tiles
    size_t pieces = 0;
    for (const auto& p : cov.piece) pieces += p != nullptr;
    CHECK(pieces == 4);
    CHECK(cov.area() == Approx(pi * 900).epsilon(1e-9));
    std::vector<int64_t> all(grid.cells());
    std::iota(all.begin(), all.end(), int64_t{0});
    const std::vector<double> share = cell_shares(cov, grid, all);
    double sum = 0;
    for (double s : share) sum += s * grid.cell_area();
    CHECK(sum == Approx(pi * 900).epsilon(1e-9));
}

TEST_CASE("Two overlapping discs: the union's area is the two discs less their lens", "[score]") {
    const Grid grid = grid_over(0, 0, 1000, 100);
    const Tiling tiling = tiling_for(grid, 1000);
    const double r = 15, d = 18;
    const Coverage cov = union_shapes({disc_shape(500, 500, r), disc_shape(500 + d, 500, r)}, tiling);
    const double lens = 2 * r * r * std::acos(d / (2 * r)) - d / 2 * std::sqrt(4 * r * r - d * d);
    // Stated tolerance: the arcs are polygons with vertices on the equal-area circle, so a union
    // of circles is matched to within 0.3 % of its area.
    CHECK(cov.area() == Approx(2 * pi * r * r - lens).epsilon(0.003));
    CHECK(cov.fallbacks == 0);
}

TEST_CASE("Hundreds of random discs of three radii: cell, polygon and line shares match brute-force sampling", "[score]") {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> pos(0, 1000);
    const double radii[] = {10, 15, 25};
    std::vector<Circle> circles;
    std::vector<Shape> shapes;
    for (int i = 0; i < 400; ++i) {
        // Clustered along "streets" so the discs overlap heavily, as lights do.
        const bool row = i % 2 == 0;
        const double along = pos(rng), street = 100 + 200 * static_cast<double>(i % 5);
        const Circle c{row ? along : street, row ? street : along, radii[i % 3]};
        circles.push_back(c);
        shapes.push_back(disc_shape(c.x, c.y, c.r));
    }
    // Exact duplicates (dual lamps on one column) must not upset the Voronoi pieces.
    circles.push_back(circles[0]);
    shapes.push_back(shapes[0]);
    const Grid grid = grid_over(0, 0, 1000, 100);
    const Tiling tiling = tiling_for(grid, 500); // 4 tiles: pieces cross tile edges
    const Coverage cov = union_shapes(shapes, tiling);
    CHECK(cov.fallbacks == 0);
    // Whole area: sampling at 0.5 m.
    const double sampled = sampled_share(circles, Extent{0, 0, 1000, 1000}, 0.5);
    CHECK(cov.area() / 1e6 == Approx(sampled).epsilon(0.003));
    // Cells: sampling at 0.5 m (40,000 points a cell); agreement within 0.005 of the share.
    std::vector<int64_t> cells(grid.cells());
    std::iota(cells.begin(), cells.end(), int64_t{0});
    const std::vector<double> share = cell_shares(cov, grid, cells);
    double worst = 0;
    for (int64_t cell : {0, 11, 22, 45, 55, 78, 99}) {
        const int64_t r = cell / grid.nx, c = cell % grid.nx;
        const Extent box{grid.x0 + c * 100.0, grid.y0 - (r + 1) * 100.0, grid.x0 + (c + 1) * 100.0, grid.y0 - r * 100.0};
        const double s = sampled_share(circles, box, 0.5);
        worst = std::max(worst, std::abs(s - share[static_cast<size_t>(cell)]));
    }
    CHECK(worst < 0.005);
    // A triangle crossing tiles.
    std::vector<double> tx = {120, 830, 400, 120}, ty = {150, 260, 880, 150};
    GEOSCoordSequence* seq = GEOSCoordSeq_copyFromArrays_r(geos::context(), tx.data(), ty.data(), nullptr, nullptr, 4);
    const geos::Geometry tri = geos::checked(GEOSGeom_createPolygon_r(geos::context(), GEOSGeom_createLinearRing_r(geos::context(), seq), nullptr, 0), "triangle");
    const GEOSGeometry* polys[] = {tri.get()};
    const double tri_share = polygon_shares(cov, polys)[0];
    const auto inside_triangle = [&](double x, double y) {
        bool in = false;
        for (size_t i = 0, j = 2; i < 3; j = i++)
            if ((ty[i] > y) != (ty[j] > y) && x < (tx[j] - tx[i]) * (y - ty[i]) / (ty[j] - ty[i]) + tx[i]) in = !in;
        return in;
    };
    CHECK(tri_share == Approx(sampled_share(circles, Extent{0, 0, 1000, 1000}, 0.5, inside_triangle)).margin(0.003));
    // Lines along y = const: the exact lit length from the circles' chords.
    for (double y : {100.0, 307.0, 555.5}) {
        GEOSCoordSequence* ls = GEOSCoordSeq_create_r(geos::context(), 2, 2);
        GEOSCoordSeq_setXY_r(geos::context(), ls, 0, 0, y);
        GEOSCoordSeq_setXY_r(geos::context(), ls, 1, 1000, y);
        const geos::Geometry line = geos::checked(GEOSGeom_createLineString_r(geos::context(), ls), "line");
        const GEOSGeometry* lines[] = {line.get()};
        CHECK(line_shares(cov, lines)[0] == Approx(covered_length(circles, y, 0, 1000) / 1000).margin(0.004));
    }
}

TEST_CASE("The Voronoi pieces tile the union exactly and merge into valid polygons", "[score]") {
    // A ring of discs around an unlit middle: the union has a hole.
    std::vector<double> x, y;
    for (int k = 0; k < 24; ++k) {
        x.push_back(1000 + 60 * std::cos(k * pi / 12));
        y.push_back(1000 + 60 * std::sin(k * pi / 12));
    }
    const std::vector<Ring> pieces = disc_union_pieces(x, y, 15, 8);
    CHECK(pieces.size() == 24);
    double sum = 0;
    for (const Ring& p : pieces) {
        CHECK(p.area() > 0); // counter-clockwise
        sum += p.area();
    }
    const std::vector<PolygonRings> merged = merge_pieces(pieces);
    REQUIRE(merged.size() == 1);
    CHECK(merged[0].holes.size() == 1);
    double area = merged[0].shell.area();
    for (const Ring& h : merged[0].holes) area += h.area();
    CHECK(area == Approx(sum).epsilon(1e-9));
    // Convex clipping shares new vertices between neighbours: the clipped pieces still merge.
    std::vector<Ring> clipped;
    for (const Ring& p : pieces) {
        Ring c = clip_convex(p, Extent{900, 900, 1000.5, 1100});
        if (!c.x.empty()) clipped.push_back(std::move(c));
    }
    const std::vector<PolygonRings> half = merge_pieces(clipped);
    CHECK(half.size() == 1);
}

TEST_CASE("A building casts a shadow: what a camera sees, by hand", "[score]") {
    Camera c;
    c.x = 0, c.y = 0, c.range = 50; // full circle
    Occluder b;
    b.x = {10, 20, 20, 10, 10};
    b.y = {-5, -5, 5, 5, -5};
    for (size_t i = 0; i < b.x.size(); ++i) b.extent.add(b.x[i], b.y[i]);
    const Occluder* near[] = {&b};
    const geos::Geometry view = visible(c, near);
    // Hidden: the wedge behind the near face x = 10 out to the range, a sector of half-angle
    // atan(5/10) less the triangle from the camera to the face.
    const double half = std::atan(0.5);
    const double hidden = 0.5 * 2500 * 2 * half - 0.5 * 10 * 10;
    CHECK(geos::area(view.get()) == Approx(pi * 2500 - hidden).epsilon(0.002));
    const auto sees = [&](double x, double y) {
        const geos::Geometry p = geos::point(x, y);
        return GEOSIntersects_r(geos::context(), view.get(), p.get()) == 1;
    };
    CHECK_FALSE(sees(30, 0));
    CHECK_FALSE(sees(15, 0)); // inside the building
    CHECK(sees(30, 20));
    CHECK(sees(-30, 0));
    CHECK(sees(5, 0)); // in front of it
    // A camera on the building's wall is mounted on it: the building blocks nothing.
    Camera mounted = c;
    mounted.x = 10, mounted.y = 0.5;
    CHECK(geos::area(visible(mounted, near).get()) == Approx(pi * 2500).epsilon(1e-9));
}

TEST_CASE("One radius: area shares from the convex pieces match sampling, holes and several parts included", "[score]") {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> pos(0, 1000);
    std::vector<Circle> circles;
    std::vector<Shape> shapes;
    for (int i = 0; i < 600; ++i) {
        const Circle c{pos(rng), pos(rng), 20};
        circles.push_back(c);
        shapes.push_back(disc_shape(c.x, c.y, c.r));
    }
    const Grid grid = grid_over(0, 0, 1000, 100);
    const Coverage cov = union_shapes(shapes, tiling_for(grid, 500));
    REQUIRE_FALSE(cov.convex.empty()); // one radius: the convex pieces are kept
    // A square with a square hole, and a second part: a MultiPolygon across all four tiles.
    const geos::Geometry g = geos::checked(
        [] {
            GEOSWKTReader* r = GEOSWKTReader_create_r(geos::context());
            GEOSGeometry* out = GEOSWKTReader_read_r(geos::context(), r,
                                                     "MULTIPOLYGON(((100 100,900 100,900 600,100 600,100 100),(300 250,700 250,700 450,300 450,300 250)),"
                                                     "((150 700,450 700,450 950,150 950,150 700)))");
            GEOSWKTReader_destroy_r(geos::context(), r);
            return out;
        }(),
        "wkt");
    const GEOSGeometry* polys[] = {g.get()};
    const double share = polygon_shares(cov, polys)[0];
    const auto inside = [](double x, double y) {
        const bool a = x > 100 && x < 900 && y > 100 && y < 600 && !(x > 300 && x < 700 && y > 250 && y < 450);
        const bool b = x > 150 && x < 450 && y > 700 && y < 950;
        return a || b;
    };
    CHECK(share == Approx(sampled_share(circles, Extent{0, 0, 1000, 1000}, 0.5, inside)).margin(0.003));
    // The same answer as GEOS's overlay of the merged union (the path taken for mixed radii).
    Coverage merged_only;
    merged_only.tiling = cov.tiling;
    for (const auto& piece : cov.piece) merged_only.piece.push_back(piece ? geos::clone(piece.get()) : nullptr);
    CHECK(polygon_shares(merged_only, polys)[0] == Approx(share).epsilon(1e-9));
}
