#include "engine/displacement.hpp"

#include <boost/math/distributions/normal.hpp>

#include <array>

#include "engine/fdr.hpp"

namespace safer::evaluation {

DisplacementQuotient displacement_quotient(AreaCounts target, AreaCounts buffer, AreaCounts control) {
    DisplacementQuotient q;
    if (!(control.before > 0) || !(control.after > 0)) return q;
    const double cb = control.before, ca = control.after;
    q.success = target.after / ca - target.before / cb;
    q.buffer = buffer.after / ca - buffer.before / cb;
    if (q.success != 0) q.wdq = q.buffer / q.success;
    q.meaningful = q.success < 0;
    q.net_target = target.before * (ca / cb) - target.after;
    q.net_buffer = buffer.before * (ca / cb) - buffer.after;
    q.net_effect = q.net_target + q.net_buffer;
    return q;
}

DisplacementDifference displacement_difference(AreaCounts t, AreaCounts ct, AreaCounts d, AreaCounts cd, bool shared_control, ControlScaling scaling,
                                               double confidence) {
    DisplacementDifference r;
    // The eight counts, and dWDD/dcount for each.
    enum { T0, T1, C0, C1, D0, D1, E0, E1 };
    const std::array<double, 8> n{t.before, t.after, ct.before, ct.after, d.before, d.after, cd.before, cd.after};
    std::array<double, 8> g{};
    if (scaling == ControlScaling::raw) {
        r.expected_target = t.before + (ct.after - ct.before);
        const double expected_buffer = d.before + (cd.after - cd.before);
        r.local = t.after - r.expected_target;
        r.displacement = d.after - expected_buffer;
        g = {-1, 1, 1, -1, -1, 1, 1, -1};
    } else {
        if (!(ct.before > 0)) return r;
        const double kt = t.before / ct.before;
        // A buffer with no crime before needs no control; one with crime before needs a control with some.
        if (d.before > 0 && !(cd.before > 0)) return r;
        const double kd = d.before > 0 ? d.before / cd.before : 0;
        const double rt = ct.after / ct.before, rd = cd.before > 0 ? cd.after / cd.before : 0;
        r.expected_target = t.before * rt;
        r.local = t.after - r.expected_target;
        r.displacement = d.after - d.before * rd;
        g = {-rt, 1, kt * rt, -kt, -rd, 1, kd * rd, -kd};
    }
    r.wdd = r.local + r.displacement;
    if (shared_control) { // Cd is Ct: its two uses move together
        g[C0] += g[E0], g[C1] += g[E1];
        g[E0] = g[E1] = 0;
    }
    double variance = 0;
    for (size_t i = 0; i < n.size(); ++i) variance += g[i] * g[i] * n[i];
    r.se = std::sqrt(variance);
    if (r.se > 0) {
        r.z = r.wdd / r.se;
        r.p = hotspots::two_sided_normal_p(r.z);
    }
    const double z = boost::math::quantile(boost::math::normal(), 1 - (1 - confidence) / 2);
    r.low = r.wdd - z * r.se;
    r.high = r.wdd + z * r.se;
    return r;
}

} // namespace safer::evaluation
