// The estimators of safer evaluate, each against values worked out independently: R 4.2.2's
// poisson.test, binom.test, fisher.test and glm + sandwich::vcovCL (run on this machine, the
// calls quoted), the published Wheeler & Ratcliffe (2018) WDD example, hand arithmetic, and
// brute-force searches written differently from the code.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "engine/displacement.hpp"
#include "engine/exact_tests.hpp"
#include "engine/poisson_did.hpp"
#include "engine/synthetic_control.hpp"

using namespace safer::evaluation;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

TEST_CASE("The binomial two-sided p counts the outcomes no more likely than the one observed, as R's binom.test", "[evaluation]") {
    CHECK_THAT(binomial_two_sided_p(10, 30, 0.5), WithinRel(0.09873715, 1e-7)); // binom.test(10, 30)
    CHECK_THAT(binomial_two_sided_p(682, 925, 0.75), WithinRel(0.3824916, 1e-6)); // binom.test(682, 925, p = 3/4)
    CHECK_THAT(binomial_two_sided_p(12, 30, 1.0 / 3), WithinRel(0.4429185, 1e-6)); // binom.test(12, 30, 1/3)
    CHECK_THAT(binomial_two_sided_p(3, 13, 0.5), WithinRel(0.09228516, 1e-6));     // binom.test(3, 13)
    CHECK(binomial_two_sided_p(15, 30, 0.5) == 1.0);                               // the most likely outcome
}

TEST_CASE("The exact rate-ratio test gives R's poisson.test estimate, interval and p", "[evaluation]") {
    const ExactResult a = rate_ratio_test(10, 1, 20, 1); // poisson.test(c(10, 20))
    CHECK_THAT(a.estimate, WithinRel(0.5, 1e-12));
    CHECK_THAT(a.low, WithinRel(0.209006, 1e-5));
    CHECK_THAT(a.high, WithinRel(1.119183, 1e-5));
    CHECK_THAT(a.p, WithinRel(0.09873715, 1e-7));
    const ExactResult b = rate_ratio_test(11, 800, 21, 3011); // poisson.test(c(11, 21), c(800, 3011)), R's help example
    CHECK_THAT(b.estimate, WithinRel(1.971488, 1e-6));
    CHECK_THAT(b.low, WithinRel(0.8584264, 1e-6));
    CHECK_THAT(b.high, WithinRel(4.2772659, 1e-6));
    CHECK_THAT(b.p, WithinRel(0.07966863, 1e-6));
    const ExactResult c = rate_ratio_test(30, 2, 20, 1); // poisson.test(c(30, 20), c(2, 1)): unequal exposure
    CHECK_THAT(c.estimate, WithinRel(0.75, 1e-12));
    CHECK_THAT(c.low, WithinRel(0.4120659, 1e-6));
    CHECK_THAT(c.high, WithinRel(1.3933772, 1e-6));
    CHECK_THAT(c.p, WithinRel(0.3678789, 1e-6));
    const ExactResult none = rate_ratio_test(0, 6, 9, 7); // no crime after: the ratio is 0 and its lower limit too
    CHECK(none.estimate == 0);
    CHECK(none.low == 0);
    CHECK(none.high > 0);
}

TEST_CASE("Fisher's exact test gives R's fisher.test conditional estimate, interval and p", "[evaluation]") {
    // fisher.test(matrix(c(a, c, b, d), 2)): estimate, conf.int, p.value (R 4.2.2). R finds the
    // roots with uniroot's default tolerance, so agreement is to about 1e-4.
    struct Case {
        uint64_t a, b, c, d;
        double estimate, low, high, p;
    };
    const Case cases[] = {
        {12, 20, 30, 28, 0.5636254595, 0.2092903837, 1.470647489, 0.26997178},
        {3, 10, 40, 38, 0.2887032912, 0.04746011082, 1.235753059, 0.07548934231},
        {110, 207, 318, 308, 0.5150476427, 0.3850427142, 0.68670731, 3.297498229e-06},
        {60, 100, 220, 200, 0.5460174291, 0.3684321236, 0.8046062467, 0.001547009151},
        {25, 5, 10, 12, 5.76856507, 1.440803699, 26.87318273, 0.006666882244},
    };
    for (const Case& k : cases) {
        const ExactResult r = fisher_exact_2x2(k.a, k.b, k.c, k.d);
        INFO(k.a << " " << k.b << " " << k.c << " " << k.d);
        CHECK_THAT(r.estimate, WithinRel(k.estimate, 2e-4));
        CHECK_THAT(r.low, WithinRel(k.low, 2e-4));
        CHECK_THAT(r.high, WithinRel(k.high, 2e-4));
        CHECK_THAT(r.p, WithinRel(k.p, 1e-6));
    }
    const ExactResult zero = fisher_exact_2x2(0, 5, 9, 10); // the lowest possible cell: estimate and lower limit 0
    CHECK(zero.estimate == 0);
    CHECK(zero.low == 0);
    CHECK_THAT(zero.high, WithinRel(1.633360494, 2e-4));
    CHECK_THAT(zero.p, WithinRel(0.118083004, 1e-6));
    // A table with equal rows: the estimate is 1 and the p 1.
    const ExactResult even = fisher_exact_2x2(7, 7, 7, 7);
    CHECK_THAT(even.estimate, WithinRel(1.0, 1e-9));
    CHECK_THAT(even.p, WithinRel(1.0, 1e-9));
}

TEST_CASE("The conditional estimate makes the noncentral hypergeometric mean equal the observed cell (brute force)", "[evaluation]") {
    // Independently of the code: the distribution of a given the margins, summed term by term in
    // long double, its mean at the estimate, and its tails at the interval limits.
    const uint64_t a = 17, b = 9, c = 40, d = 61;
    const ExactResult r = fisher_exact_2x2(a, b, c, d);
    const auto moments = [&](double psi, uint64_t x, double& mean, double& upper, double& lower) {
        const uint64_t m = a + c, n = b + d, k = a + b;
        long double total = 0, sum_x = 0, up = 0, down = 0;
        for (uint64_t v = k > n ? k - n : 0; v <= std::min(k, m); ++v) {
            long double term = std::exp(std::lgamma(m + 1.0L) - std::lgamma(v + 1.0L) - std::lgamma(m - v + 1.0L) + std::lgamma(n + 1.0L) -
                                        std::lgamma(k - v + 1.0L) - std::lgamma(n - (k - v) + 1.0L) + v * std::log(static_cast<long double>(psi)) - 200);
            total += term, sum_x += term * v;
            if (v >= x) up += term;
            if (v <= x) down += term;
        }
        mean = static_cast<double>(sum_x / total), upper = static_cast<double>(up / total), lower = static_cast<double>(down / total);
    };
    double mean, upper, lower;
    moments(r.estimate, a, mean, upper, lower);
    CHECK_THAT(mean, WithinAbs(17.0, 1e-8));
    moments(r.low, a, mean, upper, lower);
    CHECK_THAT(upper, WithinAbs(0.025, 1e-9));
    moments(r.high, a, mean, upper, lower);
    CHECK_THAT(lower, WithinAbs(0.025, 1e-9));
}

TEST_CASE("WDQ and total net effect on the Wheeler and Ratcliffe counts, worked by hand", "[evaluation]") {
    // Rb 207, Ra 110, Db 178, Da 157, Cb 308, Ca 318 (research notes, item 1):
    // success = 110/318 - 207/308 = -0.326166; buffer = 157/318 - 178/308 = -0.084211;
    // WDQ = 0.258186; TNE = (207 x 318/308 - 110) + (178 x 318/308 - 157) = 103.7208 + 26.7792 = 130.5.
    const DisplacementQuotient q = displacement_quotient({207, 110}, {178, 157}, {308, 318});
    CHECK_THAT(q.success, WithinAbs(110.0 / 318 - 207.0 / 308, 1e-12));
    CHECK_THAT(q.success, WithinAbs(-0.326166, 1e-6));
    CHECK_THAT(q.buffer, WithinAbs(-0.084211, 1e-6));
    CHECK_THAT(q.wdq, WithinAbs(0.258186, 1e-6));
    CHECK(q.meaningful);
    CHECK_THAT(q.net_target, WithinAbs(103.7208, 1e-4));
    CHECK_THAT(q.net_buffer, WithinAbs(26.7792, 1e-4));
    CHECK_THAT(q.net_effect, WithinAbs(130.5, 1e-9));
    // A target that rose against the control: the WDQ is not read.
    CHECK_FALSE(displacement_quotient({100, 130}, {50, 50}, {200, 200}).meaningful);
    // No crime in a control period: undefined.
    CHECK(std::isnan(displacement_quotient({100, 80}, {50, 50}, {0, 10}).wdq));
}

TEST_CASE("WDD reproduces Wheeler and Ratcliffe's published example", "[evaluation]") {
    // Wheeler & Ratcliffe (2018), Crime Science 7:11, and ptools' test "Est & Variance Paper":
    // T 207 -> 110, Ct 308 -> 318, D 178 -> 157, Cd 150 -> 140: WDD = -97 - 10 - 21 + 10 = -118,
    // Var = 1568, SE 39.598, Z -2.98, 95 % CI -195.611 to -40.389.
    const DisplacementDifference w = displacement_difference({207, 110}, {308, 318}, {178, 157}, {150, 140}, false, ControlScaling::raw);
    CHECK_THAT(w.wdd, WithinAbs(-118, 1e-12));
    CHECK_THAT(w.local, WithinAbs(-107, 1e-12));
    CHECK_THAT(w.displacement, WithinAbs(-11, 1e-12));
    CHECK_THAT(w.se, WithinAbs(std::sqrt(1568.0), 1e-12));
    CHECK_THAT(w.se, WithinAbs(39.598, 1e-3));
    CHECK_THAT(w.z, WithinAbs(-2.98, 5e-3));
    CHECK_THAT(w.low, WithinAbs(-195.611, 1e-3));
    CHECK_THAT(w.high, WithinAbs(-40.389, 1e-3));
    CHECK_THAT(w.p, WithinAbs(0.00288, 1e-5));
    // Without displacement areas: the local estimate, variance T0 + T1 + Ct0 + Ct1.
    const DisplacementDifference local = displacement_difference({207, 110}, {308, 318}, {}, {}, false, ControlScaling::raw);
    CHECK_THAT(local.wdd, WithinAbs(-107, 1e-12));
    CHECK_THAT(local.se, WithinAbs(30.708, 1e-3));
}

TEST_CASE("WDD with the control scaled to the target and buffer is minus the total net effect, its variance by hand", "[evaluation]") {
    // T 100 -> 60, D 50 -> 50, one control C 200 -> 220 for both: kT = 0.5, kD = 0.25, C1/C0 = 1.1.
    // Expected target 110, local -50; expected buffer 55, displacement -5; WDD -55 = -TNE.
    // dWDD/d(T0, T1, C0, C1, D0, D1) = (-1.1, 1, 0.5 x 1.1 + 0.25 x 1.1, -(0.5 + 0.25), -1.1, 1), so
    // Var = 1.21 x 100 + 60 + 0.825^2 x 200 + 0.75^2 x 220 + 1.21 x 50 + 50 = 551.375.
    const DisplacementDifference w = displacement_difference({100, 60}, {200, 220}, {50, 50}, {200, 220}, true, ControlScaling::before_ratio);
    CHECK_THAT(w.expected_target, WithinAbs(110, 1e-12));
    CHECK_THAT(w.local, WithinAbs(-50, 1e-12));
    CHECK_THAT(w.displacement, WithinAbs(-5, 1e-12));
    CHECK_THAT(w.wdd, WithinAbs(-displacement_quotient({100, 60}, {50, 50}, {200, 220}).net_effect, 1e-12));
    CHECK_THAT(w.se * w.se, WithinAbs(551.375, 1e-9));
    // The same variance from numerical derivatives of the estimator itself.
    const auto f = [](double t0, double t1, double c0, double c1, double d0, double d1) { return (t1 - t0 * c1 / c0) + (d1 - d0 * c1 / c0); };
    const double n[6] = {100, 60, 200, 220, 50, 50};
    double var = 0;
    for (int i = 0; i < 6; ++i) {
        double hi[6], lo[6];
        std::copy(n, n + 6, hi), std::copy(n, n + 6, lo);
        hi[i] += 1e-4, lo[i] -= 1e-4;
        const double g = (f(hi[0], hi[1], hi[2], hi[3], hi[4], hi[5]) - f(lo[0], lo[1], lo[2], lo[3], lo[4], lo[5])) / 2e-4;
        var += g * g * n[i];
    }
    CHECK_THAT(w.se * w.se, WithinRel(var, 1e-6));
}

TEST_CASE("The Poisson DiD equals the closed form and R's glm with month-clustered errors", "[evaluation]") {
    // The research notes' panel: 6 units x 8 months, units 1-2 treated, months 5-8 after.
    const std::vector<std::vector<double>> panel = {{12, 15, 11, 14, 8, 7, 9, 6},     {20, 18, 22, 19, 14, 15, 12, 13}, {10, 12, 9, 11, 10, 11, 12, 9},
                                                    {15, 14, 16, 13, 14, 16, 15, 13}, {7, 9, 8, 6, 8, 7, 6, 9},         {25, 22, 27, 24, 23, 26, 21, 25}};
    DidInput in{panel, {1, 1, 0, 0, 0, 0}, 4};
    const DidResult r = poisson_did(in);
    REQUIRE(r.status == DidStatus::estimated);
    // Closed form: log((84/131) / (225/228)); model SE sqrt(1/131 + 1/84 + 1/228 + 1/225).
    CHECK_THAT(r.beta, WithinAbs(std::log((84.0 / 131) / (225.0 / 228)), 1e-9));
    CHECK_THAT(r.beta, WithinAbs(-0.4311352976, 1e-9));
    CHECK_THAT(r.model_se, WithinAbs(std::sqrt(1.0 / 131 + 1.0 / 84 + 1.0 / 228 + 1.0 / 225), 1e-8));
    // R: sqrt(vcovCL(glm(y ~ factor(unit) + factor(month) + treat, poisson), cluster = ~month, type = "HC0")["treat", "treat"]).
    CHECK_THAT(r.se, WithinRel(0.03902703094, 1e-6));
    CHECK(r.clusters == 8);
    CHECK(r.df == 7);
    // The target and control summed (two units) give the same beta and errors; R for its interval:
    // b + c(-1, 1) * qt(0.975, 7) * se and 2 * pt(-abs(b / se), 7).
    std::vector<double> target(8, 0.0), control(8, 0.0);
    for (size_t t = 0; t < 8; ++t) {
        target[t] = panel[0][t] + panel[1][t];
        for (size_t u = 2; u < 6; ++u) control[t] += panel[u][t];
    }
    const DidResult two = poisson_did({{target, control}, {1, 0}, 4});
    CHECK_THAT(two.beta, WithinAbs(-0.4311352976, 1e-9));
    CHECK_THAT(two.se, WithinRel(0.03902703443, 1e-6));
    CHECK_THAT(two.low, WithinAbs(-0.5234195697, 1e-6));
    CHECK_THAT(two.high, WithinAbs(-0.3388510255, 1e-6));
    CHECK_THAT(two.p, WithinRel(1.10570037e-05, 1e-4));
}

TEST_CASE("The Poisson DiD refuses an empty cell and leaves out months without crime", "[evaluation]") {
    const DidResult empty = poisson_did({{{3, 2, 4, 0, 0, 0}, {5, 6, 7, 5, 6, 4}}, {1, 0}, 3});
    CHECK(empty.status == DidStatus::empty_cell);
    const DidResult gap = poisson_did({{{3, 0, 4, 2, 1, 2}, {5, 0, 7, 5, 6, 4}}, {1, 0}, 3});
    REQUIRE(gap.status == DidStatus::estimated);
    CHECK(gap.months_without_crime == 1);
    CHECK(gap.clusters == 5);
    CHECK_THAT(gap.beta, WithinAbs(std::log((5.0 / 7) / (15.0 / 12)), 1e-9));
}

namespace {

/// The best simplex weights by brute force: every subset of columns, its equality-constrained
/// least squares by Gaussian elimination of the bordered system, kept when every weight is >= 0.
double brute_force_loss(const std::vector<std::vector<double>>& cols, const std::vector<double>& y, std::vector<double>& best_w) {
    const size_t J = cols.size(), T = y.size();
    double best = INFINITY;
    for (unsigned mask = 1; mask < (1u << J); ++mask) {
        std::vector<size_t> s;
        for (size_t j = 0; j < J; ++j)
            if (mask & (1u << j)) s.push_back(j);
        const size_t n = s.size();
        std::vector<std::vector<double>> a(n + 1, std::vector<double>(n + 2, 0.0));
        for (size_t i = 0; i < n; ++i) {
            for (size_t k = 0; k < n; ++k)
                for (size_t t = 0; t < T; ++t) a[i][k] += cols[s[i]][t] * cols[s[k]][t];
            a[i][n] = 1;
            for (size_t t = 0; t < T; ++t) a[i][n + 1] += cols[s[i]][t] * y[t];
            a[n][i] = 1;
        }
        a[n][n + 1] = 1;
        bool singular = false;
        for (size_t c = 0; c <= n && !singular; ++c) {
            size_t piv = c;
            for (size_t r = c + 1; r <= n; ++r)
                if (std::fabs(a[r][c]) > std::fabs(a[piv][c])) piv = r;
            if (std::fabs(a[piv][c]) < 1e-12) singular = true;
            std::swap(a[c], a[piv]);
            for (size_t r = 0; r <= n && !singular; ++r) {
                if (r == c) continue;
                const double f = a[r][c] / a[c][c];
                for (size_t k = c; k <= n + 1; ++k) a[r][k] -= f * a[c][k];
            }
        }
        if (singular) continue;
        std::vector<double> w(J, 0.0);
        bool feasible = true;
        for (size_t i = 0; i < n; ++i) {
            w[s[i]] = a[i][n + 1] / a[i][i];
            if (w[s[i]] < -1e-12) feasible = false;
        }
        if (!feasible) continue;
        double loss = 0;
        for (size_t t = 0; t < T; ++t) {
            double fit = 0;
            for (size_t j = 0; j < J; ++j) fit += w[j] * cols[j][t];
            loss += (fit - y[t]) * (fit - y[t]);
        }
        if (loss < best) best = loss, best_w = w;
    }
    return best;
}

std::vector<double> column_major(const std::vector<std::vector<double>>& cols) {
    std::vector<double> x;
    for (const auto& c : cols) x.insert(x.end(), c.begin(), c.end());
    return x;
}

} // namespace

TEST_CASE("Simplex least squares finds the research notes' synthetic control weights", "[evaluation]") {
    // Tr 3 5 4 7 against A 2 4 4 6, B 4 6 4 6, C 10 0 10 0, D 1 1 1 1: w = (0.5, 0.5, 0, 0), loss 1.
    const std::vector<std::vector<double>> donors = {{2, 4, 4, 6}, {4, 6, 4, 6}, {10, 0, 10, 0}, {1, 1, 1, 1}};
    const std::vector<double> x = column_major(donors);
    const SimplexFit f = simplex_least_squares(x, 4, std::vector<double>{3, 5, 4, 7});
    REQUIRE(f.converged);
    CHECK_THAT(f.weight[0], WithinAbs(0.5, 1e-9));
    CHECK_THAT(f.weight[1], WithinAbs(0.5, 1e-9));
    CHECK_THAT(f.weight[2], WithinAbs(0.0, 1e-12));
    CHECK_THAT(f.weight[3], WithinAbs(0.0, 1e-12));
    CHECK_THAT(f.loss, WithinAbs(1.0, 1e-9));
    // Placebo A from B, C, D: B 13/17, D 4/17; placebo D from A, B, C: A 17/19, C 2/19.
    const std::vector<uint8_t> no_a{1, 0, 0, 0}, no_d{0, 0, 0, 1};
    const SimplexFit pa = simplex_least_squares(x, 4, donors[0], no_a);
    CHECK_THAT(pa.weight[1], WithinAbs(13.0 / 17, 1e-9));
    CHECK_THAT(pa.weight[3], WithinAbs(4.0 / 17, 1e-9));
    CHECK(pa.weight[0] == 0);
    const SimplexFit pd = simplex_least_squares(x, 4, donors[3], no_d);
    CHECK_THAT(pd.weight[0], WithinAbs(17.0 / 19, 1e-9));
    CHECK_THAT(pd.weight[2], WithinAbs(2.0 / 19, 1e-9));
}

TEST_CASE("Simplex least squares reaches the brute-force optimum on random problems", "[evaluation]") {
    uint64_t state = 12345;
    const auto next = [&] { // a small LCG of the test's own
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) * 0x1.0p-53;
    };
    for (int trial = 0; trial < 200; ++trial) {
        const size_t J = 2 + trial % 7, T = 1 + trial % 6;
        std::vector<std::vector<double>> cols(J, std::vector<double>(T));
        for (auto& c : cols)
            for (double& v : c) v = std::floor(next() * 6); // small counts: ties and repeated columns
        std::vector<double> y(T);
        for (double& v : y) v = std::floor(next() * 6);
        std::vector<double> w;
        const double best = brute_force_loss(cols, y, w);
        const SimplexFit f = simplex_least_squares(column_major(cols), T, y);
        INFO("trial " << trial << " J " << J << " T " << T);
        CHECK(f.converged);
        CHECK_THAT(f.loss, WithinAbs(best, 1e-7 * (1 + best)));
        CHECK_THAT(std::accumulate(f.weight.begin(), f.weight.end(), 0.0), WithinAbs(1.0, 1e-12));
        CHECK(*std::min_element(f.weight.begin(), f.weight.end()) >= 0);
    }
}

TEST_CASE("A synthetic control recovers a planted fall in a target shaped like one donor", "[evaluation]") {
    // 40 donor LSOAs with smooth, differently shaped series; the target is a tenth of donor 3 (so
    // each donor area, four times the target's crimes, is a single LSOA), with 30 % removed after
    // month 12. Its index is donor 3's: weight 1 there, ratio 0.7 exactly. The estimate takes off
    // the placebo areas' median log ratio, recomputed here from their estimates.
    SyntheticInput in;
    in.pre_months = 12;
    in.placebos = 999;
    const size_t months = 18;
    for (size_t j = 0; j < 40; ++j) {
        std::vector<double> s(months);
        for (size_t t = 0; t < months; ++t)
            s[t] = 20 + 5 * std::sin(0.3 * static_cast<double>(t) + static_cast<double>(j)) + static_cast<double>(j % 5) * static_cast<double>(t) * 0.2;
        in.donors.push_back(s);
        in.donor_x.push_back(static_cast<double>(j % 8) * 500), in.donor_y.push_back(static_cast<double>(j / 8) * 500);
    }
    in.target.resize(months);
    for (size_t t = 0; t < months; ++t) in.target[t] = 0.1 * in.donors[3][t] * (t >= 12 ? 0.7 : 1.0);
    const SyntheticResult r = synthetic_control(in, 0.95, nullptr);
    REQUIRE(r.status == SyntheticStatus::estimated);
    CHECK(r.donor_area_lsoas == 1);
    CHECK_THAT(r.pre_rmspe, WithinAbs(0.0, 1e-6));
    CHECK_THAT(r.area_weight[3], WithinAbs(1.0, 1e-6));
    CHECK_THAT(r.weight[3], WithinAbs(1.0, 1e-6));
    CHECK_THAT(r.ratio, WithinAbs(0.7, 1e-6));
    std::vector<double> logs;
    for (double e : r.placebo_estimates)
        if (!std::isnan(e)) logs.push_back(std::log1p(e));
    std::sort(logs.begin(), logs.end());
    REQUIRE(logs.size() == 40);
    const double median = 0.5 * (logs[19] + logs[20]);
    CHECK_THAT(r.placebo_median, WithinAbs(median, 1e-12));
    CHECK_THAT(r.estimate, WithinAbs(0.7 / std::exp(median) - 1, 1e-6));
    CHECK(r.low <= r.estimate);
    CHECK(r.high >= r.estimate);
    CHECK(r.placebos == 40);
}

TEST_CASE("Synthetic control on series of one shape: every placebo exact, the target's fall the most extreme", "[evaluation]") {
    // Every donor LSOA is a multiple of one seasonal shape, so any weights fit exactly and every
    // placebo's estimate is 0; the target, of the same shape, lost 30 % after month 9.
    SyntheticInput in;
    in.pre_months = 9;
    const double shape[12] = {10, 12, 9, 11, 14, 13, 10, 9, 12, 15, 11, 10};
    for (size_t j = 0; j < 30; ++j) {
        std::vector<double> s(12);
        for (size_t t = 0; t < 12; ++t) s[t] = shape[t] * (1 + static_cast<double>(j % 4));
        in.donors.push_back(s);
        in.donor_x.push_back(static_cast<double>(j) * 100), in.donor_y.push_back(0);
    }
    for (size_t t = 0; t < 12; ++t) in.target.push_back(shape[t] * 2.5 * (t >= 9 ? 0.7 : 1.0));
    const SyntheticResult r = synthetic_control(in, 0.95, nullptr);
    REQUIRE(r.status == SyntheticStatus::estimated);
    CHECK_THAT(r.estimate, WithinAbs(-0.3, 1e-9));
    for (double e : r.placebo_estimates) CHECK_THAT(e, WithinAbs(0.0, 1e-9));
    CHECK(r.placebos == 30);
    CHECK_THAT(r.p, WithinRel(1.0 / 31, 1e-12)); // (1 + 0) / (30 + 1)
    // m = floor(0.05 x 31) = 1: the largest placebo statistic, 0, so the interval is the estimate itself.
    CHECK_THAT(r.low, WithinAbs(-0.3, 1e-9));
    CHECK_THAT(r.high, WithinAbs(-0.3, 1e-9));
    // Synthetic crimes: the target's shape at its level before, 2.5 x the shape.
    for (size_t t = 0; t < 12; ++t) CHECK_THAT(r.synthetic[t], WithinRel(shape[t] * 2.5, 1e-9));
    double total = 0;
    for (double w : r.weight) total += w;
    CHECK_THAT(total, WithinAbs(1.0, 1e-12));
}
