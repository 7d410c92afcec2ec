#pragma once
// Small areas (LSOAs or any polygons) with their denominators.
#include <cmath>
#include <string>
#include <vector>

#include "engine/geos.hpp"

namespace safer {

/// Areas sorted by code. Population and households are NaN where unknown. Geometry is polygonal
/// and valid, in the working CRS.
struct Areas {
    std::vector<std::string> code;
    std::vector<std::string> name;
    std::vector<double> population;
    std::vector<double> households;
    std::vector<geos::Geometry> geometry;

    size_t size() const { return code.size(); }
    /// The extent of every area's envelope (empty when there are none).
    Extent extent() const {
        Extent e;
        for (const auto& g : geometry) e.add(geos::extent(g.get()));
        return e;
    }
    bool has_population() const {
        for (double p : population)
            if (!std::isnan(p)) return true;
        return false;
    }
};

} // namespace safer
