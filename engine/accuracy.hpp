#pragma once
// How well hotspot methods predict (safer accuracy, and kde --bandwidth predictive): each method
// ranks the cells of one evaluation grid from the incidents of a training window; flagging the
// top cells up to a share of the study area (the coverage), the incidents of a later test window
// that fall in them are counted.
//
// With N test incidents in the study area of area A, n of them in the flagged area a:
//
//   hit rate = n / N
//   PAI      = (n / N) / (a / A)                 Predictive Accuracy Index: Chainey, Tompson &
//                                                Uhlig (2008), "The utility of hotspot mapping for
//                                                predicting spatial patterns of crime", Security
//                                                Journal 21(1-2), 4-28
//   PEI      = PAI / PAI* = n / n*               Predictive Efficiency Index: Hunt (2016), "Do
//                                                crime hot spots move?", PhD thesis, American
//                                                University; n* the most test incidents any
//                                                flagging of the same area could hold (the test
//                                                window's own top cells), so 0 <= PEI <= 1
//   RRI      = (n / N) / (n1 / N1)               Recapture Rate Index: Levine (2008), "The
//                                                'hottest' part of a hotspot", Security Journal
//                                                21(4), 295-302, written there (n2/n1)/(N2/N1):
//                                                n1 of the N1 training incidents in the same
//                                                flagged area; above 1 the area took a larger
//                                                share of crime in the test window than it had
//
// Every method is scored on the same grid and cells, so methods compare at exactly the same
// coverage: the flagged area is exactly coverage × A. Cells are taken from the highest score
// down; where cells tie at the edge of the coverage (the many cells of 0 of a sparse map), the
// tied cells are all taken in the same part, which is the average of every way of choosing among
// them (their incidents counted in that part), never an arbitrary order that could favour a
// method. The best possible n* is found the same way with the test counts as the scores.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/areas.hpp"
#include "engine/grid.hpp"
#include "engine/incidents.hpp"
#include "engine/kde.hpp"
#include "engine/progress.hpp"

namespace safer::accuracy {

/// A hotspot method: how it ranks cells from the training incidents.
struct Method {
    enum class Kind : uint8_t {
        kde,      // quartic kernel density at the cell centre, bandwidth `value` metres
        kde_auto, // the same with ArcGIS's automatic bandwidth (kde::auto_bandwidth)
        gistar,   // Getis-Ord Gi* z of the `value`-metre cell holding the centre (3-cell band)
        areas,    // training incidents per km2 of the area (--areas) holding the centre
        counts,   // training incidents in the cell itself
    } kind = Kind::counts;
    double value = 0;
};

/// One method at one coverage.
struct CoverageScore {
    double coverage = 0;      // share of the study area flagged, 0..1
    double flagged_cells = 0; // coverage × cells (may be fractional)
    double hits = 0;          // test incidents in the flagged cells, n
    double train_hits = 0;    // training incidents in them, n1
    double best_hits = 0;     // n*: the most any flagging of as many cells holds
    double hit_rate = 0;      // n / N
    double pai = 0;           // hit rate / coverage
    double pei = 0;           // n / n*; NaN when n* is 0
    double rri = 0;           // (n / N) / (n1 / N1); NaN when n1 is 0
    double threshold = 0;     // the score of the last cell taken (the tied cells' score)
    double tied_cells = 0;    // cells at that score, taken in part when the coverage ends among them
};

/// Scores a ranking of equal cells at `coverage` (0 < coverage <= 1): `score` per cell, higher
/// first; `test` and `train` the incidents of each window per cell. Throws InputError for no
/// cell or no test incident.
CoverageScore score_at(std::span<const double> score, std::span<const double> test, std::span<const double> train, double coverage);

/// Scores at several coverages, sorting once.
std::vector<CoverageScore> score_ranking(std::span<const double> score, std::span<const double> test, std::span<const double> train,
                                         std::span<const double> coverages);

/// The evaluation grid: cells of `cell` metres over the study area (the union of the areas) or,
/// without areas, over the incidents of both windows; cells whose centre lies outside the areas
/// are not part of it.
struct EvaluationGrid {
    Grid grid;
    std::vector<uint8_t> inside; // per grid cell; empty when every cell counts
    std::vector<int64_t> cells;  // the grid cells of the study area, row-major
    double area_km2() const { return static_cast<double>(cells.size()) * grid.cell_area() / 1e6; }
};
/// Throws InputError for a cell of 0 or less, or a grid over max_cells.
inline constexpr double max_evaluation_cells = 30e6;
EvaluationGrid evaluation_grid(const Extent& extent, double cell, const Areas& areas);

struct MethodScores {
    Method method;
    double bandwidth = 0;            // kde: the bandwidth used (auto resolved)
    kde::BandwidthScale scale;       // kde: how broad the bandwidth is
    size_t units = 0, empty_units = 0; // gistar: its cells, and those without a training incident
    size_t hot_units = 0;            // gistar: cells hot at 95 % (z > 0, p < 0.05)
    std::vector<CoverageScore> at;    // at the coverages asked
    std::vector<CoverageScore> curve; // at 1 %, 2 %, ..., 20 % (for the report's chart)
};

struct AccuracyOptions {
    std::vector<Method> methods;
    std::vector<double> coverages{0.01, 0.05, 0.10}; // shares, each in (0, 1]
    double cell = 100;                                // evaluation grid, metres
    MonthWindow train, test;
};

struct AccuracyResult {
    EvaluationGrid grid;
    bool masked = false;                  // cells outside the areas are left out
    size_t train_incidents = 0, test_incidents = 0; // in the study area's cells: N1, N
    size_t train_outside = 0, test_outside = 0;     // selected, in the windows, but in no cell of it
    size_t empty_cells = 0;               // cells with no incident of either window
    size_t locations = 0;                 // distinct points of the incidents of both windows
    std::vector<MethodScores> methods;
};

/// Trains every method on the selected incidents of options.train and scores it on those of
/// options.test. `area_of` locates each incident in `areas` (needed for the areas method; may be
/// empty without areas). Throws InputError when a window has no incident in the study area, a
/// method cannot be trained (areas without --areas, too few incidents), or the grid is too large.
AccuracyResult evaluate(const Incidents& in, const std::vector<uint8_t>& selected, const std::vector<int32_t>& area_of, const Areas& areas,
                        const AccuracyOptions& options, Progress* progress);

/// kde --bandwidth predictive: each candidate bandwidth fitted on `fit` (quartic kernel), scored
/// by its PAI at `coverage` on `holdout` over the cells of `grid`. The choice is the candidate
/// with the highest PAI; ties go to the larger bandwidth (the smoother surface).
struct BandwidthChoice {
    std::vector<double> candidates; // ascending
    std::vector<CoverageScore> scores;
    size_t chosen = 0;              // index into candidates
    double coverage = 0;
    size_t fit_incidents = 0, holdout_incidents = 0;
    double bandwidth() const { return candidates[chosen]; }
};
/// Throws InputError for no candidate, a candidate of 0 or less, or nothing to fit or to score.
BandwidthChoice choose_bandwidth(const EvaluationGrid& grid, const kde::Points& fit, const kde::Points& holdout, std::vector<double> candidates,
                                 double coverage, kde::Kernel kernel = kde::Kernel::quartic);

/// The default candidates of kde --bandwidth predictive, metres.
inline const std::vector<double> default_candidates{100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000};

} // namespace safer::accuracy
