#include "engine/mask_polygons.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

namespace safer {

namespace {

// Eight bytes at a time: most of a hotspot mask is long stretches of unset cells.
uint64_t word_at(const uint8_t* p) {
    uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
}

/// The first non-zero byte of p[0, n), or n.
size_t first_set(const uint8_t* p, size_t n) {
    size_t i = 0;
    while (i + 8 <= n && word_at(p + i) == 0) i += 8;
    while (i < n && p[i] == 0) ++i;
    return i;
}

/// One past the last non-zero byte of p[0, n), or 0.
size_t end_of_set(const uint8_t* p, size_t n) {
    size_t i = n;
    while (i >= 8 && word_at(p + i - 8) == 0) i -= 8;
    while (i > 0 && p[i - 1] == 0) --i;
    return i;
}

/// The set cells of the bounding window, one byte each (0 or 1), with a border of unset cells
/// so that the four cells around any corner of the window can be read without a bounds check,
/// and the window's runs of set cells joined into 4-connected components (union-find on runs).
class Window {
public:
    int64_t r0 = 0, c0 = 0, rows = 0, cols = 0; // the window in the grid
    int64_t stride = 0;                          // cols + 2
    std::vector<uint8_t> cells;                  // (rows + 2) × stride

    /// Set cell (r, c) of the window (r in -1..rows, c in -1..cols).
    uint8_t at(int64_t r, int64_t c) const { return cells[static_cast<size_t>((r + 1) * stride + c + 1)]; }

    void build_runs() {
        m_row_first.assign(static_cast<size_t>(rows) + 1, 0);
        for (int64_t r = 0; r < rows; ++r) {
            m_row_first[static_cast<size_t>(r)] = m_begin.size();
            const uint8_t* row = &cells[static_cast<size_t>((r + 1) * stride + 1)];
            int64_t c = 0;
            while (c < cols) {
                c += static_cast<int64_t>(first_set(row + c, static_cast<size_t>(cols - c)));
                if (c >= cols) break;
                const int64_t b = c;
                while (c < cols && row[c]) ++c;
                m_begin.push_back(b);
                m_end.push_back(c);
            }
        }
        m_row_first[static_cast<size_t>(rows)] = m_begin.size();
        m_parent.resize(m_begin.size());
        for (size_t k = 0; k < m_parent.size(); ++k) m_parent[k] = k;
        // Runs in adjacent rows sharing a column are 4-connected.
        for (int64_t r = 1; r < rows; ++r) {
            size_t a = m_row_first[static_cast<size_t>(r - 1)], a_end = m_row_first[static_cast<size_t>(r)];
            size_t b = a_end, b_end = m_row_first[static_cast<size_t>(r + 1)];
            while (a < a_end && b < b_end) {
                if (m_begin[a] < m_end[b] && m_begin[b] < m_end[a]) unite(a, b);
                if (m_end[a] < m_end[b]) ++a;
                else ++b;
            }
        }
    }

    /// The component (a root run) of set cell (r, c).
    size_t component(int64_t r, int64_t c) {
        const auto first = m_begin.begin() + static_cast<std::ptrdiff_t>(m_row_first[static_cast<size_t>(r)]);
        const auto last = m_begin.begin() + static_cast<std::ptrdiff_t>(m_row_first[static_cast<size_t>(r) + 1]);
        const auto it = std::upper_bound(first, last, c);
        if (it == first) throw std::logic_error("mask_polygons: a set cell outside every run");
        const size_t k = static_cast<size_t>(it - m_begin.begin()) - 1;
        if (c >= m_end[k]) throw std::logic_error("mask_polygons: a set cell outside every run");
        return find(k);
    }
    size_t runs() const { return m_begin.size(); }

private:
    std::vector<int64_t> m_begin, m_end; // runs [begin, end) of each row, row by row
    std::vector<size_t> m_row_first;     // first run of each row; rows + 1 entries
    std::vector<size_t> m_parent;

    size_t find(size_t k) {
        while (m_parent[k] != k) k = m_parent[k] = m_parent[m_parent[k]];
        return k;
    }
    void unite(size_t a, size_t b) {
        a = find(a), b = find(b);
        if (a != b) m_parent[std::max(a, b)] = std::min(a, b);
    }
};

// Headings on the window's corners (i east, j south): east, south, west, north. A ring keeps its
// set cells on its left (map sense, y up), so outer rings run counter-clockwise.
constexpr std::array<int64_t, 4> step_i{1, 0, -1, 0};
constexpr std::array<int64_t, 4> step_j{0, 1, 0, -1};
constexpr int turn_left(int d) { return (d + 3) & 3; }
constexpr int turn_right(int d) { return (d + 1) & 3; }

class Tracer {
public:
    Tracer(const Grid& grid, Window& w) : m_grid(grid), m_w(w), m_visited(static_cast<size_t>((w.rows + 1) * w.cols), 0) {}

    /// Every ring of the window, found by a row-major scan of its horizontal cell edges: the
    /// first edge of a component is the top of its first cell (an outer ring); a later ring of
    /// the same component is a hole.
    std::vector<CellPolygon> trace_all() {
        std::vector<CellPolygon> polygons;
        std::vector<size_t> polygon_of(m_w.runs(), SIZE_MAX);
        for (int64_t j = 0; j <= m_w.rows; ++j) {
            const uint8_t* above = &m_w.cells[static_cast<size_t>(j * m_w.stride + 1)];
            const uint8_t* below = above + m_w.stride;
            uint8_t* visited = &m_visited[static_cast<size_t>(j * m_w.cols)];
            int64_t c = 0;
            while (c < m_w.cols) {
                if (c + 8 <= m_w.cols && word_at(above + c) == word_at(below + c)) {
                    c += 8;
                    continue;
                }
                if (above[c] != below[c] && !visited[c]) {
                    if (below[c]) { // set below: the top of a component's first cell
                        const size_t root = m_w.component(j, c);
                        polygon_of[root] = polygons.size();
                        polygons.emplace_back();
                        // Westward along the cell's top edge, so that the ring begins at its
                        // north-west corner.
                        trace(c + 1, j, 2, polygons.back().outer);
                    } else { // set above: the top of a hole's first cell
                        const size_t root = m_w.component(j - 1, c);
                        if (polygon_of[root] == SIZE_MAX) throw std::logic_error("mask_polygons: a hole before its shell");
                        CellPolygon& p = polygons[polygon_of[root]];
                        p.holes.emplace_back();
                        // Northward up the west side of the hole's first cell (a cell of the
                        // component), so that the ring begins at that cell's north-west corner.
                        trace(c, j + 1, 3, p.holes.back());
                    }
                }
                ++c;
            }
        }
        return polygons;
    }

private:
    const Grid& m_grid;
    Window& m_w;
    std::vector<uint8_t> m_visited; // horizontal edges already traced: (rows + 1) × cols

    /// The heading out of corner (i, j) for a ring arriving with heading d.
    int next_heading(int64_t i, int64_t j, int d) {
        const uint8_t nw = m_w.at(j - 1, i - 1), ne = m_w.at(j - 1, i), sw = m_w.at(j, i - 1), se = m_w.at(j, i);
        // The two cells ahead, on the left and on the right of the heading.
        const std::array<uint8_t, 4> ahead_left{ne, se, sw, nw}, ahead_right{se, sw, nw, ne};
        const bool al = ahead_left[static_cast<size_t>(d)], ar = ahead_right[static_cast<size_t>(d)];
        if (al) return ar ? turn_right(d) : d;
        if (!ar) return turn_left(d);
        // Two set cells meeting only at this corner. Of one component (a loop closed here):
        // turn right, so the shell and the hole each pass the corner once. Of two: turn left,
        // so each keeps to its own cell.
        const bool same = nw ? m_w.component(j - 1, i - 1) == m_w.component(j, i) : m_w.component(j - 1, i) == m_w.component(j, i - 1);
        return same ? turn_right(d) : turn_left(d);
    }

    /// Follows the ring through the edge leaving corner (i0, j0) with heading d0, keeping the
    /// corners where it turns; closes the ring.
    void trace(int64_t i0, int64_t j0, int d0, CellRing& ring) {
        const double cell = m_grid.cell;
        auto corner = [&](int64_t i, int64_t j) {
            // As GDAL applies a geotransform: x0 + i·cell, y0 + j·(−cell), with i, j in the grid.
            ring.x.push_back(m_grid.x0 + static_cast<double>(m_w.c0 + i) * cell);
            ring.y.push_back(m_grid.y0 + static_cast<double>(m_w.r0 + j) * -cell);
        };
        int64_t i = i0, j = j0;
        int d = d0;
        const int64_t limit = 2 * (m_w.rows + 1) * (m_w.cols + 1) + 4; // more edges than the window has
        for (int64_t steps = 0;; ++steps) {
            if (steps > limit) throw std::logic_error("mask_polygons: a ring does not close");
            if (step_j[static_cast<size_t>(d)] == 0) m_visited[static_cast<size_t>(j * m_w.cols + (d == 0 ? i : i - 1))] = 1;
            i += step_i[static_cast<size_t>(d)], j += step_j[static_cast<size_t>(d)];
            const int out = next_heading(i, j, d);
            if (out != d) corner(i, j);
            if (i == i0 && j == j0 && out == d0) break;
            d = out;
        }
        if (ring.size() < 4 || ring.size() % 2 != 0) throw std::logic_error("mask_polygons: a degenerate ring");
        ring.x.push_back(ring.x.front());
        ring.y.push_back(ring.y.front());
    }
};

} // namespace

std::vector<CellPolygon> mask_polygons(const Grid& grid, const std::vector<uint8_t>& mask) {
    if (mask.size() != grid.cells()) throw std::invalid_argument("mask_polygons: the mask is not the size of the grid");
    const size_t nx = static_cast<size_t>(grid.nx);
    // The bounding window of the set cells.
    Window w;
    int64_t r_first = -1, r_last = -1;
    size_t c_first = nx, c_end = 0;
    for (int64_t r = 0; r < grid.ny; ++r) {
        const uint8_t* row = mask.data() + static_cast<size_t>(r) * nx;
        const size_t f = first_set(row, nx);
        if (f == nx) continue;
        if (r_first < 0) r_first = r;
        r_last = r;
        c_first = std::min(c_first, f);
        c_end = std::max(c_end, end_of_set(row, nx));
    }
    if (r_first < 0) return {};
    w.r0 = r_first, w.c0 = static_cast<int64_t>(c_first);
    w.rows = r_last - r_first + 1, w.cols = static_cast<int64_t>(c_end - c_first);
    w.stride = w.cols + 2;
    w.cells.assign(static_cast<size_t>((w.rows + 2) * w.stride), 0);
    for (int64_t r = 0; r < w.rows; ++r) {
        const uint8_t* from = mask.data() + static_cast<size_t>(w.r0 + r) * nx + c_first;
        uint8_t* to = &w.cells[static_cast<size_t>((r + 1) * w.stride + 1)];
        for (int64_t c = 0; c < w.cols; ++c) to[c] = from[c] != 0;
    }
    w.build_runs();
    return Tracer(grid, w).trace_all();
}

} // namespace safer
