#include "engine/spatial_weights.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <fmt/core.h>

#include <algorithm>
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/geometry/strategies/strategies.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "engine/errors.hpp"

namespace safer::hotspots {

namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using Point = bg::model::point<double, 2, bg::cs::cartesian>;
using Box = bg::model::box<Point>;
using Entry = std::pair<Point, int32_t>;

double planar(const Point& a, const Point& b) {
    return std::hypot(a.get<0>() - b.get<0>(), a.get<1>() - b.get<1>());
}

// Distances equal to the band on paper come out a few ulps either side in floating point.
constexpr double band_slack = 1e-9;

size_t checked_units(std::span<const double> x, std::span<const double> y) {
    if (x.size() != y.size()) throw std::invalid_argument("spatial weights: x and y differ in length");
    if (x.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
        throw InputError("spatial weights: too many units");
    for (size_t i = 0; i < x.size(); ++i)
        if (!std::isfinite(x[i]) || !std::isfinite(y[i]))
            throw InputError(fmt::format("spatial weights: unit {} has a non-finite coordinate", i));
    return x.size();
}

// Rows built independently in parallel, then packed into CSR in unit order.
SpatialWeights pack_rows(std::vector<std::vector<int32_t>>& rows) {
    SpatialWeights w;
    w.offsets.assign(rows.size() + 1, 0);
    for (size_t i = 0; i < rows.size(); ++i) w.offsets[i + 1] = w.offsets[i] + static_cast<int64_t>(rows[i].size());
    w.neighbours.resize(static_cast<size_t>(w.offsets.back()));
    tbb::parallel_for(tbb::blocked_range<size_t>(0, rows.size(), 4096), [&](const tbb::blocked_range<size_t>& r) {
        for (size_t i = r.begin(); i != r.end(); ++i) {
            std::sort(rows[i].begin(), rows[i].end());
            std::copy(rows[i].begin(), rows[i].end(), w.neighbours.begin() + w.offsets[i]);
            std::vector<int32_t>().swap(rows[i]);
        }
    });
    return w;
}

// Rebuilds CSR keeping the entries `keep` accepts, optionally inserting self in order.
template <class Keep>
SpatialWeights rebuild(const SpatialWeights& w, bool insert_self, Keep keep) {
    SpatialWeights out;
    const size_t n = w.size();
    out.offsets.assign(n + 1, 0);
    out.neighbours.reserve(w.neighbours.size() + (insert_self ? n : 0));
    const bool weighted = !w.weights.empty();
    if (weighted) out.weights.reserve(out.neighbours.capacity());
    for (size_t i = 0; i < n; ++i) {
        const auto self = static_cast<int32_t>(i);
        bool placed = !insert_self;
        for (int64_t e = w.offsets[i]; e < w.offsets[i + 1]; ++e) {
            const int32_t j = w.neighbours[static_cast<size_t>(e)];
            if (!placed && j >= self) {
                out.neighbours.push_back(self);
                if (weighted) out.weights.push_back(1.0);
                placed = true;
                if (j == self) continue;
            }
            if (!keep(self, j)) continue;
            out.neighbours.push_back(j);
            if (weighted) out.weights.push_back(w.weight(e));
        }
        if (!placed) {
            out.neighbours.push_back(self);
            if (weighted) out.weights.push_back(1.0);
        }
        out.offsets[i + 1] = static_cast<int64_t>(out.neighbours.size());
    }
    out.style = WeightStyle::binary;
    return out;
}

} // namespace

std::vector<int32_t> SpatialWeights::islands() const {
    std::vector<int32_t> out;
    for (size_t i = 0; i < size(); ++i) {
        bool other = false;
        for (int64_t e = offsets[i]; e < offsets[i + 1] && !other; ++e)
            other = neighbours[static_cast<size_t>(e)] != static_cast<int32_t>(i);
        if (!other) out.push_back(static_cast<int32_t>(i));
    }
    return out;
}

SpatialWeights row_standardised(const SpatialWeights& w) {
    SpatialWeights out = w;
    out.weights.resize(w.neighbours.size());
    for (size_t i = 0; i < w.size(); ++i) {
        double sum = 0;
        for (int64_t e = w.offsets[i]; e < w.offsets[i + 1]; ++e) sum += w.weight(e);
        for (int64_t e = w.offsets[i]; e < w.offsets[i + 1]; ++e)
            out.weights[static_cast<size_t>(e)] = sum > 0 ? w.weight(e) / sum : 0.0;
    }
    out.style = WeightStyle::row_standardised;
    return out;
}

SpatialWeights with_self(const SpatialWeights& w) {
    if (w.self_included) return w;
    if (w.style == WeightStyle::row_standardised) {
        SpatialWeights binary = w;
        binary.weights.clear();
        binary.style = WeightStyle::binary;
        return row_standardised(with_self(binary));
    }
    SpatialWeights out = rebuild(w, true, [](int32_t, int32_t) { return true; });
    out.self_included = true;
    return out;
}

SpatialWeights without_self(const SpatialWeights& w) {
    SpatialWeights out = rebuild(w, false, [](int32_t i, int32_t j) { return i != j; });
    out.self_included = false;
    if (w.style == WeightStyle::row_standardised) return row_standardised(out);
    return out;
}

SpatialWeights distance_band(std::span<const double> x, std::span<const double> y, double d) {
    const size_t n = checked_units(x, y);
    if (!(d >= 0) || !std::isfinite(d)) throw InputError(fmt::format("distance band must be a non-negative distance, not {}", d));
    SpatialWeights w;
    if (n == 0) return w;

    // Buckets of side c >= d, so neighbours lie in the 3x3 buckets around a point; never smaller
    // than half the mean spacing, so the bucket array stays O(n) however small d is.
    double min_x = x[0], max_x = x[0], min_y = y[0], max_y = y[0];
    for (size_t i = 1; i < n; ++i) {
        min_x = std::min(min_x, x[i]), max_x = std::max(max_x, x[i]);
        min_y = std::min(min_y, y[i]), max_y = std::max(max_y, y[i]);
    }
    const double width = max_x - min_x, height = max_y - min_y;
    double spacing = std::sqrt(std::max(width, 1e-9) * std::max(height, 1e-9) / static_cast<double>(n)) / 2;
    spacing = std::max(spacing, std::max(width, height) / (2.0 * static_cast<double>(n)));
    const double c = std::max({d * (1 + band_slack), spacing, 1e-9});
    const auto nbx = static_cast<int64_t>(width / c) + 1, nby = static_cast<int64_t>(height / c) + 1;
    auto bucket_of = [&](size_t i) {
        const auto bx = std::min(static_cast<int64_t>((x[i] - min_x) / c), nbx - 1);
        const auto by = std::min(static_cast<int64_t>((y[i] - min_y) / c), nby - 1);
        return std::pair{bx, by};
    };
    // Counting sort into buckets, with the coordinates copied in bucket order: the scan then
    // reads neighbouring buckets as contiguous runs instead of jumping around x and y.
    std::vector<int64_t> start(static_cast<size_t>(nbx * nby) + 1, 0);
    for (size_t i = 0; i < n; ++i) {
        const auto [bx, by] = bucket_of(i);
        ++start[static_cast<size_t>(by * nbx + bx) + 1];
    }
    std::partial_sum(start.begin(), start.end(), start.begin());
    std::vector<int32_t> id(n);
    std::vector<double> sx(n), sy(n);
    {
        std::vector<int64_t> fill(start.begin(), start.end() - 1);
        for (size_t i = 0; i < n; ++i) { // ascending i, so each bucket lists its units in index order
            const auto [bx, by] = bucket_of(i);
            const auto k = static_cast<size_t>(fill[static_cast<size_t>(by * nbx + bx)]++);
            id[k] = static_cast<int32_t>(i), sx[k] = x[i], sy[k] = y[i];
        }
    }

    // Two passes over the same scan, by rows of buckets: count, then fill each unit's CSR row.
    const double d2 = d * d * (1 + 2 * band_slack);
    w.offsets.assign(n + 1, 0);
    auto scan = [&](auto&& visit) {
        tbb::parallel_for(tbb::blocked_range<int64_t>(0, nby, 1), [&](const tbb::blocked_range<int64_t>& rows) {
            for (int64_t by = rows.begin(); by != rows.end(); ++by)
                for (int64_t bx = 0; bx < nbx; ++bx) {
                    const size_t home = static_cast<size_t>(by * nbx + bx);
                    for (int64_t a = start[home]; a < start[home + 1]; ++a) {
                        const auto ka = static_cast<size_t>(a);
                        for (int64_t qy = std::max<int64_t>(by - 1, 0); qy <= std::min(by + 1, nby - 1); ++qy) {
                            const size_t first = static_cast<size_t>(qy * nbx + std::max<int64_t>(bx - 1, 0));
                            const size_t last = static_cast<size_t>(qy * nbx + std::min(bx + 1, nbx - 1)) + 1;
                            // Buckets adjacent in a row are adjacent in memory: one contiguous run.
                            for (auto b = static_cast<size_t>(start[first]); b < static_cast<size_t>(start[last]); ++b) {
                                const double dx = sx[b] - sx[ka], dy = sy[b] - sy[ka];
                                if (dx * dx + dy * dy <= d2 && b != ka) visit(ka, b);
                            }
                        }
                    }
                }
        });
    };
    std::vector<int64_t> degree(n, 0);
    scan([&](size_t a, size_t) { ++degree[static_cast<size_t>(id[a])]; });
    for (size_t i = 0; i < n; ++i) w.offsets[i + 1] = w.offsets[i] + degree[i];
    w.neighbours.resize(static_cast<size_t>(w.offsets.back()));
    std::vector<int64_t> fill(w.offsets.begin(), w.offsets.end() - 1);
    scan([&](size_t a, size_t b) {
        const auto i = static_cast<size_t>(id[a]);
        w.neighbours[static_cast<size_t>(fill[i]++)] = id[b];
    });
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 4096), [&](const tbb::blocked_range<size_t>& r) {
        for (size_t i = r.begin(); i != r.end(); ++i)
            std::sort(w.neighbours.begin() + w.offsets[i], w.neighbours.begin() + w.offsets[i + 1]);
    });
    return w;
}

SpatialWeights knn(std::span<const double> x, std::span<const double> y, int k) {
    const size_t n = checked_units(x, y);
    if (k < 1) throw InputError(fmt::format("knn needs k >= 1, not {}", k));
    if (static_cast<size_t>(k) >= n)
        throw InputError(fmt::format("knn needs k below the number of units ({}), not {}", n, k));
    std::vector<Entry> entries(n);
    for (size_t i = 0; i < n; ++i) entries[i] = {Point(x[i], y[i]), static_cast<int32_t>(i)};
    const bgi::rtree<Entry, bgi::quadratic<16>> tree(entries.begin(), entries.end());

    std::vector<std::vector<int32_t>> rows(n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 512), [&](const tbb::blocked_range<size_t>& r) {
        std::vector<Entry> found;
        std::vector<std::pair<double, int32_t>> ranked;
        for (size_t i = r.begin(); i != r.end(); ++i) {
            const Point p(x[i], y[i]);
            found.clear();
            tree.query(bgi::nearest(p, static_cast<unsigned>(k) + 1), std::back_inserter(found));
            double reach = 0;
            for (const auto& e : found) reach = std::max(reach, planar(p, e.first));
            // Everything as close as the k-th nearest, so that ties are settled by index, not by
            // the order the tree happens to return them in.
            const double pad = reach * band_slack + 1e-12;
            const Box box(Point(x[i] - reach - pad, y[i] - reach - pad), Point(x[i] + reach + pad, y[i] + reach + pad));
            found.clear();
            tree.query(bgi::intersects(box), std::back_inserter(found));
            ranked.clear();
            for (const auto& e : found) {
                if (e.second == static_cast<int32_t>(i)) continue;
                const double dx = x[static_cast<size_t>(e.second)] - x[i], dy = y[static_cast<size_t>(e.second)] - y[i];
                ranked.emplace_back(dx * dx + dy * dy, e.second);
            }
            std::partial_sort(ranked.begin(), ranked.begin() + k, ranked.end());
            for (int m = 0; m < k; ++m) rows[i].push_back(ranked[static_cast<size_t>(m)].second);
        }
    });
    return pack_rows(rows);
}

std::vector<int64_t> grid_units(const CellGrid& grid) {
    if (grid.nx < 0 || grid.ny < 0) throw std::invalid_argument("grid: negative dimensions");
    const int64_t cells = static_cast<int64_t>(grid.nx) * grid.ny;
    if (!grid.inside.empty() && static_cast<int64_t>(grid.inside.size()) != cells)
        throw std::invalid_argument("grid: inside mask size differs from nx * ny");
    std::vector<int64_t> units;
    units.reserve(static_cast<size_t>(cells));
    for (int64_t c = 0; c < cells; ++c)
        if (grid.is_inside(c)) units.push_back(c);
    return units;
}

std::vector<std::pair<int32_t, int32_t>> grid_stencil(double cell, double band) {
    if (!(cell > 0) || !std::isfinite(cell)) throw InputError(fmt::format("grid cell size must be positive, not {}", cell));
    if (!(band >= 0) || !std::isfinite(band)) throw InputError(fmt::format("distance band must be non-negative, not {}", band));
    const double r = band / cell;
    if (r > 1000) throw InputError(fmt::format("distance band {} m spans more than 1000 cells of {} m", band, cell));
    const double r2 = r * r * (1 + 2 * band_slack);
    const auto reach = static_cast<int32_t>(std::floor(r * (1 + band_slack)));
    std::vector<std::pair<int32_t, int32_t>> stencil;
    for (int32_t dr = -reach; dr <= reach; ++dr)
        for (int32_t dc = -reach; dc <= reach; ++dc)
            if (static_cast<double>(dr) * dr + static_cast<double>(dc) * dc <= r2) stencil.emplace_back(dr, dc);
    return stencil;
}

SpatialWeights grid_distance_band(const CellGrid& grid, double band) {
    const std::vector<int64_t> units = grid_units(grid);
    const auto stencil = grid_stencil(grid.cell, band);
    std::vector<int32_t> unit_of(static_cast<size_t>(grid.nx) * static_cast<size_t>(grid.ny), -1);
    for (size_t u = 0; u < units.size(); ++u) unit_of[static_cast<size_t>(units[u])] = static_cast<int32_t>(u);
    // Count, then fill. The stencil runs row by row, column by column, so each unit's
    // neighbours come out in ascending cell, hence unit, order.
    auto visit = [&](size_t u, auto&& emit) {
        const auto row = static_cast<int32_t>(units[u] / grid.nx), col = static_cast<int32_t>(units[u] % grid.nx);
        for (const auto& [dr, dc] : stencil) {
            if (dr == 0 && dc == 0) continue;
            const int32_t rr = row + dr, cc = col + dc;
            if (rr < 0 || rr >= grid.ny || cc < 0 || cc >= grid.nx) continue;
            const int32_t v = unit_of[static_cast<size_t>(rr) * static_cast<size_t>(grid.nx) + static_cast<size_t>(cc)];
            if (v >= 0) emit(v);
        }
    };
    SpatialWeights w;
    w.offsets.assign(units.size() + 1, 0);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, units.size(), 4096), [&](const tbb::blocked_range<size_t>& r) {
        for (size_t u = r.begin(); u != r.end(); ++u) {
            int64_t count = 0;
            visit(u, [&](int32_t) { ++count; });
            w.offsets[u + 1] = count;
        }
    });
    std::partial_sum(w.offsets.begin(), w.offsets.end(), w.offsets.begin());
    w.neighbours.resize(static_cast<size_t>(w.offsets.back()));
    tbb::parallel_for(tbb::blocked_range<size_t>(0, units.size(), 4096), [&](const tbb::blocked_range<size_t>& r) {
        for (size_t u = r.begin(); u != r.end(); ++u) {
            auto out = w.neighbours.begin() + w.offsets[u];
            visit(u, [&](int32_t v) { *out++ = v; });
        }
    });
    return w;
}

} // namespace safer::hotspots
