#pragma once
// "Did it work?" (safer evaluate): crime in a target area before and after an intervention
// started, against a buffer ring around it (displacement, diffusion of benefit) and control areas,
// by five methods: exact conditional tests of the counts, the Weighted Displacement Quotient and
// total net effect, the weighted displacement difference, a Poisson difference-in-differences and
// a synthetic control. Facts only; the words, layers and report are layers/evaluation_output's.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/areas.hpp"
#include "engine/displacement.hpp"
#include "engine/exact_tests.hpp"
#include "engine/geos.hpp"
#include "engine/incidents.hpp"
#include "engine/month.hpp"
#include "engine/poisson_did.hpp"
#include "engine/progress.hpp"
#include "engine/synthetic_control.hpp"

namespace safer::evaluation {

/// Months needed at least before and after the start.
inline constexpr int min_months_before = 6, min_months_after = 3;
/// Polygons sharing less than this (m2) only touch: generalised boundaries of neighbouring areas.
inline constexpr double overlap_tolerance_m2 = 1.0;
/// Automatic control: at least this many LSOAs, and at least this many times the target's size.
inline constexpr size_t min_control_areas = 20;
inline constexpr double control_size_factor = 4;

/// Where a role is: drawn polygons, or areas (LSOAs) by index.
struct Places {
    std::vector<const GEOSGeometry*> polygons; // not owned
    std::vector<size_t> areas;
    bool by_areas() const { return !areas.empty(); }
    bool empty() const { return polygons.empty() && areas.empty(); }
};

struct EvaluationDesign {
    Places target;
    Places control;                // empty with automatic_control
    bool automatic_control = false;
    std::vector<const GEOSGeometry*> buffer_polygons; // --buffer-area (the target is taken out); else a ring
    double buffer_m = 250;
};

struct EvaluationOptions {
    Month start;                   // the first month of the intervention
    std::optional<Month> end;      // the last month after it (default: the data's last)
    double confidence = 0.95;
    uint64_t seed = 1;
    uint32_t placebos = 999;
    size_t control_areas = 0;      // automatic control: how many LSOAs (0: max(20, 4 x the target's size))
    std::string crimes = "crimes evaluated"; // what is evaluated, in messages ("burglaries")
};

struct Periods {
    Month first, start, end; // before: first .. start - 1; after: start .. end
    int before = 0, after = 0;
    int months() const { return before + after; }
};

struct RoleResult {
    geos::Geometry geometry;       // the union of its polygons or areas
    std::vector<size_t> areas;     // its LSOAs, when made of them
    std::vector<double> monthly;   // crimes evaluated a month, first .. end
    double before = 0, after = 0;
    ExactResult change;            // rate after / rate before (months counted), exact
    double area_m2 = 0;
};

/// How the control was chosen, with the figures that show it.
struct ControlSelection {
    bool automatic = false;
    /// Matched on all other recorded crime (false: on the crimes evaluated, when they are every type).
    bool on_other_crime = true;
    size_t candidates = 0;         // LSOAs clear of the target and buffer it was chosen from
    double target_size = 0;        // the target in LSOAs (by polygons: the sum of the shares of LSOAs it covers)
    /// Level: crimes matched on a month per LSOA before the start; trend: the last half of the months
    /// before against the first half, a ratio. Target and the chosen areas' mean.
    double target_level = std::nan(""), control_level = std::nan("");
    double target_trend = std::nan(""), control_trend = std::nan("");
    /// The crimes evaluated a month per LSOA before the start.
    double target_evaluated_level = std::nan(""), control_evaluated_level = std::nan("");
};

struct Evaluation {
    Periods periods;
    RoleResult target, buffer, control;
    double buffer_m = std::nan("");  // NaN when the buffer was drawn
    ControlSelection selection;
    std::vector<int8_t> incident_role; // per incident: 0 target, 1 buffer, 2 control, -1 none (evaluated crimes in the months only)
    /// Method 1: the target's change against the control's (Fisher's exact test of after/before x
    /// target/control); estimate = the ratio of the two changes.
    ExactResult relative;
    /// The buffer's change against the control's, likewise: displacement above 1, diffusion below.
    ExactResult buffer_relative;
    /// Extra-Poisson variation before the start: Pearson's chi-square of the target's monthly share
    /// of target + control (expected: its share over all the months before) over its T0 - 1
    /// degrees of freedom, about 1 for Poisson counts; and the chi-square test's p. The exact test
    /// and the WDD assume Poisson counts, so their intervals are too narrow when this is well above 1.
    double dispersion = std::nan(""), dispersion_p = std::nan("");
    DisplacementQuotient wdq;            // method 2
    DisplacementDifference wdd;          // method 3 (control scaled to the target and buffer)
    DidResult did;                       // method 4 (target and control, monthly)
    SyntheticResult synthetic;           // method 5
    std::vector<size_t> donors;          // the areas the synthetic control drew on, parallel to synthetic.weight
    bool have_synthetic = false;         // areas were given (donors exist)
    uint64_t evaluated = 0;              // crimes evaluated in the months, anywhere
};

/// The months before and after: first = the data's first month, end = `end` or the data's last.
/// Throws InputError for a start outside the data, or fewer than min_months_before months before
/// it or min_months_after from it, saying how many there are.
Periods resolve_periods(Month data_first, Month data_last, Month start, std::optional<Month> end);

/// Evaluates the intervention. `evaluated` flags the incidents of the crimes evaluated (the
/// others serve only to choose an automatic control); `area_of` gives each incident's area (no_area
/// outside), `areas` may be empty when no role is made of areas (then no synthetic control).
/// Throws InputError: a month with no incident at all, the target overlapping the control or the
/// buffer overlapping it, no crime evaluated in the target (or the control) before the start.
Evaluation evaluate(const Incidents& in, const std::vector<uint8_t>& evaluated, const Areas& areas, const std::vector<int32_t>& area_of,
                    const EvaluationDesign& design, const EvaluationOptions& options, Progress* progress);

} // namespace safer::evaluation
