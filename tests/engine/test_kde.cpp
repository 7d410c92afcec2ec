// Kernel density surfaces: each expected value is worked out here from the closed formula, not
// taken from what the code prints.
#include <catch2/catch.hpp>

#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "engine/errors.hpp"
#include "engine/geos.hpp"
#include "engine/kde.hpp"

using namespace safer;
using namespace safer::kde;

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr Kernel all_kernels[] = {Kernel::quartic, Kernel::epanechnikov, Kernel::triangular, Kernel::uniform,
                                  Kernel::gaussian};

/// The normalised kernels, per m², written out again from their textbook formulas.
double textbook(Kernel k, double h, double d) {
    switch (k) {
    case Kernel::quartic: return d < h ? 3 / (pi * h * h) * std::pow(1 - d * d / (h * h), 2) : 0;
    case Kernel::epanechnikov: return d < h ? 2 / (pi * h * h) * (1 - d * d / (h * h)) : 0;
    case Kernel::triangular: return d < h ? 3 / (pi * h * h) * (1 - d / h) : 0;
    case Kernel::uniform: return d < h ? 1 / (pi * h * h) : 0;
    case Kernel::gaussian:
        return d < 4 * h ? std::exp(-d * d / (2 * h * h)) / (2 * pi * h * h) / (1 - std::exp(-8.0)) : 0;
    }
    return 0;
}

Points random_points(size_t n, double x0, double y0, double side, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, side);
    Points p;
    for (size_t i = 0; i < n; ++i) {
        p.x.push_back(x0 + u(rng));
        p.y.push_back(y0 + u(rng));
    }
    return p;
}

/// ArcGIS Pro's default search radius for unit-weight points, computed here from its published
/// formula (Esri, "How Kernel Density works"): h = 0.9 · min(SD, √(1/ln 2) · Dm) · n^(−1/5),
/// SD the standard distance √(Σ((x − x̄)² + (y − ȳ)²) / n), Dm the median distance from the mean
/// centre (x̄, ȳ), the mean of the two middle distances for even n.
double arcgis_radius(const Points& p) {
    const double n = static_cast<double>(p.size());
    const double mx = std::accumulate(p.x.begin(), p.x.end(), 0.0) / n;
    const double my = std::accumulate(p.y.begin(), p.y.end(), 0.0) / n;
    std::vector<double> d;
    double squares = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        squares += (p.x[i] - mx) * (p.x[i] - mx) + (p.y[i] - my) * (p.y[i] - my);
        d.push_back(std::hypot(p.x[i] - mx, p.y[i] - my));
    }
    std::sort(d.begin(), d.end());
    const size_t k = d.size() / 2;
    const double median = d.size() % 2 ? d[k] : (d[k - 1] + d[k]) / 2;
    const double sd = std::sqrt(squares / n);
    return 0.9 * std::min(sd, std::sqrt(1 / std::log(2.0)) * median) * std::pow(n, -0.2);
}

double sum(const std::vector<float>& v) {
    double s = 0;
    for (float f : v) s += f;
    return s;
}

geos::Geometry wkt(const char* text) {
    GEOSWKTReader* reader = GEOSWKTReader_create_r(geos::context());
    GEOSGeometry* g = GEOSWKTReader_read_r(geos::context(), reader, text);
    GEOSWKTReader_destroy_r(geos::context(), reader);
    return geos::checked(g, "reading WKT");
}

geos::Geometry rectangle(double x0, double y0, double x1, double y1) {
    return geos::checked(GEOSGeom_createRectangle_r(geos::context(), x0, y0, x1, y1), "rectangle");
}

} // namespace

TEST_CASE("KDE: every kernel integrates to the number of incidents on a grid a bandwidth beyond them", "[kde]") {
    const Points points = random_points(200, 401000, 152000, 2000, 7);
    for (const Kernel k : all_kernels)
        for (const auto& [h, cell] : {std::pair{150.0, 10.0}, std::pair{400.0, 50.0}}) {
            INFO("kernel " << name(k) << ", h = " << h << ", cell = " << cell);
            const Grid g = Grid::covering(points.extent(), support_radius(k, h), cell);
            const double cell_km2 = cell * cell / 1e6;
            CHECK(sum(density(points, g, k, h, Units::per_km2)) * cell_km2 == Approx(200).epsilon(0.005));
            CHECK(sum(density(points, g, k, h, Units::probability)) * cell * cell == Approx(1).epsilon(0.005));
            // raw × the normalising constant is the density per m².
            const double constant = k == Kernel::quartic        ? 3 / (pi * h * h)
                                    : k == Kernel::epanechnikov ? 2 / (pi * h * h)
                                    : k == Kernel::triangular   ? 3 / (pi * h * h)
                                    : k == Kernel::uniform      ? 1 / (pi * h * h)
                                                                : 1 / (2 * pi * h * h * (1 - std::exp(-8.0)));
            CHECK(sum(density(points, g, k, h, Units::raw)) * constant * cell * cell == Approx(200).epsilon(0.005));
        }
}

TEST_CASE("KDE: a single incident gives the closed formula at hand-computed distances", "[kde]") {
    // Cells of 25 m; the incident at the centre of cell (row 20, col 20) = (512.5, 487.5).
    const Grid g{0, 1000, 25, 41, 41};
    REQUIRE(g.col_x(20) == 512.5);
    REQUIRE(g.row_y(20) == 487.5);
    Points one;
    one.x = {512.5};
    one.y = {487.5};
    const double h = 500;
    struct Probe {
        int64_t dr, dc;
        double d;
    };
    // Offsets in cells, and their distance worked by hand.
    const Probe probes[] = {
        {0, 0, 0},          // the incident's own cell
        {0, 1, 25},         //
        {-3, 4, 125},       // 75, 100, 125
        {0, 19, 475},       //
        {12, 15, 480.2343}, // √(300² + 375²) = 480.2343...
        {0, 20, 500},       // exactly h
        {12, -16, 500},     // 300, 400, 500: exactly h on a diagonal
        {-20, 0, 500},      // exactly h, north
        {20, 20, 707.1068}, // beyond h
    };
    for (const Kernel k : all_kernels) {
        const std::vector<float> v = density(one, g, k, h, Units::per_km2);
        for (const Probe& p : probes) {
            INFO("kernel " << name(k) << " at distance " << p.d);
            const double d = std::hypot(25.0 * static_cast<double>(p.dr), 25.0 * static_cast<double>(p.dc));
            REQUIRE(d == Approx(p.d).epsilon(1e-6));
            const double expected = textbook(k, h, d) * 1e6;
            const float got = v[g.index(20 + p.dr, 20 + p.dc)];
            if (expected == 0) CHECK(got == 0.0f);
            else CHECK(got == Approx(expected).epsilon(1e-6));
        }
    }
    // Per km² at the incident itself, quartic: 3/(π·500²)·10⁶ = 3.8197 incidents per km².
    CHECK(density(one, g, Kernel::quartic, h)[g.index(20, 20)] == Approx(3.819719).epsilon(1e-6));
    // The gaussian does not vanish at h: exp(−1/2)/(2π·500²·(1 − e⁻⁸))·10⁶ = 0.6065307/1570269.4·10⁶ = 0.386260.
    CHECK(density(one, g, Kernel::gaussian, h)[g.index(0, 20)] == Approx(0.386260).epsilon(1e-5));
}

TEST_CASE("KDE: an incident off the cell centres, and one outside the grid, still give the exact formula", "[kde]") {
    const Grid g{1000, 2000, 20, 30, 30};
    Points p;
    p.x = {1203.7, 980.0};  // the second lies 20 m west of the grid
    p.y = {1811.3, 1500.0};
    const double h = 150;
    const std::vector<float> v = density(p, g, Kernel::quartic, h);
    for (int64_t r = 0; r < g.ny; ++r)
        for (int64_t c = 0; c < g.nx; ++c) {
            double expected = 0;
            for (size_t i = 0; i < 2; ++i)
                expected += textbook(Kernel::quartic, h, std::hypot(g.col_x(c) - p.x[i], g.row_y(r) - p.y[i])) * 1e6;
            REQUIRE(v[g.index(r, c)] == Approx(expected).epsilon(1e-6).margin(1e-9));
        }
}

TEST_CASE("KDE: raw and per-km2 agree with QGIS's raw and the correctly scaled definitions", "[kde]") {
    // QGIS heatmap "raw": Σ (1 − d²/r²)². Scaled, correctly: 3/(πr²) · raw (QGIS 3.22 uses 21.75/(πr²)).
    const Grid g{0, 400, 10, 40, 40};
    Points p;
    p.x = {105, 180, 180};
    p.y = {295, 230, 230}; // the second incident twice
    const double r = 100;
    const int64_t cells[][2] = {{10, 10}, {10, 13}, {16, 17}, {12, 14}, {3, 10}};
    const std::vector<float> raw = density(p, g, Kernel::quartic, r, Units::raw);
    const std::vector<float> km2 = density(p, g, Kernel::quartic, r, Units::per_km2);
    for (const auto& [row, col] : cells) {
        double qgis_raw = 0;
        for (size_t i = 0; i < p.size(); ++i) {
            const double d2 = std::pow(g.col_x(col) - p.x[i], 2) + std::pow(g.row_y(row) - p.y[i], 2);
            if (d2 < r * r) qgis_raw += std::pow(1 - d2 / (r * r), 2);
        }
        INFO("cell " << row << ", " << col << ": QGIS raw " << qgis_raw);
        CHECK(qgis_raw > 0);
        CHECK(raw[g.index(row, col)] == Approx(qgis_raw).epsilon(1e-6));
        CHECK(km2[g.index(row, col)] == Approx(3 / (pi * r * r) * qgis_raw * 1e6).epsilon(1e-6));
    }
    // Cell (10, 10) is centred (105, 295): on the first incident; the others are
    // √(75² + 65²) = 99.25 m away: raw = 1 + 2·(1 − 0.98500)² = 1.00045.
    CHECK(raw[g.index(10, 10)] == Approx(1 + 2 * std::pow(1 - (75.0 * 75 + 65 * 65) / 1e4, 2)).epsilon(1e-6));
}

TEST_CASE("KDE: weighted, repeated and merged incidents give the same surface", "[kde]") {
    Points repeated = random_points(300, 0, 0, 1000, 11);
    // Every third point repeated at the same place.
    const size_t n = repeated.size();
    for (size_t i = 0; i < n; i += 3) {
        repeated.x.push_back(repeated.x[i]);
        repeated.y.push_back(repeated.y[i]);
    }
    Points weighted = random_points(300, 0, 0, 1000, 11);
    weighted.w.assign(weighted.size(), 1.0);
    for (size_t i = 0; i < n; i += 3) weighted.w[i] = 2;

    const Grid g = Grid::covering(repeated.extent(), 200, 10);
    for (const Kernel k : all_kernels)
        for (const Units u : {Units::per_km2, Units::raw, Units::probability}) {
            INFO("kernel " << name(k) << ", units " << name(u));
            const std::vector<float> a = density(repeated, g, k, 200, u, true);
            const std::vector<float> b = density(repeated, g, k, 200, u, false);
            const std::vector<float> c = density(weighted, g, k, 200, u, true);
            const std::vector<float> d = density(weighted, g, k, 200, u, false);
            // Merged repeats are the weighted points: the same sums in the same order.
            CHECK(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)) == 0);
            size_t differ = 0;
            for (size_t i = 0; i < a.size(); ++i) {
                REQUIRE(b[i] == Approx(a[i]).epsilon(1e-6).margin(1e-12));
                REQUIRE(d[i] == Approx(a[i]).epsilon(1e-6).margin(1e-12));
                differ += a[i] != b[i];
            }
            CHECK(differ < a.size() / 100); // last-bit differences at most, and rarely
        }
    const Points merged = merge_identical(repeated);
    CHECK(merged.size() == 300);
    CHECK(merged.total_weight() == 400);
}

TEST_CASE("KDE: many snapped incidents on few cells (a national year) give the closed formula summed over their places", "[kde]") {
    // 40,000 incidents at 300 map points on a 2 km square, 100 m cells: more than twice as many
    // incidents as cells, where the points are put in cell order by one counting pass.
    std::mt19937_64 rng(21);
    std::uniform_real_distribution<double> u(0.0, 2000.0);
    std::vector<double> px(300), py(300);
    for (size_t k = 0; k < 300; ++k) px[k] = 400000 + u(rng), py[k] = 200000 + u(rng);
    Points p;
    std::vector<double> count(300, 0);
    for (size_t i = 0; i < 40000; ++i) {
        const size_t k = rng() % 300;
        p.x.push_back(px[k]);
        p.y.push_back(py[k]);
        count[k] += 1;
    }
    const double h = 300;
    const Grid g = Grid::covering(p.extent(), h, 100);
    REQUIRE(g.cells() * 2 < p.size());
    for (const Kernel k : {Kernel::quartic, Kernel::triangular}) {
        const std::vector<float> v = density(p, g, k, h, Units::per_km2);
        for (int64_t r = 0; r < g.ny; ++r)
            for (int64_t c = 0; c < g.nx; ++c) {
                double expected = 0; // each place's count times the kernel at its distance
                for (size_t q = 0; q < 300; ++q) expected += count[q] * textbook(k, h, std::hypot(px[q] - g.col_x(c), py[q] - g.row_y(r))) * 1e6;
                INFO("kernel " << name(k) << ", row " << r << ", column " << c);
                REQUIRE(v[g.index(r, c)] == Approx(expected).epsilon(1e-5).margin(1e-6));
            }
    }
}

TEST_CASE("KDE: the result is bitwise the same on 1 and 2 threads", "[kde]") {
    Points p = random_points(20000, 350000, 150000, 5000, 3);
    // Some snapped duplicates, as police.uk has.
    for (size_t i = 0; i < 5000; ++i) {
        p.x.push_back(p.x[i * 3]);
        p.y.push_back(p.y[i * 3]);
    }
    for (const Kernel k : {Kernel::quartic, Kernel::gaussian, Kernel::triangular}) {
        const double h = k == Kernel::gaussian ? 60 : 250;
        const Grid g = Grid::covering(p.extent(), support_radius(k, h), 25);
        std::vector<float> one, two;
        tbb::task_arena(1).execute([&] { one = density(p, g, k, h); });
        tbb::task_arena(2).execute([&] { two = density(p, g, k, h); });
        REQUIRE(one.size() == two.size());
        CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
    }
}

TEST_CASE("KDE: edge correction makes a uniform pattern in a square flat up to its edges", "[kde]") {
    // Incidents on a 5 m lattice filling the square (0,0)-(2000,2000): 40,000 per km².
    Points lattice;
    for (int i = 0; i < 400; ++i)
        for (int j = 0; j < 400; ++j) {
            lattice.x.push_back(2.5 + 5 * i);
            lattice.y.push_back(2.5 + 5 * j);
        }
    const geos::Geometry square = rectangle(0, 0, 2000, 2000);
    StudyArea area{{square.get()}};
    for (const Kernel k : all_kernels) {
        INFO("kernel " << name(k));
        Options o;
        o.kernel = k;
        o.bandwidth = k == Kernel::gaussian ? 50 : 200;
        o.cell = 20;
        o.edge_correct = true;
        const Surface corrected = estimate(lattice, o, &area);
        o.edge_correct = false;
        const Surface plain = estimate(lattice, o, &area);
        REQUIRE(corrected.grid.cells() == plain.grid.cells());
        size_t inside = 0;
        double worst = 0, worst_plain = 1;
        for (size_t i = 0; i < corrected.value.size(); ++i) {
            if (!corrected.inside[i]) {
                REQUIRE(corrected.value[i] == nodata);
                continue;
            }
            ++inside;
            worst = std::max(worst, std::fabs(corrected.value[i] / 40000.0 - 1));
            worst_plain = std::min(worst_plain, plain.value[i] / 40000.0);
        }
        CHECK(inside == 100 * 100);
        INFO("worst departure from flat " << worst << ", lowest uncorrected " << worst_plain);
        CHECK(worst < 0.005);        // flat within 0.5 % everywhere, corners included
        CHECK(worst_plain < 0.35);   // uncorrected, a corner holds about a quarter of the kernel
        // A cell at the middle of an edge: the kernel is half in, half out.
        const std::vector<float> share = edge_share(plain.grid, plain.inside, k, *o.bandwidth);
        const int64_t r = plain.grid.row_of(1000.5), c = plain.grid.col_of(10);
        CHECK(share[plain.grid.index(r, c)] > 0.5);
        CHECK(share[plain.grid.index(r, c)] < 0.75);
        const int64_t mid = plain.grid.col_of(1000.5);
        CHECK(share[plain.grid.index(r, mid)] == Approx(1).epsilon(1e-6));
    }
}

TEST_CASE("KDE: edge share is the kernel's mass inside the study area", "[kde]") {
    // A straight edge through cell edges: a cell whose centre is t from the edge keeps the
    // share of the kernel within t of its centre on one side plus the whole other half.
    // For the uniform kernel that share is 1 − (θ − sinθ cosθ)/π with cosθ = t/h.
    const Grid g{-500, 500, 10, 100, 100};
    std::vector<uint8_t> mask(g.cells(), 0);
    for (int64_t r = 0; r < g.ny; ++r)
        for (int64_t c = 50; c < g.nx; ++c) mask[g.index(r, c)] = 1; // x >= 0
    const double h = 200;
    const std::vector<float> share = edge_share(g, mask, Kernel::uniform, h);
    for (int64_t c = 50; c < 75; ++c) {
        const double t = g.col_x(c); // 5, 15, ... metres from the edge
        const double theta = t < h ? std::acos(t / h) : 0; // beyond h the whole disc is inside
        const double expected = 1 - (theta - std::sin(theta) * std::cos(theta)) / pi;
        INFO("t = " << t);
        CHECK(share[g.index(50, c)] == Approx(expected).margin(0.004));
    }
    CHECK(share[g.index(50, 49)] == 0.0f); // outside the mask
}

TEST_CASE("KDE: auto bandwidth follows the ArcGIS rule on hand examples", "[kde]") {
    SECTION("the standard distance is the smaller term") {
        // Corners of a 10 m square and its centre: mean centre (5, 5); distances 0 and four of √50.
        // SD = √(4·50/5) = √40; Dm = √50; √(1/ln 2)·√50 = 8.49 > √40 = 6.32.
        Points p;
        p.x = {0, 10, 0, 10, 5};
        p.y = {0, 0, 10, 10, 5};
        CHECK(auto_bandwidth(p) == Approx(0.9 * std::sqrt(40.0) * std::pow(5.0, -0.2)).epsilon(1e-12));
    }
    SECTION("the median distance is the smaller term, and weights count as repeats") {
        // (±1, 0), (0, ±1), (±50, 0): mean centre (0, 0); distances 1, 1, 1, 1, 50, 50.
        // SD = √((4 + 5000)/6) = 28.88; Dm = (1 + 1)/2 = 1 (cumulative weight reaches W/2 = 3 at the
        // third distance: the midpoint of the third and fourth); √(1/ln 2)·1 = 1.2011.
        Points p;
        p.x = {1, -1, 0, 0, 50, -50};
        p.y = {0, 0, 1, -1, 0, 0};
        const double expected = 0.9 * std::sqrt(1 / std::log(2.0)) * 1.0 * std::pow(6.0, -0.2);
        CHECK(auto_bandwidth(p) == Approx(expected).epsilon(1e-12));
        Points w = p;
        w.w = {2, 2, 2, 2, 2, 2};
        Points twice = p;
        twice.x.insert(twice.x.end(), p.x.begin(), p.x.end());
        twice.y.insert(twice.y.end(), p.y.begin(), p.y.end());
        CHECK(auto_bandwidth(w) == Approx(auto_bandwidth(twice)).epsilon(1e-12));
        CHECK(auto_bandwidth(w) == Approx(0.9 * std::sqrt(1 / std::log(2.0)) * std::pow(12.0, -0.2)).epsilon(1e-12));
    }
    SECTION("an odd count takes the middle distance") {
        // (0,0), (3,0), (-3,0), (0,6), (0,-6): mean (0,0); distances 0, 3, 3, 6, 6; Dm = 3;
        // SD = √((9+9+36+36)/5) = √18 = 4.243; √(1/ln 2)·3 = 3.603.
        Points p;
        p.x = {0, 3, -3, 0, 0};
        p.y = {0, 0, 0, 6, -6};
        CHECK(auto_bandwidth(p) == Approx(0.9 * 3 * std::sqrt(1 / std::log(2.0)) * std::pow(5.0, -0.2)).epsilon(1e-12));
    }
    SECTION("all at one place cannot be measured") {
        Points p;
        p.x = {5, 5};
        p.y = {7, 7};
        CHECK_THROWS_AS(auto_bandwidth(p), InputError);
        CHECK_THROWS_AS(auto_bandwidth(Points{}), InputError);
    }
}

TEST_CASE("KDE: auto cell is the shorter side / 250 rounded to 1, 2, 2.5 or 5 x 10^k", "[kde]") {
    CHECK(nice_cell(160) == 200);
    CHECK(nice_cell(120) == 100);
    CHECK(nice_cell(3.1) == 2.5);
    CHECK(nice_cell(7.5) == 10);
    CHECK(nice_cell(0.037) == Approx(0.05));
    CHECK(nice_cell(25) == 25);
    CHECK(auto_cell(Extent{0, 0, 40000, 40000}) == 200);      // 160
    CHECK(auto_cell(Extent{0, 0, 90000, 12000}) == 50);       // 48
    CHECK(auto_cell(Extent{0, 0, 5000, 0}) == 20);            // a line: the longer side
    CHECK_THROWS_AS(auto_cell(Extent{3, 3, 3, 3}), InputError);
}

TEST_CASE("KDE: bad parameters are refused with a clear message, doubtful ones warned about", "[kde]") {
    const Extent e{0, 0, 40000, 40000};
    CHECK_THROWS_WITH(plan_grid(e, Kernel::quartic, 0, 25), Catch::Contains("bandwidth must be more than 0"));
    CHECK_THROWS_AS(plan_grid(e, Kernel::quartic, -400, 25), InputError);
    CHECK_THROWS_WITH(plan_grid(e, Kernel::quartic, 400, 0), Catch::Contains("cell size must be more than 0"));
    CHECK_THROWS_AS(plan_grid(e, Kernel::quartic, 400, -1), InputError);
    CHECK_THROWS_AS(plan_grid(e, Kernel::quartic, 400, std::nan("")), InputError);
    CHECK_THROWS_WITH(plan_grid(e, Kernel::quartic, 400, 4001), Catch::Contains("more than 10 bandwidths"));
    CHECK_NOTHROW(plan_grid(e, Kernel::quartic, 400, 4000));
    // 1 m cells over 40.8 km: 1.66 billion cells, 25 GB; 5 m cells (66.6 M cells, 1016 MB) fit in 1 GiB.
    try {
        plan_grid(e, Kernel::quartic, 400, 1);
        FAIL("expected an InputError");
    } catch (const InputError& error) {
        const std::string m = error.what();
        INFO(m);
        CHECK(m.find("1,664,640,000 cells") != std::string::npos);
        CHECK(m.find("25,401 MB") != std::string::npos);
        CHECK(m.find("--cell 5 or larger") != std::string::npos);
    }
    {
        const GridPlan p = plan_grid(e, Kernel::quartic, 400, 25);
        CHECK(p.warnings.empty());
        CHECK(p.grid.nx == 1632);
        CHECK(p.grid.ny == 1632);
        CHECK(p.grid.x0 == -400);
        CHECK(p.grid.y0 == 40400);
    }
    {
        const GridPlan p = plan_grid(e, Kernel::quartic, 400, 250);
        REQUIRE(p.warnings.size() == 1);
        CHECK_THAT(p.warnings[0], Catch::Contains("less than 2 cells"));
    }
    {
        const GridPlan p = plan_grid(e, Kernel::quartic, 400, 5, uint64_t{4} << 30);
        REQUIRE(p.warnings.size() == 1);
        CHECK_THAT(p.warnings[0], Catch::Contains("more than 50 million"));
    }
    Options o;
    o.bandwidth = 100;
    o.cell = 10;
    CHECK_THROWS_WITH(estimate(Points{}, o), Catch::Contains("no incidents"));
    Points p;
    p.x = {1, 2};
    p.y = {1, 2};
    p.w = {1, -1};
    CHECK_THROWS_WITH(estimate(p, o), Catch::Contains("weight"));
    p.w = {1, std::nan("")};
    CHECK_THROWS_AS(estimate(p, o), InputError);
    p.w.clear();
    p.x[1] = INFINITY;
    CHECK_THROWS_WITH(estimate(p, o), Catch::Contains("not a number"));
    p.x[1] = 2;
    o.edge_correct = true;
    CHECK_THROWS_WITH(estimate(p, o), Catch::Contains("needs a study area"));
    o.edge_correct = false;
    StudyArea nothing;
    CHECK_THROWS_WITH(estimate(p, o, &nothing), Catch::Contains("no polygons"));
    const geos::Geometry line = wkt("LINESTRING (0 0, 10 10)");
    StudyArea lines{{line.get()}};
    CHECK_THROWS_WITH(estimate(p, o, &lines), Catch::Contains("no polygons"));
}

TEST_CASE("KDE: the study-area mask matches GEOS point-in-polygon at every cell centre", "[kde]") {
    const geos::Geometry shapes = wkt(
        "MULTIPOLYGON (((103.3 201.7, 611.1 150.2, 880.9 520.4, 590.2 930.8, 160.6 700.3, 103.3 201.7),"
        "(300.1 400.2, 500.3 380.7, 450.9 600.1, 300.1 400.2)),"
        "((900.7 900.3, 990.1 910.9, 950.4 990.2, 900.7 900.3)))");
    const geos::Geometry other = wkt("POLYGON ((-50.3 -40.2, 120.9 -30.7, 80.1 90.3, -50.3 -40.2))");
    const Grid g{-100, 1000, 10, 110, 110};
    const GEOSGeometry* polygons[] = {shapes.get(), other.get()};
    const std::vector<uint8_t> mask = rasterize(g, polygons);
    size_t inside = 0;
    for (int64_t r = 0; r < g.ny; ++r)
        for (int64_t c = 0; c < g.nx; ++c) {
            const geos::Geometry pt = geos::point(g.col_x(c), g.row_y(r));
            const bool expected = GEOSContains_r(geos::context(), shapes.get(), pt.get()) == 1 ||
                                  GEOSContains_r(geos::context(), other.get(), pt.get()) == 1;
            INFO("cell " << r << ", " << c);
            REQUIRE(static_cast<bool>(mask[g.index(r, c)]) == expected);
            inside += expected;
        }
    CHECK(inside > 3000);
}

TEST_CASE("KDE: centres on a shared edge belong to one of the two polygons, never neither", "[kde]") {
    // Cell centres at x = 5, 15, ..., 195; the edge x = 105 runs through the column of centres x = 105,
    // and y = 55 through the row of centres y = 55.
    const Grid g{0, 100, 10, 20, 10};
    const geos::Geometry west = rectangle(0, 0, 105, 100), east = rectangle(105, 0, 200, 55),
                         north_east = rectangle(105, 55, 200, 100);
    {
        const GEOSGeometry* polygons[] = {west.get(), east.get(), north_east.get()};
        const std::vector<uint8_t> mask = rasterize(g, polygons);
        CHECK(std::accumulate(mask.begin(), mask.end(), size_t{0}) == g.cells());
    }
    {
        // Alone, the west rectangle excludes the column of centres on its east edge and the east
        // rectangle includes it (west edges in, east edges out); the row of centres on the east
        // rectangle's north edge y = 55 is out of it (south edges in, north edges out).
        const GEOSGeometry* w[] = {west.get()};
        const GEOSGeometry* e[] = {east.get()};
        const std::vector<uint8_t> mw = rasterize(g, w), me = rasterize(g, e);
        const int64_t r55 = g.row_of(55.0 + 1e-9); // the row centred on y = 55
        REQUIRE(g.row_y(r55) == 55);
        CHECK(mw[g.index(0, 10)] == 0); // x = 105
        CHECK(mw[g.index(0, 9)] == 1);  // x = 95
        CHECK(me[g.index(r55, 10)] == 0); // on the north edge of `east`
        CHECK(me[g.index(r55 + 1, 10)] == 1);
    }
}

TEST_CASE("KDE: hotspot classes take the top 1, 5 and 10 % of cells and the incidents in them", "[kde]") {
    // 20 × 10 cells of 10 m, valued 1..200 from the south-west; 10 cells nodata; 10 zero.
    const Grid g{0, 100, 10, 20, 10};
    std::vector<float> v(g.cells());
    for (int64_t r = 0; r < g.ny; ++r)
        for (int64_t c = 0; c < g.nx; ++c) v[g.index(r, c)] = static_cast<float>((g.ny - 1 - r) * g.nx + c + 1);
    for (int64_t c = 0; c < 10; ++c) v[g.index(9, c)] = nodata; // values 1..10
    for (int64_t c = 10; c < 20; ++c) v[g.index(9, c)] = 0;     // values 11..20
    // 190 valid cells: top 1 % = 2 cells (200, 199), 5 % = 10 cells (200..191), 10 % = 19 cells (200..182).
    Points p;
    auto at = [&](int64_t r, int64_t c, double w) {
        p.x.push_back(g.col_x(c));
        p.y.push_back(g.row_y(r));
        p.w.push_back(w);
    };
    at(0, 19, 3);  // value 200
    at(0, 18, 1);  // 199
    at(0, 12, 2);  // 193: the 5 % class
    at(1, 19, 4);  // 180: no class
    at(9, 0, 5);   // nodata: not counted
    at(9, 15, 1);  // a zero cell
    p.x.push_back(5000); // outside the grid
    p.y.push_back(5000);
    p.w.push_back(7);
    const Hotspots h = hotspot_classes(g, v, p);
    CHECK(h.valid_cells == 190);
    CHECK(h.weight_total == 23);
    CHECK(h.weight_in_surface == 11);
    CHECK(h.classes[0].percent == 1);
    CHECK(h.classes[0].threshold == 199);
    CHECK(h.classes[0].cells == 2);
    CHECK(h.classes[0].area_m2 == 200);
    CHECK(h.classes[0].weight == 4);
    CHECK(h.classes[0].share == Approx(4.0 / 11));
    CHECK(h.classes[1].threshold == 191);
    CHECK(h.classes[1].cells == 10);
    CHECK(h.classes[1].weight == 6);
    CHECK(h.classes[2].threshold == 182);
    CHECK(h.classes[2].cells == 19);
    CHECK(h.classes[2].weight == 6);
    CHECK(h.cell_class[g.index(0, 19)] == 1);
    CHECK(h.cell_class[g.index(0, 12)] == 5);
    CHECK(h.cell_class[g.index(0, 1)] == 10);  // 182
    CHECK(h.cell_class[g.index(0, 0)] == 0);   // 181
    CHECK(h.cell_class[g.index(1, 19)] == 0);  // 180
    CHECK(h.cell_class[g.index(9, 15)] == 0);  // zero
}

TEST_CASE("KDE: grids snap outward to whole cells; kernel and unit names parse", "[kde]") {
    // (1003, 2007)–(1990, 2999) grown by 400: (603, 1607)–(2390, 3399); 25 m cells snap that
    // to (600, 1600)–(2400, 3400): 72 × 72 cells.
    const Grid g = Grid::covering(Extent{1003, 2007, 1990, 2999}, 400, 25);
    CHECK(g.x0 == 600);
    CHECK(g.y0 == 3400);
    CHECK(g.nx == 72);
    CHECK(g.ny == 72);
    CHECK(g.east() == 2400);
    CHECK(g.south() == 1600);
    CHECK(g.col_x(0) == 612.5);
    CHECK(g.row_y(0) == 3387.5);
    CHECK(g.row_of(3400) == 0);     // the north edge belongs to row 0
    CHECK(g.row_of(3375) == 1);     // a shared edge goes south
    CHECK(g.col_of(625) == 1);      // and east
    CHECK(g.col_of(1e300) > g.nx);  // far off: out of range, no overflow
    CHECK(Grid::cells_covering(Extent{1003, 2007, 1990, 2999}, 400, 25) == 72.0 * 72.0);
    for (const Kernel k : all_kernels) CHECK(parse_kernel(name(k)) == k);
    CHECK(!parse_kernel("cosine"));
    for (const Units u : {Units::per_km2, Units::raw, Units::probability}) CHECK(parse_units(name(u)) == u);
    CHECK(!parse_units("per-m2"));
    CHECK(support_radius(Kernel::gaussian, 100) == 400);
    CHECK(support_radius(Kernel::quartic, 100) == 100);
    CHECK(shape(Kernel::quartic, 100, 100) == 0);
    CHECK(shape(Kernel::uniform, 100, 99.999) == 1);
    CHECK(shape(Kernel::uniform, 100, 100) == 0);
    CHECK_THAT(formulas(), Catch::Contains("3/(pi h^2) (1 - d^2/h^2)^2"));
}

TEST_CASE("KDE: estimate over a study area reports what it used", "[kde]") {
    Points p = random_points(500, 0, 0, 3000, 21);
    const geos::Geometry area = rectangle(0, 0, 3000, 3000);
    StudyArea study{{area.get()}};
    Options o; // auto bandwidth and cell
    const Surface s = estimate(p, o, &study);
    CHECK(s.bandwidth_auto);
    CHECK(s.cell_auto);
    CHECK(s.grid.cell == 10); // 3000 / 250 = 12 -> 10
    CHECK(s.bandwidth == Approx(arcgis_radius(p)).epsilon(1e-9));
    CHECK(s.incidents == 500);
    CHECK(s.locations == 500);
    CHECK(s.total_weight == 500);
    CHECK(s.grid.x0 <= -s.bandwidth);
    CHECK(s.grid.east() >= 3000 + s.bandwidth);
    size_t inside = 0;
    for (uint8_t m : s.inside) inside += m;
    CHECK(inside == 300 * 300);
    const Hotspots h = hotspot_classes(s.grid, s.value, p);
    CHECK(h.valid_cells == 300 * 300);
    CHECK(h.weight_in_surface == 500);
    CHECK(h.classes[0].cells >= 900);
    CHECK(h.classes[0].share > 0.01);
    CHECK(h.classes[0].share <= h.classes[1].share);
    CHECK(h.classes[1].share <= h.classes[2].share);
}

TEST_CASE("KDE: incidents all at one place take the fallback bandwidth, if one is given, and say so", "[kde]") {
    Points p;
    p.x = {1000, 1000, 1000};
    p.y = {2000, 2000, 2000};
    Options o;
    o.cell = 10;
    CHECK_THROWS_AS(estimate(p, o), InputError); // nothing to measure a bandwidth from, and no fallback
    o.fallback_bandwidth = 250;
    const Surface s = estimate(p, o);
    CHECK(s.bandwidth == 250);
    CHECK(s.bandwidth_fallback);
    CHECK_FALSE(s.bandwidth_auto);
    REQUIRE(s.warnings.size() == 1);
    CHECK_THAT(s.warnings[0], Catch::Contains("all at one place") && Catch::Contains("250 m"));
    // Where the rule can measure, the fallback is not used.
    p.x = {1000, 1400, 900};
    const Surface measured = estimate(p, o);
    CHECK(measured.bandwidth_auto);
    CHECK_FALSE(measured.bandwidth_fallback);
    // Mean centre (1100, 2000); distances 100, 300, 200: SD = √(140000/3) = 216.0 m; Dm = 200 m and
    // √(1/ln 2) · 200 = 240.2 m, so SD is the smaller term.
    CHECK(measured.bandwidth == Approx(0.9 * std::sqrt(140000.0 / 3) * std::pow(3.0, -0.2)).epsilon(1e-12));
}

TEST_CASE("KDE: hotspot thresholds by radix selection equal the ceil(pN/100)-th highest by a full sort", "[kde]") {
    // Surfaces of many sizes with ties, zeros and nodata: the threshold of each class is the
    // value a descending sort of the positive cells puts at rank ceil(p N / 100), N the valid cells
    // (or the smallest positive value when there are fewer positive cells than that).
    std::mt19937 random(11);
    for (int trial = 0; trial < 60; ++trial) {
        Grid g;
        g.x0 = 0, g.y0 = 1000, g.cell = 10;
        g.nx = 1 + static_cast<int64_t>(random() % 300), g.ny = 1 + static_cast<int64_t>(random() % 200);
        std::vector<float> v(g.cells());
        const int kind = trial % 4;
        for (float& x : v) {
            const uint32_t r = random() % 100;
            if (r < 10) x = nodata;
            else if (r < 10 + 20 * (kind == 1)) x = 0;
            else if (kind == 2) x = static_cast<float>(random() % 7); // heavy ties
            else if (kind == 3) x = std::ldexp(static_cast<float>(random() % 1000 + 1), static_cast<int>(random() % 40) - 20); // wide range
            else x = std::uniform_real_distribution<float>(0, 500)(random);
        }
        Points p;
        const Hotspots h = hotspot_classes(g, v, p);
        std::vector<float> positive;
        size_t valid = 0;
        for (float x : v) {
            if (x == nodata) continue;
            ++valid;
            if (x > 0) positive.push_back(x);
        }
        std::sort(positive.begin(), positive.end(), std::greater<float>());
        REQUIRE(h.valid_cells == valid);
        const int percents[3] = {1, 5, 10};
        for (int i = 0; i < 3; ++i) {
            if (positive.empty()) continue;
            const size_t k = std::max<size_t>(1, (static_cast<size_t>(percents[i]) * valid + 99) / 100);
            const float expected = positive[std::min(k, positive.size()) - 1];
            INFO("trial " << trial << " class " << percents[i] << " k " << k << " of " << positive.size());
            CHECK(h.classes[static_cast<size_t>(i)].threshold == expected);
            const size_t cells = static_cast<size_t>(std::count_if(v.begin(), v.end(), [&](float x) { return x != nodata && x > 0 && x >= expected; }));
            CHECK(h.classes[static_cast<size_t>(i)].cells == cells);
        }
    }
}

TEST_CASE("KDE: the bandwidth scale from the places the density step merged equals the one from every incident", "[kde]") {
    // Incidents snapped to a few hundred map points, many at the same one (as police.uk's are):
    // the density step's merged places and a hash of every incident give one median spacing.
    std::mt19937 random(5);
    Points p;
    std::vector<std::pair<double, double>> places;
    for (int i = 0; i < 400; ++i)
        places.emplace_back(std::uniform_real_distribution<double>(0, 5000)(random), std::uniform_real_distribution<double>(0, 4000)(random));
    for (int i = 0; i < 20000; ++i) {
        const auto& [x, y] = places[static_cast<size_t>(random() % places.size())];
        p.x.push_back(x), p.y.push_back(y);
    }
    Options o;
    o.bandwidth = 300;
    o.cell = 50;
    const Surface s = estimate(p, o);
    REQUIRE(s.place_x.size() == s.locations);
    const BandwidthScale a = bandwidth_scale(p, 300, Extent{});
    const BandwidthScale b = bandwidth_scale_of_places(s.place_x, s.place_y, 300, p.extent());
    CHECK(a.spacing == b.spacing);
    CHECK(a.extent_side == b.extent_side);
    // And by hand: the median over the places of the distance to the nearest other one.
    std::vector<double> nearest;
    std::sort(places.begin(), places.end());
    places.erase(std::unique(places.begin(), places.end()), places.end());
    for (size_t i = 0; i < places.size(); ++i) {
        double best = 1e300;
        for (size_t j = 0; j < places.size(); ++j)
            if (j != i) best = std::min(best, std::hypot(places[i].first - places[j].first, places[i].second - places[j].second));
        nearest.push_back(best);
    }
    std::sort(nearest.begin(), nearest.end());
    const size_t n = nearest.size();
    CHECK(a.spacing == Approx(n % 2 ? nearest[n / 2] : (nearest[n / 2 - 1] + nearest[n / 2]) / 2).epsilon(1e-12));
}
