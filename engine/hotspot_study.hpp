#pragma once
// Hotspot statistics on grid cells or areas (safer hotspots): the units and their counts (or
// rates), spatial weights, Getis-Ord Gi*, local and global Moran's I, concentration and, by
// month or quarter, emerging hot spot patterns. The formulas are in the modules each step calls
// (getis_ord, moran, concentration, space_time).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/areas.hpp"
#include "engine/concentration.hpp"
#include "engine/geos.hpp"
#include "engine/getis_ord.hpp"
#include "engine/grid.hpp"
#include "engine/incidents.hpp"
#include "engine/moran.hpp"
#include "engine/periods.hpp"
#include "engine/progress.hpp"
#include "engine/space_time.hpp"
#include "engine/spatial_weights.hpp"

namespace safer::hotspots {

/// --weights: distance:METRES, knn:K, queen or rook; none for the default (a 3-cell band on a
/// grid, queen contiguity for areas).
struct WeightsSpec {
    enum class Kind : uint8_t { none, distance, knn, queen, rook } kind = Kind::none;
    double distance = 0;
    int k = 0;
};

/// Cells in a hotspot grid beyond which the per-cell layer would be unwieldy to write and open.
inline constexpr double max_grid_cells = 20e6;
/// Units × (permutations + 1) × statistics a run may take: about three minutes on this project's
/// two-core reference machine (a 1.08-million-cell grid with 999 permutations ran over twelve).
inline constexpr double max_permutation_work = 3e8;
/// Default distance band on a grid, in cells: the 29 cells within 3 cells of a centre.
inline constexpr double default_grid_band_cells = 3;

struct HotspotOptions {
    double grid_cell = 0; // > 0: units are cells of this size over the areas (a study area) or the incidents; else the areas
    bool rates = false;   // areas: analyse rates per 1,000 residents; areas without a population are left out
    WeightsSpec weights;
    double tolerance = default_snap_tolerance; // contiguity snapping, metres
    uint32_t permutations = 999;
    uint64_t seed = 1;
    bool fdr = false;
    PeriodKind by = PeriodKind::none;
};

/// The weights used, as facts for the words that describe them.
struct WeightsUsed {
    WeightsSpec::Kind kind = WeightsSpec::Kind::none; // as asked (none: the default)
    bool grid = false;
    double band = 0;      // grid: the distance band between cell centres (0 with knn)
    double cell = 0;      // grid: the cell size
    int k = 0;            // knn
    double tolerance = 0; // areas: contiguity snapping
};

struct HotspotResult {
    bool grid_units = false;
    Grid grid;                                 // with grid units
    std::vector<int64_t> unit_cell;            // grid: the cell of each unit
    std::vector<size_t> unit_area;             // areas: the area of each unit
    std::vector<geos::Geometry> cell_squares;  // grid: each unit's square
    std::vector<const GEOSGeometry*> geometry; // per unit (into cell_squares or the areas)
    std::vector<std::string> left_out;         // area codes left out: no population, with rates
    /// Grid over the incidents' own extent: incidents far from the rest (beyond the box of the
    /// middle 98 % grown by its own size), which stretch the grid; and the box of the rest.
    size_t outlying = 0;
    double outlying_x = 0, outlying_y = 0; // the farthest of them
    Extent core_extent;
    size_t off_grid = 0;                       // incidents in the study area but in an edge cell whose centre is outside it
    std::vector<size_t> off_grid_incidents;    // which they are (indexes into the incidents)
    size_t incidents = 0;                      // selected
    std::vector<double> count;                 // per unit: incidents (sum of weights)
    size_t empty_units = 0;                    // units with no incident (zero inflation on fine grids)
    std::vector<double> rate;                  // per unit, with rates: per 1,000 residents (the value analysed)
    WeightsUsed weights;
    std::vector<int32_t> islands;              // units with no neighbour
    GiStarResult gi;
    bool with_lisa = false;
    LocalMoranResult lisa;
    bool with_global = false; // 4 units or more
    GlobalMoran global;
    Concentration concentration;
    size_t hot95 = 0, cold95 = 0, hot95_fdr = 0, cold95_fdr = 0;
    // With --by:
    std::vector<std::string> periods;
    std::vector<size_t> constant_periods; // periods where every unit has the same value: Gi* 0 there
    std::vector<EmergingResult> emerging;
    std::vector<HotspotClass> classes;

    size_t units() const { return count.size(); }
};

/// The whole analysis of the selected incidents (`selected`, one flag each; `area_of` locates
/// each in `areas`, needed for area units). Throws InputError for a grid over max_grid_cells,
/// fewer than 2 units, a distance band shorter than a cell, --by with fewer than 2 periods, and
/// what the statistics refuse.
HotspotResult analyse_hotspots(const Incidents& in, const std::vector<uint8_t>& selected, const std::vector<int32_t>& area_of,
                               const Areas& areas, const HotspotOptions& options, Progress* progress);

} // namespace safer::hotspots
