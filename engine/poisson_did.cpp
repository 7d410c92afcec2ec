#include "engine/poisson_did.hpp"

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <array>

namespace safer::evaluation {

namespace {

/// A symmetric positive definite matrix, factorised once (Cholesky) to solve and invert.
class Cholesky {
public:
    Cholesky(std::vector<double> a, size_t n) : m_l(std::move(a)), m_n(n) {
        for (size_t j = 0; j < n; ++j) {
            double d = m_l[j * n + j];
            for (size_t k = 0; k < j; ++k) d -= m_l[j * n + k] * m_l[j * n + k];
            if (!(d > 0)) {
                m_ok = false;
                return;
            }
            d = std::sqrt(d);
            m_l[j * n + j] = d;
            for (size_t i = j + 1; i < n; ++i) {
                double s = m_l[i * n + j];
                for (size_t k = 0; k < j; ++k) s -= m_l[i * n + k] * m_l[j * n + k];
                m_l[i * n + j] = s / d;
            }
        }
    }
    bool ok() const { return m_ok; }
    std::vector<double> solve(std::vector<double> b) const {
        const size_t n = m_n;
        for (size_t i = 0; i < n; ++i) {
            for (size_t k = 0; k < i; ++k) b[i] -= m_l[i * n + k] * b[k];
            b[i] /= m_l[i * n + i];
        }
        for (size_t i = n; i-- > 0;) {
            for (size_t k = i + 1; k < n; ++k) b[i] -= m_l[k * n + i] * b[k];
            b[i] /= m_l[i * n + i];
        }
        return b;
    }
    std::vector<double> inverse() const {
        std::vector<double> inv(m_n * m_n);
        for (size_t j = 0; j < m_n; ++j) {
            std::vector<double> e(m_n, 0.0);
            e[j] = 1;
            const std::vector<double> col = solve(std::move(e));
            for (size_t i = 0; i < m_n; ++i) inv[i * m_n + j] = col[i];
        }
        return inv;
    }

private:
    std::vector<double> m_l;
    size_t m_n;
    bool m_ok = true;
};

/// One unit-month: its count, and the columns of its three possible 1s in the design matrix.
struct Observation {
    double y;
    size_t unit, month; // column of alpha_u; column of gamma_t (npos for the first month)
    bool treated_after;
    size_t cluster;
};
constexpr size_t npos = static_cast<size_t>(-1);

double deviance(const std::vector<Observation>& obs, const std::vector<double>& mu) {
    double d = 0;
    for (size_t i = 0; i < obs.size(); ++i) d += 2 * ((obs[i].y > 0 ? obs[i].y * std::log(obs[i].y / mu[i]) : 0) - (obs[i].y - mu[i]));
    return d;
}

} // namespace

DidResult poisson_did(const DidInput& in, double confidence) {
    DidResult r;
    const size_t units = in.counts.size();
    const size_t months = units ? in.counts.front().size() : 0;
    // Months in which some unit recorded crime, and units with any crime in them.
    std::vector<size_t> used_months, used_units;
    for (size_t t = 0; t < months; ++t) {
        double total = 0;
        for (size_t u = 0; u < units; ++u) total += in.counts[u][t];
        if (total > 0) used_months.push_back(t);
        else ++r.months_without_crime;
    }
    std::array<double, 4> cells{}; // treated before, treated after, control before, control after
    for (size_t u = 0; u < units; ++u) {
        double total = 0;
        for (size_t t : used_months) {
            total += in.counts[u][t];
            cells[(in.treated[u] ? 0 : 2) + (t >= in.first_post ? 1 : 0)] += in.counts[u][t];
        }
        if (total > 0) used_units.push_back(u);
    }
    const auto before = std::count_if(used_months.begin(), used_months.end(), [&](size_t t) { return t < in.first_post; });
    if (before == 0 || before == static_cast<std::ptrdiff_t>(used_months.size())) return r;
    if (std::any_of(cells.begin(), cells.end(), [](double c) { return !(c > 0); })) {
        r.status = DidStatus::empty_cell;
        return r;
    }
    const size_t U = used_units.size(), G = used_months.size();
    const size_t K = U + (G - 1) + 1, beta = K - 1;
    std::vector<Observation> obs;
    for (size_t ui = 0; ui < U; ++ui)
        for (size_t gi = 0; gi < G; ++gi) {
            const size_t u = used_units[ui], t = used_months[gi];
            obs.push_back({in.counts[u][t], ui, gi == 0 ? npos : U + gi - 1, in.treated[u] && t >= in.first_post, gi});
        }
    const auto columns = [&](const Observation& o, auto&& visit) {
        visit(o.unit);
        if (o.month != npos) visit(o.month);
        if (o.treated_after) visit(beta);
    };
    // Newton-Raphson for the canonical log link, started as R's glm starts (mu = y + 0.1).
    std::vector<double> mu(obs.size()), eta(obs.size()), coef(K, 0.0);
    for (size_t i = 0; i < obs.size(); ++i) mu[i] = obs[i].y + 0.1, eta[i] = std::log(mu[i]);
    double dev = deviance(obs, mu);
    std::vector<double> xwx(K * K);
    bool converged = false;
    for (r.iterations = 1; r.iterations <= 100; ++r.iterations) {
        std::fill(xwx.begin(), xwx.end(), 0.0);
        std::vector<double> xwz(K, 0.0);
        for (size_t i = 0; i < obs.size(); ++i) {
            const double z = eta[i] + (obs[i].y - mu[i]) / mu[i];
            columns(obs[i], [&](size_t a) {
                xwz[a] += mu[i] * z;
                columns(obs[i], [&](size_t b) { xwx[a * K + b] += mu[i]; });
            });
        }
        const Cholesky chol(xwx, K);
        if (!chol.ok()) break;
        coef = chol.solve(xwz);
        for (size_t i = 0; i < obs.size(); ++i) {
            double e = 0;
            columns(obs[i], [&](size_t a) { e += coef[a]; });
            eta[i] = e;
            mu[i] = std::exp(e);
        }
        const double next = deviance(obs, mu);
        const bool done = std::fabs(next - dev) / (std::fabs(next) + 0.1) < 1e-12;
        dev = next;
        if (done) {
            converged = true;
            break;
        }
    }
    if (!converged) {
        r.status = DidStatus::not_converged;
        return r;
    }
    // The bread at the estimate and the meat from each month's score.
    std::fill(xwx.begin(), xwx.end(), 0.0);
    std::vector<std::vector<double>> score(G, std::vector<double>(K, 0.0));
    for (size_t i = 0; i < obs.size(); ++i) {
        columns(obs[i], [&](size_t a) {
            score[obs[i].cluster][a] += obs[i].y - mu[i];
            columns(obs[i], [&](size_t b) { xwx[a * K + b] += mu[i]; });
        });
    }
    const Cholesky chol(xwx, K);
    if (!chol.ok()) {
        r.status = DidStatus::not_converged;
        return r;
    }
    const std::vector<double> bread = chol.inverse();
    // (B U_g)_beta for each cluster: the beta row of the bread times the cluster's score.
    double meat = 0;
    for (const auto& u : score) {
        double s = 0;
        for (size_t a = 0; a < K; ++a) s += bread[beta * K + a] * u[a];
        meat += s * s;
    }
    const double g = static_cast<double>(G);
    r.status = DidStatus::estimated;
    r.beta = coef[beta];
    r.deviance = dev;
    r.model_se = std::sqrt(bread[beta * K + beta]);
    r.se = std::sqrt(meat * g / (g - 1));
    r.clusters = G;
    r.df = static_cast<int>(G) - 1;
    const boost::math::students_t t_dist(r.df);
    const double critical = boost::math::quantile(t_dist, 1 - (1 - confidence) / 2);
    r.t = r.beta / r.se;
    r.p = 2 * boost::math::cdf(boost::math::complement(t_dist, std::fabs(r.t)));
    r.low = r.beta - critical * r.se;
    r.high = r.beta + critical * r.se;
    return r;
}

} // namespace safer::evaluation
