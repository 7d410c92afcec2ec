#pragma once
// Near repeats and repeat locations (safer nearrepeat).
//
// The Knox test (Knox 1964, "The detection of space-time interactions", Applied Statistics 13(1))
// as Ratcliffe's Near Repeat Calculator runs it (Ratcliffe 2009, Near Repeat Calculator v1.3,
// Temple University and the National Institute of Justice; Johnson et al. 2007, "Space-time patterns of risk: a cross national assessment of
// residential burglary victimization", J. Quant. Criminol. 23(3)): every pair of incidents is
// placed in one cell of a table of distance bands × time bands; the observed count of each cell
// is compared with its counts when the incidents' times are shuffled among them, the locations
// held fixed (Monte Carlo permutation, Mantel 1967):
//
//   Knox ratio = observed / mean over the permutations of the count     (the NRC's "observed over
//                                                                         mean expected")
//   p = (k + 1) / (n + 1), k = permutations whose count is >= the observed one, n permutations
//
// Bands are half-open, each holding the pairs at least its lower edge and less than its upper
// edge apart, and named by those edges: with 100 m and 14-day bands, "0-100" holds the pairs
// more than 0 and less than 100 m apart and "0-14" the pairs 0 to 13 days apart. (The NRC labels
// the band it computes as [a - 1, b) "a to b": its "15 to 28 days" holds pairs 14 to 27 days
// apart, Davies 2019, github.com/tobydavies/NearRepeat.) As in the NRC, pairs at the same place
// (distance 0) have a row of their own, and a last row and column hold the pairs beyond the
// last band.
//
// Pairs are found through a grid of cells as wide as the largest distance band, over distinct
// locations (police.uk snaps incidents to map points), so the cost is the number of pairs
// within that distance, not n². A permutation only moves times, so the count of pairs in each
// distance row and in each time column is the same in every permutation: the "beyond" cells are
// those totals minus the cells within the bands.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/concentration.hpp"
#include "engine/progress.hpp"

namespace safer::nearrepeat {

enum class Metric : uint8_t { euclidean, manhattan };
enum class TimeUnit : uint8_t { days, months };

struct KnoxOptions {
    double distance_band = 100; // metres, the width of each distance band
    int distance_bands = 5;     // bands after the same-location row (so up to 500 m by default)
    int time_band = 14;         // days (or months) per time band
    int time_bands = 5;
    TimeUnit unit = TimeUnit::days;
    Metric metric = Metric::euclidean;
    uint32_t permutations = 999; // at least 19 (p = 0.05 at best)
    uint64_t seed = 1;
};

/// One cell of the table: distance row × time column.
struct KnoxCell {
    uint64_t observed = 0;
    double expected = 0;    // mean count over the permutations
    double knox_ratio = 0;  // observed / expected; NaN when expected is 0
    uint32_t at_least = 0;  // permutations with a count >= observed (k)
    double p_value = 1;     // (k + 1) / (n + 1)
    uint64_t min = 0, max = 0; // of the permutation counts
};

struct KnoxResult {
    KnoxOptions options;
    size_t incidents = 0;
    size_t locations = 0;   // distinct (x, y)
    uint64_t pairs = 0;     // n (n - 1) / 2
    int32_t first_time = 0, last_time = 0; // in the time unit (Day::index or Month::index)
    /// Rows: 0 = same location (distance 0); r = 1..S: (r - 1) w <= d < r w, d > 0; S + 1: d >= S w.
    /// Columns: c = 0..T - 1: c tw <= |Δt| < (c + 1) tw; T: |Δt| >= T tw.
    std::vector<KnoxCell> cells; // row-major, rows() x cols()
    std::vector<uint64_t> row_pairs;    // pairs in each distance row (any time apart)
    std::vector<uint64_t> column_pairs; // pairs in each time column (any distance apart)

    size_t rows() const { return static_cast<size_t>(options.distance_bands) + 2; }
    size_t cols() const { return static_cast<size_t>(options.time_bands) + 1; }
    const KnoxCell& cell(size_t row, size_t col) const { return cells[row * cols() + col]; }
    /// Distance row edges in metres: [lower, upper); upper is +inf for the last row, and the
    /// same-location row is [0, 0].
    double row_lower(size_t row) const;
    double row_upper(size_t row) const;
    /// Time column edges in the time unit: [lower, upper); upper is -1 for the last column (no end).
    int64_t column_lower(size_t col) const;
    int64_t column_upper(size_t col) const;
};

/// Distance between two points under `metric` (metres).
double distance(Metric metric, double dx, double dy);

/// The Knox test of incidents at (x, y) with integer times `t` (days or months). Throws
/// InputError for fewer than 2 incidents, non-finite coordinates, bands of width 0 or less, no
/// band, fewer than 19 permutations, or a table too large to hold. Parallel over permutations;
/// each permutation shuffles with its own random stream seeded by (seed, permutation), so the
/// result is the same on every run and any number of threads.
KnoxResult knox_test(std::span<const double> x, std::span<const double> y, std::span<const int32_t> t, const KnoxOptions& options,
                     Progress* progress = nullptr);

/// Repeat locations: how many incidents share each map point (identical coordinates).
struct RepeatLocation {
    double x = 0, y = 0;
    uint32_t incidents = 0;
    uint32_t first = 0;     // the first incident (input order) at the point, for its location text
    int32_t first_time = 0, last_time = 0;
};
struct RepeatLocations {
    std::vector<RepeatLocation> locations; // most incidents first; ties by first appearance
    size_t incidents = 0;
    size_t repeat_locations = 0;   // locations with 2 or more incidents
    size_t repeat_incidents = 0;   // incidents at those locations
    /// Locations by how many incidents they hold: counts of locations with 1, 2, 3, 4-5, 6-10,
    /// 11-20 and 21 or more.
    std::vector<size_t> by_size;
    hotspots::Concentration concentration; // over the locations: Gini, top 1/5/10 % shares
};
/// The size classes of RepeatLocations::by_size: their lower bounds.
inline constexpr uint32_t repeat_size_lower[] = {1, 2, 3, 4, 6, 11, 21};

/// Counts incidents per distinct (x, y). Throws InputError for no incidents.
RepeatLocations repeat_locations(std::span<const double> x, std::span<const double> y, std::span<const int32_t> t);

} // namespace safer::nearrepeat
