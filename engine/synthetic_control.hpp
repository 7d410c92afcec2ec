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
    std::vector<std::vector<double>> donors; // each donor area's crimes a month
    std::vector<double> donor_x, donor_y;    // a point in each donor (placebo areas grow by distance)
    size_t pre_months = 0;                   // months before the start
    uint32_t placebos = 999;
    uint64_t seed = 1;
};

enum class SyntheticStatus : uint8_t {
    estimated,
    too_few_donors,    // fewer than min_donors donors recorded crime before the start
    no_synthetic_after, // the synthetic control has no crime after the start: no ratio
};

/// Donors a synthetic control needs.
inline constexpr size_t min_synthetic_donors = 5;

struct SyntheticResult {
    SyntheticStatus status = SyntheticStatus::too_few_donors;
    std::vector<uint8_t> donor_used; // per input donor: recorded crime before the start
    std::vector<double> weight;      // per input donor
    std::vector<double> synthetic;   // the synthetic target, crimes a month (on the target's scale)
    double pre_rmspe = std::nan(""); // root mean squared gap before the start, as a share of the target's monthly mean
    double estimate = std::nan("");  // sum after of target / sum after of synthetic - 1
    double low = std::nan(""), high = std::nan(""), p = std::nan("");
    size_t placebos = 0;             // placebo areas fitted
    size_t placebos_undefined = 0;   // placebo areas left out: no crime after in it or its synthetic
    double placebo_areas_median = std::nan(""); // donors in a placebo area, median
    std::vector<double> placebo_estimates;       // each placebo area's estimate, in placebo order
};

/// Synthetic control (Abadie, Diamond & Hainmueller 2010, "Synthetic control methods for
/// comparative case studies", JASA 105(490), 493-505). Each series is divided by its own monthly
/// mean before the start, so areas of any size compare by the shape of their series; donors with
/// no crime before the start are left out. The weights w (w >= 0, sum 1) minimise the squared gap
/// between the target and sum_j w_j donor_j over the months before the start
/// (simplex_least_squares); the synthetic target is that weighted series times the target's mean
/// before. Estimate: target's crimes after / synthetic's after - 1.
///
/// Inference by placebo in space (ADH 2010, section 2.4): the same fit for placebo areas that had
/// no intervention, each from the other donors, and the p-value is the share of the target and
/// placebos whose |log(after / synthetic after)| is at least the target's: (1 + #{placebo >=
/// target}) / (1 + placebos). As the target is usually several small areas together, a placebo
/// area is built like one: a donor (up to `placebos` of them, chosen with `seed` when there are
/// more) with its nearest donors added until it holds as many crimes before the start as the
/// target (so its month-to-month noise is the target's; Robbins, Saunders & Kilmer 2017, JASA
/// 112(517), draw placebo areas of the treated area's size likewise). The interval inverts the
/// test (Firpo & Possebom 2018, Journal of Causal Inference 6(2)): the effects e for which the
/// target's series divided by 1 + e after the start would not be rejected at 1 - confidence.
SyntheticResult synthetic_control(const SyntheticInput& input, double confidence, Progress* progress);

} // namespace safer::evaluation
