#include "engine/month.hpp"

#include <fmt/core.h>

namespace safer {

std::string Day::str() const {
    const Civil c = civil();
    return fmt::format("{:04d}-{:02d}-{:02d}", c.year, c.month, c.day);
}

namespace {

bool digits(std::string_view s) {
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return !s.empty();
}

std::string_view trim_spaces(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

} // namespace

std::optional<DateValue> parse_date_value(std::string_view text) {
    text = trim_spaces(text);
    if (text.size() == 7) {
        const std::optional<Month> m = Month::parse(text);
        if (!m) return std::nullopt;
        return DateValue{*m, no_day};
    }
    // YYYY-MM-DD, then nothing, or a time after 'T' or a space.
    if (text.size() < 10 || text[7] != '-' || (text.size() > 10 && text[10] != 'T' && text[10] != ' ')) return std::nullopt;
    const std::optional<Month> m = Month::parse(text.substr(0, 7));
    const std::string_view dd = text.substr(8, 2);
    if (!m || !digits(dd)) return std::nullopt;
    const int d = (dd[0] - '0') * 10 + (dd[1] - '0');
    if (d < 1 || d > Day::days_in_month(m->year(), m->month())) return std::nullopt;
    return DateValue{*m, Day::from(m->year(), m->month(), d).index};
}

} // namespace safer
