// Hotspot statistics at issue 4's sizes. Targets on 2 cores:
//   Gi*, 3-cell band, 1,000 x 1,000 grid                      <= 1 s
//   queen contiguity, 35,000 polygons                          <= 3 s
//   Gi* + local Moran, 999 permutations, 35,000 polygons       <= 10 s
// The polygons are a Voronoi tessellation of 35,000 random points clipped to their envelope,
// about the size and shape of a large force's output areas. Wall-clock times (UseRealTime).
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "engine/geos.hpp"
#include "engine/getis_ord.hpp"
#include "engine/moran.hpp"
#include "engine/spatial_weights.hpp"

namespace {

using namespace safer;
using namespace safer::hotspots;

// Poisson counts with a few smooth peaks, so that the statistics have something to find.
std::vector<double> counts_at(const std::vector<double>& x, const std::vector<double>& y, double scale, uint64_t seed) {
    std::mt19937_64 gen(seed);
    std::vector<double> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        const double d1 = std::hypot(x[i] - 0.3 * scale, y[i] - 0.6 * scale) / (0.05 * scale);
        const double d2 = std::hypot(x[i] - 0.7 * scale, y[i] - 0.2 * scale) / (0.08 * scale);
        std::poisson_distribution<int> poisson(0.4 + 6 * std::exp(-d1 * d1) + 3 * std::exp(-d2 * d2));
        out[i] = poisson(gen);
    }
    return out;
}

struct GridCase {
    CellGrid grid;
    std::vector<double> counts;
    GridCase() {
        grid.nx = grid.ny = 1000;
        grid.cell = 100;
        std::vector<double> x, y;
        for (int r = 0; r < grid.ny; ++r)
            for (int c = 0; c < grid.nx; ++c) x.push_back(c * grid.cell), y.push_back(r * grid.cell);
        counts = counts_at(x, y, grid.nx * grid.cell, 1);
    }
};

struct Tessellation {
    std::vector<geos::Geometry> polygons;
    std::vector<const GEOSGeometry*> raw;
    std::vector<double> counts;
    SpatialWeights queen;

    explicit Tessellation(size_t n) {
        GEOSContextHandle_t ctx = geos::context();
        std::mt19937_64 gen(35000);
        const double side = 60000; // 60 km square: 35,000 cells of about 0.1 km2
        std::uniform_real_distribution<double> u(0, side);
        std::vector<GEOSGeometry*> points;
        for (size_t i = 0; i < n; ++i) points.push_back(GEOSGeom_createPointFromXY_r(ctx, u(gen), u(gen)));
        const geos::Geometry sites = geos::checked(
            GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOINT, points.data(), static_cast<unsigned>(points.size())), "multipoint");
        const geos::Geometry cells = geos::checked(GEOSVoronoiDiagram_r(ctx, sites.get(), nullptr, 0.0, 0), "voronoi");
        const geos::Envelope e = geos::envelope(sites.get());
        const int count = GEOSGetNumGeometries_r(ctx, cells.get());
        std::vector<double> cx, cy;
        for (int i = 0; i < count; ++i) {
            geos::Geometry clipped = geos::checked(
                GEOSClipByRect_r(ctx, GEOSGetGeometryN_r(ctx, cells.get(), i), e.min_x, e.min_y, e.max_x, e.max_y), "clip");
            if (GEOSisEmpty_r(ctx, clipped.get())) continue;
            const geos::Geometry centre = geos::checked(GEOSGetCentroid_r(ctx, clipped.get()), "centroid");
            double px = 0, py = 0;
            GEOSGeomGetX_r(ctx, centre.get(), &px);
            GEOSGeomGetY_r(ctx, centre.get(), &py);
            cx.push_back(px), cy.push_back(py);
            polygons.push_back(std::move(clipped));
        }
        for (const auto& g : polygons) raw.push_back(g.get());
        counts = counts_at(cx, cy, side, 2);
        queen = contiguity(raw, Contiguity::queen);
    }
};

const GridCase& grid_case() {
    static const GridCase c;
    return c;
}
const Tessellation& tessellation() {
    static const Tessellation t(35000);
    return t;
}

void gi_star_grid_1000x1000_band3(benchmark::State& state) {
    const GridCase& c = grid_case();
    for (auto _ : state) {
        const GiStarResult r = gi_star_grid(c.grid, c.counts, 3 * c.grid.cell);
        benchmark::DoNotOptimize(r.z.data());
    }
    state.counters["units"] = static_cast<double>(c.counts.size());
}

// For comparison: the generic CSR path on the same grid, weights built outside the timing.
void gi_star_csr_1000x1000_band3(benchmark::State& state) {
    const GridCase& c = grid_case();
    const SpatialWeights w = grid_distance_band(c.grid, 3 * c.grid.cell);
    for (auto _ : state) {
        const GiStarResult r = gi_star(c.counts, w);
        benchmark::DoNotOptimize(r.z.data());
    }
}

// The generic path as a command would run it: weights built, then Gi*.
void gi_star_csr_with_weights_1000x1000_band3(benchmark::State& state) {
    const GridCase& c = grid_case();
    for (auto _ : state) {
        const SpatialWeights w = grid_distance_band(c.grid, 3 * c.grid.cell);
        const GiStarResult r = gi_star(c.counts, w);
        benchmark::DoNotOptimize(r.z.data());
    }
}

void queen_contiguity_35k(benchmark::State& state) {
    const Tessellation& t = tessellation();
    size_t links = 0;
    for (auto _ : state) {
        const SpatialWeights w = contiguity(t.raw, Contiguity::queen);
        links = w.neighbours.size();
        benchmark::DoNotOptimize(w.neighbours.data());
    }
    state.counters["polygons"] = static_cast<double>(t.raw.size());
    state.counters["mean_neighbours"] = static_cast<double>(links) / static_cast<double>(t.raw.size());
}

void rook_contiguity_35k(benchmark::State& state) {
    const Tessellation& t = tessellation();
    for (auto _ : state) {
        const SpatialWeights w = contiguity(t.raw, Contiguity::rook);
        benchmark::DoNotOptimize(w.neighbours.data());
    }
}

void gi_star_and_local_moran_999_35k(benchmark::State& state) {
    const Tessellation& t = tessellation();
    GiStarOptions gi;
    gi.permutations = 999;
    gi.seed = 1;
    LocalMoranOptions lm;
    lm.permutations = 999;
    lm.seed = 1;
    for (auto _ : state) {
        const GiStarResult g = gi_star(t.counts, t.queen, gi);
        const LocalMoranResult m = local_moran(t.counts, t.queen, lm);
        benchmark::DoNotOptimize(g.p_sim.data());
        benchmark::DoNotOptimize(m.p_sim.data());
    }
}

void distance_band_1m_points(benchmark::State& state) {
    std::mt19937_64 gen(3);
    std::uniform_real_distribution<double> u(0, 100000);
    std::vector<double> x(1000000), y(1000000);
    for (size_t i = 0; i < x.size(); ++i) x[i] = u(gen), y[i] = u(gen);
    for (auto _ : state) {
        const SpatialWeights w = distance_band(x, y, 300); // about 28 neighbours each
        benchmark::DoNotOptimize(w.neighbours.data());
    }
}

} // namespace

BENCHMARK(gi_star_grid_1000x1000_band3)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);
BENCHMARK(gi_star_csr_1000x1000_band3)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(gi_star_csr_with_weights_1000x1000_band3)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(queen_contiguity_35k)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(rook_contiguity_35k)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(gi_star_and_local_moran_999_35k)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(distance_band_1m_points)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

BENCHMARK_MAIN();
