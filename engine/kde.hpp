#pragma once
// Kernel density estimation of incidents on a grid: the hotspot surface of `safer kde`.
//
// Definitions (metres throughout; d is the distance from an incident to a cell centre, h the
// bandwidth):
//
//   kernel        shape s(d), 0 <= d < support          normalised K_h(d) = N · s(d), N =
//   quartic       (1 − d²/h²)²                          3 / (π h²)          (the default)
//   epanechnikov  1 − d²/h²                             2 / (π h²)
//   triangular    1 − d/h                               3 / (π h²)
//   uniform       1                                     1 / (π h²)
//   gaussian      exp(−d² / (2h²))                      1 / (2π h² (1 − e⁻⁸))
//
// Support: every kernel is 0 for d >= its support radius, which is h for the compact kernels and
// 4h for the gaussian (d < support strictly, so a cell exactly h from an incident gets 0 from it
// under every compact kernel). For the gaussian the bandwidth h is the standard deviation σ; the
// kernel is truncated at 4σ, which drops e⁻⁸ ≈ 0.034 % of its mass, and renormalised by
// 1/(1 − e⁻⁸) so that, like every other kernel here, it integrates to exactly 1 over the plane.
// (It is evaluated directly, not by FFT.)
//
// Units of the surface at a cell centre s, for incidents p_i with weights w_i (1 by default) and
// total weight W:
//   per-km2      10⁶ · Σ w_i K_h(|s − p_i|)         incidents per km²  (the default)
//   raw          Σ w_i s(|s − p_i|)                  as QGIS's heatmap "raw" output
//   probability  Σ w_i K_h(|s − p_i|) / W            per m²; integrates to 1 over the plane
//
// Evaluation is exact at cell centres from the incidents' own coordinates: no snapping of
// incidents to cells. Incidents at identical coordinates are merged into one point carrying the
// sum of their weights, which changes nothing but the time taken (up to rounding in the last bit
// of a double; the surface is accumulated in double and stored as float).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <geos_c.h>

#include "engine/grid.hpp"
#include "engine/progress.hpp"

namespace safer::kde {

enum class Kernel : uint8_t { quartic, epanechnikov, triangular, uniform, gaussian };
enum class Units : uint8_t { per_km2, raw, probability };

std::optional<Kernel> parse_kernel(std::string_view name);
std::string_view name(Kernel k);
std::optional<Units> parse_units(std::string_view name);
std::string_view name(Units u);
/// One line per kernel with its formula, for --help and reports.
std::string formulas();

/// The gaussian is truncated at this many standard deviations (= bandwidths).
inline constexpr double gaussian_cutoff = 4.0;
/// Distance beyond which a kernel is 0: h, or 4h for the gaussian.
double support_radius(Kernel k, double h);
/// The un-normalised shape s(d): 1 at d = 0, 0 for d >= support_radius.
double shape(Kernel k, double h, double d);
/// N in K_h = N · s, per m².
double normaliser(Kernel k, double h);
/// The normalised kernel K_h(d), per m²: it integrates to 1 over the plane.
inline double kernel(Kernel k, double h, double d) { return normaliser(k, h) * shape(k, h, d); }

/// Incidents as weighted points. An empty `w` means every weight is 1.
struct Points {
    std::vector<double> x;
    std::vector<double> y;
    std::vector<double> w;

    size_t size() const { return x.size(); }
    double weight(size_t i) const { return w.empty() ? 1.0 : w[i]; }
    double total_weight() const;
    Extent extent() const;
};

/// Identical (x, y) pairs merged into one point carrying their summed weight (summed in input
/// order), sorted north to south and then west to east. +0.0 and −0.0 are the same place.
Points merge_identical(const Points& points);

/// ArcGIS Pro's default search radius (Silverman's rule of thumb adapted to two dimensions):
///   h = 0.9 · min(SD, √(1/ln 2) · Dm) · n^(−1/5)
/// SD: standard distance, √(Σ w_i |p_i − c|² / W); Dm: weighted median of |p_i − c|; c: the
/// weighted mean centre; n = W, the total weight. The weighted median is the smallest distance
/// at which the cumulative weight (distances in increasing order) exceeds W/2, or the midpoint
/// of the two distances either side when the cumulative weight equals W/2 exactly (the ordinary
/// median for unit weights). Throws InputError when there is nothing to measure (no incidents,
/// or all at one place).
double auto_bandwidth(const Points& points);

/// How a bandwidth compares with the spacing of the incidents and the size of the study area: the
/// facts behind the warning that a bandwidth is too broad to show hotspots. On a three-town
/// district ArcGIS's rule gave 2.2 km, one blob per town and a small town lost (issue 19); on the
/// Avon and Somerset data the rule gives 1.9 km for Mendip's crime (20 times its median spacing
/// of 96 m) but 333 m for Bristol's (4.9 times 68 m).
struct BandwidthScale {
    double bandwidth = 0;
    /// Median over the distinct incident locations of the distance to the nearest other one;
    /// NaN with fewer than 2 locations.
    double spacing = 0;
    double extent_side = 0;          // the shorter side of the study area's extent (or the incidents')
    bool broad_for_spacing = false;  // bandwidth > spacing_ratio_limit × spacing
    bool broad_for_extent = false;   // bandwidth > extent_share_limit × extent_side
};
inline constexpr double spacing_ratio_limit = 8;
inline constexpr double extent_share_limit = 0.10;
/// For each point, the distance to the nearest other point (infinity for a lone point): exact, on
/// a uniform grid searched outward (points at the same place are at distance 0 from each other).
std::vector<double> nearest_other_distance(const std::vector<double>& x, const std::vector<double>& y);
/// The scale of `bandwidth` for `points` over `extent` (the study area's or, if empty, the
/// points').
BandwidthScale bandwidth_scale(const Points& points, double bandwidth, const Extent& extent);
/// The same from the distinct places themselves (each once), e.g. Surface::place_x / place_y.
BandwidthScale bandwidth_scale_of_places(const std::vector<double>& x, const std::vector<double>& y, double bandwidth, const Extent& extent);

/// The nearest (by ratio) of 1, 2, 2.5 and 5 × 10^k to `target` (ties go to the larger figure).
double nice_cell(double target);
/// `--cell auto`: the shorter side of `extent` (the study area's, or the incidents', before it
/// is grown by the bandwidth) / 250, rounded by nice_cell. If the shorter side is 0 (incidents on
/// one line) the longer side is used; throws InputError if both are 0.
double auto_cell(const Extent& extent);

/// Value of cells outside the study area.
inline constexpr float nodata = -9999.0f;
/// What a grid may cost: the surface (float), mask, classes, edge-correction factors and the
/// writer's copy, in all 16 bytes a cell. The default budget, 1 GiB, allows 67 million cells.
inline constexpr double bytes_per_cell = 16;
inline constexpr uint64_t default_memory_budget = uint64_t{1} << 30;
/// Grids above this many cells are allowed (within the budget) but warned about.
inline constexpr double warn_cells = 50e6;

struct GridPlan {
    Grid grid;
    std::vector<std::string> warnings;
};
/// Checks the bandwidth and cell and lays out the grid over `extent` grown by the kernel's
/// support radius, snapped outward to whole cells (Grid::covering). Throws InputError for a
/// bandwidth or cell that is not > 0, a cell larger than 10 bandwidths, or a grid over the
/// memory budget (the message gives its size in cells and MB and a cell size that fits). Warns
/// when the bandwidth is under 2 cells and when the grid has more than 50 million cells.
GridPlan plan_grid(const Extent& extent, Kernel kernel, double bandwidth, double cell,
                   uint64_t memory_budget = default_memory_budget);

/// The density surface on `grid` (row 0 north), in `units`, from every point (points too far from
/// the grid to reach it are skipped; for `probability` W is still the total weight of all).
/// `merge` merges identical points first. Parallel over bands of rows with oneTBB; the result is
/// bitwise the same whatever the number of threads.
std::vector<float> density(const Points& points, const Grid& grid, Kernel kernel, double bandwidth,
                           Units units = Units::per_km2, bool merge = true);

/// 1 for cells whose centre lies inside any of `polygons` (Polygon, MultiPolygon or collections
/// of them; holes respected), else 0. A centre exactly on a boundary counts as inside on a west
/// or south edge and outside on an east or north edge (the half-open rule), so a centre on an
/// edge shared by two adjacent polygons is inside. Scanline: each row's centre line is crossed
/// with every polygon's rings. Throws InputError if there is no polygon among them.
std::vector<uint8_t> rasterize(const Grid& grid, std::span<const GEOSGeometry* const> polygons);

/// Edge correction (Diggle 1985; Jones 1993): the share of each cell's kernel mass inside the
/// study area A,  c(s) = ∫_A K_h(s − u) du,  for cells inside A (0 elsewhere).
/// Discrete approximation at cell resolution: A is taken as the union of the cells of `mask`,
/// and c(s_i) = Σ_{j in mask} k_{j−i} with k_o the kernel's mass over the cell at offset o
/// (integrated by sub-sampling the cell), normalised so that Σ_o k_o = 1: far from the edge c = 1
/// exactly.
std::vector<float> edge_share(const Grid& grid, const std::vector<uint8_t>& mask, Kernel kernel,
                              double bandwidth);

/// The study area: polygons whose union it is. Need not be unioned beforehand.
struct StudyArea {
    std::vector<const GEOSGeometry*> polygons;
};

struct Options {
    Kernel kernel = Kernel::quartic;
    std::optional<double> bandwidth; // metres; empty: auto_bandwidth
    /// With no `bandwidth`: the one used, with a warning, when auto_bandwidth has nothing to
    /// measure (every incident at one place). Empty: that is an InputError.
    std::optional<double> fallback_bandwidth;
    std::optional<double> cell;      // metres; empty: auto_cell over the study area or incidents
    Units units = Units::per_km2;
    bool merge_identical = true;
    /// Divide each cell by edge_share: f̂_c(s) = f̂(s) / c(s). Needs a study area.
    bool edge_correct = false;
    uint64_t memory_budget = default_memory_budget;
    /// Given a stage begun by the caller with a total of 1000, advanced as rows of the surface are
    /// done; may be null.
    Progress* progress = nullptr;
};

struct Surface {
    Grid grid;
    Kernel kernel = Kernel::quartic;
    Units units = Units::per_km2;
    double bandwidth = 0; // used, after auto
    bool bandwidth_auto = false;     // by auto_bandwidth
    bool bandwidth_fallback = false; // Options::fallback_bandwidth, as auto_bandwidth could not measure
    bool cell_auto = false;
    std::vector<float> value;     // row 0 north; `nodata` outside the study area
    std::vector<uint8_t> inside;  // 1 in the study area; empty when there is none (all cells count)
    double total_weight = 0;      // W, over all incidents given
    size_t incidents = 0;         // points given
    size_t locations = 0;         // distinct locations among them (those within reach of the grid)
    // The distinct locations themselves, with their incidents' summed weights, when every incident
    // reached the grid (bandwidth_scale_of_places, hotspot_classes over places).
    std::vector<double> place_x, place_y, place_w;
    std::vector<std::string> warnings;
};

/// The whole step: resolve auto bandwidth and cell, plan the grid (over the study area, or the
/// incidents if there is none, grown by the support radius), compute the density, mask it and
/// edge-correct it. Throws InputError for no incidents, a weight that is negative or not
/// finite, a coordinate that is not finite, a study area with no polygons, edge correction
/// without a study area, and everything plan_grid refuses. Incidents outside the study area
/// still add to cells within reach of them; pass only those inside if that is not wanted (with
/// --edge-correct it usually is not).
Surface estimate(const Points& points, const Options& options, const StudyArea* study_area = nullptr);

/// The hotspot classes: the top 1 %, 5 % and 10 % of cells by value.
/// Among the N valid cells (not nodata), the p % threshold t_p is the value of the k-th highest,
/// k = max(1, ⌈p·N/100⌉); the class holds every valid cell with value >= t_p and value > 0. Ties
/// at the threshold all join the class, so it may hold more than p % of cells; cells of value 0
/// never join (if fewer than k cells are positive the class is all positive cells and t_p is the
/// smallest positive value). Classes nest: the 5 % class includes the 1 % class.
struct HotspotClass {
    int percent = 0;
    float threshold = 0;
    size_t cells = 0;   // cumulative: includes the classes above it
    double area_m2 = 0;
    double weight = 0;  // total weight of incidents whose point lies in a cell of the class
    double share = 0;   // weight / weight of incidents in valid cells (0 if none)
};
struct Hotspots {
    std::vector<uint8_t> cell_class; // per cell: 1, 5, 10 (the tightest class), or 0
    std::array<HotspotClass, 3> classes;
    size_t valid_cells = 0;
    double weight_in_surface = 0; // incidents in valid cells: the denominator of `share`
    double weight_total = 0;
};
/// Classes of `value` on `grid`, with each incident placed in the cell holding it
/// (Grid::row_of / col_of: a point on a shared edge goes east or south).
Hotspots hotspot_classes(const Grid& grid, const std::vector<float>& value, const Points& points);

} // namespace safer::kde
