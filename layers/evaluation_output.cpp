#include "layers/evaluation_output.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/area_index.hpp"
#include "layers/report.hpp"
#include "layers/templates.hpp"
#include "layers/wording.hpp"

namespace safer::layers {

using namespace safer::evaluation;

namespace {

const char* const target_colour = "#d7301f";
const char* const buffer_colour = "#fd8d3c";
const char* const control_colour = "#2c7fb8";
const char* const synthetic_colour = "#31a354";

/// One method's result as a relative change: estimate, interval and p (NaN where it has none).
struct MethodResult {
    const char* key;
    double estimate = std::nan(""), low = std::nan(""), high = std::nan(""), p = std::nan("");
    bool estimated() const { return std::isfinite(estimate) || estimate == INFINITY; }
    /// -1 a fall beyond chance, +1 a rise, 0 neither (the interval holds no change).
    int direction() const { return high < 0 ? -1 : low > 0 ? 1 : 0; }
};

std::string months_text(int n) { return fmt::format("{} month{}", n, n == 1 ? "" : "s"); }
std::string count_text(double c) { return fmt::format("{:.0f}", c); }
std::string rate_text(double count, int months) { return fmt::format("{:.1f}", count / months); }
std::string number(double v, int decimals = 2) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, decimals) : v > 0 ? "infinite" : "n/a"; }

MethodResult before_after(const Evaluation& e) {
    return {"before_after", e.relative.estimate - 1, e.relative.low - 1, e.relative.high - 1, e.relative.p};
}
MethodResult wdd_result(const Evaluation& e) {
    const DisplacementDifference& w = e.wdd;
    if (!(w.expected_target > 0)) return {"wdd"};
    return {"wdd", w.wdd / w.expected_target, w.low / w.expected_target, w.high / w.expected_target, w.p};
}
MethodResult did_result(const Evaluation& e) {
    if (e.did.status != DidStatus::estimated) return {"did"};
    return {"did", std::expm1(e.did.beta), std::expm1(e.did.low), std::expm1(e.did.high), e.did.p};
}
MethodResult synthetic_result(const Evaluation& e) {
    const SyntheticResult& s = e.synthetic;
    if (!e.have_synthetic || s.status != SyntheticStatus::estimated || std::isnan(s.p)) return {"synthetic_control"};
    return {"synthetic_control", s.estimate, s.low, s.high, s.p};
}
/// The four methods that give a change attributable with an interval, in report order.
std::vector<MethodResult> controlled(const Evaluation& e) { return {before_after(e), wdd_result(e), did_result(e), synthetic_result(e)}; }

const char* method_title(const std::string& key) {
    if (key == "before_after") return "Before and after, against the control (exact test)";
    if (key == "wdq") return "Weighted Displacement Quotient";
    if (key == "wdd") return "Weighted displacement difference";
    if (key == "did") return "Difference-in-differences (Poisson)";
    return "Synthetic control";
}

std::string did_status_text(DidStatus s) {
    switch (s) {
    case DidStatus::estimated: return "";
    case DidStatus::empty_cell: return "not estimated: the target or the control recorded none of the crimes before or after the start";
    case DidStatus::too_few_months: return "not estimated: too few months with any crime before and after the start";
    case DidStatus::not_converged: return "not estimated: the model did not converge";
    }
    return "";
}

std::string synthetic_status_text(const Evaluation& e) {
    if (!e.have_synthetic) return "not run: it needs --areas (the LSOAs it draws on)";
    switch (e.synthetic.status) {
    case SyntheticStatus::estimated: return e.synthetic.placebos == 0 ? "no placebo area could be fitted, so no p-value or interval" : "";
    case SyntheticStatus::too_few_donors:
        return fmt::format("not run: fewer than {} LSOAs clear of the target and buffer, or an area with the target's crimes would need more than half of theirs",
                           min_synthetic_donors);
    case SyntheticStatus::no_synthetic_after: return "not estimated: the synthetic control had no crime after the start";
    }
    return "";
}

std::string wdq_reading(const Evaluation& e) {
    const DisplacementQuotient& q = e.wdq;
    if (std::isnan(q.wdq)) return "The WDQ cannot be computed: the control recorded no crime in one of the periods.";
    if (!q.meaningful)
        return fmt::format("The WDQ ({:.2f}) is not read: the target did not improve against the control (success measure {:+.4f}, which must be below 0).", q.wdq,
                           q.success);
    std::string reading;
    if (q.wdq > 1) reading = "above 1, which Bowers and Johnson read as a diffusion of benefit to the buffer larger than the direct effect";
    else if (q.wdq > 0) reading = "between 0 and 1, which Bowers and Johnson read as a diffusion of benefit to the buffer, smaller than the direct effect";
    else if (q.wdq == 0) reading = "0: no change in the buffer against the control";
    else if (q.wdq >= -1) reading = "between -1 and 0, which Bowers and Johnson read as some displacement to the buffer, less than the target's fall, so a net benefit";
    else reading = "below -1, which Bowers and Johnson read as displacement to the buffer larger than the target's fall";
    // The WDQ has no test: say whether the buffer's change itself can be told from chance (method 1's test of buffer against control).
    const double low = e.buffer_relative.low - 1, high = e.buffer_relative.high - 1;
    const bool clear = high < 0 || low > 0;
    return fmt::format("WDQ {:.2f}, {}. The buffer's own change against the control was {} ({}), {}.", q.wdq, reading, signed_percent(e.buffer_relative.estimate - 1),
                       p_words(e.buffer_relative.p),
                       clear ? "more than chance would explain" : "which cannot be told from chance, so this is no clear sign of either");
}

std::string method_note(const EvaluationOutputs& o, const std::string& key) {
    const Evaluation& e = o.evaluation;
    const Periods& p = e.periods;
    if (key == "before_after")
        return fmt::format("Fisher's exact test of target against control, before ({}) and after ({}): target {} -> {}, control {} -> {}; the estimate is the "
                           "conditional maximum-likelihood ratio of the two changes",
                           months_text(p.before), months_text(p.after), count_text(e.target.before), count_text(e.target.after), count_text(e.control.before),
                           count_text(e.control.after));
    if (key == "wdq") {
        const DisplacementQuotient& q = e.wdq;
        return fmt::format("Bowers & Johnson (2003): buffer measure {:+.4f} / success measure {:+.4f} (read only when the success measure is below 0); total net effect "
                           "{:.1f} crimes prevented (target {:.1f}, buffer {:.1f}); the estimate column holds the WDQ itself, not a change",
                           q.buffer, q.success, q.net_effect, q.net_target, q.net_buffer);
    }
    if (key == "wdd") {
        const DisplacementDifference& w = e.wdd;
        return fmt::format("Wheeler & Ratcliffe (2018): WDD {:.1f} crimes (95 % interval {:.1f} to {:.1f}; target {:.1f}, buffer {:.1f}), the control scaled to the "
                           "target and to the buffer by their counts before; the estimate is the WDD as a share of the {:.1f} crimes the target would have had after",
                           w.wdd, w.low, w.high, w.local, w.displacement, w.expected_target);
    }
    if (key == "did") {
        if (e.did.status != DidStatus::estimated) return did_status_text(e.did.status);
        return fmt::format("Poisson model of monthly counts with target/control and month effects; rate ratio {:.3f}; standard error {:.4f} clustered by month "
                           "({} months, t with {} degrees of freedom; {:.4f} from the model alone){}",
                           std::exp(e.did.beta), e.did.se, e.did.clusters, e.did.df, e.did.model_se,
                           e.did.months_without_crime ? fmt::format("; {} month(s) with no crime in either left out", e.did.months_without_crime) : "");
    }
    const std::string why = synthetic_status_text(e);
    if (!why.empty()) return why;
    const SyntheticResult& s = e.synthetic;
    return fmt::format("Abadie, Diamond & Hainmueller (2010): {} donor areas of about {:.0f} LSOAs; target {:.1f} % of its synthetic control after the start, placebo "
                       "areas' median {:.1f} %, taken off; {} placebo areas (about {:.0f} LSOAs each); gap before the start {:.1f} % of a month's crime (RMS)",
                       s.donor_areas, s.donor_area_lsoas, 100 * s.ratio, 100 * std::exp(s.placebo_median), s.placebos, s.placebo_area_lsoas, 100 * s.pre_rmspe);
}

std::vector<std::string> codes_of(const Study& study, const std::vector<size_t>& areas) {
    std::vector<std::string> codes;
    for (size_t a : areas) codes.push_back(study.areas.code[a]);
    return codes;
}

} // namespace

Table evaluation_results_table(const EvaluationOutputs& o) {
    const Evaluation& e = o.evaluation;
    std::vector<MethodResult> rows = controlled(e);
    rows.insert(rows.begin() + 1, MethodResult{"wdq", e.wdq.wdq});
    Table t;
    t.name = "evaluation_results";
    t.description = fmt::format("Did it work? {} in the target from {}: one row per method (estimate = relative change attributable to the intervention, -0.30 "
                                "for a 30 % fall; the wdq row holds the Weighted Displacement Quotient)",
                                o.crimes, e.periods.start.str());
    std::vector<std::string> method, note;
    std::vector<double> estimate, low, high, p;
    for (const MethodResult& r : rows) {
        method.emplace_back(r.key), note.push_back(method_note(o, r.key));
        estimate.push_back(r.estimate), low.push_back(r.low), high.push_back(r.high), p.push_back(r.p);
    }
    t.columns.push_back(Column::text("method", "before_after, wdq, wdd, did or synthetic_control", method));
    t.columns.push_back(Column::real("estimate", "Relative change in the target attributable to the intervention (-0.30 = a 30 % fall); for wdq, the WDQ", estimate));
    t.columns.push_back(Column::real("ci_low", fmt::format("Lower limit of the {:g} % interval of the estimate", 100 * o.options.confidence), low));
    t.columns.push_back(Column::real("ci_high", fmt::format("Upper limit of the {:g} % interval of the estimate (inf: no upper limit)", 100 * o.options.confidence), high));
    t.columns.push_back(Column::real("p_value", "Two-sided p-value of no change", p));
    t.columns.push_back(Column::text("note", "What was compared, and the figures behind the estimate", note));
    return t;
}

Table evaluation_areas_table(const EvaluationOutputs& o) {
    const Evaluation& e = o.evaluation;
    const Periods& p = e.periods;
    Table t;
    t.name = "evaluation_areas";
    t.description = fmt::format("{} before ({} to {}) and after ({} to {}) in the target, the buffer around it and the control", o.crimes, p.first.str(),
                                Month{p.start.index - 1}.str(), p.start.str(), p.end.str());
    t.geometry_kind = GeometryKind::polygon;
    std::vector<std::string> role, lsoas;
    std::vector<uint8_t> lsoas_null;
    std::vector<double> area, before, after, per_before, per_after, change, low, high, pv;
    std::vector<int64_t> m_before, m_after;
    const auto add = [&](const char* name, const RoleResult& r) {
        if (!r.geometry || GEOSisEmpty_r(geos::context(), r.geometry.get())) return;
        t.geometry.push_back(r.geometry.get());
        role.emplace_back(name);
        lsoas.push_back(fmt::format("{}", fmt::join(codes_of(o.study, r.areas), ",")));
        lsoas_null.push_back(r.areas.empty());
        area.push_back(r.area_m2 / 1e6);
        before.push_back(r.before), after.push_back(r.after);
        m_before.push_back(p.before), m_after.push_back(p.after);
        per_before.push_back(r.before / p.before), per_after.push_back(r.after / p.after);
        change.push_back(r.change.estimate - 1), low.push_back(r.change.low - 1), high.push_back(r.change.high - 1), pv.push_back(r.change.p);
    };
    add("target", e.target);
    add("buffer", e.buffer);
    add("control", e.control);
    t.columns.push_back(Column::text("role", "target (where the intervention was), buffer (the ring around it, for displacement) or control", role));
    t.columns.push_back(Column::text("lsoas", "The LSOAs it is made of (NULL for drawn polygons)", lsoas, lsoas_null));
    t.columns.push_back(Column::real("area_km2", "Area, km2", area));
    t.columns.push_back(Column::real("before", fmt::format("{} before the start ({} to {})", o.crimes, p.first.str(), Month{p.start.index - 1}.str()), before));
    t.columns.push_back(Column::real("after", fmt::format("{} from the start ({} to {})", o.crimes, p.start.str(), p.end.str()), after));
    t.columns.push_back(Column::integer("months_before", "Months before the start", m_before));
    t.columns.push_back(Column::integer("months_after", "Months from the start", m_after));
    t.columns.push_back(Column::real("per_month_before", "Crimes a month before", per_before));
    t.columns.push_back(Column::real("per_month_after", "Crimes a month after", per_after));
    t.columns.push_back(Column::real("change", "Change in the monthly rate, after / before - 1 (its own change, not against the control)", change));
    t.columns.push_back(Column::real("change_low", "Lower limit of its exact interval (R's poisson.test)", low));
    t.columns.push_back(Column::real("change_high", "Upper limit of its exact interval", high));
    t.columns.push_back(Column::real("change_p", "Exact two-sided p of no change in the monthly rate", pv));
    return t;
}

Table evaluation_months_table(const EvaluationOutputs& o) {
    const Evaluation& e = o.evaluation;
    const Periods& p = e.periods;
    Table t;
    t.name = "evaluation_months";
    t.description = fmt::format("{} each month in the target, buffer and control; the control scaled to the target's level before the start; the synthetic control", o.crimes);
    std::vector<std::string> month, period;
    std::vector<double> target, buffer, control, scaled, synthetic;
    const double k = e.target.before / e.control.before;
    const bool with_synthetic = e.have_synthetic && e.synthetic.synthetic.size() == static_cast<size_t>(p.months());
    for (int m = 0; m < p.months(); ++m) {
        const auto i = static_cast<size_t>(m);
        month.push_back(Month{p.first.index + m}.str());
        period.emplace_back(m < p.before ? "before" : "after");
        target.push_back(e.target.monthly[i]), buffer.push_back(e.buffer.monthly[i]), control.push_back(e.control.monthly[i]);
        scaled.push_back(e.control.monthly[i] * k);
        synthetic.push_back(with_synthetic ? e.synthetic.synthetic[i] : std::nan(""));
    }
    t.columns.push_back(Column::text("month", "YYYY-MM", month));
    t.columns.push_back(Column::text("period", "before or after the start", period));
    t.columns.push_back(Column::real("target", fmt::format("{} in the target", o.crimes), target));
    t.columns.push_back(Column::real("buffer", fmt::format("{} in the buffer", o.crimes), buffer));
    t.columns.push_back(Column::real("control", fmt::format("{} in the control", o.crimes), control));
    t.columns.push_back(Column::real("control_scaled", "The control times target before / control before: the target had it followed the control", scaled));
    t.columns.push_back(Column::real("synthetic", "The synthetic control, on the target's scale (NULL when not run)", synthetic));
    return t;
}

Table synthetic_weights_table(const EvaluationOutputs& o) {
    const Evaluation& e = o.evaluation;
    Table t;
    t.name = "synthetic_control_weights";
    t.description = fmt::format("The LSOAs the synthetic control of {} drew on, each with its share of the synthetic control's crimes", o.crimes);
    t.geometry_kind = GeometryKind::polygon;
    std::vector<std::string> code, name;
    std::vector<double> weight, before, after;
    const auto& w = e.synthetic.weight;
    for (size_t k = 0; k < e.donors.size() && k < w.size(); ++k) {
        if (!(w[k] > 0)) continue;
        const size_t a = e.donors[k];
        t.geometry.push_back(o.study.areas.geometry[a].get());
        code.push_back(o.study.areas.code[a]), name.push_back(o.study.areas.name[a]);
        weight.push_back(w[k]);
        before.push_back(std::nan("")), after.push_back(std::nan(""));
    }
    t.columns.push_back(Column::text("code", "LSOA code", code));
    t.columns.push_back(Column::text("name", "LSOA name", name));
    t.columns.push_back(Column::real("weight", "Its share of the synthetic control's crimes over every month (the shares sum to 1)", weight));
    return t;
}

std::string control_choice_text(const EvaluationOutputs& o) {
    const Evaluation& e = o.evaluation;
    const ControlSelection& s = e.selection;
    const Periods& p = e.periods;
    if (!s.automatic)
        return fmt::format("The control is {} as given ({}): {} {} before the start, {} a month.", e.control.areas.empty() ? "the polygons" : plural(e.control.areas.size(), "LSOA", "LSOAs"),
                           o.control_source, count_text(e.control.before), o.crimes, rate_text(e.control.before, p.before));
    const std::string matched = s.on_other_crime ? "all other recorded crime" : o.crimes;
    const auto trend = [](double r) { return std::isfinite(r) ? signed_percent(r - 1) : std::string("n/a"); };
    return fmt::format("The control is the {} LSOAs, of the {} clear of the target and its buffer, whose level and trend of {} before the start were nearest the "
                       "target's: level {:.1f} a month per LSOA against the target's {:.1f} (the target counted as {:.1f} LSOAs), trend (last {} against first {}) {} "
                       "against the target's {}. They were matched on {}{}. They had {:.2f} {} a month per LSOA before the start, the target {:.2f}.",
                       e.control.areas.size(), s.candidates, matched, s.control_level, s.target_level, s.target_size, months_text(p.before / 2),
                       months_text(p.before / 2), trend(s.control_trend), trend(s.target_trend), matched,
                       s.on_other_crime ? fmt::format(" rather than on {} itself: areas picked for having had, by chance, as many {} as the target would drift back "
                                                      "afterwards and bias every method (regression to the mean)",
                                                      o.crimes, o.crimes_noun)
                                        : "",
                       s.control_evaluated_level, o.crimes_noun, s.target_evaluated_level);
}

std::vector<std::string> verdict_sentences(const EvaluationOutputs& o) {
    const Evaluation& e = o.evaluation;
    const Periods& p = e.periods;
    std::vector<std::string> out;
    const std::string conf = fmt::format("{:g} %", 100 * o.options.confidence);
    std::vector<MethodResult> methods = controlled(e);
    size_t n = 0, falls = 0, rises = 0;
    for (const MethodResult& m : methods) {
        if (!m.estimated() || std::isnan(m.low)) continue;
        ++n;
        falls += m.direction() < 0, rises += m.direction() > 0;
    }
    const std::string C = o.crimes;
    if (n == 0) out.push_back("None of the methods could give an estimate with an interval.");
    else if (falls == n) out.push_back(fmt::format("It worked: {} in the target fell by more than chance and the trend in the control can explain; all {} methods that compare the target with other areas agree.", C, n));
    else if (rises == n) out.push_back(fmt::format("{} in the target rose by more than chance and the trend in the control can explain; all {} methods agree.", capitalised(C), n));
    else if (falls > 0 && rises == 0)
        out.push_back(fmt::format("Some evidence that it worked: {} of the {} methods {} {} in the target fell by more than chance would explain; {} cannot tell the change from chance.",
                                  falls, n, falls == 1 ? "finds" : "find", C, n - falls == 1 ? "the other" : fmt::format("the other {}", n - falls)));
    else if (rises > 0 && falls == 0)
        out.push_back(fmt::format("Some evidence of a rise: {} of the {} methods {} {} in the target rose by more than chance would explain; the others cannot tell the change from chance.",
                                  rises, n, rises == 1 ? "finds" : "find", C));
    else if (falls > 0 && rises > 0) out.push_back(fmt::format("The methods disagree: {} find a fall and {} a rise; read each method below.", falls, rises));
    else out.push_back(fmt::format("No change that can be told from chance: none of the {} methods finds {} in the target changed by more than chance and the trend in the control can explain.", n, C));
    out.push_back(fmt::format("In the target, {} {} were recorded in the {} before the start ({} to {}), {} a month, and {} in the {} from it ({} to {}), {} a month: {}.",
                              count_text(e.target.before), o.crimes_noun, months_text(p.before), p.first.str(), Month{p.start.index - 1}.str(), rate_text(e.target.before, p.before),
                              count_text(e.target.after), months_text(p.after), p.start.str(), p.end.str(), rate_text(e.target.after, p.after),
                              change_words(e.target.change.estimate - 1)));
    out.push_back(fmt::format("In the control, the monthly rate changed by {} ({} to {} a month). Against it, the target's change was {} ({} interval {}; {}).",
                              signed_percent(e.control.change.estimate - 1), rate_text(e.control.before, p.before), rate_text(e.control.after, p.after),
                              change_words(e.relative.estimate - 1), conf, change_interval_words(e.relative.low - 1, e.relative.high - 1),
                              p_words(e.relative.p)));
    // Displacement, from the buffer.
    const std::string ring = std::isnan(e.buffer_m) ? std::string("the buffer") : fmt::format("the {:g} m around the target", e.buffer_m);
    if (e.buffer.before + e.buffer.after > 0) {
        const int d = MethodResult{"", 0, e.buffer_relative.low - 1, e.buffer_relative.high - 1}.direction();
        const bool improved = e.relative.estimate < 1;
        std::string reading;
        if (d > 0) reading = improved ? "crime rose there: some may have moved there from the target (displacement)." : "crime rose there, as in the target.";
        else if (d < 0) reading = improved ? "crime fell there too, which may be a diffusion of the benefit." : "crime fell there, although the target itself did not improve against the control, so this is not a benefit spreading from it.";
        else reading = "no sign that crime moved there, nor that the benefit spread there.";
        out.push_back(fmt::format("In {}, {} changed by {} against the control ({} interval {}): {}", ring, C, signed_percent(e.buffer_relative.estimate - 1), conf,
                                  change_interval_words(e.buffer_relative.low - 1, e.buffer_relative.high - 1), reading));
    } else {
        out.push_back(fmt::format("No {} were recorded in {} before or after the start, so displacement cannot be measured there.", o.crimes_noun, ring));
    }
    return out;
}

std::vector<std::string> caveats(const EvaluationOutputs& o) {
    const Evaluation& e = o.evaluation;
    std::vector<std::string> out;
    const std::string C = o.crimes;
    // The smallest fall the exact comparison could tell from chance, about: 1.96 standard errors of the log ratio.
    const double se = std::sqrt(1 / std::max(e.target.before, 0.5) + 1 / std::max(e.target.after, 0.5) + 1 / std::max(e.control.before, 0.5) + 1 / std::max(e.control.after, 0.5));
    const double smallest = 1 - std::exp(-1.96 * se);
    if (smallest >= 0.2)
        out.push_back(fmt::format("Few crimes: with {} and {} {} in the target before and after, a fall smaller than about {} cannot be told from chance.",
                                  count_text(e.target.before), count_text(e.target.after), o.crimes_noun, percent(smallest)));
    if (e.dispersion > 1.5 && e.dispersion_p < 0.05)
        out.push_back(fmt::format("Before the start the target's monthly share of target and control varied {:.1f} times as much as chance alone would make it (chi-square "
                                  "test {}): the exact test and the WDD, which assume that counts vary only by chance (Poisson), give intervals that are too narrow; the "
                                  "difference-in-differences (robust errors) and the synthetic control (placebo areas) allow for it.",
                                  e.dispersion, p_words(e.dispersion_p)));
    if (e.have_synthetic && e.synthetic.status == SyntheticStatus::estimated && e.synthetic.pre_rmspe > 0.25)
        out.push_back(fmt::format("The synthetic control followed the target only roughly before the start (a typical monthly gap of {} of the target's monthly crime): its estimate deserves less weight.",
                                  percent(e.synthetic.pre_rmspe)));
    if (e.selection.automatic && std::isfinite(e.selection.target_trend) && std::isfinite(e.selection.control_trend) &&
        std::fabs(std::log(e.selection.target_trend / e.selection.control_trend)) > 0.3)
        out.push_back("The control's trend before the start differs from the target's by more than 30 %: no areas matched it closely.");
    return out;
}

std::string general_caution(const EvaluationOutputs& o) {
    return fmt::format("If the target was chosen because {} there was high just before the start, part of any fall may be regression to the mean: busy months are "
                       "often followed by quieter ones with no intervention at all. The control does not correct for this unless it was chosen the same way.",
                       o.crimes);
}

namespace {

std::string overview_map(const EvaluationOutputs& o, std::vector<geos::Geometry>& owned) {
    (void)owned;
    const Evaluation& e = o.evaluation;
    std::vector<MapShape> shapes;
    shapes.push_back({e.control.geometry.get(), "rgba(44,127,184,0.45)", control_colour, 0.6, "control"});
    shapes.push_back({e.buffer.geometry.get(), "rgba(253,141,60,0.5)", buffer_colour, 0.6, "buffer"});
    shapes.push_back({e.target.geometry.get(), target_colour, target_colour, 0.8, "target"});
    std::vector<LegendItem> legend{{target_colour, "target"}, {"rgba(253,141,60,0.5)", "buffer"}, {"rgba(44,127,184,0.45)", "control"}};
    return svg_map(shapes, 600, legend, nullptr, "The target, its buffer and the control.");
}

std::string displacement_map(const EvaluationOutputs& o, std::vector<geos::Geometry>& owned) {
    const Evaluation& e = o.evaluation;
    const Incidents& in = o.study.crimes.incidents;
    std::vector<MapShape> shapes;
    shapes.push_back({e.buffer.geometry.get(), "rgba(253,141,60,0.2)", buffer_colour, 0.8, "buffer"});
    shapes.push_back({e.target.geometry.get(), "rgba(215,48,31,0.15)", target_colour, 1.5, "target"});
    for (size_t i = 0; i < in.size() && i < e.incident_role.size(); ++i) {
        const int8_t r = e.incident_role[i];
        if (r != 0 && r != 1) continue;
        owned.push_back(geos::point(in.x[i], in.y[i]));
        const bool after = in.month[i] >= e.periods.start;
        shapes.push_back({owned.back().get(), after ? "#000000" : "#9e9e9e", "none", 0, in.month[i].str(), after ? 2.2 : 1.6});
    }
    return svg_map(shapes, 600, {{"rgba(215,48,31,0.15)", "target", target_colour, 1.5}, {"rgba(253,141,60,0.2)", "buffer", buffer_colour, 0.8}, {"#9e9e9e", "a crime before the start"}, {"#000000", "a crime from the start"}},
                   nullptr, fmt::format("{} in the target and its buffer (several at one place show as one dot: police.uk snaps crimes to map points).", o.crimes));
}

std::string displacement_chart(const EvaluationOutputs& o) {
    const Evaluation& e = o.evaluation;
    const Periods& p = e.periods;
    const double k = e.control.after / e.control.before * static_cast<double>(p.before) / static_cast<double>(p.after); // the control's change in the monthly rate
    const std::vector<std::string> groups{"target", "buffer"};
    std::vector<BarSeries> series{{"before: a month", "#bdbdbd", {e.target.before / p.before, e.buffer.before / p.before}},
                                  {"after, had they followed the control: a month", control_colour, {e.target.before / p.before * k, e.buffer.before / p.before * k}},
                                  {"after: a month", "#252525", {e.target.after / p.after, e.buffer.after / p.after}}};
    return svg_bar_chart(fmt::format("{} a month: before, after, and after had they followed the control", o.crimes), groups, series, "crimes a month", 600, 300);
}

TemplateData method_data(const EvaluationOutputs& o, const MethodResult& m, const std::string& plain) {
    TemplateData d;
    d.set("title", method_title(m.key));
    d.set("key", m.key);
    d.set("estimate", m.estimated() ? signed_percent(m.estimate) : "n/a");
    d.set("interval", std::isnan(m.low) ? "n/a" : fmt::format("{} to {}", signed_percent(m.low), signed_percent(m.high)));
    d.set("p", std::isnan(m.p) ? "n/a" : p_words(m.p));
    d.set("plain", plain);
    d.set("verdict", !m.estimated() || std::isnan(m.low) ? "no estimate" : m.direction() < 0 ? "a fall beyond chance" : m.direction() > 0 ? "a rise beyond chance" : "cannot be told from chance");
    (void)o;
    return d;
}

} // namespace

std::string evaluation_report_html(const EvaluationOutputs& o) {
    const Evaluation& e = o.evaluation;
    const Periods& p = e.periods;
    std::vector<geos::Geometry> owned;
    TemplateData page;
    const std::string conf = fmt::format("{:g} %", 100 * o.options.confidence);
    page.set("title", fmt::format("Did it work? {} in the target, before and after {}", capitalised(o.crimes), p.start.str()));
    page.set("crimes", o.crimes);
    page.set("crimes_description", o.crimes_description);
    page.set("conf", conf);
    page.set("verdict", text_list(verdict_sentences(o)));
    std::vector<std::string> cautions = caveats(o);
    cautions.push_back(general_caution(o));
    page.set("caveats", text_list(cautions));
    page.set("control_choice", control_choice_text(o));
    page.set("start", p.start.str());
    page.set("first", p.first.str());
    page.set("last_before", Month{p.start.index - 1}.str());
    page.set("end", p.end.str());
    page.set("before", months_text(p.before));
    page.set("after", months_text(p.after));
    page.set("target_source", o.target_source);
    page.set("control_source", o.control_source);
    page.set("buffer_source", o.buffer_source);

    // The methods table and each method's words.
    const std::vector<MethodResult> methods = controlled(e);
    std::vector<std::vector<std::string>> rows;
    TemplateData list = TemplateData::type::list;
    for (const MethodResult& m : methods) {
        const std::string note = method_note(o, m.key);
        rows.push_back({method_title(m.key), m.estimated() ? signed_percent(m.estimate) : "n/a", std::isnan(m.low) ? "n/a" : fmt::format("{} to {}", signed_percent(m.low), signed_percent(m.high)),
                        std::isnan(m.p) ? "n/a" : p_words(m.p),
                        (!m.estimated() || std::isnan(m.low) ? note : m.direction() < 0 ? "a fall beyond chance" : m.direction() > 0 ? "a rise beyond chance" : "cannot be told from chance") +
                            (m.key == std::string("wdd") ? " (net: the buffer's change counts too, against the target's expected crimes)" : "")});
    }
    page.set("methods_table", table_data({"method", "change attributable", conf + " interval", "p (two-sided)", "reading"}, rows,
                                         "The change in the target attributable to the intervention, by each method that compares it with other areas"));
    // Method sections.
    const DisplacementQuotient& q = e.wdq;
    const DisplacementDifference& w = e.wdd;
    page.set("ba", method_data(o, methods[0], ""));
    page.set("ba_counts", table_data({"", "before", "after", "a month before", "a month after", "change a month", conf + " interval", "p"},
                                     [&] {
                                         std::vector<std::vector<std::string>> r;
                                         for (const auto& [name, role] : std::vector<std::pair<std::string, const RoleResult*>>{{"target", &e.target}, {"buffer", &e.buffer}, {"control", &e.control}})
                                             r.push_back({name, count_text(role->before), count_text(role->after), rate_text(role->before, p.before), rate_text(role->after, p.after),
                                                          signed_percent(role->change.estimate - 1), change_interval_words(role->change.low - 1, role->change.high - 1), p_words(role->change.p)});
                                         return r;
                                     }(),
                                     fmt::format("{} before ({}) and after ({}); each place's own change in its monthly rate, exact test (R's poisson.test)", o.crimes, months_text(p.before), months_text(p.after))));
    page.set("ratio", number(e.relative.estimate, 3));
    page.set("wdq_reading", wdq_reading(e));
    page.set("wdq_success", fmt::format("{:+.4f}", q.success));
    page.set("wdq_buffer", fmt::format("{:+.4f}", q.buffer));
    page.set("wdq", number(q.wdq, 3));
    page.set("tne", fmt::format("{:.1f}", q.net_effect));
    page.set("tne_target", fmt::format("{:.1f}", q.net_target));
    page.set("tne_buffer", fmt::format("{:.1f}", q.net_buffer));
    page.set("wdd", method_data(o, methods[1], ""));
    page.set("wdd_value", fmt::format("{:.1f}", w.wdd));
    page.set("wdd_low", fmt::format("{:.1f}", w.low));
    page.set("wdd_high", fmt::format("{:.1f}", w.high));
    page.set("wdd_local", fmt::format("{:.1f}", w.local));
    page.set("wdd_displacement", fmt::format("{:.1f}", w.displacement));
    page.set("wdd_expected", fmt::format("{:.1f}", w.expected_target));
    page.set("wdd_se", fmt::format("{:.2f}", w.se));
    page.set("did", method_data(o, methods[2], e.did.status == DidStatus::estimated ? "" : did_status_text(e.did.status)));
    if (e.did.status == DidStatus::estimated) {
        page.set("did_ratio", fmt::format("{:.3f}", std::exp(e.did.beta)));
        page.set("did_beta", fmt::format("{:.4f}", e.did.beta));
        page.set("did_se", fmt::format("{:.4f}", e.did.se));
        page.set("did_model_se", fmt::format("{:.4f}", e.did.model_se));
        page.set("did_clusters", std::to_string(e.did.clusters));
        page.set("did_df", std::to_string(e.did.df));
    }
    page.set("sc", method_data(o, methods[3], synthetic_status_text(e)));
    if (e.have_synthetic && e.synthetic.status == SyntheticStatus::estimated) {
        const SyntheticResult& s = e.synthetic;
        page.set("sc_run", true);
        page.set("sc_donor_lsoas", std::to_string(e.donors.size()));
        page.set("sc_areas", std::to_string(s.donor_areas));
        page.set("sc_area_lsoas", fmt::format("{:.0f}", s.donor_area_lsoas));
        page.set("sc_area_crimes", fmt::format("{:.0f}", s.donor_area_crimes));
        page.set("sc_target_crimes", fmt::format("{:.0f}", s.target_crimes));
        page.set("sc_ratio", fmt::format("{:.1f} %", 100 * s.ratio));
        page.set("sc_placebo_median", fmt::format("{:.1f} %", 100 * std::exp(s.placebo_median)));
        page.set("sc_placebos", std::to_string(s.placebos));
        page.set("sc_placebo_lsoas", fmt::format("{:.0f}", s.placebo_area_lsoas));
        page.set("sc_rmspe", percent(s.pre_rmspe));
        page.set("sc_seed", std::to_string(o.options.seed));
        size_t weighted = 0;
        for (double v : s.weight) weighted += v > 0;
        page.set("sc_weighted", std::to_string(weighted));
    }
    if (e.dispersion > 0) page.set("dispersion", fmt::format("{:.2f} ({})", e.dispersion, p_words(e.dispersion_p)));

    // The monthly chart.
    std::vector<std::string> months;
    for (int m = 0; m < p.months(); ++m) months.push_back(Month{p.first.index + m}.str());
    std::vector<double> scaled;
    for (double v : e.control.monthly) scaled.push_back(v * e.target.before / e.control.before);
    std::vector<ChartSeries> series{{"target", target_colour, e.target.monthly, false}, {"control, scaled to the target before the start", control_colour, scaled, true}};
    if (e.have_synthetic && e.synthetic.synthetic.size() == months.size()) series.push_back({"synthetic control", synthetic_colour, e.synthetic.synthetic, true});
    page.set("chart", svg_line_chart(fmt::format("{} a month", o.crimes), months, series, "crimes a month", 640, 300, static_cast<size_t>(p.before), "start"));
    page.set("overview_map", overview_map(o, owned));
    page.set("displacement_map", displacement_map(o, owned));
    page.set("displacement_chart", displacement_chart(o));

    // Data.
    page.set("crs", o.study.working_crs);
    page.set("confidence", conf);
    page.set("placebos_asked", std::to_string(o.options.placebos));
    set_provenance(page, o.study, o.command_line);
    return render_template("evaluation_report", page);
}

} // namespace safer::layers
