#pragma once
// Guardianship coverage: where street lighting and CCTV reach, as polygons, and the share of each
// unit (grid cell, area, path segment) they cover. Pure computation in the working CRS (metres).
//
// Shapes
//   A light covers a disc of radius r around it. A camera covers a sector: compass bearing b
//   (0 = north, clockwise), horizontal field of view f, range R: the points within R whose
//   compass direction from the camera lies in [b − f/2, b + f/2]. A camera with no bearing, or
//   f >= 360, covers the full disc of radius R. Occluders (building footprints) cast shadows: a
//   point is hidden when the segment from the camera to it crosses a footprint; footprints are
//   hidden too (they are not public space).
//
//   Curves are drawn as polygons with `quadrant_segments` edges per quarter circle whose radius
//   is scaled by sqrt(δ / sin δ) (δ the angle one edge subtends), so that each polygon has
//   exactly the area of the disc or sector it stands for. With the default 8 edges per quarter
//   the polygon's edge stays within −0.16 % and +0.32 % of the true radius.
//
// Union
//   The study extent is cut into square tiles that line up with the grid of cells. Each tile
//   unions (GEOS cascaded union, GEOSUnaryUnion) the shapes that reach it and keeps the part of
//   the union inside the tile. Tiles run in parallel (oneTBB); their pieces do not overlap, so
//   the coverage area of anything is the sum over tiles of its intersection with each piece.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/disc_union.hpp"
#include "engine/geos.hpp"
#include "engine/grid.hpp"

namespace safer {
class Progress;
}

namespace safer::guard {

// ---- Street lights --------------------------------------------------------------------------

/// How a light's illuminated radius is chosen: its own radius attribute, else
/// `height_factor` × its mounting height, else `default_radius`.
struct LightRule {
    double height_factor = 2.5; // r = 2.5 h: half of a spacing of 5 mounting heights
    double default_radius = 15; // 2.5 × 6 m, the usual UK residential column
};
/// Which of the three rules gave a light its radius.
enum class RadiusFrom : uint8_t { attribute, height, default_radius };
double light_radius(std::optional<double> radius, std::optional<double> height, const LightRule& rule, RadiusFrom* from = nullptr);

// ---- CCTV -----------------------------------------------------------------------------------

/// EN 62676-4 (IEC 62676-4:2014) image-detail levels, as pixels per metre at the target.
enum class Purpose : uint8_t { detect, observe, recognise, identify };
std::optional<Purpose> parse_purpose(std::string_view name);
std::string_view name(Purpose p);
double pixels_per_metre(Purpose p); // 25, 62.5, 125, 250

/// The reference camera for default ranges: 1920 pixels across (1080p) and a 60° horizontal
/// field of view.
struct CameraRule {
    /// Detect: what a public-area scheme asks of a camera (an operator can tell that something is
    /// happening and follow it); observe and the closer levels need a camera for every ~27 m.
    Purpose purpose = Purpose::detect;
    double sensor_pixels = 1920;
    double reference_fov = 60;
    std::optional<double> range; // --cctv-range: overrides the computed default
};
/// The distance at which a camera of `fov_deg` delivers the purpose's pixel density across its
/// image: d = N / (2 · D · tan(f/2)), N pixels across, D pixels per metre. Cameras with no field
/// of view, or one of 180° or more (domes and full-circle cameras), use the reference field of
/// view. With the defaults (detect, 25 px/m, 1920 px, 60°) d = 66.5 m; observe (62.5 px/m) 26.6 m.
double camera_range(std::optional<double> range, std::optional<double> fov_deg, const CameraRule& rule);

struct Camera {
    double x = 0, y = 0;
    std::optional<double> bearing; // compass degrees, [0, 360]
    std::optional<double> fov;     // degrees, (0, 360]
    double range = 0;              // metres
    bool full_circle() const { return !bearing || !fov || *fov >= 360; }
};

/// A building footprint: its exterior ring (holes are treated as filled), as x, y pairs.
struct Occluder {
    std::vector<double> x, y;
    Extent extent;
};

// ---- Shapes and polygons ----------------------------------------------------------------------

/// The equal-area polygon of a disc.
geos::Geometry disc(double x, double y, double r, int quadrant_segments = 8);
/// The equal-area polygon of a camera's sector (its disc for a full-circle camera).
geos::Geometry sector(const Camera& camera, int quadrant_segments = 8);
/// What a camera sees: its sector less the shadows of the occluders (and the occluders). A
/// footprint within 1 m of the camera, or holding it, is taken to be its mount and blocks
/// nothing. `occluders` may hold footprints out of range; they are skipped.
geos::Geometry visible(const Camera& camera, std::span<const Occluder* const> occluders, int quadrant_segments = 8);

/// A shape to union: a disc (x, y, r) or, when `wkb` is set, any polygon given as WKB.
struct Shape {
    double x = 0, y = 0, r = 0;
    std::vector<unsigned char> wkb;
    Extent extent;
};
Shape disc_shape(double x, double y, double r);
Shape polygon_shape(const GEOSGeometry* polygon);

/// Occluders from building footprints (Polygon or MultiPolygon: one per polygon part).
std::vector<Occluder> occluders_from(std::span<const GEOSGeometry* const> footprints);
/// Each camera's view as a shape, in parallel: a disc for a full-circle camera no footprint
/// reaches, else visible() as a polygon.
std::vector<Shape> camera_shapes(const std::vector<Camera>& cameras, const std::vector<Occluder>& occluders, int quadrant_segments = 8);

// ---- Tiles and the union --------------------------------------------------------------------

/// Square tiles laid over a grid, `cells_per_tile` cells a side, from the grid's north-west
/// corner; the last row and column may stick out beyond the grid.
struct Tiling {
    double x0 = 0, y0 = 0; // west and north edges
    double size = 1000;
    int64_t nx = 0, ny = 0;
    int64_t cells_per_tile = 1;

    size_t tiles() const { return static_cast<size_t>(nx) * static_cast<size_t>(ny); }
    Extent tile_extent(size_t t) const;
    /// Tiles (column and row ranges, inclusive) overlapping a closed extent; empty when none.
    bool range(const Extent& e, int64_t& c0, int64_t& c1, int64_t& r0, int64_t& r1) const;
};
/// Tiles of about `target` metres (a whole number of cells) over `grid`.
Tiling tiling_for(const Grid& grid, double target = 1000);

struct Coverage {
    Tiling tiling;
    std::vector<geos::Geometry> piece; // per tile: the union inside the tile, or null
    size_t shapes = 0;                 // shapes given
    size_t shapes_used = 0;            // shapes reaching at least one tile
    size_t fallbacks = 0;              // tiles whose coverage union was redone by a cascaded union
    /// Per tile, convex pieces that tile `piece` exactly (clipped Voronoi pieces), kept when every
    /// shape was a disc of one radius; empty otherwise. polygon_shares uses them.
    std::vector<std::vector<Ring>> convex;
    double area() const;
};
/// Unions the shapes tile by tile, in parallel.
Coverage union_shapes(const std::vector<Shape>& shapes, const Tiling& tiling, int quadrant_segments = 8,
                      Progress* progress = nullptr);

// ---- Shares of units ------------------------------------------------------------------------

/// Covered share (0..1) of each listed cell of `grid` (indices r·nx + c). The tiling must have
/// been made from this grid by tiling_for.
std::vector<double> cell_shares(const Coverage& coverage, const Grid& grid, std::span<const int64_t> cells);
/// Covered share of the area of each polygon (0 for an empty polygon).
std::vector<double> polygon_shares(const Coverage& coverage, std::span<const GEOSGeometry* const> polygons,
                                   Progress* progress = nullptr);
/// Covered share of the length of each line (0 for a line of no length).
std::vector<double> line_shares(const Coverage& coverage, std::span<const GEOSGeometry* const> lines);
/// 1 for each point inside the coverage (boundary included).
std::vector<uint8_t> points_covered(const Coverage& coverage, std::span<const double> x, std::span<const double> y);

} // namespace safer::guard
