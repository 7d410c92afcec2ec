#pragma once
// Synthetic control (safer evaluate): a weighted average of donor areas that follows the target's
// monthly crime before the intervention, to stand for what the target would have had after it,
// with placebo-in-space permutation inference.
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/progress.hpp"

namespace safer::evaluation {

struct SimplexFit {
    std::vector<double> weight; // one per column (0 for columns excluded or not chosen)
    double loss = std::nan(""); // ||X w - y||^2
    int iterations = 0;
    bool converged = false;
};

/// The w minimising ||X w - y||^2 subject to w >= 0 and sum w = 1 (the synthetic control
/// weights of Abadie, Diamond & Hainmueller 2010 with V = I), by an active-set method (Lawson &
/// Hanson 1974, chapter 23, with the sum constraint kept on each face): columns enter while the
/// gradient X'(Xw - y) shows one would lower the loss, each face is solved as an equality-
/// constrained least-squares problem, and a column whose weight would turn negative leaves.
/// X holds `rows` values for each column, column after column; `excluded[j]` = 1 leaves column j out.
SimplexFit simplex_least_squares(std::span<const double> x, size_t rows, std::span<const double> y, std::span<const uint8_t> excluded = {});

struct SyntheticInput {
    std::vector<double> target;              // the target's crimes a month, every month
    std::vector<std::vector<double>> donors; // each donor LSOA's crimes a month
    std::vector<double> donor_x, donor_y;    // a point in each donor LSOA (areas grow by distance from it)
    /// Per donor LSOA: the donor LSOAs as close to it as the buffer is to the target (itself
    /// included). A placebo area's donors leave these out, as the target's leave out its buffer.
    std::vector<std::vector<uint32_t>> donor_near;
    size_t pre_months = 0;                   // months before the start
    uint32_t placebos = 999;
    uint64_t seed = 1;
};

enum class SyntheticStatus : uint8_t {
    estimated,
    too_few_donors,     // fewer than min_synthetic_donors donor LSOAs, or an area of the target's size would need over half of their crime
    no_synthetic_after, // the synthetic control has no crime after the start: no ratio
};

/// Donor LSOAs a synthetic control needs.
inline constexpr size_t min_synthetic_donors = 5;
/// A donor area holds this many times the target's crimes (over every month at its rate before), or
/// a quarter of all the donors' crime if that is less, but never fewer than the target's.
inline constexpr double donor_area_size = 4;

struct SyntheticResult {
    SyntheticStatus status = SyntheticStatus::too_few_donors;
    size_t donor_areas = 0;                      // donor areas built (one from each donor LSOA)
    double target_crimes = std::nan("");        // the target's crimes over every month at its rate before: a placebo area's size
    double donor_area_crimes = std::nan("");    // a donor area's size in crimes
    double donor_area_lsoas = std::nan("");     // LSOAs in a donor area, median
    double placebo_area_lsoas = std::nan("");   // LSOAs in a placebo area, median
    std::vector<double> weight;                  // per donor LSOA: its share of the synthetic control's crimes (sum 1)
    std::vector<double> area_weight;             // per donor area (one per donor LSOA, its seed)
    std::vector<double> synthetic;               // the synthetic target, crimes a month (on the target's scale)
    double pre_rmspe = std::nan("");             // root mean squared gap before the start, as a share of the target's monthly mean
    double ratio = std::nan("");                 // the target's crimes after / the synthetic target's after
    double placebo_median = std::nan("");        // the placebo areas' median log(after / synthetic after)
    double estimate = std::nan("");              // ratio / e^placebo_median - 1
    double low = std::nan(""), high = std::nan(""), p = std::nan("");
    size_t placebos = 0;                         // placebo areas fitted with a defined estimate
    size_t placebos_undefined = 0;               // left out: no crime after in the placebo area or its synthetic
    std::vector<double> placebo_estimates;       // each placebo area's estimate (NaN where undefined)
};

/// Synthetic control (Abadie, Diamond & Hainmueller 2010, "Synthetic control methods for
/// comparative case studies", JASA 105(490), 493-505) on monthly crime counts of small areas.
///
/// Donor areas: from each donor LSOA, it and its nearest donor LSOAs (by the distance between their
/// points) until they hold donor_area_size times the target's crimes over every month (at the
/// target's rate before the start). Sized by every month's crimes, not those before the start, so
/// the sizing does not pick areas whose months before happened to be busy; large, so that their
/// series show trend and season rather than chance (fitting chance in small donors picks those
/// whose months before were low by chance, and overstates the synthetic after). Each series is
/// divided by its own monthly mean before the start (an index, 1 = its usual month then), so areas
/// compare by the shape of their series. The weights w (w >= 0, sum 1) minimise the squared gap
/// between the target's index and sum_g w_g donor_g over the months before the start
/// (simplex_least_squares, V = I); the synthetic target is that series times the target's mean
/// before. Estimate: the target's crimes after / the synthetic target's after - 1.
///
/// Inference by placebo in space (ADH 2010, section 2.4): placebo areas built like the target (a
/// donor LSOA and its nearest until they hold the target's crimes over every month, so their noise
/// is the target's), up to `placebos` of them chosen with `seed`, each fitted exactly as the target
/// is: from donor areas rebuilt without its LSOAs and those within the buffer's distance of them.
/// The p-value is the share of the target and placebos whose |log(after / synthetic after)| is at
/// least the target's, (1 + #{placebo >= target}) / (1 + placebos). The interval inverts that test
/// (Firpo & Possebom 2018, "Synthetic control method: inference, sensitivity analysis and
/// confidence sets", Journal of Causal Inference 6(2)): the effects e for which the target's series
/// divided by 1 + e after the start would not be rejected.
SyntheticResult synthetic_control(const SyntheticInput& input, double confidence, Progress* progress);

} // namespace safer::evaluation
