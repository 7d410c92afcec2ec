#pragma once
// The one strict number parser: every number read from a file or an option goes through here,
// so "12abc", "inf", "0x10", "1,2,3" and an empty field fail the same way everywhere.
#include <optional>
#include <string_view>

namespace safer {

/// A finite decimal number, spaces around it allowed: an optional minus sign, digits with an
/// optional fraction and exponent ("12", "-0.5", "2.5e3", ".5"). Nothing else: no "+", no
/// thousands separators, no hex, no units, no "inf" or "nan".
std::optional<double> parse_number(std::string_view text);

/// As parse_number, and also thousands separators as the ONS and IoD files write them
/// ("29,199", "1,234,567.5"): a comma only between groups of exactly three digits of the whole
/// part, so "1,2,3" and "12,34" fail.
std::optional<double> parse_grouped_number(std::string_view text);

/// Residents or households of an area: a whole number (thousands separators allowed, as the ONS
/// writes them) from 0 to max_people. "1e308" and "0.0001" are not populations.
std::optional<double> parse_people(std::string_view text);
/// More than the population of the UK (67 million in 2021) with room to spare.
inline constexpr double max_people = 100'000'000;

/// A whole number from parse_number that is exactly an integer ("3", "3.0", "3e2"), in
/// [min, max].
std::optional<long long> parse_whole_number(std::string_view text, long long min, long long max);

} // namespace safer
