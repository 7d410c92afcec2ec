#pragma once
// The union of many discs of one radius, as pieces that tile it exactly: each distinct centre
// keeps the part of its disc inside its Voronoi cell (Boost.Polygon's Voronoi diagram). The
// pieces are convex and do not overlap, and neighbouring pieces share their common edge vertex
// for vertex (every shared point is computed once, from the pair of centres, in one canonical
// order), so GEOS's coverage union can merge them without an overlay. This is what makes the
// lighting union of 50,000 street lights take well under a second: a cascaded union of the
// discs themselves does an overlay at every level of its tree.
//
// Circles are drawn with vertices at the angles k·δ (δ = 2π / (4 · quadrant_segments)) on a
// circle of radius r·sqrt(δ / sin δ), which gives a whole disc the exact area π r²; arcs cut by
// a cell's edges end at the exact crossing points. Centres are rounded to 1 mm first.
#include <span>
#include <vector>

#include "engine/grid.hpp"

namespace safer::guard {

/// A closed ring (first point repeated last), counter-clockwise.
struct Ring {
    std::vector<double> x, y;
    double area() const;
    Extent extent() const;
};

/// One convex piece per distinct centre (after rounding to 1 mm); duplicates are dropped.
std::vector<Ring> disc_union_pieces(std::span<const double> x, std::span<const double> y, double r, int quadrant_segments);

/// A polygon: a counter-clockwise shell and clockwise holes.
struct PolygonRings {
    Ring shell;
    std::vector<Ring> holes;
};

/// The union of pieces that tile it (no overlaps; every edge two pieces share is split the same
/// way in both, with identical coordinates), by cancelling the shared edges and tracing what is
/// left: linear in the number of edges, where an overlay or GEOS's coverage union (which
/// polygonises) is much slower on thousands of pieces. At a vertex where several boundary edges
/// leave, the most clockwise is taken, so polygons touching at a point come out separate. Each
/// hole goes to the smallest shell holding it.
std::vector<PolygonRings> merge_pieces(const std::vector<Ring>& pieces);

/// Clips a convex ring to a rectangle (closed). Points where an edge crosses the rectangle are
/// computed from the edge's endpoints in a fixed order, so two rings sharing an edge get the same
/// new vertex. Returns an empty ring when nothing is left.
Ring clip_convex(const Ring& ring, const Extent& box);

/// The area of the region inside `subject` (a closed ring, either orientation, convex or not)
/// and inside the convex counter-clockwise ring `convex` whose extent is `box`: the subject is
/// clipped to the box and then to each edge of the convex ring (Sutherland-Hodgman, exact in
/// area for a convex window), and the absolute area of the result returned.
double area_in_convex(const Ring& subject, const Ring& convex, const Extent& box);

} // namespace safer::guard
