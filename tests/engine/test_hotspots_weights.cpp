#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/errors.hpp"
#include "engine/geos.hpp"
#include "engine/getis_ord.hpp"
#include "engine/spatial_weights.hpp"

using namespace safer;
using namespace safer::hotspots;

namespace {

std::vector<int32_t> row(const SpatialWeights& w, size_t i) {
    return {w.neighbours.begin() + w.offsets[i], w.neighbours.begin() + w.offsets[i + 1]};
}

bool linked(const SpatialWeights& w, int32_t i, int32_t j) {
    const auto r = row(w, static_cast<size_t>(i));
    return std::find(r.begin(), r.end(), j) != r.end();
}

geos::Geometry wkt(const std::string& text) {
    GEOSContextHandle_t ctx = geos::context();
    GEOSWKTReader* reader = GEOSWKTReader_create_r(ctx);
    GEOSGeometry* g = GEOSWKTReader_read_r(ctx, reader, text.c_str());
    GEOSWKTReader_destroy_r(ctx, reader);
    return geos::checked(g, "reading WKT");
}

std::vector<const GEOSGeometry*> raw(const std::vector<geos::Geometry>& geoms) {
    std::vector<const GEOSGeometry*> out;
    for (const auto& g : geoms) out.push_back(g.get());
    return out;
}

} // namespace

TEST_CASE("Distance band is inclusive and symmetric; knn breaks ties by index", "[hotspots]") {
    // Collinear points 0, 3, 6, 10 m along x.
    const std::vector<double> x = {0, 3, 6, 10}, y = {0, 0, 0, 0};
    const SpatialWeights band = distance_band(x, y, 3.0);
    CHECK(row(band, 0) == std::vector<int32_t>{1});
    CHECK(row(band, 1) == std::vector<int32_t>{0, 2});
    CHECK(row(band, 2) == std::vector<int32_t>{1});
    CHECK(row(band, 3).empty());
    CHECK(band.islands() == std::vector<int32_t>{3});

    // Point 1 (at 3) has 0 and 2 both 3 m away: the lower index wins.
    const SpatialWeights one = knn(x, y, 1);
    CHECK(row(one, 1) == std::vector<int32_t>{0});
    CHECK(row(one, 3) == std::vector<int32_t>{2});
    CHECK(row(knn(x, y, 2), 3) == std::vector<int32_t>{1, 2});

    CHECK_THROWS_AS(knn(x, y, 4), InputError);
    CHECK_THROWS_AS(distance_band(x, y, -1), InputError);
}

TEST_CASE("Distance band and knn match brute force on a random cloud", "[hotspots]") {
    std::mt19937_64 gen(7);
    std::uniform_real_distribution<double> u(0, 1000);
    std::vector<double> x(1500), y(1500);
    for (size_t i = 0; i < x.size(); ++i) x[i] = u(gen), y[i] = std::floor(u(gen) / 10) * 10; // many shared y
    const double d = 37.5;
    const SpatialWeights w = distance_band(x, y, d);
    for (size_t i = 0; i < x.size(); ++i) {
        std::vector<int32_t> expected;
        for (size_t j = 0; j < x.size(); ++j)
            if (j != i && std::hypot(x[j] - x[i], y[j] - y[i]) <= d) expected.push_back(static_cast<int32_t>(j));
        REQUIRE(row(w, i) == expected);
    }
    const SpatialWeights k5 = knn(x, y, 5);
    for (size_t i = 0; i < x.size(); i += 97) {
        std::vector<std::pair<double, int32_t>> all;
        for (size_t j = 0; j < x.size(); ++j)
            if (j != i) all.emplace_back(std::hypot(x[j] - x[i], y[j] - y[i]), static_cast<int32_t>(j));
        std::sort(all.begin(), all.end());
        std::vector<int32_t> expected;
        for (int m = 0; m < 5; ++m) expected.push_back(all[static_cast<size_t>(m)].second);
        std::sort(expected.begin(), expected.end());
        CHECK(row(k5, i) == expected);
    }
}

TEST_CASE("Weights transforms: self and row standardisation", "[hotspots]") {
    const std::vector<double> x = {0, 1, 2}, y = {0, 0, 0};
    const SpatialWeights w = distance_band(x, y, 1.0);
    const SpatialWeights ws = with_self(w);
    CHECK(ws.self_included);
    CHECK(row(ws, 1) == std::vector<int32_t>{0, 1, 2});
    const SpatialWeights rs = row_standardised(ws);
    CHECK(rs.weight(rs.offsets[1]) == Approx(1.0 / 3));
    // Row-standardised weights given self are rebuilt as 1 / (k + 1), as spdep's include.self().
    const SpatialWeights rs_self = with_self(row_standardised(w));
    CHECK(rs_self.weight(rs_self.offsets[0]) == Approx(0.5));
    const SpatialWeights back = without_self(rs_self);
    CHECK(row(back, 1) == std::vector<int32_t>{0, 2});
    CHECK(back.weight(back.offsets[1]) == Approx(0.5));
}

TEST_CASE("Contiguity on hand-drawn polygons: corners, edges, slivers and gaps", "[hotspots]") {
    std::vector<geos::Geometry> g;
    g.push_back(wkt("POLYGON((0 0, 100 0, 100 100, 0 100, 0 0))"));             // 0: the reference square
    g.push_back(wkt("POLYGON((100 100, 200 100, 200 200, 100 200, 100 100))")); // 1: touches 0 at a corner only
    g.push_back(wkt("POLYGON((0 100, 100 100, 100 200, 0 200, 0 100))"));       // 2: shares 0's top edge
    g.push_back(wkt("POLYGON((100.05 0, 200 0, 200 100, 100.05 100, 100.05 0))")); // 3: 0.05 m sliver gap from 0
    g.push_back(wkt("POLYGON((-101 0, -1 0, -1 100, -101 100, -101 0))"));     // 4: 1 m gap from 0
    g.push_back(wkt("POLYGON((-1 -100, 50 -100, 50 -0.05, -1 -0.05, -1 -100))")); // 5: 0.05 m below 0, 50 m alongside
    const auto polygons = raw(g);

    const SpatialWeights queen = contiguity(polygons, Contiguity::queen);
    const SpatialWeights rook = contiguity(polygons, Contiguity::rook);
    // Corner: queen yes, rook no.
    CHECK(linked(queen, 0, 1));
    CHECK_FALSE(linked(rook, 0, 1));
    // Shared edge: both.
    CHECK(linked(queen, 0, 2));
    CHECK(linked(rook, 0, 2));
    // 0.05 m sliver along a whole edge: both, within the default 0.1 m tolerance.
    CHECK(linked(queen, 0, 3));
    CHECK(linked(rook, 0, 3));
    CHECK(linked(rook, 1, 3)); // 1 and 3 share the edge y = 100 from 100.05 to 200
    // 1 m gap: neither.
    CHECK_FALSE(linked(queen, 0, 4));
    CHECK_FALSE(linked(rook, 0, 4));
    // Edges that overlap for 50 m without shared vertices (a T-junction across a sliver).
    CHECK(linked(rook, 0, 5));
    // Symmetric, ascending rows.
    for (size_t i = 0; i < queen.size(); ++i) {
        const auto r = row(queen, i);
        CHECK(std::is_sorted(r.begin(), r.end()));
        for (int32_t j : r) CHECK(linked(queen, j, static_cast<int32_t>(i)));
    }
    // With no tolerance the sliver and the 50 m near-edge separate.
    const SpatialWeights exact = contiguity(polygons, Contiguity::queen, 0.0);
    CHECK(linked(exact, 0, 1));
    CHECK(linked(exact, 0, 2));
    CHECK_FALSE(linked(exact, 0, 3));
    CHECK_FALSE(linked(exact, 0, 5));
    // The 1 m gap closes at a 1.5 m tolerance.
    CHECK(linked(contiguity(polygons, Contiguity::queen, 1.5), 0, 4));
}

TEST_CASE("Contiguity refuses non-polygons", "[hotspots]") {
    std::vector<geos::Geometry> g;
    g.push_back(wkt("POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))"));
    g.push_back(wkt("LINESTRING(0 0, 1 1)"));
    CHECK_THROWS_AS(contiguity(raw(g), Contiguity::queen), InputError);
}

TEST_CASE("Grid distance band and the grid Gi* fast path equal the generic CSR path", "[hotspots]") {
    std::mt19937_64 gen(11);
    CellGrid grid;
    grid.nx = 41;
    grid.ny = 29;
    grid.cell = 50;
    std::bernoulli_distribution inside(0.8);
    for (int i = 0; i < grid.nx * grid.ny; ++i) grid.inside.push_back(inside(gen) ? 1 : 0);
    const std::vector<int64_t> cells = grid_units(grid);
    std::vector<double> cx, cy, counts;
    std::poisson_distribution<int> poisson(1.3);
    for (int64_t c : cells) {
        cx.push_back(static_cast<double>(c % grid.nx) * grid.cell + 25);
        cy.push_back(-static_cast<double>(c / grid.nx) * grid.cell - 25);
        counts.push_back(poisson(gen));
    }
    const double band = 2.5 * grid.cell;
    // The stencil of a 2.5-cell band: offsets with dr^2 + dc^2 <= 6.25, 21 of them.
    CHECK(grid_stencil(grid.cell, band).size() == 21);
    CHECK(grid_stencil(0.1, 0.3).size() == 29); // 3-cell band, exact distances despite 0.1's rounding

    const SpatialWeights from_grid = grid_distance_band(grid, band);
    const SpatialWeights from_points = distance_band(cx, cy, band);
    REQUIRE(from_grid.offsets == from_points.offsets);
    REQUIRE(from_grid.neighbours == from_points.neighbours);

    GiStarOptions options;
    options.permutations = 199;
    options.seed = 5;
    const GiStarResult fast = gi_star_grid(grid, counts, band, options);
    const GiStarResult generic = gi_star(counts, from_points, options);
    REQUIRE(fast.z.size() == generic.z.size());
    for (size_t i = 0; i < fast.z.size(); ++i) {
        REQUIRE(fast.z[i] == Approx(generic.z[i]).margin(1e-10));
        REQUIRE(fast.p[i] == Approx(generic.p[i]).margin(1e-10));
    }
    CHECK(fast.p_sim == generic.p_sim); // integer counts: the same draws give the same sums
    CHECK(fast.bin == generic.bin);
    CHECK(fast.no_neighbours == generic.no_neighbours);

    // Real-valued data too.
    std::normal_distribution<double> normal(10, 3);
    std::vector<double> values;
    for (size_t i = 0; i < cells.size(); ++i) values.push_back(normal(gen));
    const GiStarResult fast_v = gi_star_grid(grid, values, band);
    const GiStarResult generic_v = gi_star(values, from_grid);
    for (size_t i = 0; i < fast_v.z.size(); ++i) REQUIRE(fast_v.z[i] == Approx(generic_v.z[i]).margin(1e-10));
}

TEST_CASE("Contiguity on a Voronoi tessellation matches an independent GEOS computation", "[hotspots]") {
    // Queen: GEOS distance (unprepared) within 0.1 m. Rook: the same quantity the engine
    // measures segment by segment, computed with GEOS overlays instead: the length of each
    // cell's boundary inside a 0.1 m buffer (32 segments a quadrant) of the other's boundary,
    // the smaller of the two, above 5 x 0.1 m. Pairs within 1 mm of that threshold are skipped:
    // the buffer's polygonal caps differ from true circles by less than that.
    GEOSContextHandle_t ctx = geos::context();
    std::mt19937_64 gen(21);
    std::uniform_real_distribution<double> u(0, 2000);
    std::vector<GEOSGeometry*> points;
    for (int i = 0; i < 400; ++i) points.push_back(GEOSGeom_createPointFromXY_r(ctx, u(gen), u(gen)));
    const geos::Geometry sites = geos::checked(GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOINT, points.data(), 400), "sites");
    const geos::Geometry cells = geos::checked(GEOSVoronoiDiagram_r(ctx, sites.get(), nullptr, 0.0, 0), "voronoi");
    std::vector<geos::Geometry> g, boundary, zone;
    for (int i = 0; i < GEOSGetNumGeometries_r(ctx, cells.get()); ++i) {
        g.push_back(geos::checked(GEOSClipByRect_r(ctx, GEOSGetGeometryN_r(ctx, cells.get(), i), 0, 0, 2000, 2000), "clip"));
        boundary.push_back(geos::checked(GEOSBoundary_r(ctx, g.back().get()), "boundary"));
        zone.push_back(geos::checked(GEOSBuffer_r(ctx, boundary.back().get(), 0.1, 32), "buffer"));
    }
    auto near_length = [&](size_t a, size_t b) {
        const geos::Geometry part = geos::checked(GEOSIntersection_r(ctx, boundary[a].get(), zone[b].get()), "intersection");
        double len = 0;
        GEOSLength_r(ctx, part.get(), &len);
        return len;
    };
    const auto polygons = raw(g);
    const SpatialWeights queen = contiguity(polygons, Contiguity::queen);
    const SpatialWeights rook = contiguity(polygons, Contiguity::rook);
    size_t queen_pairs = 0, rook_pairs = 0, corner_only = 0;
    for (size_t i = 0; i < g.size(); ++i)
        for (size_t j = i + 1; j < g.size(); ++j) {
            double distance = 0;
            GEOSDistance_r(ctx, g[i].get(), g[j].get(), &distance);
            const auto a = static_cast<int32_t>(i), b = static_cast<int32_t>(j);
            INFO("pair " << i << "," << j << " distance " << distance);
            REQUIRE(linked(queen, a, b) == (distance <= 0.1));
            if (distance > 0.1) {
                CHECK_FALSE(linked(rook, a, b));
                continue;
            }
            ++queen_pairs;
            const double shared = std::min(near_length(i, j), near_length(j, i));
            INFO("shared " << shared);
            if (std::fabs(shared - 0.5) < 1e-3) continue;
            REQUIRE(linked(rook, a, b) == (shared > 0.5));
            rook_pairs += shared > 0.5;
            corner_only += shared <= 0.5;
        }
    CHECK(rook_pairs > 1000);
    CHECK(queen_pairs >= rook_pairs + corner_only);
}
