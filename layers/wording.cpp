#include "layers/wording.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "engine/text.hpp"

namespace safer::layers {

std::string money(double gbp) {
    const double whole = std::round(gbp);
    return (whole < 0 ? "-\xc2\xa3" : "\xc2\xa3") + grouped(std::abs(whole));
}

std::string percent(double share) { return fmt::format("{:.0f} %", 100 * share); }

std::string percent_fine(double share) {
    const double v = 100 * share;
    std::string t = fmt::format("{:.{}f}", v, v < 1 ? 2 : v < 10 ? 1 : 0);
    if (t.find('.') != std::string::npos) {
        while (t.back() == '0') t.pop_back();
        if (t.back() == '.') t.pop_back();
    }
    if (t == "0" && v > 0) t = "0.01"; // never "0 %" for a share that is not 0
    return t + " %";
}

std::string plural(size_t n, const char* one, const char* many) { return fmt::format("{} {}", n, n == 1 ? one : many); }

std::string and_list(const std::vector<std::string>& items) {
    if (items.empty()) return "";
    if (items.size() == 1) return items.front();
    std::string s;
    for (size_t i = 0; i + 1 < items.size(); ++i) s += (i ? ", " : "") + items[i];
    return s + " and " + items.back();
}

std::string part_of_whole(size_t part, size_t total, const char* owner, Noun noun, Verb verb) {
    const auto count = [](size_t n) { return grouped(static_cast<double>(n)); };
    const auto with = [](std::string subject, const char* v) { return v && *v ? subject + " " + v : subject; };
    if (total == 0) return with(fmt::format("no {}", noun.one), verb.one);
    if (total == 1 && part == 1) return with(fmt::format("{} only {}", owner, noun.one), verb.one);
    if (total == 1 && verb.negated && *verb.negated) return with(fmt::format("{} only {}", owner, noun.one), verb.negated);
    if (total == 1 && part == 0) return with(fmt::format("none of {} {}", owner, noun.many), verb.one);
    if (part == 0) return with(fmt::format("none of {} {} {}", owner, count(total), noun.many), verb.many);
    if (part == total) return with(total == 2 ? fmt::format("both {} {}", owner, noun.many) : fmt::format("all {} of {} {}", count(total), owner, noun.many), verb.many);
    return with(fmt::format("{} of {} {} {}", count(part), owner, count(total), noun.many), part == 1 ? verb.one : verb.many);
}

std::string capitalised(std::string text) {
    if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 'a' + 'A');
    return text;
}

std::string as_sentence(std::string text) {
    if (text.empty()) return text;
    text = capitalised(std::move(text));
    if (const char last = text.back(); last != '.' && last != '!' && last != '?') text += '.';
    return text;
}

bool is_whole(double n) { return std::isfinite(n) && std::fabs(n - std::round(n)) <= 1e-9 * std::max(1.0, std::fabs(n)); }

std::string count_number(double n) {
    if (!std::isfinite(n)) return grouped(n);
    if (is_whole(n)) return grouped(std::round(n));
    const std::string one = grouped(n, 1);
    return one.substr(one.size() - 2) == ".0" ? grouped(n, 2) : one;
}

std::string short_source(const std::string& source) {
    const size_t close = source.find(')');
    if (close != std::string::npos && close < 80) return source.substr(0, close + 1);
    return source.substr(0, std::min<size_t>(source.size(), 60));
}

std::string confidence_text(int bin) {
    switch (std::abs(bin)) {
    case 3: return "99 %";
    case 2: return "95 %";
    case 1: return "90 %";
    default: return "";
    }
}

std::string ordinal(double n, int decimals) {
    const std::string digits = fmt::format("{:.{}f}", n, decimals);
    if (digits.find('.') != std::string::npos) return digits + "th"; // 99.7th
    const long long whole = std::llround(n);
    const long long last2 = std::llabs(whole) % 100, last = std::llabs(whole) % 10;
    const char* suffix = (last2 >= 11 && last2 <= 13) ? "th" : last == 1 ? "st" : last == 2 ? "nd" : last == 3 ? "rd" : "th";
    return digits + suffix;
}

namespace {
/// A share in percent, trailing zeros dropped: to a tenth from 1 % ("2.5", "10"; the top 2.5 % of
/// 40 areas is not their top 2 %), to a hundredth below ("0.25", "0.3").
std::string share_text(double v) {
    if (v == 0) return "0";
    std::string t = v >= 1 ? fmt::format("{:.1f}", v) : fmt::format("{:.2f}", v);
    while (t.back() == '0') t.pop_back();
    if (t.back() == '.') t.pop_back();
    return t == "0" ? "0.01" : t;
}
} // namespace

std::string percentile_words(double pct) {
    if (!std::isfinite(pct)) return "not ranked";
    pct = std::clamp(pct, 0.0, 100.0);
    const double top = 100 - pct;
    if (top <= 0) return "the highest (100th percentile)";
    if (pct >= 75) {
        const std::string t = share_text(top);
        const double shown = 100 - std::stod(t);
        return fmt::format("in the top {} % ({} percentile)", t, ordinal(shown, t.find('.') == std::string::npos ? 0 : static_cast<int>(t.size() - t.find('.') - 1)));
    }
    if (pct <= 25) {
        const std::string t = share_text(pct);
        return fmt::format("in the bottom {} % ({} percentile)", t, ordinal(std::stod(t), t.find('.') == std::string::npos ? 0 : static_cast<int>(t.size() - t.find('.') - 1)));
    }
    return fmt::format("at the {} percentile", ordinal(pct, 0));
}

namespace {
std::string percent_of(double relative) {
    const double v = std::fabs(100 * relative);
    return v > 0 && v < 1 ? fmt::format("{:.1f} %", v) : fmt::format("{:.0f} %", v);
}
} // namespace

std::string change_words(double relative) {
    if (!std::isfinite(relative)) return relative > 0 ? "an unbounded rise" : "no estimate";
    if (std::fabs(relative) < 0.0005) return "no change";
    return fmt::format("{} {}", relative < 0 ? "a fall of" : "a rise of", percent_of(relative));
}

std::string signed_percent(double relative) {
    if (!std::isfinite(relative)) return relative > 0 ? "+inf" : "n/a";
    if (std::fabs(relative) < 0.0005) return "0 %";
    return fmt::format("{}{}", relative < 0 ? "-" : "+", percent_of(relative));
}

std::string change_interval_words(double low, double high) {
    if (std::isnan(low) || std::isnan(high)) return "no interval";
    if (!std::isfinite(high)) return low <= -1 ? "any change at all" : fmt::format("from {} upwards, with no upper limit", change_words(low));
    return fmt::format("from {} to {}", change_words(low), change_words(high));
}

std::string p_words(double p) {
    if (std::isnan(p)) return "no p";
    if (p < 0.0001) return "p < 0.0001";
    if (p < 0.001) return fmt::format("p = {:.4f}", p);
    return fmt::format("p = {:.3f}", p);
}

} // namespace safer::layers
