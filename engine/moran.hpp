#pragma once
// Moran's I, local and global.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/progress.hpp"
#include "engine/spatial_weights.hpp"

namespace safer::hotspots {

struct LocalMoranOptions {
    /// At least 99 (InputError otherwise): significance is only from permutation.
    uint32_t permutations = 999;
    uint64_t seed = 1;
    /// A unit is significant when its p (p_fdr with fdr) is <= alpha.
    double alpha = 0.05;
    bool fdr = false;
    /// Advanced by one per unit (the caller begins and ends the stage); may be null.
    Progress* progress = nullptr;
};

/// PySAL esda's quadrant codes.
enum Quadrant : int8_t { not_significant = 0, high_high = 1, low_high = 2, low_low = 3, high_low = 4 };

struct LocalMoranResult {
    std::vector<double> I;        // local Moran's I
    std::vector<double> p_sim;    // folded pseudo p (one tail, as esda's p_sim and GeoDa)
    std::vector<double> p_fdr;    // Benjamini-Hochberg adjusted p_sim
    std::vector<int8_t> quadrant; // 1 HH, 2 LH, 3 LL, 4 HL (esda's q); 0 for units with no neighbours
    std::vector<int8_t> cluster;  // quadrant where significant, else 0 ("not significant")
    std::vector<int32_t> no_neighbours; // I = 0, p = 1, never significant
    bool few_units = false;
    std::vector<std::string> warnings;
};

/// Local Moran's I (Anselin 1995, "Local indicators of spatial association - LISA",
/// Geographical Analysis 27(2), eq. 12): I_i = (z_i / m2) sum_j w_ij z_j, z = x - xbar,
/// m2 = sum z^2 / n, with row-standardised weights and no self-link (weights are converted if
/// needed). This is GeoDa's LISA; esda's Moran_Local.Is is the same times (n - 1) / n, which
/// changes neither p-values nor quadrants. Significance from conditional permutation (x_i held,
/// neighbours drawn from the other n - 1 units without replacement, per-unit seeded streams);
/// p_sim = (min(#sim >= obs, #sim <= obs) + 1) / (N + 1), ties counted in both tails.
/// Quadrant from the signs of z_i and its spatial lag (zero counts as low, as in esda).
/// Throws InputError for fewer than 2 units, non-finite or constant values, no unit with a
/// neighbour, or fewer than 99 permutations.
LocalMoranResult local_moran(std::span<const double> x, const SpatialWeights& w, const LocalMoranOptions& options = {});

struct GlobalMoran {
    double I = 0;
    double expected = 0;   // -1 / (n - 1)
    double var_normal = 0; // under normality
    double z_normal = 0;
    double p_normal = 0;   // two-sided
    double var_random = 0; // under randomisation
    double z_random = 0;
    double p_random = 0;   // two-sided
};

/// Global Moran's I = (n / S0) sum_ij w_ij z_i z_j / sum_i z_i^2 with the weights as given
/// (usually row-standardised, no self), and its moments from Cliff & Ord (1981, Spatial
/// Processes, eqs. 1.35-1.36): with S1 = 1/2 sum_ij (w_ij + w_ji)^2, S2 = sum_i (w_i. + w_.i)^2,
/// b2 = n sum z^4 / (sum z^2)^2,
///   Var_N = (n^2 S1 - n S2 + 3 S0^2) / ((n^2 - 1) S0^2) - E^2
///   Var_R = [n((n^2 - 3n + 3) S1 - n S2 + 3 S0^2) - b2((n^2 - n) S1 - 2n S2 + 6 S0^2)]
///           / ((n - 1)(n - 2)(n - 3) S0^2) - E^2
/// as spdep's moran.test. Throws InputError for fewer than 4 units, constant or non-finite
/// values, or weights that sum to zero.
GlobalMoran global_moran(std::span<const double> x, const SpatialWeights& w);

} // namespace safer::hotspots
