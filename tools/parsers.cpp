#include "tools/parsers.hpp"

#include <fmt/core.h>

#include <cmath>

#include "engine/errors.hpp"
#include "engine/numbers.hpp"

namespace safer::tools {

std::optional<double> parse_length(const std::string& text, const char* option) {
    if (text == "auto") return std::nullopt;
    const std::optional<double> v = parse_number(text);
    if (!v) throw UsageError(fmt::format("{} {}: expected metres (a number) or auto", option, text));
    return v;
}

hotspots::WeightsSpec parse_weights(const std::string& text) {
    using Kind = hotspots::WeightsSpec::Kind;
    hotspots::WeightsSpec w;
    if (text.empty()) return w;
    if (text == "queen") {
        w.kind = Kind::queen;
    } else if (text == "rook") {
        w.kind = Kind::rook;
    } else if (text.starts_with("distance:") || text.starts_with("knn:")) {
        const bool distance = text[0] == 'd';
        const std::optional<double> v = parse_number(std::string_view(text).substr(distance ? 9 : 4));
        if (!v || *v <= 0) throw UsageError(fmt::format("--weights {}: expected distance:METRES or knn:K with a number above 0", text));
        if (distance) {
            w.kind = Kind::distance;
            w.distance = *v;
        } else {
            if (*v != std::floor(*v) || *v > 1000) throw UsageError(fmt::format("--weights {}: K must be a whole number up to 1000", text));
            w.kind = Kind::knn;
            w.k = static_cast<int>(*v);
        }
    } else {
        throw UsageError(fmt::format("--weights {}: expected distance:METRES, knn:K, queen or rook", text));
    }
    return w;
}

accuracy::Method parse_method(const std::string& text) {
    using Kind = accuracy::Method::Kind;
    accuracy::Method m;
    const auto metres = [&](std::string_view value) {
        const std::optional<double> v = parse_number(value);
        if (!v || !(*v > 0)) throw UsageError(fmt::format("--methods {}: expected metres above 0 after the colon", text));
        return *v;
    };
    if (text == "areas") m.kind = Kind::areas;
    else if (text == "counts") m.kind = Kind::counts;
    else if (text == "kde:auto") m.kind = Kind::kde_auto;
    else if (text.starts_with("kde:")) m.kind = Kind::kde, m.value = metres(std::string_view(text).substr(4));
    else if (text.starts_with("gistar:")) m.kind = Kind::gistar, m.value = metres(std::string_view(text).substr(7));
    else throw UsageError(fmt::format("--methods {}: expected kde:METRES, kde:auto, gistar:METRES, areas or counts", text));
    return m;
}

MonthWindow parse_month_span(const std::string& text, const char* option) {
    const size_t colon = text.find(':');
    const std::string first = text.substr(0, colon), last = colon == std::string::npos ? first : text.substr(colon + 1);
    const std::optional<Month> a = Month::parse(first), b = Month::parse(last);
    if (!a || !b) throw UsageError(fmt::format("{} {}: expected YYYY-MM:YYYY-MM, the first and last months", option, text));
    if (*a > *b) throw UsageError(fmt::format("{} {}: the first month is after the last", option, text));
    return MonthWindow{a, b};
}

std::vector<double> parse_coverages(const std::vector<std::string>& texts, const char* option) {
    std::vector<double> out;
    for (const std::string& t : texts) {
        const std::optional<double> v = parse_number(t);
        if (!v || !(*v > 0 && *v <= 100)) throw UsageError(fmt::format("{} {}: expected a percentage of the study area, more than 0 and at most 100", option, t));
        out.push_back(*v / 100);
    }
    if (out.empty()) throw UsageError(fmt::format("{}: give at least one percentage", option));
    return out;
}

std::vector<double> parse_lengths(const std::vector<std::string>& texts, const char* option) {
    std::vector<double> out;
    for (const std::string& t : texts) {
        const std::optional<double> v = parse_number(t);
        if (!v || !(std::isfinite(*v) && *v > 0)) throw UsageError(fmt::format("{} {}: expected metres, more than 0", option, t));
        out.push_back(*v);
    }
    if (out.empty()) throw UsageError(fmt::format("{}: give at least one length", option));
    return out;
}

CLI::Validator budget_check() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const std::optional<double> v = parse_number(text);
            return v && *v >= 0 ? "" : fmt::format("'{}' is not an amount of 0 or more GBP (give a number, e.g. 431185)", text);
        },
        "GBP");
}

} // namespace safer::tools
