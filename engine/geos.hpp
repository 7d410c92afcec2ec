#pragma once
// A thin RAII layer over the reentrant GEOS C API: one context per thread, handles that free
// themselves. Errors become exceptions carrying GEOS's own message.
#include <geos_c.h>

#include <memory>
#include <string>

#include "engine/grid.hpp"

namespace safer::geos {

/// This thread's GEOS context, created on first use.
GEOSContextHandle_t context();
/// The last error or notice GEOS reported on this thread.
std::string last_message();

struct GeometryDeleter {
    void operator()(GEOSGeometry* g) const noexcept;
};
struct PreparedDeleter {
    void operator()(const GEOSPreparedGeometry* g) const noexcept;
};
using Geometry = std::unique_ptr<GEOSGeometry, GeometryDeleter>;
using Prepared = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>;

/// Takes ownership of a result; throws with GEOS's message (and `what`) if it is null.
Geometry checked(GEOSGeometry* g, const char* what);

Geometry from_wkb(const unsigned char* wkb, size_t size);
Geometry clone(const GEOSGeometry* g);
Prepared prepare(const GEOSGeometry* g);
Geometry point(double x, double y);

struct Envelope {
    double min_x, min_y, max_x, max_y;
};
Envelope envelope(const GEOSGeometry* g);
/// Makes GEOS compute and keep the envelope of `g`, of each of its parts and of each of their
/// rings. GEOS 3.11 computes them lazily on first use, and two threads doing so at once on a
/// shared geometry race (one envelope leaks, as AddressSanitizer saw): call this before threads
/// read a geometry.
void cache_envelopes(const GEOSGeometry* g);
/// The envelope as an Extent (empty for an empty geometry).
Extent extent(const GEOSGeometry* g);
double area(const GEOSGeometry* g);
/// Length of a line (0 for an empty geometry or a point).
double length(const GEOSGeometry* g);

} // namespace safer::geos
