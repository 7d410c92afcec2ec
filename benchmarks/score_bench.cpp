// Guardianship coverage at issue 6's size: Bristol's 49,451 street lights (15 m discs), their
// union, and the lit share of the 1,005 Avon and Somerset LSOAs and of every 100 m cell of the
// force area (1,062,267 cells), from ../shared/data (SAFER_DATA_DIR).
//
//   lights_union             the tiled union (Voronoi pieces merged per 1 km tile)
//   lsoa_shares              lit share of the 1,005 LSOAs, given the union
//   cell_shares_100m         lit share of every 100 m cell, given the union
//   union_lsoa_cells         all three, as `safer score` runs them: the "at most 5 s"
//   cascaded_union_1km_tile  for scale: GEOS's own cascaded union of the discs of one busy
//                            1 km tile (the way a plain GEOS or Shapely union would go)
// Reading the CSV and reprojecting it are outside the timings (benchmarks/score_command.sh
// times the whole command).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine/geos.hpp"
#include "engine/guardianship.hpp"
#include "engine/progress.hpp"
#include "layers/area_reader.hpp"
#include "layers/asset_reader.hpp"

namespace {

using namespace safer;

struct Data {
    std::vector<guard::Shape> shapes;
    Areas areas;
    std::vector<const GEOSGeometry*> polygons;
    Grid grid;
    guard::Tiling tiling;
    std::vector<int64_t> cells;
    std::vector<double> x, y;
};

const Data& data() {
    static const Data d = [] {
        Data out;
        const std::string dir = SAFER_DATA_DIR;
        layers::AssetReport report;
        const auto lights = layers::read_lights(dir + "/avon-and-somerset/assets/bristol/streetlights.csv.gz", layers::AssetOptions{}, report);
        for (const auto& l : lights) {
            out.shapes.push_back(guard::disc_shape(l.x, l.y, 15));
            out.x.push_back(l.x), out.y.push_back(l.y);
        }
        Progress quiet(true);
        layers::AreaOptions ao;
        layers::AreaReport ar;
        out.areas = layers::read_areas(dir + "/avon-and-somerset/boundaries/lsoa_2011_avon_and_somerset.geojson", ao, ar, quiet);
        Extent e;
        for (const auto& g : out.areas.geometry) {
            out.polygons.push_back(g.get());
            const geos::Envelope v = geos::envelope(g.get());
            e.add(Extent{v.min_x, v.min_y, v.max_x, v.max_y});
        }
        out.grid = Grid::covering(e, 0, 100);
        out.tiling = guard::tiling_for(out.grid, 1000);
        out.cells.resize(out.grid.cells());
        for (size_t i = 0; i < out.cells.size(); ++i) out.cells[i] = static_cast<int64_t>(i);
        return out;
    }();
    return d;
}

void lights_union(benchmark::State& state) {
    const Data& d = data();
    double area = 0;
    for (auto _ : state) {
        const guard::Coverage cov = guard::union_shapes(d.shapes, d.tiling);
        area = cov.area();
        benchmark::DoNotOptimize(area);
    }
    state.counters["lights"] = static_cast<double>(d.shapes.size());
    state.counters["lit_km2"] = area / 1e6;
}

void lsoa_shares(benchmark::State& state) {
    const Data& d = data();
    const guard::Coverage cov = guard::union_shapes(d.shapes, d.tiling);
    for (auto _ : state) benchmark::DoNotOptimize(guard::polygon_shares(cov, d.polygons));
    state.counters["areas"] = static_cast<double>(d.polygons.size());
}

void cell_shares_100m(benchmark::State& state) {
    const Data& d = data();
    const guard::Coverage cov = guard::union_shapes(d.shapes, d.tiling);
    for (auto _ : state) benchmark::DoNotOptimize(guard::cell_shares(cov, d.grid, d.cells));
    state.counters["cells"] = static_cast<double>(d.cells.size());
}

void union_lsoa_cells(benchmark::State& state) {
    const Data& d = data();
    for (auto _ : state) {
        const guard::Coverage cov = guard::union_shapes(d.shapes, d.tiling);
        benchmark::DoNotOptimize(guard::polygon_shares(cov, d.polygons));
        benchmark::DoNotOptimize(guard::cell_shares(cov, d.grid, d.cells));
    }
}

void cascaded_union_1km_tile(benchmark::State& state) {
    const Data& d = data();
    // The busiest 1 km tile.
    size_t best = 0, count = 0;
    std::vector<size_t> in_tile(d.tiling.tiles(), 0);
    for (size_t i = 0; i < d.x.size(); ++i) {
        const int64_t c = static_cast<int64_t>(std::floor((d.x[i] - d.tiling.x0) / d.tiling.size));
        const int64_t r = static_cast<int64_t>(std::floor((d.tiling.y0 - d.y[i]) / d.tiling.size));
        const size_t t = static_cast<size_t>(r * d.tiling.nx + c);
        if (++in_tile[t] > count) count = in_tile[t], best = t;
    }
    const Extent te = d.tiling.tile_extent(best);
    GEOSContextHandle_t ctx = geos::context();
    for (auto _ : state) {
        std::vector<GEOSGeometry*> discs;
        for (size_t i = 0; i < d.x.size(); ++i)
            if (d.x[i] >= te.min_x && d.x[i] < te.max_x && d.y[i] >= te.min_y && d.y[i] < te.max_y) discs.push_back(guard::disc(d.x[i], d.y[i], 15).release());
        geos::Geometry all(GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, discs.data(), static_cast<unsigned>(discs.size())));
        geos::Geometry u(GEOSUnaryUnion_r(ctx, all.get()));
        benchmark::DoNotOptimize(u.get());
    }
    state.counters["discs"] = static_cast<double>(count);
}

} // namespace

BENCHMARK(lights_union)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(lsoa_shares)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(cell_shares_100m)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(union_lsoa_cells)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(cascaded_union_1km_tile)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
