// The words of safer evaluate's findings: changes, intervals and p-values as a partnership board
// reads them, and the verdict the report opens with, from methods set by hand.
#include <catch2/catch.hpp>

#include "layers/evaluation_output.hpp"
#include "layers/wording.hpp"

using namespace safer;
using namespace safer::layers;

TEST_CASE("Changes are worded as falls and rises that cannot be misread", "[evaluation][wording]") {
    CHECK(change_words(-0.22) == "a fall of 22 %");
    CHECK(change_words(0.08) == "a rise of 8 %");
    CHECK(change_words(-0.004) == "a fall of 0.4 %");
    CHECK(change_words(0.0001) == "no change");
    CHECK(change_words(-1) == "a fall of 100 %");
    CHECK(signed_percent(-0.3) == "-30 %");
    CHECK(signed_percent(0.125) == "+12 %"); // 12.5 rounds to even
    CHECK(signed_percent(0.006) == "+0.6 %");
    CHECK(change_interval_words(-0.44, -0.02) == "from a fall of 44 % to a fall of 2 %");
    CHECK(change_interval_words(-0.1, 0.05) == "from a fall of 10 % to a rise of 5 %");
    CHECK(change_interval_words(-0.3, INFINITY) == "from a fall of 30 % upwards, with no upper limit");
    CHECK(p_words(0.0312) == "p = 0.031");
    CHECK(p_words(0.00042) == "p = 0.0004");
    CHECK(p_words(0.00001) == "p < 0.0001");
}

TEST_CASE("Percentiles are worded with the share above them as it is, never a tighter one", "[wording]") {
    // 39 of 40 areas at or below: the top 2.5 %, not the top 2 % (the bid summary's case).
    CHECK(percentile_words(97.5) == "in the top 2.5 % (97.5th percentile)");
    CHECK(percentile_words(99.75) == "in the top 0.25 % (99.75th percentile)");
    CHECK(percentile_words(90) == "in the top 10 % (90th percentile)");
    CHECK(percentile_words(87.6) == "in the top 12.4 % (87.6th percentile)");
    CHECK(percentile_words(100) == "the highest (100th percentile)");
    CHECK(percentile_words(2.5) == "in the bottom 2.5 % (2.5th percentile)");
    CHECK(percentile_words(50) == "at the 50th percentile");
}

namespace {

/// An evaluation with the four methods' intervals as given, the rest plausible.
evaluation::Evaluation methods_at(double low, double high) {
    evaluation::Evaluation e;
    e.periods.first = *Month::parse("2022-01"), e.periods.start = *Month::parse("2023-01"), e.periods.end = *Month::parse("2023-12");
    e.periods.before = e.periods.after = 12;
    e.target.before = 120, e.target.after = 72, e.control.before = 480, e.control.after = 480;
    e.target.change = {0.6, 0.43, 0.83, 0.001};
    e.control.change = {1.0, 0.88, 1.13, 1.0};
    e.relative = {1 + (low + high) / 2, 1 + low, 1 + high, 0.01};
    e.buffer_relative = {1.0, 0.8, 1.25, 0.9};
    e.buffer.before = 50, e.buffer.after = 50;
    e.buffer_m = 250;
    e.wdd.expected_target = 120, e.wdd.wdd = 120 * (low + high) / 2, e.wdd.low = 120 * low, e.wdd.high = 120 * high, e.wdd.p = 0.01;
    e.did.status = evaluation::DidStatus::estimated, e.did.beta = std::log1p((low + high) / 2), e.did.low = std::log1p(low), e.did.high = std::log1p(high), e.did.p = 0.01;
    e.have_synthetic = false;
    return e;
}

} // namespace

TEST_CASE("The verdict says it worked only when every method finds a fall, and names the target's counts", "[evaluation][wording]") {
    const Study study;
    const evaluation::EvaluationOptions options;
    const evaluation::Evaluation falls = methods_at(-0.5, -0.2);
    const EvaluationOutputs o{study, falls, options, "burglary", "burglary offences", "Burglary", "LSOAs", "auto", "250 m", "safer evaluate"};
    const std::vector<std::string> v = verdict_sentences(o);
    REQUIRE(v.size() == 4);
    // Three methods (the synthetic control did not run) and all three find a fall.
    CHECK(v[0] == "It worked: burglary in the target fell by more than chance and the trend in the control can explain; all 3 methods that compare the target with other areas agree.");
    CHECK(v[1] == "In the target, 120 burglary offences were recorded in the 12 months before the start (2022-01 to 2022-12), 10.0 a month, and 72 in the 12 months "
                  "from it (2023-01 to 2023-12), 6.0 a month: a fall of 40 %.");
    CHECK(v[2].find("Against it, the target's change was a fall of 35 % (95 % interval from a fall of 50 % to a fall of 20 %; p = 0.010).") != std::string::npos);
    CHECK(v[3] == "In the 250 m around the target, burglary changed by 0 % against the control (95 % interval from a fall of 20 % to a rise of 25 %): no sign that crime "
                  "moved there, nor that the benefit spread there.");

    const evaluation::Evaluation unclear = methods_at(-0.3, 0.1);
    const EvaluationOutputs u{study, unclear, options, "burglary", "burglary offences", "Burglary", "LSOAs", "auto", "250 m", "safer evaluate"};
    CHECK(verdict_sentences(u)[0] == "No change that can be told from chance: none of the 3 methods finds burglary in the target changed by more than chance and the trend in the control can explain.");
    // Few crimes: the smallest fall that could be told from chance, 1 - exp(-1.96 sqrt(1/120 + 1/72 + 1/480 + 1/480))
    // = 1 - exp(-1.96 x 0.16243) = 0.273, said when it is 20 % or more.
    const std::vector<std::string> c = caveats(u);
    REQUIRE_FALSE(c.empty());
    CHECK(c[0] == "Few crimes: with 120 and 72 burglary offences in the target before and after, a fall smaller than about 27 % cannot be told from chance.");
}
