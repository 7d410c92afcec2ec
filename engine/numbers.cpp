#include "engine/numbers.hpp"

#include <fast_float/fast_float.h>

#include <cmath>
#include <string>

#include "engine/text.hpp"

namespace safer {

std::optional<double> parse_number(std::string_view text) {
    text = trim(text);
    if (text.empty()) return std::nullopt;
    const char* end = text.data() + text.size();
    double value = 0;
    const auto [ptr, ec] = fast_float::from_chars(text.data(), end, value, fast_float::chars_format::general);
    if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
    return value;
}

std::optional<double> parse_grouped_number(std::string_view text) {
    text = trim(text);
    if (text.find(',') == std::string_view::npos) return parse_number(text);
    // The whole part: digits in groups of three after the first (1 to 3 digits), separated by commas.
    size_t start = text.starts_with('-') ? 1 : 0;
    size_t whole_end = text.find_first_not_of("0123456789,", start);
    if (whole_end == std::string_view::npos) whole_end = text.size();
    const std::string_view whole = text.substr(start, whole_end - start);
    std::string digits(text.substr(0, start));
    size_t group = 0;
    bool first = true;
    for (size_t i = 0; i <= whole.size(); ++i) {
        if (i == whole.size() || whole[i] == ',') {
            if (group == 0 || group > 3 || (!first && group != 3)) return std::nullopt;
            first = false;
            group = 0;
            continue;
        }
        digits += whole[i];
        ++group;
    }
    digits.append(text.substr(whole_end));
    return parse_number(digits);
}

std::optional<double> parse_people(std::string_view text) {
    const std::optional<double> v = parse_grouped_number(text);
    if (!v || *v < 0 || *v > max_people || *v != std::floor(*v)) return std::nullopt;
    return *v == 0 ? 0.0 : *v; // no -0
}

std::optional<long long> parse_whole_number(std::string_view text, long long min, long long max) {
    const std::optional<double> v = parse_number(text);
    if (!v || *v != std::floor(*v) || *v < static_cast<double>(min) || *v > static_cast<double>(max)) return std::nullopt;
    return static_cast<long long>(*v);
}

} // namespace safer
