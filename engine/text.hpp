#pragma once
// Small text helpers shared by the readers and the crime-type table.
#include <cctype>
#include <string>
#include <string_view>

namespace safer {

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

/// Trimmed and ASCII lower-cased: the key that header names and crime types are matched by.
inline std::string lower_trim(std::string_view s) {
    std::string out(trim(s));
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace safer
