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

CLI::Validator budget_check() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const std::optional<double> v = parse_number(text);
            return v && *v >= 0 ? "" : fmt::format("'{}' is not an amount of 0 or more GBP (give a number, e.g. 431185)", text);
        },
        "GBP");
}

} // namespace safer::tools
