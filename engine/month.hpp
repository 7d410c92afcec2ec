#pragma once
// A calendar month, the time unit of police.uk data.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace safer {

/// A month held as months since January of year 0, so months order and subtract as integers.
struct Month {
    int32_t index = -1;

    static constexpr Month from(int year, int month) { return Month{year * 12 + (month - 1)}; }
    constexpr int year() const { return index / 12; }
    constexpr int month() const { return index % 12 + 1; }
    constexpr bool valid() const { return index >= 0; }
    auto operator<=>(const Month&) const = default;

    /// Parses exactly "YYYY-MM" (the police.uk form) with 1900 <= YYYY <= 2999.
    static constexpr std::optional<Month> parse(std::string_view text) {
        if (text.size() != 7 || text[4] != '-') return std::nullopt;
        int year = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = text[static_cast<size_t>(i)];
            if (c < '0' || c > '9') return std::nullopt;
            year = year * 10 + (c - '0');
        }
        if (text[5] < '0' || text[5] > '9' || text[6] < '0' || text[6] > '9') return std::nullopt;
        const int month = (text[5] - '0') * 10 + (text[6] - '0');
        if (year < 1900 || year > 2999 || month < 1 || month > 12) return std::nullopt;
        return from(year, month);
    }

    std::string str() const {
        char buffer[8];
        const int y = year();
        const int m = month();
        buffer[0] = static_cast<char>('0' + y / 1000);
        buffer[1] = static_cast<char>('0' + y / 100 % 10);
        buffer[2] = static_cast<char>('0' + y / 10 % 10);
        buffer[3] = static_cast<char>('0' + y % 10);
        buffer[4] = '-';
        buffer[5] = static_cast<char>('0' + m / 10);
        buffer[6] = static_cast<char>('0' + m % 10);
        return std::string(buffer, 7);
    }
};

/// A calendar day held as days since 1970-01-01 (proleptic Gregorian), so days subtract as
/// integers. Dates come from generic incident files with a date column; police.uk gives months.
struct Day {
    int32_t index = 0;

    /// Howard Hinnant's days_from_civil (chrono-compatible algorithms, 2013): exact for every
    /// Gregorian date.
    static constexpr Day from(int year, int month, int day) {
        const int y = year - (month <= 2 ? 1 : 0);
        const int era = (y >= 0 ? y : y - 399) / 400;
        const int yoe = y - era * 400;
        const int doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return Day{era * 146097 + doe - 719468};
    }
    static constexpr int days_in_month(int year, int month) {
        constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return month == 2 && leap ? 29 : days[month - 1];
    }
    auto operator<=>(const Day&) const = default;

    /// The year, month and day (civil_from_days, the inverse of from()).
    struct Civil {
        int year, month, day;
    };
    constexpr Civil civil() const {
        const int z = index + 719468;
        const int era = (z >= 0 ? z : z - 146096) / 146097;
        const int doe = z - era * 146097;
        const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        const int mp = (5 * doy + 2) / 153;
        const int d = doy - (153 * mp + 2) / 5 + 1;
        const int m = mp < 10 ? mp + 3 : mp - 9;
        return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
    }
    constexpr Month month() const {
        const Civil c = civil();
        return Month::from(c.year, c.month);
    }
    std::string str() const;
};

/// A day the row did not give (a month only).
inline constexpr int32_t no_day = INT32_MIN;

/// What a month or date column holds: the month, and the day when the value was a date.
struct DateValue {
    Month month;
    int32_t day = no_day; // Day::index, or no_day for "YYYY-MM"
};

/// Parses "YYYY-MM" (a month) or "YYYY-MM-DD" (a day; a time after it, "YYYY-MM-DDThh:mm" or
/// "YYYY-MM-DD hh:mm:ss", is allowed and ignored), 1900 <= YYYY <= 2999, surrounding spaces
/// ignored. A date that is not a calendar day (2021-02-30) or any other text gives nothing:
/// day-first dates such as 14/03/2021 are refused rather than guessed.
std::optional<DateValue> parse_date_value(std::string_view text);

/// An inclusive window of months; an unset end is open.
struct MonthWindow {
    std::optional<Month> from;
    std::optional<Month> to;
    bool contains(Month m) const { return (!from || m >= *from) && (!to || m <= *to); }
};

} // namespace safer
