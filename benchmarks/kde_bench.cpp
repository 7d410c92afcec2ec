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
//   inner_loop_limit   the quartic inner loop alone over rows held in L1, one thread, no
//                      per-point work: the most it can do per core on this machine
//   flop_limit         independent double multiply-adds, one thread: the arithmetic peak
// "visits/s" counts every cell the inner loop runs over (it runs over the whole square around a
// location, 4/π of the disc: see kde.cpp); "updates/s" only those within h.
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

struct Work {
    double useful = 0; // cells within h of a distinct location: the kernel evaluations that matter
    double visited = 0; // cells the inner loop runs over (the square around each location, in whole vectors)
};
Work work(const Points& points) {
    const Points m = merge_identical(points);
    const Grid& g = grid();
    Work w;
    const double reach = h / cell;
    for (size_t i = 0; i < m.size(); ++i) {
        const double xr = (m.x[i] - g.x0) / cell - 0.5;
        const int64_t c0 = std::max<int64_t>(0, static_cast<int64_t>(xr - reach));
        const int64_t c1 = std::min<int64_t>(g.nx - 1, static_cast<int64_t>(xr + reach) + 1);
        const double width = static_cast<double>((c1 - c0 + 4) & ~int64_t{3});
        for (int64_t r = 0; r < g.ny; ++r) {
            const double dy = g.row_y(r) - m.y[i];
            if (dy * dy >= h * h) continue;
            w.visited += width;
            for (int64_t c = c0; c <= c1; ++c) {
                const double dx = g.col_x(c) - m.x[i];
                w.useful += dx * dx + dy * dy < h * h;
            }
        }
    }
    return w;
}

void run_density(benchmark::State& state, const Points& points, int threads) {
    const Work w = work(points);
    tbb::task_arena arena(threads);
    for (auto _ : state) {
        std::vector<float> v;
        arena.execute([&] { v = density(points, grid(), Kernel::quartic, h); });
        benchmark::DoNotOptimize(v.data());
    }
    state.counters["cells"] = static_cast<double>(grid().cells());
    state.counters["locations"] = static_cast<double>(merge_identical(points).size());
    state.counters["updates/s"] = benchmark::Counter(w.useful, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["visits/s"] = benchmark::Counter(w.visited, benchmark::Counter::kIsIterationInvariantRate);
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
    const double updates = work(p).useful;
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

/// The quartic inner loop of kde.cpp (add_row), compiled the same way (AVX2 and baseline clones,
/// picked by the CPU).
[[gnu::target_clones("avx2", "default"), gnu::noinline]] void quartic_row(double* __restrict row, const double* __restrict dx2,
                                                                       int64_t n, double a, double f) {
    for (int64_t c = 0; c < n; ++c) {
        const double v = std::max(a - dx2[c], 0.0);
        const double fv = f * v;
        row[c] += fv * v;
    }
}

/// That loop alone, over rows held in L1, one thread, with no per-point work: 36 cells a row as
/// in the density step (h = 16 cells), and 1,024 (a long row: the vector units' own limit).
void inner_loop_limit(benchmark::State& state) {
    const int64_t n = state.range(0);
    std::vector<double> row(static_cast<size_t>(n) * 32, 0.0), dx2(static_cast<size_t>(n));
    for (int64_t c = 0; c < n; ++c) dx2[static_cast<size_t>(c)] = std::pow(25.0 * static_cast<double>(c - n / 2), 2);
    double a = 1.6e5;
    for (auto _ : state) {
        for (int64_t r = 0; r < 32; ++r) quartic_row(row.data() + r * n, dx2.data(), n, a, 1e-20);
        a += 1;
        benchmark::ClobberMemory();
    }
    state.counters["updates/s"] = benchmark::Counter(static_cast<double>(32 * n), benchmark::Counter::kIsIterationInvariantRate);
}

/// Independent multiply-adds on 32 doubles, one thread, in the same two clones: the arithmetic
/// peak of one core without FMA (which the build does not use, so that results do not depend on
/// the machine).
[[gnu::target_clones("avx2", "default"), gnu::noinline]] void multiply_adds(double* __restrict acc, int64_t rounds) {
    const double m = 0.999999, c = 1e-6;
    for (int64_t k = 0; k < rounds; ++k)
        for (int i = 0; i < 32; ++i) acc[i] = acc[i] * m + c;
}
void flop_limit(benchmark::State& state) {
    alignas(64) double acc[32];
    for (int i = 0; i < 32; ++i) acc[i] = i;
    for (auto _ : state) {
        multiply_adds(acc, 1000);
        benchmark::DoNotOptimize(acc);
    }
    state.counters["flop/s"] = benchmark::Counter(2.0 * 32 * 1000, benchmark::Counter::kIsIterationInvariantRate);
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

// On a shared machine other work inflates wall times; the minimum over repetitions is the
// figure to quote (`--benchmark_repetitions=N`, default 5 here, reports mean, median, stddev, min).
double minimum(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
#define SAFER_KDE_BENCH(name) BENCHMARK(name)->UseRealTime()->Repetitions(5)->ComputeStatistics("min", minimum)
SAFER_KDE_BENCH(clustered_1M_2threads)->Unit(benchmark::kMillisecond)->MinTime(1);
SAFER_KDE_BENCH(clustered_1M_1thread)->Unit(benchmark::kMillisecond)->MinTime(1);
SAFER_KDE_BENCH(distinct_1M_2threads)->Unit(benchmark::kMillisecond)->MinTime(1);
SAFER_KDE_BENCH(distinct_1M_1thread)->Unit(benchmark::kMillisecond)->MinTime(1);
BENCHMARK(naive_reference)->Unit(benchmark::kMillisecond)->UseRealTime();
SAFER_KDE_BENCH(inner_loop_limit)->Arg(36)->Arg(1024);
SAFER_KDE_BENCH(flop_limit);
SAFER_KDE_BENCH(lsoa_mask_25m)->Unit(benchmark::kMillisecond);
SAFER_KDE_BENCH(lsoa_edge_share_25m)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
