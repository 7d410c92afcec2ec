// The hotspot-class polygons of `safer kde` at the size of issue 3: a 1,634 × 1,634 grid of 25 m
// cells, the quartic density (h = 400 m) of 200,000 clustered incidents, and its top 1, 5 and
// 10 % classes as GeoPackageWriter::write_kde_classes builds them.
//
//   gdal_*     the old path: GDALPolygonize into an in-memory layer, GEOS IsValid, MakeValid
//              when invalid (tests/support/gdal_polygonize.hpp)
//   safer_*    layers::polygonize: engine/mask_polygons and the OGR MultiPolygon built from it
//   engine_*   engine/mask_polygons alone
//
// *_top10 is the 10 % class alone; *_classes the three classes, one command's work per surface.
// Median (and minimum) of 5 repetitions of wall time: `benchmarks/polygonize_bench`.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include "engine/kde.hpp"
#include "engine/mask_polygons.hpp"
#include "layers/raster.hpp"
#include "tests/support/gdal_polygonize.hpp"

namespace {

using namespace safer;

struct Classes {
    Grid grid{340000, 190850, 25, 1634, 1634};
    std::array<std::vector<uint8_t>, 3> masks; // top 1, 5 and 10 %
};

const Classes& classes() {
    static const Classes c = [] {
        Classes out;
        // 70 % from 300 gaussian clusters (σ 150–1,500 m), 30 % uniform, over the grid's 40.85 km.
        const double side = 25.0 * 1634, x0 = out.grid.x0, y0 = out.grid.south();
        std::mt19937_64 rng(11);
        std::uniform_real_distribution<double> u(0, 1);
        std::normal_distribution<double> g(0, 1);
        std::vector<double> cx, cy, cs;
        for (int i = 0; i < 300; ++i) cx.push_back(u(rng) * side), cy.push_back(u(rng) * side), cs.push_back(150 + 1350 * u(rng));
        kde::Points p;
        while (p.size() < 200000) {
            double x = u(rng) * side, y = u(rng) * side;
            if (u(rng) < 0.7) {
                const size_t k = static_cast<size_t>(u(rng) * 300);
                x = cx[k] + g(rng) * cs[k], y = cy[k] + g(rng) * cs[k];
                if (x < 400 || x > side - 400 || y < 400 || y > side - 400) continue;
            }
            p.x.push_back(x0 + x), p.y.push_back(y0 + y);
        }
        const std::vector<float> v = kde::density(p, out.grid, kde::Kernel::quartic, 400);
        const kde::Hotspots hs = kde::hotspot_classes(out.grid, v, p);
        for (size_t k = 0; k < 3; ++k) {
            out.masks[k].resize(hs.cell_class.size());
            for (size_t i = 0; i < hs.cell_class.size(); ++i)
                out.masks[k][i] = hs.cell_class[i] != 0 && hs.cell_class[i] <= hs.classes[k].percent;
        }
        return out;
    }();
    return c;
}

void count(benchmark::State& state, const std::vector<uint8_t>& mask) {
    size_t set = 0;
    for (uint8_t m : mask) set += m;
    state.counters["set_cells"] = static_cast<double>(set);
    state.counters["polygons"] = static_cast<double>(mask_polygons(classes().grid, mask).size());
}

void gdal_top10(benchmark::State& state) {
    const Classes& c = classes();
    for (auto _ : state) benchmark::DoNotOptimize(test::gdal_polygonize(c.grid, c.masks[2]).get());
    count(state, c.masks[2]);
}
void safer_top10(benchmark::State& state) {
    const Classes& c = classes();
    for (auto _ : state) benchmark::DoNotOptimize(layers::polygonize(c.grid, c.masks[2]).get());
    count(state, c.masks[2]);
}
void engine_top10(benchmark::State& state) {
    const Classes& c = classes();
    for (auto _ : state) benchmark::DoNotOptimize(mask_polygons(c.grid, c.masks[2]).data());
    count(state, c.masks[2]);
}
void gdal_classes(benchmark::State& state) {
    const Classes& c = classes();
    for (auto _ : state)
        for (const auto& m : c.masks) benchmark::DoNotOptimize(test::gdal_polygonize(c.grid, m).get());
}
void safer_classes(benchmark::State& state) {
    const Classes& c = classes();
    for (auto _ : state)
        for (const auto& m : c.masks) benchmark::DoNotOptimize(layers::polygonize(c.grid, m).get());
}

} // namespace

// On a shared machine other work inflates wall times: the minimum is quoted beside the median.
double minimum(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
#define SAFER_POLYGONIZE_BENCH(name) \
    BENCHMARK(name)->Unit(benchmark::kMillisecond)->UseRealTime()->Repetitions(5)->ComputeStatistics("min", minimum)
SAFER_POLYGONIZE_BENCH(gdal_top10);
SAFER_POLYGONIZE_BENCH(safer_top10);
SAFER_POLYGONIZE_BENCH(engine_top10);
SAFER_POLYGONIZE_BENCH(gdal_classes);
SAFER_POLYGONIZE_BENCH(safer_classes);
BENCHMARK_MAIN();
