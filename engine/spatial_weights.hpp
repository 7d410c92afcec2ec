#pragma once
// Spatial weights for hotspot statistics, stored as compressed sparse rows (CSR): unit i's
// neighbours are neighbours[offsets[i] .. offsets[i+1]), ascending, with weights[] beside them.
// Builders return binary weights without self; Gi* adds self, local Moran row-standardises.
#include <geos_c.h>

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace safer::hotspots {

enum class WeightStyle : uint8_t { binary, row_standardised };

struct SpatialWeights {
    std::vector<int64_t> offsets{0}; // size n + 1
    std::vector<int32_t> neighbours; // ascending within each row
    std::vector<double> weights;     // empty: every weight is 1 (saves memory for large binary sets)
    WeightStyle style = WeightStyle::binary;
    bool self_included = false;

    size_t size() const { return offsets.size() - 1; }
    double weight(int64_t entry) const { return weights.empty() ? 1.0 : weights[static_cast<size_t>(entry)]; }
    /// Units with no neighbour other than themselves, ascending: report them, as ArcGIS does.
    std::vector<int32_t> islands() const;
};

/// Adds each unit to its own neighbours (Gi*). Row-standardised weights are rebuilt from the
/// binary pattern, so a unit with k neighbours gets 1/(k+1) each, as spdep's include.self().
SpatialWeights with_self(const SpatialWeights& w);
/// Removes self-links; row-standardised weights are re-standardised over what remains.
SpatialWeights without_self(const SpatialWeights& w);
/// Each row divided by its sum; rows with no neighbours stay empty.
SpatialWeights row_standardised(const SpatialWeights& w);

/// Units within distance d of each other: 0 <= d_ij <= d, inclusive (with a relative slack of
/// 1e-9 so that grid centres exactly d apart count despite rounding). Bucketed, parallel: O(n + links).
SpatialWeights distance_band(std::span<const double> x, std::span<const double> y, double d);

/// The k nearest other units of each unit (asymmetric). Ties in distance go to the lower index,
/// so the result does not depend on the index or thread count.
SpatialWeights knn(std::span<const double> x, std::span<const double> y, int k);

/// Polygon contiguity, robust to digitising slivers and gaps narrower than `tolerance` (metres).
///  - queen: the two polygons come within `tolerance` of each other (touch, overlap, or leave a
///    gap no wider than the tolerance); rtree candidates, GEOS prepared distance;
///  - rook: queen, and the boundary they share is longer than rook_min_shared * tolerance, the
///    shared boundary of each being the length of its rings lying within `tolerance` of the
///    other's rings (the smaller of the two counts). A corner contact between right angles
///    shares about 2 * tolerance, so corners are excluded; an edge of 0.5 m or more counts at the
///    default tolerance, with or without shared vertices. A tolerance of 0 is raised, for rook
///    only, to 1e-9 of the coordinates' magnitude so that exact collinearity is not left to rounding.
/// Geometries must be polygons or multipolygons in a metric CRS; they are only read.
enum class Contiguity : uint8_t { queen, rook };
inline constexpr double default_snap_tolerance = 0.1; // metres: below survey precision of boundary sets
inline constexpr double rook_min_shared = 5.0;        // multiples of the tolerance
SpatialWeights contiguity(std::span<const GEOSGeometry* const> polygons, Contiguity kind,
                          double tolerance = default_snap_tolerance);

/// The cells of a regular grid as hotspot units: row-major (index = row * nx + col, the layout of
/// safer::Grid in engine/grid.hpp), only the shape matters here. Units are the cells inside the
/// study area, in row-major order; `inside` empty means every cell is a unit.
struct CellGrid {
    int32_t nx = 0, ny = 0;
    double cell = 1;              // cell side, metres
    std::vector<uint8_t> inside;  // nx * ny flags, or empty

    bool is_inside(int64_t cell_index) const { return inside.empty() || inside[static_cast<size_t>(cell_index)] != 0; }
};
/// Cell index (row * nx + col) of each unit, in unit order.
std::vector<int64_t> grid_units(const CellGrid& grid);
/// The cell offsets (drow, dcol) whose centres lie within `band` metres of a cell's centre,
/// self included: the stencil the grid fast paths use.
std::vector<std::pair<int32_t, int32_t>> grid_stencil(double cell, double band);
/// Distance-band weights between unit cell centres (same rule as distance_band), without self.
SpatialWeights grid_distance_band(const CellGrid& grid, double band);

} // namespace safer::hotspots
