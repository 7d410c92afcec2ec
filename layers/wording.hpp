#pragma once
// Words for numbers, shared by every report, table description and message, so that a figure is
// worded one way everywhere.
#include <cstddef>
#include <string>
#include <vector>

namespace safer::layers {

/// "£12,345" (whole pounds; "-£5" below zero).
std::string money(double gbp);
/// "42 %" of a share 0..1.
std::string percent(double share);
/// A share 0..1 in percent to the precision a small share needs: "0.35 %" below 1 %, "3.5 %"
/// below 10 %, "42 %" above; trailing zeros dropped ("4 %", not "4.0 %"); "0 %" only for 0.
std::string percent_fine(double share);
/// "1 crime", "3 crimes".
std::string plural(size_t n, const char* one, const char* many);
/// "a", "a and b", "a, b and c" ("" for none).
std::string and_list(const std::vector<std::string>& items);

/// A noun in the singular and the plural, and a verb agreeing with it (`negated`: "does not ...").
struct Noun {
    const char* one;  // "burglary"
    const char* many; // "burglaries"
};
struct Verb {
    const char* one = "";     // "lies"
    const char* many = "";    // "lie"
    const char* negated = ""; // "does not lie"
};
/// `part` of `owner`'s `total` things, as the subject of a sentence with its verb (none when the
/// verb is empty), worded for every count, thousands grouped: "3 of its 12 burglaries lie", "1 of
/// its 12 burglaries lies", "none of its 12 burglaries lie", "all 12 of its burglaries lie", "both
/// its burglaries lie", "its only burglary lies", "its only burglary does not lie", "no burglary
/// lies" (a total of 0). `owner`: "its", "the".
std::string part_of_whole(size_t part, size_t total, const char* owner, Noun noun, Verb verb);

/// A count as a reader expects it: a whole number with thousands separators ("1,380"); one that
/// is not whole (a count taken in part, a weighted count) to one decimal ("1,400.8", or to two
/// where one would show a whole number: "649.97").
std::string count_number(double n);
/// True when `n` is a whole number (up to rounding in the last bits of a sum of parts).
bool is_whole(double n);

/// `text` with its first letter capitalised (a heading: "Violence and sexual offences per ...").
std::string capitalised(std::string text);
/// `text` as a sentence of its own: its first letter capitalised, a full stop at the end unless it
/// ends one already ("mine (Burglary)" -> "Mine (Burglary).").
std::string as_sentence(std::string text);

/// "Welsh & Farrington (2008)" from a full source text: up to the first closing parenthesis.
std::string short_source(const std::string& source);
/// The confidence of an Esri Gi_Bin: "99 %", "95 %", "90 %", or "" for 0.
std::string confidence_text(int bin);
/// Where a percentile (0..100, the share of units at or below the value) puts a unit, in words
/// that cannot be misread: "in the top 0.3 % (99.7th percentile)", "in the top 10 % (90th
/// percentile)", "at the 45th percentile (the middle of the range)", "in the bottom 5 %". The
/// top share is 100 - percentile, shown to one decimal below 1 %.
std::string percentile_words(double percentile);
/// "1st", "2nd", "3rd", "11th", "99.7th".
std::string ordinal(double n, int decimals = 0);

/// A relative change in words: "a fall of 22 %", "a rise of 8 %", "no change" (-0.22, 0.08, 0);
/// below 1 % to one decimal ("a fall of 0.4 %"); "a fall of 100 %" at -1.
std::string change_words(double relative);
/// A relative change as a signed percent: "-22 %", "+8 %", "0 %" (to one decimal below 1 %).
std::string signed_percent(double relative);
/// An interval of relative changes: "from a fall of 44 % to a fall of 2 %", "from a fall of 10 %
/// to a rise of 5 %"; "from a fall of 30 % upwards, with no upper limit" when it has none.
std::string change_interval_words(double low, double high);
/// A p-value: "p = 0.031", "p = 0.0004", "p < 0.0001".
std::string p_words(double p);

} // namespace safer::layers
