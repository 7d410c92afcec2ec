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

/// An inclusive window of months; an unset end is open.
struct MonthWindow {
    std::optional<Month> from;
    std::optional<Month> to;
    bool contains(Month m) const { return (!from || m >= *from) && (!to || m <= *to); }
};

} // namespace safer
