#pragma once
// A north-up raster grid in the working CRS (metres), shared by the density surface, its mask
// and anything else laid out in cells.
//
// Row 0 is the northernmost row and column 0 the westernmost column, the order of GeoTIFF and
// GeoPackage tiles. Cell (r, c) covers x in [x0 + c·cell, x0 + (c+1)·cell) and
// y in (y0 − (r+1)·cell, y0 − r·cell]; its centre is (x0 + (c + 0.5)·cell, y0 − (r + 0.5)·cell).
// Cells are stored row by row: index r·nx + c.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace safer {

/// An axis-aligned rectangle in metres. `empty()` until something is added.
struct Extent {
    double min_x = std::numeric_limits<double>::infinity();
    double min_y = std::numeric_limits<double>::infinity();
    double max_x = -std::numeric_limits<double>::infinity();
    double max_y = -std::numeric_limits<double>::infinity();

    bool empty() const { return !(min_x <= max_x && min_y <= max_y); }
    double width() const { return empty() ? 0.0 : max_x - min_x; }
    double height() const { return empty() ? 0.0 : max_y - min_y; }
    void add(double x, double y) {
        min_x = std::fmin(min_x, x), max_x = std::fmax(max_x, x);
        min_y = std::fmin(min_y, y), max_y = std::fmax(max_y, y);
    }
    void add(const Extent& e) {
        if (e.empty()) return;
        add(e.min_x, e.min_y);
        add(e.max_x, e.max_y);
    }
    Extent grown(double d) const { return empty() ? *this : Extent{min_x - d, min_y - d, max_x + d, max_y + d}; }
    /// True when both are non-empty and share a point (edges included).
    bool overlaps(const Extent& o) const {
        return !empty() && !o.empty() && min_x <= o.max_x && o.min_x <= max_x && min_y <= o.max_y && o.min_y <= max_y;
    }
};

struct Grid {
    double x0 = 0;   // west edge
    double y0 = 0;   // north edge
    double cell = 1; // side of a square cell
    int64_t nx = 0;  // columns
    int64_t ny = 0;  // rows; row 0 is the north row

    size_t cells() const { return static_cast<size_t>(nx) * static_cast<size_t>(ny); }
    size_t index(int64_t r, int64_t c) const { return static_cast<size_t>(r * nx + c); }
    double col_x(int64_t c) const { return x0 + (static_cast<double>(c) + 0.5) * cell; } // centre x of column c
    double row_y(int64_t r) const { return y0 - (static_cast<double>(r) + 0.5) * cell; } // centre y of row r
    double east() const { return x0 + static_cast<double>(nx) * cell; }
    double south() const { return y0 - static_cast<double>(ny) * cell; }
    double cell_area() const { return cell * cell; }
    Extent extent() const { return {x0, south(), east(), y0}; }

    /// The column holding x, and the row holding y (west and north edges belong to the cell, so a
    /// point on a shared edge goes to the cell east or south of it). May be out of range.
    /// Far-off or non-finite coordinates give an index far out of range, never overflow.
    int64_t col_of(double x) const { return to_index(std::floor((x - x0) / cell)); }
    int64_t row_of(double y) const { return to_index(std::floor((y0 - y) / cell)); }
    static int64_t to_index(double v) {
        constexpr double limit = 4e18;
        return v >= -limit && v <= limit ? static_cast<int64_t>(v) : (v > 0 ? int64_t{4'000'000'000'000'000'000} : int64_t{-4'000'000'000'000'000'000});
    }
    bool contains(int64_t r, int64_t c) const { return r >= 0 && r < ny && c >= 0 && c < nx; }

    /// The grid of `cell`-sized cells covering `extent` grown by `grow` on every side, its edges
    /// snapped outward to whole multiples of `cell` (so grids of one cell size over different
    /// extents line up). Assumes a non-empty extent and cell > 0.
    static Grid covering(const Extent& extent, double grow, double cell) {
        const Extent e = extent.grown(grow);
        Grid g;
        g.cell = cell;
        g.x0 = std::floor(e.min_x / cell) * cell;
        g.y0 = std::ceil(e.max_y / cell) * cell;
        g.nx = std::max<int64_t>(1, static_cast<int64_t>(std::ceil((e.max_x - g.x0) / cell)));
        g.ny = std::max<int64_t>(1, static_cast<int64_t>(std::ceil((g.y0 - e.min_y) / cell)));
        return g;
    }
    /// How many cells `covering` would make, computed without building anything, so that an
    /// absurd request (a 1 mm cell over a county) can be refused before any integer overflows.
    static double cells_covering(const Extent& extent, double grow, double cell) {
        const Extent e = extent.grown(grow);
        const double x0 = std::floor(e.min_x / cell) * cell, y0 = std::ceil(e.max_y / cell) * cell;
        return std::max(1.0, std::ceil((e.max_x - x0) / cell)) * std::max(1.0, std::ceil((y0 - e.min_y) / cell));
    }
};

} // namespace safer
