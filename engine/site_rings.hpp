#pragma once
// Crime around a planning site: rings of distance from the red line itself (0 inside the site,
// not from its centroid), and which ring each incident falls in.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/geos.hpp"

namespace safer {

/// Checks radii: each above 0 and strictly increasing (InputError naming them otherwise).
void check_radii(const std::vector<double>& radii);

struct SiteRings {
    std::vector<double> radii;               // metres, ascending
    std::vector<geos::Geometry> ring;        // ring k: distance in (r_{k-1}, r_k]; ring 0: [0, r_0], the site included
    std::vector<double> area_m2;             // of each ring polygon
};

/// The ring polygons: buffers of the site at each radius (64 segments a quarter circle, so areas
/// are within 0.01 % of the exact buffer), each less the one inside it.
SiteRings site_rings(const GEOSGeometry* site, const std::vector<double>& radii);

/// For each point, the index of the first ring whose radius is at least the point's distance to
/// the site (0 inside it), or -1 beyond the last ring. Distance is exact (GEOS prepared distance
/// to the polygon), not read off the buffered polygons. Parallel.
/// `distance`, if given, receives each point's distance (NaN beyond the last ring).
std::vector<int32_t> ring_of_points(const GEOSGeometry* site, const std::vector<double>& radii, std::span<const double> x,
                                    std::span<const double> y, std::vector<double>* distance = nullptr);

} // namespace safer
