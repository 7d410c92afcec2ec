#pragma once
// Small text helpers shared by the readers and the crime-type table.
#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <string_view>

namespace safer {

/// ASCII white space, as std::isspace in the "C" locale safer runs in (inline: trim runs on
/// every field of every row).
constexpr bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

/// Trimmed and ASCII lower-cased: the key that header names and crime types are matched by.
inline std::string lower_trim(std::string_view s) {
    std::string out(trim(s));
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

/// A lower-case name fit for a layer or field: letters, digits and single underscores ("Vehicle
/// crime" -> "vehicle_crime", "2023-Q2" -> "2023_q2"); "selection" when nothing is left.
inline std::string layer_name_part(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
        else if (!out.empty() && out.back() != '_') out += '_';
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out.empty() ? "selection" : out;
}

/// A number with thousands separators, as a reader expects: 12345.678 with 1 decimal ->
/// "12,345.7"; "n/a" when it is not finite.
inline std::string grouped(double v, int decimals = 0) {
    if (!std::isfinite(v)) return "n/a";
    const std::string s = fmt::format("{:.{}f}", v, decimals);
    const size_t start = s[0] == '-' ? 1 : 0;
    const size_t end = std::min(s.find('.'), s.size());
    std::string out(s, 0, start);
    for (size_t i = start; i < end; ++i) {
        out.push_back(s[i]);
        const size_t left = end - i - 1;
        if (left > 0 && left % 3 == 0) out.push_back(',');
    }
    out.append(s, end, std::string::npos);
    return out;
}

/// True if `s` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points above
/// U+10FFFF).
inline bool is_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t n = 0;
        unsigned lo = 0x80, hi = 0xBF; // the allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) n = 1;
        else if (c == 0xE0) n = 2, lo = 0xA0;
        else if (c >= 0xE1 && c <= 0xEC) n = 2;
        else if (c == 0xED) n = 2, hi = 0x9F;
        else if (c >= 0xEE && c <= 0xEF) n = 2;
        else if (c == 0xF0) n = 3, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3) n = 3;
        else if (c == 0xF4) n = 3, hi = 0x8F;
        else return false;
        if (i + n >= s.size()) return false; // cut short
        for (size_t k = 1; k <= n; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return false;
        }
        i += n + 1;
    }
    return true;
}

/// `s` with every byte that does not belong to a well-formed UTF-8 sequence replaced by U+FFFD:
/// GeoPackage text is UTF-8, and QGIS shows invalid bytes as nothing or garbage.
inline std::string to_utf8(std::string_view s) {
    if (is_utf8(s)) return std::string(s);
    std::string out;
    out.reserve(s.size() + 8);
    size_t i = 0;
    while (i < s.size()) {
        // The longest well-formed sequence starting here, if any.
        size_t len = 0;
        for (size_t n = 1; n <= 4 && i + n <= s.size() && len == 0; ++n)
            if (is_utf8(s.substr(i, n))) len = n;
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s.substr(i, len));
            i += len;
        }
    }
    return out;
}

} // namespace safer
