#pragma once
// Getis-Ord Gi* local hotspot statistic (Ord & Getis 1995, "Local spatial autocorrelation
// statistics: distributional issues and an application", Geographical Analysis 27(4), eq. 14):
//
//   z_i = (sum_j w_ij x_j - xbar W_i) / (s sqrt((n S1_i - W_i^2) / (n - 1)))
//
// self included (w_ii > 0), xbar the mean, s^2 = sum x^2 / n - xbar^2, W_i = sum_j w_ij and
// S1_i = sum_j w_ij^2. With binary weights this is spdep's localG(x, include.self(nb)) and the
// z-score of ArcGIS Hot Spot Analysis.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/progress.hpp"
#include "engine/spatial_weights.hpp"

namespace safer::hotspots {

enum class PSource : uint8_t { analytic, permutation };

struct GiStarOptions {
    /// 0: analytic p only. Otherwise at least 99 (InputError below): conditional-permutation
    /// pseudo p-values, seeded per unit from (seed, unit), identical for any thread count.
    uint32_t permutations = 0;
    uint64_t seed = 1;
    /// true (default, as esda's G_Local and GeoDa): hold x_i fixed and draw the neighbours from
    /// the other n - 1 units. false: draw the whole neighbourhood, x_i's slot too, from all n
    /// units; that is the null under which Ord & Getis derived the analytic moments, so its
    /// pseudo p converges to the analytic p.
    bool conditional = true;
    /// Which p the bins (and p_fdr) are built from.
    PSource bin_p = PSource::analytic;
    /// Bins from the Benjamini-Hochberg adjusted p rather than the raw p.
    bool fdr = false;
    /// Advanced by one per unit permuted (the caller begins and ends the stage); may be null.
    Progress* progress = nullptr;
};

struct GiStarResult {
    std::vector<double> z;     // Gi* z-score
    std::vector<double> p;     // two-sided p from the normal
    std::vector<double> p_sim; // two-sided pseudo p, min(1, 2 (min(#sim >= obs, #sim <= obs) + 1) / (N + 1)); empty without permutations
    std::vector<double> p_fdr; // Benjamini-Hochberg adjusted p of the bin_p source
    std::vector<int8_t> bin;   // Esri Gi_Bin, -3..3 (see gi_bin)
    std::vector<int32_t> no_neighbours; // units with no neighbour but themselves: z from their own value only
    bool few_units = false;    // fewer than 30 units: ArcGIS warns the result may be unreliable
    std::vector<std::string> warnings;
};

/// Gi* on any weights. Weights without self get self added (binary: weight 1; row-standardised:
/// rebuilt as 1/(k+1), see with_self). Units whose neighbourhood is every unit with equal weight
/// have no variance; they get z = 0, p = 1.
/// Throws InputError when: fewer than 2 units, a value is not finite, all values are equal
/// (zero variance, e.g. all counts zero), no unit has a neighbour, or 1..98 permutations.
GiStarResult gi_star(std::span<const double> x, const SpatialWeights& w, const GiStarOptions& options = {});

/// Gi* on a grid with binary distance-band weights between cell centres (self included), the
/// fast path for --grid: neighbour sums come from row prefix sums over the band's stencil, so
/// the cost is O(units x stencil rows) and no weights matrix is built. `x` holds one value per
/// unit (cells inside the study area, row-major). Same result as gi_star(x, grid_distance_band()).
GiStarResult gi_star_grid(const CellGrid& grid, std::span<const double> x, double band, const GiStarOptions& options = {});

/// Esri's Gi_Bin: +-3 when p < 0.01, +-2 when p < 0.05, +-1 when p < 0.10 (99, 95, 90 %
/// confidence), signed as z; 0 otherwise.
int8_t gi_bin(double z, double p);

} // namespace safer::hotspots
