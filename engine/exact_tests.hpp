#pragma once
// Exact conditional tests on counts of crime (safer evaluate): the change in one area's monthly
// rate between two periods, and the change in a target's rate relative to a control's.
#include <cmath>
#include <cstdint>

namespace safer::evaluation {

/// An estimate with its two-sided confidence interval and two-sided p-value.
struct ExactResult {
    double estimate = std::nan("");
    double low = std::nan(""), high = std::nan(""); // high may be +infinity
    double p = std::nan("");
};

/// Two-sided binomial p of x successes in n trials with success probability `prob`: the total
/// probability of the outcomes no more likely than x (the "minlike" rule of R's binom.test, with
/// its relative tolerance of 1e-7 for ties).
double binomial_two_sided_p(uint64_t x, uint64_t n, double prob);

/// The ratio of two Poisson rates, x1 events in exposure t1 against x2 in t2, tested exactly:
/// conditional on n = x1 + x2, x1 ~ Binomial(n, t1 / (t1 + t2)) when the rates are equal (the
/// conditional test of Przyborowski & Wilenski 1940). Estimate (x1/t1)/(x2/t2); interval the
/// Clopper-Pearson interval (pL, pU) for the binomial proportion mapped to p/(1-p) * t2/t1; p
/// two-sided (binomial_two_sided_p). As R's poisson.test(c(x1, x2), c(t1, t2)).
ExactResult rate_ratio_test(uint64_t x1, double t1, uint64_t x2, double t2, double confidence = 0.95);

/// Fisher's exact test of the 2 x 2 table [[a, b], [c, d]] (Fisher 1935), with the odds ratio
/// psi = (a d) / (b c) estimated by conditional maximum likelihood and its exact interval
/// (Cornfield 1956). Conditional on every margin, a follows Fisher's noncentral hypergeometric
/// distribution, P(a = x) proportional to C(a+c, x) C(b+d, a+b-x) psi^x. Estimate: the psi whose
/// conditional mean is a (0 at the lowest possible a, infinity at the highest); interval: the psi
/// at which P(X >= a) and P(X <= a) are each (1 - confidence)/2; p: the total probability under
/// psi = 1 of the tables no more likely than the one observed (relative tolerance 1e-7). As R's
/// fisher.test. For four Poisson counts (target after a, before b; control after c, before d)
/// psi is the ratio of the target's change to the control's.
ExactResult fisher_exact_2x2(uint64_t a, uint64_t b, uint64_t c, uint64_t d, double confidence = 0.95);

} // namespace safer::evaluation
