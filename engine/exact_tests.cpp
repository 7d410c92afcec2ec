#include "engine/exact_tests.hpp"

#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include <algorithm>
#include <functional>
#include <limits>
#include <vector>

namespace safer::evaluation {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
// Outcomes whose probability is within this relative distance of the observed one's count as
// "no more likely" (floating-point ties), as R does.
constexpr double tie_tolerance = 1e-7;

double log_choose(double n, double k) { return boost::math::lgamma(n + 1) - boost::math::lgamma(k + 1) - boost::math::lgamma(n - k + 1); }

/// The root of a function increasing in theta, f(theta) = target, by bisection after bracketing;
/// -infinity or +infinity when no bracket is found within |theta| <= 700 (psi = e^theta).
double solve_increasing(const std::function<double(double)>& f, double target) {
    double lo = -1, hi = 1;
    while (f(lo) > target) {
        if (lo < -700) return -infinity;
        lo *= 2;
    }
    while (f(hi) < target) {
        if (hi > 700) return infinity;
        hi *= 2;
    }
    for (int i = 0; i < 200 && hi - lo > 1e-13 * std::max(1.0, std::fabs(lo) + std::fabs(hi)); ++i) {
        const double mid = 0.5 * (lo + hi);
        (f(mid) < target ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
}

/// Fisher's noncentral hypergeometric distribution of the top-left cell given the margins.
class NoncentralHypergeometric {
public:
    NoncentralHypergeometric(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
        const double m = static_cast<double>(a + c), n = static_cast<double>(b + d), k = static_cast<double>(a + b);
        m_lo = a + b > b + d ? a + b - (b + d) : 0;
        m_hi = std::min(a + b, a + c);
        for (uint64_t x = m_lo; x <= m_hi; ++x) m_log_central.push_back(log_choose(m, static_cast<double>(x)) + log_choose(n, k - static_cast<double>(x)));
    }
    uint64_t lo() const { return m_lo; }
    uint64_t hi() const { return m_hi; }
    /// P(X = x) for each x of the support, at psi = e^theta.
    std::vector<double> probabilities(double theta) const {
        std::vector<double> p(m_log_central.size());
        double top = -infinity;
        for (size_t i = 0; i < p.size(); ++i) top = std::max(top, p[i] = m_log_central[i] + theta * static_cast<double>(m_lo + i));
        double sum = 0;
        for (double& v : p) sum += v = std::exp(v - top);
        for (double& v : p) v /= sum;
        return p;
    }
    double mean(double theta) const {
        const std::vector<double> p = probabilities(theta);
        double mu = 0;
        for (size_t i = 0; i < p.size(); ++i) mu += p[i] * static_cast<double>(m_lo + i);
        return mu;
    }
    /// P(X >= x) when `upper`, else P(X <= x).
    double tail(uint64_t x, double theta, bool upper) const {
        const std::vector<double> p = probabilities(theta);
        double s = 0;
        for (size_t i = 0; i < p.size(); ++i)
            if (upper ? m_lo + i >= x : m_lo + i <= x) s += p[i];
        return std::min(1.0, s);
    }

private:
    uint64_t m_lo = 0, m_hi = 0;
    std::vector<double> m_log_central;
};

} // namespace

double binomial_two_sided_p(uint64_t x, uint64_t n, double prob) {
    if (n == 0 || prob <= 0 || prob >= 1) return 1.0;
    const double dn = static_cast<double>(n), lp = std::log(prob), lq = std::log1p(-prob);
    if (static_cast<double>(x) == dn * prob) return 1.0; // the expected count: every outcome is as likely or less
    const auto log_pmf = [&](uint64_t i) { return log_choose(dn, static_cast<double>(i)) + static_cast<double>(i) * lp + (dn - static_cast<double>(i)) * lq; };
    const double limit = log_pmf(x) + std::log1p(tie_tolerance);
    // The pmf from its mode outward by the ratio f(i+1)/f(i) = (n-i)/(i+1) * p/q, in logs.
    const auto mode = static_cast<uint64_t>(std::min(dn, std::floor((dn + 1) * prob)));
    const double log_mode = log_pmf(mode);
    double p = 0;
    double l = log_mode;
    for (uint64_t i = mode;; ++i) {
        if (l <= limit) p += std::exp(l);
        if (i == n) break;
        l += std::log(static_cast<double>(n - i)) - std::log(static_cast<double>(i + 1)) + lp - lq;
    }
    l = log_mode;
    for (uint64_t i = mode; i > 0; --i) {
        l += std::log(static_cast<double>(i)) - std::log(static_cast<double>(n - i + 1)) + lq - lp;
        if (l <= limit) p += std::exp(l);
    }
    return std::min(1.0, p);
}

ExactResult rate_ratio_test(uint64_t x1, double t1, uint64_t x2, double t2, double confidence) {
    ExactResult r;
    const uint64_t n = x1 + x2;
    if (n == 0) {
        r.p = 1;
        return r;
    }
    const double alpha = 1 - confidence;
    r.estimate = x2 == 0 ? infinity : (static_cast<double>(x1) / t1) / (static_cast<double>(x2) / t2);
    r.p = binomial_two_sided_p(x1, n, t1 / (t1 + t2));
    // Clopper-Pearson limits of the binomial proportion: Beta quantiles.
    const double dx = static_cast<double>(x1), dn = static_cast<double>(n);
    const double p_low = x1 == 0 ? 0 : boost::math::ibeta_inv(dx, dn - dx + 1, alpha / 2);
    const double p_high = x1 == n ? 1 : boost::math::ibeta_inv(dx + 1, dn - dx, 1 - alpha / 2);
    r.low = p_low / (1 - p_low) * t2 / t1;
    r.high = p_high >= 1 ? infinity : p_high / (1 - p_high) * t2 / t1;
    return r;
}

ExactResult fisher_exact_2x2(uint64_t a, uint64_t b, uint64_t c, uint64_t d, double confidence) {
    ExactResult r;
    const NoncentralHypergeometric h(a, b, c, d);
    if (h.lo() == h.hi()) { // a margin of 0: nothing can be estimated
        r.p = 1;
        return r;
    }
    const double alpha = (1 - confidence) / 2;
    const double da = static_cast<double>(a);
    const auto exp_or = [](double theta) { return theta == infinity ? infinity : theta == -infinity ? 0.0 : std::exp(theta); };
    r.estimate = a == h.lo() ? 0 : a == h.hi() ? infinity : exp_or(solve_increasing([&](double t) { return h.mean(t); }, da));
    r.low = a == h.lo() ? 0 : exp_or(solve_increasing([&](double t) { return h.tail(a, t, true); }, alpha));
    r.high = a == h.hi() ? infinity : exp_or(solve_increasing([&](double t) { return -h.tail(a, t, false); }, -alpha));
    const std::vector<double> central = h.probabilities(0);
    const double observed = central[a - h.lo()] * (1 + tie_tolerance);
    double p = 0;
    for (double v : central)
        if (v <= observed) p += v;
    r.p = std::min(1.0, p);
    return r;
}

} // namespace safer::evaluation
