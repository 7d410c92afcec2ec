// The density step of `safer kde` at the size of issue 3: 1,000,000 incidents, quartic,
// h = 400 m, 25 m cells, a 40 km × 40 km extent (1,632 × 1,632 cells once grown by h).
//
//   clustered   1,000,000 incidents on 60,000 distinct snapped map points, as police.uk
//   distinct    1,000,000 incidents, every one at its own place
//
// Each reports seconds and "updates/s": cells within h of a distinct location (the useful
// kernel evaluations), per second of wall time. Beside them, for scale:
//   naive_reference    a straightforward single-threaded loop (every incident, every cell of
//                      its bounding square, the formula as written), on 100,000 incidents
//   inner_loop_limit   the quartic inner loop alone over a row held in L1, one thread: the
//                      most these loops can do per core on this machine
//   flop_limit         independent double multiply-adds, one thread: the arithmetic peak
// With SAFER_DATA_DIR, also the study-area mask of the 1,005 Avon and Somerset LSOAs at 25 m and
// its edge correction.
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <random>

#include "engine/geos.hpp"
#include "engine/kde.hpp"
#include "engine/progress.hpp"
#include "layers/area_reader.hpp"

namespace {

using namespace safer;
using namespace safer::kde;

constexpr double h = 400, cell = 25, side = 40000, ox = 340000, oy = 150000;

/// A clustered pattern over the square: 70 % from 300 gaussian clusters (σ 150–1,500 m), 30 %
/// uniform.
Points clustered_places(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> cx, cy, cs;
    for (int i = 0; i < 300; ++i) {
        cx.push_back(u(rng) * side), cy.push_back(u(rng) * side), cs.push_back(150 + 1350 * u(rng));
    }
    std::normal_distribution<double> g(0, 1);
    Points p;
    p.x.reserve(n), p.y.reserve(n);
    while (p.size() < n) {
        double x, y;
        if (u(rng) < 0.7) {
            const size_t k = static_cast<size_t>(u(rng) * 300);
            x = cx[k] + g(rng) * cs[k], y = cy[k] + g(rng) * cs[k];
            if (x < 0 || x > side || y < 0 || y > side) continue;
        } else {
            x = u(rng) * side, y = u(rng) * side;
        }
        p.x.push_back(ox + x), p.y.push_back(oy + y);
    }
    return p;
}

const Points& clustered() {
    static const Points p = [] {
        // 60,000 map points; incidents pick them with a skewed popularity (u³: a few busy
        // streets, a long tail), as police.uk's snapping produces.
        const Points places = clustered_places(60000, 1);
        std::mt19937_64 rng(2);
        std::uniform_real_distribution<double> u(0, 1);
        Points out;
        out.x.reserve(1000000), out.y.reserve(1000000);
        for (size_t i = 0; i < 1000000; ++i) {
            const size_t k = std::min<size_t>(59999, static_cast<size_t>(std::pow(u(rng), 3) * 60000));
            out.x.push_back(places.x[k]), out.y.push_back(places.y[k]);
        }
        return out;
    }();
    return p;
}

const Points& distinct() {
    static const Points p = clustered_places(1000000, 3);
    return p;
}

const Grid& grid() {
    static const Grid g = plan_grid(Extent{ox, oy, ox + side, oy + side}, Kernel::quartic, h, cell).grid;
    return g;
}

/// Cells within h of each distinct location: the kernel evaluations that matter.
double useful_updates(const Points& points) {
    const Points m = merge_identical(points);
    const Grid& g = grid();
    double n = 0;
    for (size_t i = 0; i < m.size(); ++i)
        for (int64_t r = 0; r < g.ny; ++r) {
            const double dy = g.row_y(r) - m.y[i];
            if (dy * dy >= h * h) continue;
            const double a = h * h - dy * dy, half = std::sqrt(a);
            int64_t c0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor((m.x[i] - half - g.x0) / cell - 0.5)));
            int64_t c1 = std::min<int64_t>(g.nx - 1, static_cast<int64_t>(std::ceil((m.x[i] + half - g.x0) / cell - 0.5)));
            for (int64_t c = c0; c <= c1; ++c) {
                const double dx = g.col_x(c) - m.x[i];
                n += dx * dx < a;
            }
        }
    return n;
}

void run_density(benchmark::State& state, const Points& points, int threads) {
    const double updates = useful_updates(points);
    tbb::task_arena arena(threads);
    for (auto _ : state) {
        std::vector<float> v;
        arena.execute([&] { v = density(points, grid(), Kernel::quartic, h); });
        benchmark::DoNotOptimize(v.data());
    }
    state.counters["cells"] = static_cast<double>(grid().cells());
    state.counters["locations"] = static_cast<double>(merge_identical(points).size());
    state.counters["updates/s"] = benchmark::Counter(updates, benchmark::Counter::kIsIterationInvariantRate);
}

void clustered_1M_2threads(benchmark::State& s) { run_density(s, clustered(), 2); }
void clustered_1M_1thread(benchmark::State& s) { run_density(s, clustered(), 1); }
void distinct_1M_2threads(benchmark::State& s) { run_density(s, distinct(), 2); }
void distinct_1M_1thread(benchmark::State& s) { run_density(s, distinct(), 1); }

/// Every incident against every cell of its bounding square, one thread, no merging.
void naive_reference(benchmark::State& state) {
    const Points& all = distinct();
    const size_t n = 100000;
    const Grid& g = grid();
    Points p;
    p.x.assign(all.x.begin(), all.x.begin() + n), p.y.assign(all.y.begin(), all.y.begin() + n);
    const double updates = useful_updates(p);
    const double pi = 3.14159265358979323846;
    for (auto _ : state) {
        std::vector<double> v(g.cells(), 0.0);
        for (size_t i = 0; i < n; ++i) {
            const int64_t c0 = std::max<int64_t>(0, g.col_of(p.x[i] - h)), c1 = std::min<int64_t>(g.nx - 1, g.col_of(p.x[i] + h));
            const int64_t r0 = std::max<int64_t>(0, g.row_of(p.y[i] + h)), r1 = std::min<int64_t>(g.ny - 1, g.row_of(p.y[i] - h));
            for (int64_t r = r0; r <= r1; ++r)
                for (int64_t c = c0; c <= c1; ++c) {
                    const double dx = g.col_x(c) - p.x[i], dy = g.row_y(r) - p.y[i], d2 = dx * dx + dy * dy;
                    if (d2 < h * h) v[g.index(r, c)] += 3 / (pi * h * h) * (1 - d2 / (h * h)) * (1 - d2 / (h * h)) * 1e6;
                }
        }
        benchmark::DoNotOptimize(v.data());
    }
    state.counters["incidents"] = static_cast<double>(n);
    state.counters["updates/s"] = benchmark::Counter(updates, benchmark::Counter::kIsIterationInvariantRate);
}

/// The quartic inner loop of kde.cpp, over a 1,024-cell row in L1 with no per-point overhead:
/// an upper bound on what the density loop can reach per core.
void inner_loop_limit(benchmark::State& state) {
    std::vector<double> row(1024, 0.0), colx(1024);
    for (size_t c = 0; c < colx.size(); ++c) colx[c] = 12.5 + 25.0 * static_cast<double>(c);
    const double a = 1e10, f = 1e-20;
    double px = 0;
    for (auto _ : state) {
        double* __restrict r = row.data();
        const double* __restrict x = colx.data();
        for (size_t c = 0; c < 1024; ++c) {
            const double dx = x[c] - px;
            const double v = std::max(a - dx * dx, 0.0);
            const double fv = f * v;
            r[c] += fv * v;
        }
        px += 1;
        benchmark::ClobberMemory();
    }
    state.counters["updates/s"] = benchmark::Counter(1024, benchmark::Counter::kIsIterationInvariantRate);
}

/// Independent multiply-adds on 16 doubles (8 SSE2 vectors): the arithmetic peak of one core
/// in the instructions this build targets (x86-64 baseline: SSE2, no FMA).
void flop_limit(benchmark::State& state) {
    double acc[16];
    for (int i = 0; i < 16; ++i) acc[i] = i;
    const double m = 0.999999, c = 1e-6;
    for (auto _ : state) {
        for (int k = 0; k < 1000; ++k)
            for (int i = 0; i < 16; ++i) acc[i] = acc[i] * m + c;
        benchmark::DoNotOptimize(acc);
    }
    state.counters["flop/s"] = benchmark::Counter(2.0 * 16 * 1000, benchmark::Counter::kIsIterationInvariantRate);
}

// Study area of the real data: 1,005 LSOAs, 25 m cells.
struct RealArea {
    Areas areas;
    std::vector<const GEOSGeometry*> polygons;
    Grid grid;
};
const RealArea* real_area() {
    static const std::unique_ptr<RealArea> area = []() -> std::unique_ptr<RealArea> {
        const std::string path = std::string(SAFER_DATA_DIR) + "/avon-and-somerset/boundaries/lsoa_2011_avon_and_somerset.geojson";
        if (!std::filesystem::exists(path)) return nullptr;
        auto a = std::make_unique<RealArea>();
        Progress quiet(true);
        layers::AreaReport report;
        a->areas = layers::read_areas(path, layers::AreaOptions{}, report, quiet);
        Extent e;
        for (const auto& g : a->areas.geometry) {
            a->polygons.push_back(g.get());
            const geos::Envelope env = geos::envelope(g.get());
            e.add({env.min_x, env.min_y, env.max_x, env.max_y});
        }
        a->grid = Grid::covering(e, h, cell);
        return a;
    }();
    return area.get();
}

void lsoa_mask_25m(benchmark::State& state) {
    const RealArea* a = real_area();
    if (!a) return state.SkipWithError("no real data");
    for (auto _ : state) benchmark::DoNotOptimize(rasterize(a->grid, a->polygons).data());
    state.counters["cells"] = static_cast<double>(a->grid.cells());
}

void lsoa_edge_share_25m(benchmark::State& state) {
    const RealArea* a = real_area();
    if (!a) return state.SkipWithError("no real data");
    const std::vector<uint8_t> mask = rasterize(a->grid, a->polygons);
    tbb::task_arena arena(2);
    for (auto _ : state) arena.execute([&] { benchmark::DoNotOptimize(edge_share(a->grid, mask, Kernel::quartic, h).data()); });
    state.counters["cells"] = static_cast<double>(a->grid.cells());
}

} // namespace

BENCHMARK(clustered_1M_2threads)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);
BENCHMARK(clustered_1M_1thread)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);
BENCHMARK(distinct_1M_2threads)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);
BENCHMARK(distinct_1M_1thread)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);
BENCHMARK(naive_reference)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(inner_loop_limit)->UseRealTime();
BENCHMARK(flop_limit)->UseRealTime();
BENCHMARK(lsoa_mask_25m)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(lsoa_edge_share_25m)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
