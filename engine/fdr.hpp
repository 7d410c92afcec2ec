#pragma once
// p-value helpers for hotspot statistics: normal tail probabilities and multiple-comparison
// adjustments. Adjusted p-values are returned in input order; NaN input is refused.
#include <span>
#include <vector>

namespace safer::hotspots {

/// Two-sided p of a standard normal z: 2 * (1 - Phi(|z|)), computed as erfc(|z| / sqrt 2) so
/// that tiny p-values keep their precision.
double two_sided_normal_p(double z);

/// Benjamini & Hochberg (1995) step-up adjusted p-values (R's p.adjust(method = "BH")):
/// q_(i) = min over j >= i of (m / j) p_(j), capped at 1, with p sorted ascending and ties kept
/// in input order. A p is significant at FDR level a exactly when its q <= a, which is the set
/// Esri's "Apply False Discovery Rate correction" keeps at each confidence level.
std::vector<double> benjamini_hochberg(std::span<const double> p);

/// Holm (1979) step-down adjusted p-values (R's p.adjust(method = "holm"), the default that
/// sfhotspot applies to each cell's per-period p-values).
std::vector<double> holm(std::span<const double> p);

} // namespace safer::hotspots
