#pragma once
// Difference-in-differences on monthly counts with a Poisson model (safer evaluate).
#include <cmath>
#include <cstdint>
#include <vector>

namespace safer::evaluation {

struct DidInput {
    /// Counts by unit (rows) and month (columns), every row as long.
    std::vector<std::vector<double>> counts;
    /// Per unit: 1 for the treated (the target), 0 for controls.
    std::vector<uint8_t> treated;
    /// The first month (column) after the intervention started.
    size_t first_post = 0;
};

enum class DidStatus : uint8_t {
    estimated,
    /// A treated or control cell of the 2 x 2 (before/after x treated/control) holds no crime, so
    /// the maximum-likelihood estimate does not exist (it is minus or plus infinity).
    empty_cell,
    /// Fewer than two months, or fewer than one before or after, hold any crime.
    too_few_months,
    /// Newton-Raphson did not converge.
    not_converged,
};

struct DidResult {
    DidStatus status = DidStatus::too_few_months;
    double beta = std::nan("");     // the treated x after coefficient: log of the rate ratio
    double se = std::nan("");       // cluster-robust (clusters = months), with the G/(G-1) adjustment
    double model_se = std::nan(""); // from the model's own (Poisson) information, for comparison
    double t = std::nan(""), p = std::nan("");
    double low = std::nan(""), high = std::nan(""); // interval of beta: beta +/- t(df) se
    int df = 0;                     // G - 1
    size_t clusters = 0;            // months used (G)
    size_t months_without_crime = 0; // months left out: no unit recorded any crime then
    int iterations = 0;
    double deviance = std::nan("");
};

/// Poisson difference-in-differences with unit and month fixed effects (the two-way fixed-effects
/// Poisson model; Wooldridge 2023, "Simple approaches to nonlinear difference-in-differences with
/// panel data", Econometrics Journal 26(3)):
///   log E[y_ut] = alpha_u + gamma_t + beta D_ut,  D_ut = 1 for a treated unit after the start,
/// fitted by Newton-Raphson (iteratively reweighted least squares) on every unit-month. exp(beta)
/// is the treated units' rate after relative to what the controls' change implies; exp(beta) - 1
/// the relative change attributable. Standard errors are cluster-robust with the months as
/// clusters (Liang & Zeger 1986; Cameron & Miller 2015): V = G/(G-1) B (sum_g U_g U_g') B, B the
/// inverse of X'WX, U_g the score of month g, so crime in a month may vary more than Poisson and
/// move together across units (R's sandwich::vcovCL(fit, cluster = ~month), type HC0). The
/// interval and p use Student's t with G - 1 degrees of freedom. Months in which no unit recorded
/// a crime carry no information on beta and are left out.
DidResult poisson_did(const DidInput& input, double confidence = 0.95);

} // namespace safer::evaluation
