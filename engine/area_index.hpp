#pragma once
// Point-in-polygon assignment of incidents to areas.
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/areas.hpp"

namespace safer {

class Progress;

inline constexpr int32_t no_area = -1;

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

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace safer
