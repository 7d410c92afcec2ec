#include "engine/geos.hpp"

#include <stdexcept>

namespace safer::geos {

namespace {
thread_local std::string t_message;

void on_message(const char* message, void*) { t_message = message ? message : ""; }

struct Context {
    GEOSContextHandle_t handle;
    Context() : handle(GEOS_init_r()) {
        GEOSContext_setErrorMessageHandler_r(handle, on_message, nullptr);
        GEOSContext_setNoticeMessageHandler_r(handle, on_message, nullptr);
    }
    ~Context() { GEOS_finish_r(handle); }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
};
} // namespace

GEOSContextHandle_t context() {
    thread_local Context t_context;
    return t_context.handle;
}

std::string last_message() { return t_message; }

void GeometryDeleter::operator()(GEOSGeometry* g) const noexcept { GEOSGeom_destroy_r(context(), g); }
void PreparedDeleter::operator()(const GEOSPreparedGeometry* g) const noexcept { GEOSPreparedGeom_destroy_r(context(), g); }

Geometry checked(GEOSGeometry* g, const char* what) {
    if (!g) throw std::runtime_error(std::string("GEOS ") + what + " failed: " + last_message());
    return Geometry(g);
}

Geometry from_wkb(const unsigned char* wkb, size_t size) {
    return checked(GEOSGeomFromWKB_buf_r(context(), wkb, size), "reading WKB");
}

Geometry clone(const GEOSGeometry* g) { return checked(GEOSGeom_clone_r(context(), g), "clone"); }

Prepared prepare(const GEOSGeometry* g) {
    const GEOSPreparedGeometry* p = GEOSPrepare_r(context(), g);
    if (!p) throw std::runtime_error("GEOS prepare failed: " + last_message());
    return Prepared(p);
}

Geometry point(double x, double y) { return checked(GEOSGeom_createPointFromXY_r(context(), x, y), "point"); }

Envelope envelope(const GEOSGeometry* g) {
    Envelope e{};
    if (!GEOSGeom_getXMin_r(context(), g, &e.min_x) || !GEOSGeom_getYMin_r(context(), g, &e.min_y) ||
        !GEOSGeom_getXMax_r(context(), g, &e.max_x) || !GEOSGeom_getYMax_r(context(), g, &e.max_y))
        throw std::runtime_error("GEOS envelope failed: " + last_message());
    return e;
}

void cache_envelopes(const GEOSGeometry* g) {
    GEOSContextHandle_t ctx = context();
    if (!g || GEOSisEmpty_r(ctx, g) == 1) return;
    double v = 0;
    GEOSGeom_getXMin_r(ctx, g, &v);
    const int type = GEOSGeomTypeId_r(ctx, g);
    if (type == GEOS_POLYGON) {
        GEOSGeom_getXMin_r(ctx, GEOSGetExteriorRing_r(ctx, g), &v);
        for (int i = 0, n = GEOSGetNumInteriorRings_r(ctx, g); i < n; ++i) GEOSGeom_getXMin_r(ctx, GEOSGetInteriorRingN_r(ctx, g, i), &v);
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_MULTILINESTRING || type == GEOS_GEOMETRYCOLLECTION || type == GEOS_MULTIPOINT) {
        for (int i = 0, n = GEOSGetNumGeometries_r(ctx, g); i < n; ++i) cache_envelopes(GEOSGetGeometryN_r(ctx, g, i));
    }
}

Extent extent(const GEOSGeometry* g) {
    if (GEOSisEmpty_r(context(), g) == 1) return {};
    const Envelope e = envelope(g);
    return {e.min_x, e.min_y, e.max_x, e.max_y};
}

double length(const GEOSGeometry* g) {
    double l = 0;
    if (!GEOSLength_r(context(), g, &l)) throw std::runtime_error("GEOS length failed: " + last_message());
    return l;
}

double area(const GEOSGeometry* g) {
    double a = 0;
    if (!GEOSArea_r(context(), g, &a)) throw std::runtime_error("GEOS area failed: " + last_message());
    return a;
}

} // namespace safer::geos
