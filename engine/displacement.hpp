#pragma once
// Displacement and diffusion of benefit around a crime prevention scheme (safer evaluate): the
// Weighted Displacement Quotient and total net effect of Bowers & Johnson (2003), and the weighted
// displacement difference test of Wheeler & Ratcliffe (2018). Counts before (0) and after (1) in
// the target (treated) area, the buffer (displacement) area around it and a control area.
#include <cmath>

namespace safer::evaluation {

struct AreaCounts {
    double before = 0, after = 0;
};

struct DisplacementQuotient {
    /// Success measure Ra/Ca - Rb/Cb: below 0 when the target fell relative to the control.
    double success = std::nan("");
    /// Buffer displacement measure Da/Ca - Db/Cb: above 0 suggests displacement, below 0 diffusion.
    double buffer = std::nan("");
    /// WDQ = buffer / success; NaN when the control has a period with no crime.
    double wdq = std::nan("");
    /// The WDQ is read only when the success measure is below 0 (the target improved).
    bool meaningful = false;
    /// Total net effect in crimes, positive when crime was prevented: the target's part
    /// Rb (Ca/Cb) - Ra plus the buffer's part Db (Ca/Cb) - Da (negative when crime moved there).
    double net_effect = std::nan(""), net_target = std::nan(""), net_buffer = std::nan("");
};

/// The Weighted Displacement Quotient (Bowers & Johnson 2003, "Measuring the geographical
/// displacement and diffusion of benefit effects of crime prevention activity", Journal of
/// Quantitative Criminology 19(3), 275-301; formulas as restated by Guerette 2009, POP Center
/// Problem-Solving Tool Guide 10, Appendix B), with R = target, D = buffer, C = control, b before,
/// a after:
///   WDQ = (Da/Ca - Db/Cb) / (Ra/Ca - Rb/Cb),
///   total net effect = [Rb (Ca/Cb) - Ra] + [Db (Ca/Cb) - Da].
DisplacementQuotient displacement_quotient(AreaCounts target, AreaCounts buffer, AreaCounts control);

/// How the control's change is set against the target's and the buffer's.
enum class ControlScaling {
    /// Wheeler & Ratcliffe's own form: the control's change in crimes as it is (a control of the
    /// same size as the area it stands for).
    raw,
    /// Each control's change scaled to the size of the area it stands for by the ratio of their
    /// counts before (k = T0/C0 for the target, D0/Cd0 for the buffer): the control's change as a
    /// rate, so a control group larger than the target does not count its own size.
    before_ratio,
};

struct DisplacementDifference {
    double local = std::nan("");        // (T1 - T0) - kT (Ct1 - Ct0): the target's own part
    double displacement = std::nan(""); // (D1 - D0) - kD (Cd1 - Cd0): the buffer's part
    double wdd = std::nan("");          // local + displacement; below 0 when crime was prevented
    double se = std::nan(""), z = std::nan(""), p = std::nan(""); // p two-sided, normal
    double low = std::nan(""), high = std::nan("");
    /// The crimes the target would have had after, following its control: T0 + kT (Ct1 - Ct0).
    double expected_target = std::nan("");
};

/// The weighted displacement difference test (Wheeler & Ratcliffe 2018, "A simple weighted
/// displacement difference test to evaluate place based crime interventions", Crime Science
/// 7:11): WDD = dT - kT dCt + dD - kD dCd, with d the change after minus before in the target T,
/// its control Ct, the displacement area D and its control Cd. Each count is taken as Poisson
/// (variance = the count), and Var(WDD) is the delta-method sum over the distinct counts n_i of
/// (dWDD/dn_i)^2 n_i: with raw scaling and separate controls this is Wheeler & Ratcliffe's
/// T0 + T1 + Ct0 + Ct1 + D0 + D1 + Cd0 + Cd1; with before_ratio scaling it counts k's own
/// uncertainty; `shared_control` says Cd is the very same counts as Ct (one control for both),
/// whose covariance is then counted. Interval WDD +/- z(1 - alpha/2) SE, p two-sided. Give zeros
/// for the displacement area and its control to leave displacement out.
DisplacementDifference displacement_difference(AreaCounts target, AreaCounts target_control, AreaCounts buffer, AreaCounts buffer_control,
                                               bool shared_control, ControlScaling scaling, double confidence = 0.95);

} // namespace safer::evaluation
