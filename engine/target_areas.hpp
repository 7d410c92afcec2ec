#pragma once
// Target-area candidates for a Safer Streets bid: small contiguous clusters of areas (LSOAs)
// with high crime rates, within population limits.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/spatial_weights.hpp"

namespace safer {

/// The defaults make clusters of the size a Safer Streets bid covers: at least 3,000 residents is
/// two LSOAs or more (an LSOA has 1,000 to 3,000), up to 10,000 and five LSOAs. A single LSOA's
/// rate is always above that of any cluster holding it, so without a floor the single busiest
/// LSOAs would win every time.
struct TargetOptions {
    int max_areas = 5;             // areas in a cluster, at most
    double min_population = 3000;  // residents in a cluster, at least
    double max_population = 10000; // residents in a cluster, at most
    size_t keep = 10;              // candidates returned, none sharing an area
};

struct TargetCandidate {
    std::vector<size_t> areas; // ascending area indexes (areas are sorted by code, so by code)
    std::vector<size_t> grown; // the same areas in the order the cluster took them, the seed first
    std::vector<double> grown_rate; // the cluster's rate per 1,000 residents after each step
    double population = 0;
    double count = 0;
    double rate = 0;           // per 1,000 residents: 1000 * count / population
    size_t rank_by_rate = 0;   // 1 = highest rate among the candidates kept
    size_t rank_by_count = 0;  // 1 = most incidents among the candidates kept
};

/// Grows a cluster from every area with a population, highest rate first: the cluster takes, one
/// at a time, the contiguous neighbour (under `contiguity`, without self) that gives the cluster
/// the highest rate, as long as the cluster stays within max_population and max_areas. Every
/// cluster along the way with at least min_population residents is a candidate. Candidates are
/// ranked by rate, then count, then their area indexes (so ties are broken by code, and the
/// result is the same on every run); the best `keep` that share no area are returned, in that
/// order, with their ranks by rate and by count among them. Areas with no population (NaN or 0)
/// never join a cluster.
std::vector<TargetCandidate> target_candidates(const std::vector<double>& count, const std::vector<double>& population,
                                               const hotspots::SpatialWeights& contiguity, const TargetOptions& options);

/// True when `areas` form one connected piece under `contiguity`.
bool is_contiguous(const std::vector<size_t>& areas, const hotspots::SpatialWeights& contiguity);

} // namespace safer
