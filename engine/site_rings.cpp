#include "engine/site_rings.hpp"

#include <fmt/core.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "engine/errors.hpp"

namespace safer {

void check_radii(const std::vector<double>& radii) {
    if (radii.empty()) throw InputError("--radii: give at least one distance in metres, e.g. 100,250,500,1000");
    for (size_t i = 0; i < radii.size(); ++i) {
        if (!(radii[i] > 0)) throw InputError(fmt::format("--radii: {} m is not a distance above 0", radii[i]));
        if (i > 0 && !(radii[i] > radii[i - 1]))
            throw InputError(fmt::format("--radii: the distances must increase ({} m follows {} m); give them in order, e.g. 100,250,500,1000",
                                         radii[i], radii[i - 1]));
    }
}

SiteRings site_rings(const GEOSGeometry* site, const std::vector<double>& radii) {
    check_radii(radii);
    GEOSContextHandle_t ctx = geos::context();
    SiteRings r;
    r.radii = radii;
    geos::Geometry inner;
    for (double d : radii) {
        geos::Geometry outer = geos::checked(GEOSBuffer_r(ctx, site, d, 64), "site buffer");
        geos::Geometry ring = inner ? geos::checked(GEOSDifference_r(ctx, outer.get(), inner.get()), "site ring") : geos::clone(outer.get());
        r.area_m2.push_back(geos::area(ring.get()));
        r.ring.push_back(std::move(ring));
        inner = std::move(outer);
    }
    return r;
}

std::vector<int32_t> ring_of_points(const GEOSGeometry* site, const std::vector<double>& radii, std::span<const double> x,
                                    std::span<const double> y, std::vector<double>* distance) {
    check_radii(radii);
    if (distance) distance->assign(x.size(), std::numeric_limits<double>::quiet_NaN());
    const geos::Envelope e = geos::envelope(site);
    const double reach = radii.back();
    std::vector<int32_t> ring(x.size(), -1);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, x.size(), 4096), [&](const tbb::blocked_range<size_t>& range) {
        GEOSContextHandle_t ctx = geos::context();
        const geos::Prepared prepared = geos::prepare(site);
        for (size_t i = range.begin(); i != range.end(); ++i) {
            // Most points are far away: the envelope grown by the largest radius rules them out.
            if (x[i] < e.min_x - reach || x[i] > e.max_x + reach || y[i] < e.min_y - reach || y[i] > e.max_y + reach) continue;
            const geos::Geometry p = geos::point(x[i], y[i]);
            double d = 0;
            if (GEOSPreparedDistance_r(ctx, prepared.get(), p.get(), &d) != 1) throw std::runtime_error("GEOS distance failed: " + geos::last_message());
            const auto it = std::lower_bound(radii.begin(), radii.end(), d);
            if (it != radii.end()) {
                ring[i] = static_cast<int32_t>(it - radii.begin());
                if (distance) (*distance)[i] = d;
            }
        }
    });
    return ring;
}

} // namespace safer
