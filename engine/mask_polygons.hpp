#pragma once
// The set cells of a byte mask as polygons: exact, valid OGC simple features, traced in one pass
// over the cells that hold the mask (no GDAL, no repair step).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/grid.hpp"

namespace safer {

/// A closed ring in the grid's CRS: corners only (no collinear vertices), the first point
/// repeated last.
struct CellRing {
    std::vector<double> x, y;
    size_t size() const { return x.size(); }
};

/// One 4-connected component of set cells: its outer ring counter-clockwise and its holes
/// clockwise (the right-hand rule of OGC 06-103r4 and RFC 7946; y up, as in the grid's CRS).
struct CellPolygon {
    CellRing outer;
    std::vector<CellRing> holes;
};

/// The cells whose `mask` is non-zero (`mask` in the grid's row order) as polygons, one per
/// 4-connected component, ordered by each component's first cell in row-major order (north row
/// first, west to east); its holes in the row-major order of their first cells. Each ring begins
/// at the north-west corner of its first cell (of the component, or of the hole).
///
/// Exact: the union of the polygons is the union of the set cells, with every corner at
/// x0 + i·cell, y0 − j·cell computed as GDAL computes a geotransform.
///
/// Valid without repair. Where two set cells meet only at a corner, each ring keeps to its own
/// cell, so no ring passes a vertex twice: two components meeting there stay two polygons (which
/// touch at that point); a component meeting itself there (a loop closed at a corner) has a
/// shell and a hole touching at that one vertex, as OGC requires of such a shape. So a hole is a
/// 4-connected region of cells outside the component that the component encloses; it is the
/// 8-connected background of 4/8 digital topology except that a corner pinch separates it.
///
/// O(cells of the bounding window of the set cells + boundary length). `mask.size()` must be
/// grid.cells() (throws std::invalid_argument otherwise).
std::vector<CellPolygon> mask_polygons(const Grid& grid, const std::vector<uint8_t>& mask);

} // namespace safer
