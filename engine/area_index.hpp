#pragma once
// Point-in-polygon assignment of incidents to areas.
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/areas.hpp"

namespace safer {

class Progress;

inline constexpr int32_t no_area = -1;

/// Two areas whose interiors overlap: a point inside `inner` (GEOS PointOnSurface) lies inside
/// `outer` too, which the slivers between generalised boundaries never do.
struct AreaOverlap {
    size_t outer = 0, inner = 0;
    double area_m2 = 0;     // of their intersection
    double inner_share = 0; // of the inner area's own area, 0..1
};

/// Finds the area each point lies in: an R-tree (Boost.Geometry, packed) over area envelopes
/// picks candidates, and GEOS prepared geometries decide. A point on a boundary shared by
/// several areas goes to the first of them in code order, so every point goes to exactly one
/// area, the same one on every run. Points are de-duplicated first, and the work runs in
/// parallel with oneTBB, each thread using its own prepared geometries.
class AreaIndex {
public:
    explicit AreaIndex(const Areas& areas);
    ~AreaIndex();
    AreaIndex(const AreaIndex&) = delete;
    AreaIndex& operator=(const AreaIndex&) = delete;

    /// The area of each point, or no_area.
    std::vector<int32_t> locate(const std::vector<double>& x, const std::vector<double>& y,
                                Progress* progress = nullptr) const;

    /// Pairs of areas that overlap by more than slivers (see AreaOverlap), at most `limit` of them,
    /// in order of the inner area; `total`, if given, receives how many pairs there are.
    std::vector<AreaOverlap> overlaps(size_t limit, size_t* total = nullptr) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace safer
