#include "engine/kde.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>
#include <tbb/parallel_sort.h>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <numbers>
#include <limits>
#include <numeric>
#include <utility>

#include "engine/errors.hpp"
#include "engine/geos.hpp"
#include "engine/incidents.hpp"
#include "engine/text.hpp"

namespace safer::kde {

namespace {

constexpr double pi = std::numbers::pi;
// 1 − e^(−c²/2): the share of a 2-D gaussian's mass within c standard deviations.
const double gaussian_kept = -std::expm1(-gaussian_cutoff * gaussian_cutoff / 2);

struct KernelName {
    Kernel kernel;
    std::string_view name;
};
constexpr KernelName kernel_names[] = {{Kernel::quartic, "quartic"},
                                       {Kernel::epanechnikov, "epanechnikov"},
                                       {Kernel::triangular, "triangular"},
                                       {Kernel::uniform, "uniform"},
                                       {Kernel::gaussian, "gaussian"}};

/// Drops trailing zeros: 25 -> "25", 2.5 -> "2.5", 0.125 -> "0.125".
std::string metres(double value) { return fmt::format("{:g}", value); }

void check_points(const Points& points) {
    if (points.x.size() != points.y.size() || (!points.w.empty() && points.w.size() != points.x.size()))
        throw std::invalid_argument("kde::Points: x, y and w differ in length");
    const auto bad = [&](size_t i) {
        const double w = points.weight(i);
        return !std::isfinite(points.x[i]) || !std::isfinite(points.y[i]) || !std::isfinite(w) || w < 0;
    };
    // The first bad point, looked for on every core.
    const size_t n = points.size();
    const size_t i = tbb::parallel_reduce(
        tbb::blocked_range<size_t>(0, n, size_t{1} << 16), n,
        [&](const tbb::blocked_range<size_t>& r, size_t first) {
            for (size_t k = r.begin(); k != r.end() && k < first; ++k)
                if (bad(k)) return k;
            return first;
        },
        [](size_t a, size_t b) { return std::min(a, b); });
    if (i == n) return;
    if (!std::isfinite(points.x[i]) || !std::isfinite(points.y[i]))
        throw InputError(fmt::format("incident {} has a coordinate that is not a number ({}, {})", i + 1, points.x[i], points.y[i]));
    throw InputError(fmt::format("incident {} has weight {}: weights must be finite and 0 or more", i + 1, points.weight(i)));
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Names and formulas

std::optional<Kernel> parse_kernel(std::string_view text) {
    for (const auto& k : kernel_names)
        if (k.name == text) return k.kernel;
    if (text == "biweight") return Kernel::quartic;
    return std::nullopt;
}

std::string_view name(Kernel k) {
    for (const auto& n : kernel_names)
        if (n.kernel == k) return n.name;
    return "?";
}

std::optional<Units> parse_units(std::string_view text) {
    if (text == "per-km2") return Units::per_km2;
    if (text == "raw") return Units::raw;
    if (text == "probability") return Units::probability;
    return std::nullopt;
}

std::string_view name(Units u) {
    switch (u) {
    case Units::per_km2: return "per-km2";
    case Units::raw: return "raw";
    case Units::probability: return "probability";
    }
    return "?";
}

std::string formulas() {
    return "Kernels, for distance d < support (0 beyond; h = bandwidth):\n"
           "  quartic       3/(pi h^2) (1 - d^2/h^2)^2        support h  (default)\n"
           "  epanechnikov  2/(pi h^2) (1 - d^2/h^2)          support h\n"
           "  triangular    3/(pi h^2) (1 - d/h)              support h\n"
           "  uniform       1/(pi h^2)                        support h\n"
           "  gaussian      exp(-d^2/(2h^2)) / (2 pi h^2 (1 - e^-8))   support 4h (h = sigma; truncated\n"
           "                at 4 sigma, renormalised to integrate to 1)\n"
           "Units at a cell centre s, incidents p_i with weights w_i, total weight W:\n"
           "  per-km2      1e6 * sum w_i K(|s - p_i|)     incidents per km2\n"
           "  raw          sum w_i shape(|s - p_i|)      shape = kernel without its constant, as QGIS 'raw'\n"
           "  probability  sum w_i K(|s - p_i|) / W      per m2\n"
           "Edge correction (Diggle 1985): f(s) / c(s), c(s) = integral over the study area A of K(s - u) du,\n"
           "  computed on the grid: A as its cells, the kernel integrated over each cell.\n"
           "Auto bandwidth (ArcGIS): h = 0.9 min(SD, sqrt(1/ln 2) Dm) n^(-1/5); SD standard distance, Dm median\n"
           "  distance from the mean centre, n total weight. Auto cell: shorter side of the extent / 250,\n"
           "  rounded to 1, 2, 2.5 or 5 x 10^k.";
}

double support_radius(Kernel k, double h) { return k == Kernel::gaussian ? gaussian_cutoff * h : h; }

double shape(Kernel k, double h, double d) {
    d = std::fabs(d);
    if (!(d < support_radius(k, h))) return 0.0;
    const double u = d / h;
    switch (k) {
    case Kernel::quartic: return (1 - u * u) * (1 - u * u);
    case Kernel::epanechnikov: return 1 - u * u;
    case Kernel::triangular: return 1 - u;
    case Kernel::uniform: return 1;
    case Kernel::gaussian: return std::exp(-u * u / 2);
    }
    return 0.0;
}

double normaliser(Kernel k, double h) {
    const double a = pi * h * h;
    switch (k) {
    case Kernel::quartic: return 3 / a;
    case Kernel::epanechnikov: return 2 / a;
    case Kernel::triangular: return 3 / a;
    case Kernel::uniform: return 1 / a;
    case Kernel::gaussian: return 1 / (2 * a * gaussian_kept);
    }
    return 0.0;
}

// ---------------------------------------------------------------------------------------------
// Points

double Points::total_weight() const {
    if (w.empty()) return static_cast<double>(x.size());
    return std::accumulate(w.begin(), w.end(), 0.0);
}

Extent Points::extent() const {
    return tbb::parallel_reduce(
        tbb::blocked_range<size_t>(0, x.size(), size_t{1} << 16), Extent{},
        [&](const tbb::blocked_range<size_t>& r, Extent e) {
            for (size_t i = r.begin(); i != r.end(); ++i) e.add(x[i], y[i]);
            return e;
        },
        [](Extent a, const Extent& b) {
            a.add(b);
            return a;
        });
}

Points merge_identical(const Points& points) {
    check_points(points);
    const size_t n = points.size();
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    // North to south, west to east, then input order so that weights are summed in input order.
    tbb::parallel_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        if (points.y[a] != points.y[b]) return points.y[a] > points.y[b];
        if (points.x[a] != points.x[b]) return points.x[a] < points.x[b];
        return a < b;
    });
    Points out;
    for (size_t k = 0; k < n; ++k) {
        const size_t i = order[k];
        if (k > 0 && points.x[i] == out.x.back() && points.y[i] == out.y.back()) {
            out.w.back() += points.weight(i);
        } else {
            out.x.push_back(points.x[i] + 0.0);
            out.y.push_back(points.y[i] + 0.0);
            out.w.push_back(points.weight(i));
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Bandwidth and cell

std::vector<double> nearest_other_distance(const std::vector<double>& x, const std::vector<double>& y) {
    const size_t n = x.size();
    std::vector<double> best(n, std::numeric_limits<double>::infinity());
    if (n < 2) return best;
    Extent e;
    for (size_t i = 0; i < n; ++i) e.add(x[i], y[i]);
    // A uniform grid of about one point a cell: each point searches square rings of cells outward
    // and stops once no point beyond the ring could be nearer than the best found. A point in ring
    // r + 1 or beyond lies at least r cells away across x or y, whatever the point's place in its
    // own cell. Exact, and O(n) for points spread over a plane (a k-d or R-tree query a point was
    // most of safer kde's time on a million incidents).
    const double w = e.width(), h = e.height();
    double target = w > 0 && h > 0 ? std::sqrt(w * h / static_cast<double>(n)) : std::max(w, h) / static_cast<double>(n);
    if (!(target > 0)) target = 1; // every point at one place: distinct points never are
    constexpr double max_side = 1 << 16;
    const double cell = std::max({target, w / max_side, h / max_side});
    const auto nx = static_cast<int64_t>(w / cell) + 1, ny = static_cast<int64_t>(h / cell) + 1;
    const auto col = [&](double v) { return std::min<int64_t>(nx - 1, static_cast<int64_t>((v - e.min_x) / cell)); };
    const auto row = [&](double v) { return std::min<int64_t>(ny - 1, static_cast<int64_t>((v - e.min_y) / cell)); };
    std::vector<uint32_t> start(static_cast<size_t>(nx * ny) + 1, 0), order(n);
    for (size_t i = 0; i < n; ++i) ++start[static_cast<size_t>(row(y[i]) * nx + col(x[i])) + 1];
    for (size_t c = 1; c < start.size(); ++c) start[c] += start[c - 1];
    {
        std::vector<uint32_t> next(start.begin(), start.end() - 1);
        for (size_t i = 0; i < n; ++i) order[next[static_cast<size_t>(row(y[i]) * nx + col(x[i]))]++] = static_cast<uint32_t>(i);
    }
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 4096), [&](const tbb::blocked_range<size_t>& range) {
        for (size_t i = range.begin(); i != range.end(); ++i) {
            const int64_t ci = col(x[i]), ri = row(y[i]);
            double d2 = std::numeric_limits<double>::infinity();
            const auto visit = [&](int64_t r, int64_t c) {
                if (r < 0 || r >= ny || c < 0 || c >= nx) return;
                const auto k = static_cast<size_t>(r * nx + c);
                for (uint32_t p = start[k]; p < start[k + 1]; ++p) {
                    const uint32_t j = order[p];
                    if (j == i) continue;
                    const double dx = x[j] - x[i], dy = y[j] - y[i];
                    d2 = std::min(d2, dx * dx + dy * dy);
                }
            };
            for (int64_t ring = 0;; ++ring) {
                if (ring == 0) {
                    visit(ri, ci);
                } else {
                    for (int64_t c = ci - ring; c <= ci + ring; ++c) visit(ri - ring, c), visit(ri + ring, c);
                    for (int64_t r = ri - ring + 1; r <= ri + ring - 1; ++r) visit(r, ci - ring), visit(r, ci + ring);
                }
                const double reach = static_cast<double>(ring) * cell;
                if (d2 <= reach * reach || ring > std::max(nx, ny)) break;
            }
            best[i] = std::sqrt(d2);
        }
    });
    return best;
}

BandwidthScale bandwidth_scale(const Points& points, double bandwidth, const Extent& extent) {
    // The distinct places by hashing (the order does not matter to a median): sorting a
    // million incidents by place took a tenth of safer kde's time.
    const WeightedLocations places = unique_locations(points.x, points.y);
    return bandwidth_scale_of_places(places.x, places.y, bandwidth, extent.empty() ? points.extent() : extent);
}

BandwidthScale bandwidth_scale_of_places(const std::vector<double>& x, const std::vector<double>& y, double bandwidth, const Extent& extent) {
    BandwidthScale s;
    s.bandwidth = bandwidth;
    Extent e = extent;
    if (e.empty())
        for (size_t i = 0; i < x.size(); ++i) e.add(x[i], y[i]);
    s.extent_side = std::min(e.width(), e.height());
    if (s.extent_side == 0) s.extent_side = std::max(e.width(), e.height());
    s.spacing = std::numeric_limits<double>::quiet_NaN();
    if (x.size() >= 2) {
        std::vector<double> d = nearest_other_distance(x, y);
        const size_t n = d.size();
        const auto middle = d.begin() + static_cast<std::ptrdiff_t>(n / 2);
        std::nth_element(d.begin(), middle, d.end());
        // With n even the other middle value is the largest of the lower half.
        s.spacing = n % 2 ? *middle : (*std::max_element(d.begin(), middle) + *middle) / 2;
        s.broad_for_spacing = bandwidth > spacing_ratio_limit * s.spacing;
    }
    s.broad_for_extent = s.extent_side > 0 && bandwidth > extent_share_limit * s.extent_side;
    return s;
}

double auto_bandwidth(const Points& points) {
    check_points(points);
    const double total = points.total_weight();
    if (points.size() == 0 || !(total > 0))
        throw InputError("cannot choose a bandwidth automatically: there are no incidents (or their weights sum to 0)");
    // Mean centre, measured from the first point to keep the sums small.
    const double ox = points.x[0], oy = points.y[0];
    double sx = 0, sy = 0;
    for (size_t i = 0; i < points.size(); ++i) {
        sx += points.weight(i) * (points.x[i] - ox);
        sy += points.weight(i) * (points.y[i] - oy);
    }
    const double mx = ox + sx / total, my = oy + sy / total;
    double ss = 0;
    std::vector<std::pair<double, double>> dist; // (distance, weight)
    dist.reserve(points.size());
    for (size_t i = 0; i < points.size(); ++i) {
        const double dx = points.x[i] - mx, dy = points.y[i] - my;
        ss += points.weight(i) * (dx * dx + dy * dy);
        if (points.weight(i) > 0) dist.emplace_back(std::sqrt(dx * dx + dy * dy), points.weight(i));
    }
    const double sd = std::sqrt(ss / total);
    std::sort(dist.begin(), dist.end());
    double median = dist.back().first, cumulative = 0;
    for (size_t i = 0; i < dist.size(); ++i) {
        cumulative += dist[i].second;
        if (cumulative == total / 2 && i + 1 < dist.size()) {
            median = (dist[i].first + dist[i + 1].first) / 2;
            break;
        }
        if (cumulative > total / 2) {
            median = dist[i].first;
            break;
        }
    }
    const double h = 0.9 * std::min(sd, std::sqrt(1 / std::numbers::ln2) * median) * std::pow(total, -0.2);
    if (!(h > 0) || !std::isfinite(h))
        throw InputError(fmt::format("cannot choose a bandwidth automatically: the incidents' standard distance is {} m "
                                     "and their median distance from the mean centre {} m; give --bandwidth",
                                     sd, median));
    return h;
}

double nice_cell(double target) {
    if (!(target > 0) || !std::isfinite(target)) return target;
    const double decade = std::pow(10.0, std::floor(std::log10(target)));
    double best = decade, best_ratio = INFINITY;
    for (double d : {decade / 10, decade, decade * 10})
        for (double m : {1.0, 2.0, 2.5, 5.0}) {
            const double v = m * d;
            const double ratio = std::max(v / target, target / v);
            if (ratio < best_ratio - 1e-12 || (std::fabs(ratio - best_ratio) <= 1e-12 && v > best)) best = v, best_ratio = ratio;
        }
    return best;
}

double auto_cell(const Extent& extent) {
    const double a = extent.width(), b = extent.height();
    double side = std::min(a, b);
    if (!(side > 0)) side = std::max(a, b);
    if (!(side > 0))
        throw InputError("cannot choose a cell size automatically: the incidents all stand at one place; give --cell");
    return nice_cell(side / 250);
}

GridPlan plan_grid(const Extent& extent, Kernel kernel, double bandwidth, double cell, uint64_t memory_budget) {
    if (!(bandwidth > 0) || !std::isfinite(bandwidth))
        throw InputError(fmt::format("the bandwidth must be more than 0 m (got {})", bandwidth));
    if (!(cell > 0) || !std::isfinite(cell))
        throw InputError(fmt::format("the cell size must be more than 0 m (got {})", cell));
    if (cell > 10 * bandwidth)
        throw InputError(fmt::format("the cell size ({} m) is more than 10 bandwidths (10 x {} m): the surface would "
                                     "be meaningless; use a cell of at most {} m, or a larger bandwidth",
                                     metres(cell), metres(bandwidth), metres(10 * bandwidth)));
    if (extent.empty()) throw InputError("there is nothing to cover with a grid: no incidents and no study area");
    const double grow = support_radius(kernel, bandwidth);
    const double cells = Grid::cells_covering(extent, grow, cell);
    const double budget_cells = static_cast<double>(memory_budget) / bytes_per_cell;
    if (cells > budget_cells) {
        // The smallest round cell size that fits.
        double suggestion = nice_cell(cell);
        for (int i = 0; i < 200 && (suggestion <= cell || Grid::cells_covering(extent, grow, suggestion) > budget_cells); ++i) {
            const double decade = std::pow(10.0, std::floor(std::log10(suggestion) + 1e-9));
            const double m = suggestion / decade;
            suggestion = (m < 1.5 ? 2 : m < 2.25 ? 2.5 : m < 3.75 ? 5 : 10) * decade;
        }
        throw InputError(fmt::format(
            "the grid would have {} cells ({} MB at {} bytes a cell) for a {} x {} km extent at {} m cells, over the "
            "memory budget of {} MB; use --cell {} or larger",
            grouped(cells), grouped(std::ceil(cells * bytes_per_cell / 1048576.0)), bytes_per_cell,
            fmt::format("{:.1f}", (extent.width() + 2 * grow) / 1000), fmt::format("{:.1f}", (extent.height() + 2 * grow) / 1000),
            metres(cell), grouped(static_cast<double>(memory_budget) / 1048576.0), metres(suggestion)));
    }
    GridPlan plan;
    plan.grid = Grid::covering(extent, grow, cell);
    if (bandwidth < 2 * cell)
        plan.warnings.push_back(fmt::format("the bandwidth ({} m) is less than 2 cells of {} m: the surface will be "
                                            "blocky; a cell of {} m or less would suit it",
                                            metres(bandwidth), metres(cell), metres(bandwidth / 2)));
    if (static_cast<double>(plan.grid.cells()) > warn_cells)
        plan.warnings.push_back(fmt::format("the grid has {} cells ({} x {}), more than 50 million: it will be slow to "
                                            "write and to draw",
                                            grouped(static_cast<double>(plan.grid.cells())), plan.grid.nx, plan.grid.ny));
    return plan;
}

// ---------------------------------------------------------------------------------------------
// Density

namespace {

/// The points that can reach the grid, in order of the cell holding them (rows −pad .. ny−1+pad,
/// then columns west to east), identical points merged if asked. f is the weight times the
/// factor turning the inner loop's expression into the chosen units.
struct Prepared {
    std::vector<double> x, y, f;
    std::vector<double> w; // each place's weight (the sum of its points' weights), when merged
    bool every_point = true; // every point reaches the grid (none was dropped)
    std::vector<size_t> start; // row bucket b holds [start[b], start[b+1]); bucket b is row b − pad
    int64_t pad = 0;
};

/// A point on its way through the sort: the cell holding it (the key), its input position and
/// its coordinates and weight, carried along so that nothing is looked up at random afterwards.
struct Record {
    uint32_t key;
    uint32_t index;
    double x, y, w;
};

Prepared prepare(const Points& points, const Grid& g, double radius, double factor, bool merge) {
    Prepared p;
    p.pad = static_cast<int64_t>(std::ceil(radius / g.cell)) + 1;
    const int64_t rows = g.ny + 2 * p.pad, cols = g.nx + 2 * p.pad;
    const size_t n = points.size();
    constexpr uint32_t no_key = 0xFFFFFFFFu;
    if (n >= no_key || static_cast<double>(rows) * static_cast<double>(cols) >= static_cast<double>(no_key))
        throw InputError("too many incidents or cells for one density surface (over 4 billion)");

    // Key: the cell holding the point in the grid padded by the kernel's reach, row-major; points
    // too far off to reach any cell get none. A stable LSD radix sort on it (11 bits a pass)
    // puts the points in row buckets, west to east, in a few sequential passes; the first pass
    // reads the input in order and every pass carries the coordinates with it.
    const double inv = 1 / g.cell;
    const double row_hi = static_cast<double>(rows), col_hi = static_cast<double>(cols);
    const double off = static_cast<double>(p.pad);
    std::vector<uint32_t> keys(n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 15), [&](const tbb::blocked_range<size_t>& range) {
        for (size_t i = range.begin(); i != range.end(); ++i) {
            const double r = std::floor((g.y0 - points.y[i]) * inv) + off;
            const double c = std::floor((points.x[i] - g.x0) * inv) + off;
            keys[i] = r >= 0 && r < row_hi && c >= 0 && c < col_hi
                          ? static_cast<uint32_t>(static_cast<uint64_t>(r) * static_cast<uint64_t>(cols) + static_cast<uint64_t>(c))
                          : no_key;
        }
    });
    std::vector<Record> a;
    size_t m = 0;
    const uint64_t key_space = static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
    if (key_space <= 2 * static_cast<uint64_t>(n)) {
        // Few cells for the points (a national year on a 100 m grid: 1.5 million cells, 6
        // million points): one counting pass over every key puts each point in place, with no
        // second array of records to sort through.
        std::vector<size_t> next(static_cast<size_t>(key_space) + 1, 0);
        for (uint32_t key : keys)
            if (key != no_key) ++m, ++next[key + 1];
        std::partial_sum(next.begin(), next.end(), next.begin());
        a.resize(m);
        for (size_t i = 0; i < n; ++i)
            if (keys[i] != no_key) a[next[keys[i]]++] = {keys[i], static_cast<uint32_t>(i), points.x[i], points.y[i], points.weight(i)};
        std::vector<uint32_t>().swap(keys);
    } else {
        constexpr int digit = 11;
        constexpr uint32_t radix = uint32_t{1} << digit;
        const int bits = std::max(1, static_cast<int>(std::bit_width(static_cast<uint64_t>(rows * cols - 1))));
        const int passes = (bits + digit - 1) / digit;
        // Each pass in parallel over fixed blocks of its input: the blocks count their digits,
        // every (digit, block) pair gets its place in digit-then-block order, and each block puts
        // its records there in order, so the sort stays stable whatever the threads do.
        const size_t blocks = std::clamp<size_t>(n >> 15, 1, 64);
        std::vector<size_t> next(blocks * radix);
        const auto place_digits = [&](size_t length, auto&& digit_at) {
            std::fill(next.begin(), next.end(), size_t{0});
            tbb::parallel_for(size_t{0}, blocks, [&](size_t blk) {
                size_t* count = next.data() + blk * radix;
                for (size_t i = length * blk / blocks, end = length * (blk + 1) / blocks; i < end; ++i)
                    if (const uint32_t d = digit_at(i); d != no_key) ++count[d];
            });
            size_t sum = 0;
            for (uint32_t d = 0; d < radix; ++d)
                for (size_t blk = 0; blk < blocks; ++blk) sum += std::exchange(next[blk * radix + d], sum);
            return sum;
        };
        const auto scatter = [&](size_t length, auto&& digit_at, auto&& put) {
            tbb::parallel_for(size_t{0}, blocks, [&](size_t blk) {
                size_t* at = next.data() + blk * radix;
                for (size_t i = length * blk / blocks, end = length * (blk + 1) / blocks; i < end; ++i)
                    if (const uint32_t d = digit_at(i); d != no_key) put(i, at[d]++);
            });
        };
        const auto first_digit = [&](size_t i) { return keys[i] == no_key ? no_key : keys[i] & (radix - 1); };
        m = place_digits(n, first_digit);
        a.resize(m);
        scatter(n, first_digit, [&](size_t i, size_t to) { a[to] = {keys[i], static_cast<uint32_t>(i), points.x[i], points.y[i], points.weight(i)}; });
        std::vector<uint32_t>().swap(keys);
        std::vector<Record> b(passes > 1 ? m : 0);
        for (int q = 1; q < passes; ++q) {
            const auto digit_q = [&](size_t i) { return (a[i].key >> (q * digit)) & (radix - 1); };
            place_digits(m, digit_q);
            scatter(m, digit_q, [&](size_t i, size_t to) { b[to] = a[i]; });
            a.swap(b);
        }
    }

    // Merge runs of identical points within a cell. A cell's points are in input order (the sort
    // is stable), so when they all stand at one place (the usual case for snapped data) their
    // weights are summed in input order without further sorting; otherwise the cell's records
    // are sorted by (x, y, input order) first.
    p.x.reserve(m), p.y.reserve(m), p.f.reserve(m);
    p.start.assign(static_cast<size_t>(rows) + 1, 0);
    if (merge) p.w.reserve(m);
    const auto emit = [&](double x, double y, double w, uint32_t key) {
        p.x.push_back(x);
        p.y.push_back(y);
        p.f.push_back(w * factor);
        if (merge) p.w.push_back(w);
        ++p.start[key / static_cast<uint64_t>(cols) + 1];
    };
    for (size_t k = 0; k < m;) {
        const uint32_t key = a[k].key;
        size_t e = k + 1;
        while (e < m && a[e].key == key) ++e;
        if (!merge) {
            for (size_t j = k; j < e; ++j) emit(a[j].x, a[j].y, a[j].w, key);
        } else {
            bool same = true;
            for (size_t j = k + 1; j < e && same; ++j) same = a[j].x == a[k].x && a[j].y == a[k].y;
            if (same) {
                double w = 0;
                for (size_t j = k; j < e; ++j) w += a[j].w;
                emit(a[k].x, a[k].y, w, key);
            } else {
                std::sort(a.begin() + static_cast<std::ptrdiff_t>(k), a.begin() + static_cast<std::ptrdiff_t>(e),
                          [](const Record& l, const Record& r) {
                              if (l.x != r.x) return l.x < r.x;
                              if (l.y != r.y) return l.y > r.y;
                              return l.index < r.index;
                          });
                for (size_t j = k; j < e;) {
                    double w = 0;
                    size_t q = j;
                    for (; q < e && a[q].x == a[j].x && a[q].y == a[j].y; ++q) w += a[q].w;
                    emit(a[j].x, a[j].y, w, key);
                    j = q;
                }
            }
        }
        k = e;
    }
    std::partial_sum(p.start.begin(), p.start.end(), p.start.begin());
    p.every_point = m == n;
    return p;
}

/// What the inner loop adds for a cell, given dx² and the row's constants. `a` is R² − dy² for
/// the row (R the support radius); the kernel is nonzero where dx² < a.
struct RowConstants {
    double a;    // R² − dy²
    double dy2;  // dy²
    double fy;   // the point's factor, times the gaussian's row term
    double h;    // bandwidth
};

/// Adds one point's contribution to one row of cells [c0, c1]. dx2[c] is the squared x distance
/// from the point to column c's centre, computed once per point for all its rows. Each kernel's
/// loop is written so that g++ vectorises it (no branches, no calls: max and select become
/// vector instructions).
template <Kernel K>
[[gnu::always_inline]] inline void add_row(double* __restrict row, const double* __restrict dx2,
                                           const double* __restrict gx, int64_t c0, int64_t c1,
                                           const RowConstants& k) {
    const double a = k.a, f = k.fy;
    if constexpr (K == Kernel::quartic) {
        // f · (h² − d²)², with f = w/h⁴ · units: (1 − d²/h²)² without a division per cell, and
        // exactly 0 at d = h.
        for (int64_t c = c0; c <= c1; ++c) {
            const double v = std::max(a - dx2[c], 0.0);
            const double fv = f * v; // written (f·v)·v: g++ 12 will not vectorise f·(v·v) after a max
            row[c] += fv * v;
        }
    } else if constexpr (K == Kernel::epanechnikov) {
        for (int64_t c = c0; c <= c1; ++c) row[c] += f * std::max(a - dx2[c], 0.0);
    } else if constexpr (K == Kernel::triangular) {
        const double h = k.h, dy2 = k.dy2;
        for (int64_t c = c0; c <= c1; ++c) row[c] += f * std::max(h - std::sqrt(dx2[c] + dy2), 0.0);
    } else if constexpr (K == Kernel::uniform) {
        for (int64_t c = c0; c <= c1; ++c) row[c] += dx2[c] < a ? f : 0.0;
    } else {
        // gaussian, separable: exp(−dx²/2h²) · exp(−dy²/2h²); gx holds the first factor per column.
        for (int64_t c = c0; c <= c1; ++c) {
            const double m = dx2[c] < a ? f : 0.0; // a select, then a multiply: no branch
            row[c] += m * gx[c];
        }
    }
}

struct Band {
    int64_t r0, r1; // rows [r0, r1)
};

/// Each accumulator row has this many spare cells at its east end, so that every span can be
/// rounded up to whole vectors of 4 doubles.
constexpr int64_t lane_pad = 4;

struct BandJob {
    const Grid* grid;
    const Prepared* points;
    const double* colx; // centre x of each column
    double h;
    Band band;
    double* acc;        // (r1 − r0) rows of `stride` (nx + lane_pad) doubles, zeroed
    double* dx2;        // nx + lane_pad scratch: squared x distances from the current point
    double* gx;         // nx + lane_pad scratch, for the gaussian
    int64_t stride;
};

/// Adds every point within reach of the band to its rows.
///
/// Each point covers the square of cells [cw0, cw1] × [rows within reach], and every row of it is
/// run over the full width of the square, rounded up to whole 4-double vectors, rather than just
/// the chord √(R² − dy²) of the disc. That is 4/π as many cells, but the inner loop then has the
/// same trip count on every row of every point, so the CPU predicts its exit, and a row needs no
/// square root or rounding to start: measured, it is about twice as fast as exact chords (short
/// loops of varying length cost a mispredicted branch each). The cells outside the disc get
/// exact zeros from the kernel's own test (dx² < R² − dy²), and adding +0.0 changes nothing, so
/// the result is the same bit for bit as the chord version's.
template <Kernel K>
[[gnu::always_inline]] inline void accumulate_band(const BandJob& job) {
    const Grid& g = *job.grid;
    const Prepared& p = *job.points;
    const Band band = job.band;
    const double h = job.h, radius = support_radius(K, h), r2 = radius * radius, inv = 1 / g.cell;
    const double reach = radius * inv; // in cells
    const int64_t nx = g.nx;
    // Points whose row lies within pad rows of the band: buckets band.r0 .. band.r1 − 1 + 2·pad.
    const size_t b_lo = static_cast<size_t>(band.r0);
    const size_t b_hi = std::min(static_cast<size_t>(band.r1 - 1 + 2 * p.pad), p.start.size() - 2);
    const double inv2h2 = 1 / (2 * h * h);
    for (size_t i = p.start[b_lo]; i < p.start[b_hi + 1]; ++i) {
        const double px = p.x[i], py = p.y[i], f = p.f[i];
        const double yr = (g.y0 - py) * inv - 0.5, xr = (px - g.x0) * inv - 0.5; // in cells
        // Truncation instead of floor and ceil: it can only widen the square (by cells the
        // kernel's test zeroes), and it is one instruction.
        const int64_t r_lo = std::max(band.r0, static_cast<int64_t>(yr - reach));
        const int64_t r_hi = std::min(band.r1 - 1, static_cast<int64_t>(yr + reach) + 1);
        if (r_lo > r_hi) continue;
        const int64_t c0 = std::max<int64_t>(0, static_cast<int64_t>(xr - reach));
        const int64_t c1 = std::min<int64_t>(nx - 1, static_cast<int64_t>(xr + reach) + 1);
        if (c0 > c1) continue;
        const int64_t c_end = c0 + ((c1 - c0 + lane_pad) & ~(lane_pad - 1)); // ≤ nx − 1 + lane_pad
        // Squared x distances, once per point for all its rows.
        for (int64_t c = c0; c < c_end; ++c) {
            const double dx = job.colx[c] - px;
            job.dx2[c] = dx * dx;
        }
        if constexpr (K == Kernel::gaussian)
            for (int64_t c = c0; c < c_end; ++c) job.gx[c] = std::exp(-job.dx2[c] * inv2h2);
        for (int64_t r = r_lo; r <= r_hi; ++r) {
            const double dy = g.row_y(r) - py, dy2 = dy * dy;
            const double a = r2 - dy2;
            if (!(a > 0)) continue;
            RowConstants k{a, dy2, f, h};
            if constexpr (K == Kernel::gaussian) k.fy = f * std::exp(-dy2 * inv2h2);
            add_row<K>(job.acc + (r - band.r0) * job.stride, job.dx2, job.gx, c0, c_end - 1, k);
        }
    }
}

// One function per kernel, each compiled for AVX2 as well as for the x86-64 baseline (SSE2) and
// picked at load time by the CPU (GCC function multi-versioning). Both versions do the same IEEE
// operations in the same order (the "avx2" target does not enable FMA, so nothing is contracted
// into fused multiply-adds), so the surface is the same bit for bit on any x86-64 machine (the
// gaussian's exp aside, which is the C library's); AVX2 just does four cells at a time, not two.
// (Checked: built with -DSAFER_KDE_NO_CLONES, baseline only, all five kernels give identical
// surfaces.)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(SAFER_KDE_NO_CLONES)
#define SAFER_KDE_CLONES [[gnu::target_clones("avx2", "default")]]
#else
#define SAFER_KDE_CLONES
#endif
SAFER_KDE_CLONES void band_quartic(const BandJob& job) { accumulate_band<Kernel::quartic>(job); }
SAFER_KDE_CLONES void band_epanechnikov(const BandJob& job) { accumulate_band<Kernel::epanechnikov>(job); }
SAFER_KDE_CLONES void band_triangular(const BandJob& job) { accumulate_band<Kernel::triangular>(job); }
SAFER_KDE_CLONES void band_uniform(const BandJob& job) { accumulate_band<Kernel::uniform>(job); }
SAFER_KDE_CLONES void band_gaussian(const BandJob& job) { accumulate_band<Kernel::gaussian>(job); }

void run_bands(Kernel kernel, const Grid& g, const Prepared& p, double h, std::vector<float>& out, Progress* progress) {
    void (*const band_function)(const BandJob&) = kernel == Kernel::quartic        ? band_quartic
                                                  : kernel == Kernel::epanechnikov ? band_epanechnikov
                                                  : kernel == Kernel::triangular   ? band_triangular
                                                  : kernel == Kernel::uniform      ? band_uniform
                                                                                   : band_gaussian;
    const int64_t stride = g.nx + lane_pad;
    std::vector<double> colx(static_cast<size_t>(stride));
    for (int64_t c = 0; c < stride; ++c) colx[static_cast<size_t>(c)] = g.col_x(c);
    // Band height depends only on the grid (never on the thread count), so the sums, and the
    // result, are the same bit for bit however the bands are shared out. 32 rows visit each
    // point about twice at h = 16 cells; the accumulator (rows × nx doubles) is kept under
    // about 1 MB so that it stays in the L2 cache.
    const int64_t rows = std::clamp<int64_t>((int64_t{1} << 20) / (8 * std::max<int64_t>(g.nx, 1)), 4, 32);
    const int64_t bands = (g.ny + rows - 1) / rows;
    struct Scratch {
        std::vector<double> acc, dx2, gx;
    };
    tbb::enumerable_thread_specific<Scratch> scratch;
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, bands, 1), [&](const tbb::blocked_range<int64_t>& range) {
        Scratch& s = scratch.local();
        for (int64_t b = range.begin(); b != range.end(); ++b) {
            const Band band{b * rows, std::min(g.ny, (b + 1) * rows)};
            s.acc.assign(static_cast<size_t>((band.r1 - band.r0) * stride), 0.0);
            s.dx2.resize(static_cast<size_t>(stride), 0.0);
            s.gx.resize(static_cast<size_t>(stride), 0.0);
            band_function(BandJob{&g, &p, colx.data(), h, band, s.acc.data(), s.dx2.data(), s.gx.data(), stride});
            for (int64_t r = band.r0; r < band.r1; ++r) {
                const double* src = s.acc.data() + (r - band.r0) * stride;
                float* dst = out.data() + r * g.nx;
                for (int64_t c = 0; c < g.nx; ++c) dst[c] = static_cast<float>(src[c]);
            }
            if (progress) progress->advance(static_cast<uint64_t>(1000 * (band.r1 - band.r0) / std::max<int64_t>(g.ny, 1)));
        }
    });
}

/// The factor f / w of the inner loops: what turns each loop's expression into the chosen units.
double point_factor(Kernel kernel, double h, Units units, double total_weight) {
    double shape_factor = 1;
    switch (kernel) {
    case Kernel::quartic: shape_factor = 1 / (h * h * h * h); break;      // (h² − d²)² / h⁴
    case Kernel::epanechnikov: shape_factor = 1 / (h * h); break;         // (h² − d²) / h²
    case Kernel::triangular: shape_factor = 1 / h; break;                 // (h − d) / h
    case Kernel::uniform: shape_factor = 1; break;
    case Kernel::gaussian: shape_factor = 1; break;                       // exp(−dx²/2h²)·exp(−dy²/2h²)
    }
    switch (units) {
    case Units::raw: return shape_factor;
    case Units::per_km2: return shape_factor * normaliser(kernel, h) * 1e6;
    case Units::probability: return shape_factor * normaliser(kernel, h) / total_weight;
    }
    return shape_factor;
}

struct DensityResult {
    std::vector<float> value;
    size_t locations = 0;
    std::vector<double> place_x, place_y, place_w; // the distinct places and their weights, when merged and every point reached the grid
};

DensityResult density_impl(const Points& points, const Grid& grid, Kernel kernel, double h, Units units, bool merge, Progress* progress = nullptr) {
    check_points(points);
    if (!(h > 0) || !std::isfinite(h)) throw InputError(fmt::format("the bandwidth must be more than 0 m (got {})", h));
    if (!(grid.cell > 0) || grid.nx <= 0 || grid.ny <= 0) throw std::invalid_argument("kde::density: empty grid");
    const double total = points.total_weight();
    if (units == Units::probability && !(total > 0))
        throw InputError("probability units need incidents whose weights sum to more than 0");
    const Prepared p = prepare(points, grid, support_radius(kernel, h), point_factor(kernel, h, units, total), merge);
    DensityResult result;
    result.locations = p.x.size();
    if (merge && p.every_point) result.place_x = p.x, result.place_y = p.y, result.place_w = p.w;
    result.value.resize(grid.cells()); // every band writes all of its rows
    run_bands(kernel, grid, p, h, result.value, progress);
    return result;
}

} // namespace

std::vector<float> density(const Points& points, const Grid& grid, Kernel kernel, double bandwidth, Units units, bool merge) {
    return density_impl(points, grid, kernel, bandwidth, units, merge).value;
}

// ---------------------------------------------------------------------------------------------
// Study-area mask

namespace {

struct Crossing {
    int64_t row;
    double x;
    bool operator<(const Crossing& o) const { return row != o.row ? row < o.row : x < o.x; }
};

void ring_crossings(const Grid& g, const GEOSGeometry* ring, std::vector<Crossing>& out) {
    GEOSContextHandle_t ctx = geos::context();
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, ring);
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(ctx, seq, &n)) throw std::runtime_error("GEOS: reading a ring failed: " + geos::last_message());
    if (n < 2) return;
    double px = 0, py = 0;
    GEOSCoordSeq_getXY_r(ctx, seq, 0, &px, &py);
    for (unsigned int i = 1; i < n; ++i) {
        double qx = 0, qy = 0;
        GEOSCoordSeq_getXY_r(ctx, seq, i, &qx, &qy);
        if (py != qy) {
            // The same edge gives the same crossings whichever way round a ring runs over it, so
            // polygons sharing it split its cells between them without a gap.
            const bool up = py < qy;
            const double x_lo = up ? px : qx, y_lo = up ? py : qy, x_hi = up ? qx : px, y_hi = up ? qy : py;
            // Rows whose centre y satisfies y_lo <= y < y_hi (half-open).
            int64_t r_first = static_cast<int64_t>(std::ceil((g.y0 - y_hi) / g.cell - 0.5)) - 1;
            int64_t r_last = static_cast<int64_t>(std::floor((g.y0 - y_lo) / g.cell - 0.5)) + 1;
            r_first = std::max<int64_t>(r_first, 0);
            r_last = std::min<int64_t>(r_last, g.ny - 1);
            const double slope = (x_hi - x_lo) / (y_hi - y_lo);
            for (int64_t r = r_first; r <= r_last; ++r) {
                const double yc = g.row_y(r);
                if (yc >= y_lo && yc < y_hi) out.push_back({r, x_lo + (yc - y_lo) * slope});
            }
        }
        px = qx, py = qy;
    }
}

void fill_polygon(const Grid& g, const GEOSGeometry* polygon, std::vector<Crossing>& crossings, std::vector<uint8_t>& mask) {
    GEOSContextHandle_t ctx = geos::context();
    crossings.clear();
    ring_crossings(g, GEOSGetExteriorRing_r(ctx, polygon), crossings);
    const int holes = GEOSGetNumInteriorRings_r(ctx, polygon);
    for (int i = 0; i < holes; ++i) ring_crossings(g, GEOSGetInteriorRingN_r(ctx, polygon, i), crossings);
    std::sort(crossings.begin(), crossings.end());
    for (size_t k = 0; k + 1 < crossings.size(); k += 2) {
        const Crossing a = crossings[k], b = crossings[k + 1];
        if (a.row != b.row) { // cannot happen for closed rings; resynchronise rather than fill a wrong span
            --k;
            continue;
        }
        // Columns whose centre x satisfies a.x <= x < b.x.
        int64_t c0 = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((a.x - g.x0) / g.cell - 0.5)) - 1);
        while (c0 < g.nx && g.col_x(c0) < a.x) ++c0;
        int64_t c1 = std::min<int64_t>(g.nx, static_cast<int64_t>(std::ceil((b.x - g.x0) / g.cell - 0.5)) + 1);
        while (c1 > c0 && g.col_x(c1 - 1) >= b.x) --c1;
        if (c0 < c1) std::fill(mask.begin() + static_cast<std::ptrdiff_t>(g.index(a.row, c0)),
                               mask.begin() + static_cast<std::ptrdiff_t>(g.index(a.row, c1)), uint8_t{1});
    }
}

size_t fill_geometry(const Grid& g, const GEOSGeometry* geometry, std::vector<Crossing>& crossings, std::vector<uint8_t>& mask) {
    GEOSContextHandle_t ctx = geos::context();
    if (!geometry || GEOSisEmpty_r(ctx, geometry) == 1) return 0;
    const int type = GEOSGeomTypeId_r(ctx, geometry);
    if (type == GEOS_POLYGON) {
        fill_polygon(g, geometry, crossings, mask);
        return 1;
    }
    if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        size_t filled = 0;
        const int parts = GEOSGetNumGeometries_r(ctx, geometry);
        for (int i = 0; i < parts; ++i) filled += fill_geometry(g, GEOSGetGeometryN_r(ctx, geometry, i), crossings, mask);
        return filled;
    }
    return 0;
}

} // namespace

std::vector<uint8_t> rasterize(const Grid& grid, std::span<const GEOSGeometry* const> polygons) {
    std::vector<uint8_t> mask(grid.cells(), 0);
    std::vector<Crossing> crossings;
    size_t filled = 0;
    for (const GEOSGeometry* p : polygons) filled += fill_geometry(grid, p, crossings, mask);
    if (filled == 0) throw InputError("the study area has no polygons");
    return mask;
}

// ---------------------------------------------------------------------------------------------
// Edge correction

std::vector<float> edge_share(const Grid& g, const std::vector<uint8_t>& mask, Kernel kernel, double h) {
    if (mask.size() != g.cells()) throw std::invalid_argument("kde::edge_share: mask and grid differ in size");
    // The discrete kernel: k_o = the kernel's mass over the cell at offset o, by S×S midpoint
    // sub-samples, normalised to sum to 1. Offsets reach every cell that can meet the support.
    const double radius = support_radius(kernel, h);
    const int64_t reach = static_cast<int64_t>(std::ceil(radius / g.cell + 0.5));
    const int64_t side = 2 * reach + 1;
    const int sub = reach <= 32 ? 8 : reach <= 64 ? 4 : reach <= 128 ? 2 : 1;
    std::vector<double> k(static_cast<size_t>(side * side), 0.0);
    tbb::parallel_for(int64_t{0}, side, [&](int64_t oy) {
        for (int64_t ox = 0; ox < side; ++ox) {
            double sum = 0;
            for (int i = 0; i < sub; ++i)
                for (int j = 0; j < sub; ++j) {
                    const double u = (static_cast<double>(ox - reach) + (i + 0.5) / sub - 0.5) * g.cell;
                    const double v = (static_cast<double>(oy - reach) + (j + 0.5) / sub - 0.5) * g.cell;
                    sum += shape(kernel, h, std::sqrt(u * u + v * v));
                }
            k[static_cast<size_t>(oy * side + ox)] = sum;
        }
    });
    const double total = std::accumulate(k.begin(), k.end(), 0.0);
    // Per offset row: prefix sums (prefix[t] = Σ of the row's first t weights) and half-width.
    std::vector<double> prefix(static_cast<size_t>(side * (side + 1)), 0.0);
    std::vector<int64_t> half(static_cast<size_t>(side), -1);
    for (int64_t oy = 0; oy < side; ++oy) {
        double* pre = prefix.data() + oy * (side + 1);
        for (int64_t ox = 0; ox < side; ++ox) {
            const double w = k[static_cast<size_t>(oy * side + ox)] / total;
            pre[ox + 1] = pre[ox] + w;
            if (w > 0) half[static_cast<size_t>(oy)] = std::max(half[static_cast<size_t>(oy)], std::abs(ox - reach));
        }
    }
    // Runs of study-area cells, per row.
    struct Run {
        int64_t begin, end; // [begin, end]
    };
    std::vector<Run> runs;
    std::vector<size_t> row_runs(static_cast<size_t>(g.ny) + 1, 0);
    for (int64_t r = 0; r < g.ny; ++r) {
        const uint8_t* m = mask.data() + g.index(r, 0);
        for (int64_t c = 0; c < g.nx;) {
            if (!m[c]) {
                ++c;
                continue;
            }
            int64_t e = c;
            while (e + 1 < g.nx && m[e + 1]) ++e;
            runs.push_back({c, e});
            c = e + 1;
        }
        row_runs[static_cast<size_t>(r) + 1] = runs.size();
    }
    std::vector<float> share(g.cells(), 0.0f);
    // Cells whose whole (2·reach + 1)² stencil lies in the mask keep all of the kernel: c = 1
    // exactly, and most cells of a large study area are such. They are found by eroding the mask
    // with that square, along rows from the runs and then down columns with a sliding count.
    {
        std::vector<uint8_t> row_full(g.cells(), 0);
        for (int64_t r = 0; r < g.ny; ++r)
            for (size_t q = row_runs[static_cast<size_t>(r)]; q < row_runs[static_cast<size_t>(r) + 1]; ++q)
                for (int64_t c = runs[q].begin + reach; c <= runs[q].end - reach; ++c) row_full[g.index(r, c)] = 1;
        std::vector<int64_t> count(static_cast<size_t>(g.nx), 0);
        const auto add_row = [&](int64_t r, int64_t sign) {
            if (r < 0 || r >= g.ny) return;
            const uint8_t* full = row_full.data() + g.index(r, 0);
            for (int64_t c = 0; c < g.nx; ++c) count[static_cast<size_t>(c)] += sign * full[c];
        };
        for (int64_t r = 0; r < reach; ++r) add_row(r, 1);
        for (int64_t r = 0; r < g.ny; ++r) {
            add_row(r + reach, 1); // the window is rows r − reach .. r + reach
            float* out = share.data() + g.index(r, 0);
            for (int64_t c = 0; c < g.nx; ++c)
                if (count[static_cast<size_t>(c)] == side) out[c] = 1.0f;
            add_row(r - reach, -1);
        }
    }
    tbb::parallel_for(int64_t{0}, g.ny, [&](int64_t r) {
        std::vector<size_t> next(static_cast<size_t>(side)); // per offset row, the first run that may still matter
        for (int64_t oy = 0; oy < side; ++oy) {
            const int64_t rr = r + oy - reach;
            next[static_cast<size_t>(oy)] = rr >= 0 && rr < g.ny ? row_runs[static_cast<size_t>(rr)] : 0;
        }
        for (size_t q = row_runs[static_cast<size_t>(r)]; q < row_runs[static_cast<size_t>(r) + 1]; ++q)
            for (int64_t c = runs[q].begin; c <= runs[q].end; ++c) {
                if (share[g.index(r, c)] == 1.0f) continue; // interior
                double sum = 0;
                for (int64_t oy = 0; oy < side; ++oy) {
                    const int64_t rr = r + oy - reach, a = half[static_cast<size_t>(oy)];
                    if (rr < 0 || rr >= g.ny || a < 0) continue;
                    const double* pre = prefix.data() + oy * (side + 1);
                    const int64_t lo = c - a, hi = c + a;
                    size_t& j = next[static_cast<size_t>(oy)];
                    const size_t end = row_runs[static_cast<size_t>(rr) + 1];
                    while (j < end && runs[j].end < lo) ++j;
                    for (size_t t = j; t < end && runs[t].begin <= hi; ++t) {
                        const int64_t b = std::max(runs[t].begin, lo), e = std::min(runs[t].end, hi);
                        sum += pre[e - c + reach + 1] - pre[b - c + reach];
                    }
                }
                share[g.index(r, c)] = static_cast<float>(sum);
            }
    });
    return share;
}

// ---------------------------------------------------------------------------------------------
// The whole step

Surface estimate(const Points& points, const Options& options, const StudyArea* study_area) {
    check_points(points);
    if (points.size() == 0) throw InputError("there are no incidents to estimate a density from (none left after filtering)");
    const double total = points.total_weight();
    if (!(total > 0)) throw InputError("the incidents' weights sum to 0: there is nothing to estimate a density from");
    if (options.edge_correct && !study_area)
        throw InputError("edge correction needs a study area (--study-area or --areas)");

    Extent extent;
    if (study_area) {
        for (const GEOSGeometry* p : study_area->polygons) {
            if (!p || GEOSisEmpty_r(geos::context(), p) == 1) continue;
            const geos::Envelope e = geos::envelope(p);
            extent.add({e.min_x, e.min_y, e.max_x, e.max_y});
        }
        if (extent.empty()) throw InputError("the study area has no polygons");
    } else {
        extent = points.extent();
    }

    Surface s;
    s.kernel = options.kernel;
    s.units = options.units;
    s.incidents = points.size();
    s.total_weight = total;
    s.cell_auto = !options.cell;
    if (options.bandwidth) {
        s.bandwidth = *options.bandwidth;
    } else {
        try {
            s.bandwidth = auto_bandwidth(points);
            s.bandwidth_auto = true;
        } catch (const InputError&) { // nothing to measure: every incident at one place
            if (!options.fallback_bandwidth) throw;
            s.bandwidth = *options.fallback_bandwidth;
            s.bandwidth_fallback = true;
        }
    }
    const double cell = options.cell ? *options.cell : auto_cell(extent);
    GridPlan plan = plan_grid(extent, options.kernel, s.bandwidth, cell, options.memory_budget);
    s.grid = plan.grid;
    s.warnings = std::move(plan.warnings);
    if (s.bandwidth_fallback)
        s.warnings.push_back(fmt::format("the incidents are all at one place, so there is no spread to choose a bandwidth from: a fixed "
                                         "{:g} m is used", s.bandwidth));

    DensityResult d = density_impl(points, s.grid, options.kernel, s.bandwidth, options.units, options.merge_identical, options.progress);
    s.value = std::move(d.value);
    s.locations = options.merge_identical ? d.locations : merge_identical(points).size();
    s.place_x = std::move(d.place_x), s.place_y = std::move(d.place_y), s.place_w = std::move(d.place_w);
    if (study_area) {
        s.inside = rasterize(s.grid, study_area->polygons);
        std::vector<float> c;
        if (options.edge_correct) c = edge_share(s.grid, s.inside, options.kernel, s.bandwidth);
        tbb::parallel_for(size_t{0}, s.value.size(), size_t{1} << 16, [&](size_t begin) {
            const size_t end = std::min(s.value.size(), begin + (size_t{1} << 16));
            for (size_t i = begin; i < end; ++i) {
                if (!s.inside[i]) s.value[i] = nodata;
                else if (!c.empty()) s.value[i] = static_cast<float>(static_cast<double>(s.value[i]) / static_cast<double>(c[i]));
            }
        });
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// Hotspot classes

Hotspots hotspot_classes(const Grid& grid, const std::vector<float>& value, const Points& points) {
    if (value.size() != grid.cells()) throw std::invalid_argument("kde::hotspot_classes: values and grid differ in size");
    check_points(points);
    Hotspots out;
    out.cell_class.assign(value.size(), 0);
    // The k-th highest value by radix selection: positive floats order as their bit patterns, so
    // one parallel pass counts cells by their upper 16 bits, the count from the top finds the
    // bucket holding the k-th highest, and only that bucket's values are selected among (a
    // selection over every cell was a twentieth of safer kde's time on a million incidents).
    constexpr size_t buckets = size_t{1} << 16;
    struct Tally {
        std::vector<uint64_t> count = std::vector<uint64_t>(buckets, 0);
        size_t valid = 0;
        float min = std::numeric_limits<float>::infinity();
    };
    tbb::enumerable_thread_specific<Tally> tallies;
    tbb::parallel_for(tbb::blocked_range<size_t>(0, value.size(), size_t{1} << 16), [&](const tbb::blocked_range<size_t>& range) {
        Tally& t = tallies.local();
        for (size_t i = range.begin(); i != range.end(); ++i) {
            const float v = value[i];
            if (v == nodata) continue;
            ++t.valid;
            if (!(v > 0)) continue;
            ++t.count[std::bit_cast<uint32_t>(v) >> 16];
            t.min = std::min(t.min, v);
        }
    });
    std::vector<uint64_t> count(buckets, 0);
    uint64_t positive = 0;
    float min_positive = std::numeric_limits<float>::infinity();
    for (const Tally& t : tallies) {
        out.valid_cells += t.valid;
        min_positive = std::min(min_positive, t.min);
        for (size_t b = 0; b < buckets; ++b) count[b] += t.count[b];
    }
    for (uint64_t c : count) positive += c;
    constexpr int percents[3] = {1, 5, 10};
    std::array<size_t, 3> rank{}, bucket_of{};
    std::array<uint64_t, 3> above{};
    std::array<std::vector<float>, 3> within;
    for (size_t i = 0; i < 3; ++i) {
        HotspotClass& c = out.classes[i];
        c.percent = percents[i];
        if (positive == 0) continue;
        rank[i] = std::max<size_t>(1, (static_cast<size_t>(percents[i]) * out.valid_cells + 99) / 100);
        if (rank[i] >= positive) {
            c.threshold = min_positive;
            continue;
        }
        size_t bucket = buckets;
        while (bucket-- > 0 && above[i] + count[bucket] < rank[i]) above[i] += count[bucket];
        bucket_of[i] = bucket;
        within[i].reserve(count[bucket]);
    }
    const auto selecting = [&](size_t i) { return positive > 0 && rank[i] < positive; };
    if (selecting(0) || selecting(1) || selecting(2)) {
        // The cells of the three buckets, gathered on every core; the k-th highest of a bucket
        // does not depend on the order its cells were gathered in.
        tbb::enumerable_thread_specific<std::array<std::vector<float>, 3>> gathered;
        tbb::parallel_for(tbb::blocked_range<size_t>(0, value.size(), size_t{1} << 16), [&](const tbb::blocked_range<size_t>& range) {
            std::array<std::vector<float>, 3>& mine = gathered.local();
            for (size_t k = range.begin(); k != range.end(); ++k) {
                const float v = value[k];
                if (v == nodata || !(v > 0)) continue;
                const size_t b = std::bit_cast<uint32_t>(v) >> 16;
                for (size_t i = 0; i < 3; ++i)
                    if (selecting(i) && b == bucket_of[i]) mine[i].push_back(v);
            }
        });
        for (const auto& mine : gathered)
            for (size_t i = 0; i < 3; ++i) within[i].insert(within[i].end(), mine[i].begin(), mine[i].end());
    }
    for (size_t i = 0; i < 3; ++i) {
        if (!selecting(i)) continue;
        const auto kth = within[i].begin() + static_cast<std::ptrdiff_t>(rank[i] - above[i] - 1);
        std::nth_element(within[i].begin(), kth, within[i].end(), std::greater<float>());
        out.classes[i].threshold = *kth;
    }
    // Each cell's tightest class, and the cells of each class (classes nest), in parallel.
    using Counts = std::array<size_t, 3>;
    const Counts cells = positive == 0 ? Counts{} : tbb::parallel_reduce(
        tbb::blocked_range<size_t>(0, value.size(), size_t{1} << 16), Counts{},
        [&](const tbb::blocked_range<size_t>& range, Counts n) {
            for (size_t i = range.begin(); i != range.end(); ++i) {
                const float v = value[i];
                if (v == nodata || !(v > 0)) continue;
                for (size_t j = 0; j < 3; ++j)
                    if (v >= out.classes[j].threshold) {
                        out.cell_class[i] = static_cast<uint8_t>(percents[j]);
                        for (size_t m = j; m < 3; ++m) ++n[m];
                        break;
                    }
            }
            return n;
        },
        [](Counts x, const Counts& y) {
            for (size_t j = 0; j < 3; ++j) x[j] += y[j];
            return x;
        });
    for (size_t j = 0; j < 3; ++j) {
        out.classes[j].cells = cells[j];
        out.classes[j].area_m2 = static_cast<double>(cells[j]) * grid.cell_area();
    }
    // The incidents in each class, summed in a fixed order of ranges (the same on any number of
    // threads, so weights give the same sums every run).
    struct Weights {
        double total = 0, in_surface = 0;
        std::array<double, 3> in_class{};
    };
    const Weights sums = tbb::parallel_deterministic_reduce(
        tbb::blocked_range<size_t>(0, points.size(), size_t{1} << 15), Weights{},
        [&](const tbb::blocked_range<size_t>& range, Weights acc) {
            for (size_t i = range.begin(); i != range.end(); ++i) {
                const double w = points.weight(i);
                acc.total += w;
                const int64_t r = grid.row_of(points.y[i]), col = grid.col_of(points.x[i]);
                if (!grid.contains(r, col)) continue;
                const size_t cell = grid.index(r, col);
                if (value[cell] == nodata) continue;
                acc.in_surface += w;
                if (const uint8_t cls = out.cell_class[cell])
                    for (size_t j = 0; j < 3; ++j)
                        if (cls <= out.classes[j].percent) acc.in_class[j] += w;
            }
            return acc;
        },
        [](Weights x, const Weights& y) {
            x.total += y.total, x.in_surface += y.in_surface;
            for (size_t j = 0; j < 3; ++j) x.in_class[j] += y.in_class[j];
            return x;
        });
    out.weight_total = sums.total;
    out.weight_in_surface = sums.in_surface;
    for (size_t j = 0; j < 3; ++j) out.classes[j].weight = sums.in_class[j];
    for (auto& c : out.classes) c.share = out.weight_in_surface > 0 ? c.weight / out.weight_in_surface : 0;
    return out;
}

} // namespace safer::kde
