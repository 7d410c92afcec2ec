// The months a command analyses (engine/window), periods of a series (engine/periods) and the one
// strict number parser (engine/numbers), against months counted and numbers read by hand.
#include <catch2/catch.hpp>

#include "engine/errors.hpp"
#include "engine/numbers.hpp"
#include "engine/periods.hpp"
#include "engine/window.hpp"

using namespace safer;

namespace {
Month m(int year, int month) { return Month::from(year, month); }
} // namespace

TEST_CASE("Window: the last 12 of 13 months, with no full year before them", "[window]") {
    // Data 2021-03..2022-03 (13 months, the Avon and Somerset year). The last 12: 2021-04..2022-03.
    // The 12 before would start at 2020-04, before the data: no previous period.
    WindowRule rule;
    rule.last_months = 12;
    rule.with_previous = true;
    const AnalysisWindow w = resolve_window(rule, m(2021, 3), m(2022, 3));
    CHECK(w.from == m(2021, 4));
    CHECK(w.to == m(2022, 3));
    CHECK(w.span == 12);
    CHECK_FALSE(w.has_previous);
    CHECK(w.keep_from() == m(2021, 4));
}

TEST_CASE("Window: the last 6 months and the 6 before them", "[window]") {
    // 2021-10..2022-03 is 6 months (Oct, Nov, Dec, Jan, Feb, Mar); the 6 before: 2021-04..2021-09.
    WindowRule rule;
    rule.last_months = 6;
    rule.with_previous = true;
    const AnalysisWindow w = resolve_window(rule, m(2021, 3), m(2022, 3));
    CHECK(w.from == m(2021, 10));
    CHECK(w.to == m(2022, 3));
    CHECK(w.span == 6);
    REQUIRE(w.has_previous);
    CHECK(w.previous_from == m(2021, 4));
    CHECK(w.previous_to == m(2021, 9));
    CHECK(w.keep_from() == m(2021, 4));
}

TEST_CASE("Window: --from with a number of months counts forward; --to counts back", "[window]") {
    WindowRule from_rule;
    from_rule.last_months = 3;
    from_rule.from = m(2021, 11); // Nov, Dec, Jan
    const AnalysisWindow a = resolve_window(from_rule, m(2021, 3), m(2022, 3));
    CHECK(a.from == m(2021, 11));
    CHECK(a.to == m(2022, 1));
    WindowRule to_rule;
    to_rule.last_months = 3;
    to_rule.to = m(2021, 5); // Mar, Apr, May
    const AnalysisWindow b = resolve_window(to_rule, m(2021, 3), m(2022, 3));
    CHECK(b.from == m(2021, 3));
    CHECK(b.to == m(2021, 5));
}

TEST_CASE("Window: months beyond the data are refused, or clamped when allowed", "[window]") {
    WindowRule rule;
    rule.last_months = 24;
    CHECK_THROWS_WITH(resolve_window(rule, m(2021, 3), m(2022, 3)),
                      Catch::Contains("2020-04 to 2022-03 asked for") && Catch::Contains("2021-03 to 2022-03 (13 months)"));
    rule.clamp_to_data = true;
    const AnalysisWindow w = resolve_window(rule, m(2021, 3), m(2022, 3));
    CHECK(w.from == m(2021, 3));
    CHECK(w.to == m(2022, 3));
    CHECK(w.span == 13);
}

TEST_CASE("Window: --from/--to alone are cut to the data; an empty window is refused", "[window]") {
    WindowRule rule;
    rule.from = m(2020, 1);
    rule.to = m(2021, 6);
    const AnalysisWindow w = resolve_window(rule, m(2021, 3), m(2022, 3));
    CHECK(w.from == m(2021, 3));
    CHECK(w.to == m(2021, 6));
    CHECK(w.span == 4);
    WindowRule none;
    none.from = m(2023, 1);
    CHECK_THROWS_AS(resolve_window(none, m(2021, 3), m(2022, 3)), InputError);
}

TEST_CASE("Periods: quarters are labelled by calendar quarter and ordered oldest first", "[periods]") {
    // 2021-03 is in Q1, 2021-04 and 2021-06 in Q2, 2021-12 in Q4, 2022-01 in 2022-Q1.
    const std::vector<Month> months{m(2022, 1), m(2021, 3), m(2021, 4), m(2021, 12), m(2021, 6), m(2021, 5)};
    const std::vector<uint8_t> selected{1, 1, 1, 1, 1, 0};
    const Periods q = periods_of(months, selected, PeriodKind::quarter);
    CHECK(q.labels == std::vector<std::string>{"2021-Q1", "2021-Q2", "2021-Q4", "2022-Q1"});
    CHECK(q.of == std::vector<int32_t>{3, 0, 1, 2, 1, -1});
    const Periods by_month = periods_of(months, selected, PeriodKind::month);
    CHECK(by_month.labels == std::vector<std::string>{"2021-03", "2021-04", "2021-06", "2021-12", "2022-01"});
    CHECK(by_month.of == std::vector<int32_t>{4, 0, 1, 3, 2, -1});
    const Periods all = periods_of(months, selected, PeriodKind::none);
    CHECK(all.labels == std::vector<std::string>{"all"});
    CHECK(all.of == std::vector<int32_t>{0, 0, 0, 0, 0, -1});
}

TEST_CASE("Numbers: plain decimals are read, anything else is refused", "[numbers]") {
    CHECK(parse_number("12") == 12.0);
    CHECK(parse_number("-0.5") == -0.5);
    CHECK(parse_number("2.5e3") == 2500.0);
    CHECK(parse_number(" 7 ") == 7.0);
    CHECK(parse_number("51.381") == 51.381);
    for (const char* bad : {"", " ", "12abc", "inf", "-inf", "nan", "0x10", "1,2,3", "12,34", "+1", "1 2", "1e999", "£5", "5m", "1.2.3"}) {
        INFO(bad);
        CHECK_FALSE(parse_number(bad).has_value());
    }
}

TEST_CASE("Numbers: thousands separators only in groups of three", "[numbers]") {
    CHECK(parse_grouped_number("29,199") == 29199.0);
    CHECK(parse_grouped_number("1,234,567.5") == 1234567.5);
    CHECK(parse_grouped_number("-1,000") == -1000.0);
    CHECK(parse_grouped_number("999") == 999.0);
    for (const char* bad : {"1,2,3", "12,34", ",123", "1,,234", "1234,567", "1,234,", "1,23.5", "abc,def"}) {
        INFO(bad);
        CHECK_FALSE(parse_grouped_number(bad).has_value());
    }
}

TEST_CASE("Numbers: whole numbers within a range", "[numbers]") {
    CHECK(parse_whole_number("3", 0, 10) == 3);
    CHECK(parse_whole_number("3.0", 0, 10) == 3);
    CHECK(parse_whole_number("3e2", 0, 1000) == 300);
    CHECK_FALSE(parse_whole_number("3.5", 0, 10).has_value());
    CHECK_FALSE(parse_whole_number("11", 0, 10).has_value());
    CHECK_FALSE(parse_whole_number("-1", 0, 10).has_value());
}

TEST_CASE("Window: a site review takes 36 months where the data has them, else the last 12", "[window]") {
    WindowRule rule;
    rule.last_months = 36, rule.short_data_months = 12, rule.clamp_to_data = true;
    // 13 months (2021-03..2022-03): fewer than 36, so the last 12, 2021-04..2022-03.
    AnalysisWindow w = resolve_window(rule, m(2021, 3), m(2022, 3));
    CHECK(w.from == m(2021, 4));
    CHECK(w.span == 12);
    // 40 months (2019-01..2022-04): the last 36 start 36 - 1 = 35 months before 2022-04, at 2019-05.
    w = resolve_window(rule, m(2019, 1), m(2022, 4));
    CHECK(w.from == m(2019, 5));
    CHECK(w.span == 36);
    // 8 months: fewer than 12 too; clamped to the 8 there are.
    w = resolve_window(rule, m(2021, 1), m(2021, 8));
    CHECK(w.span == 8);
    // With --to given the months asked are counted back from it, not replaced: 36, clamped to the
    // data's 13.
    rule.to = m(2022, 3);
    w = resolve_window(rule, m(2021, 3), m(2022, 3));
    CHECK(w.span == 13);
}
