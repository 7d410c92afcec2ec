#include "layers/intervention_table.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <toml++/toml.h>

#include "engine/errors.hpp"

namespace safer::layers {

void read_interventions(const std::string& path, std::vector<plan::InterventionSpec>& table) {
    toml::table doc;
    try {
        doc = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        throw InputError(fmt::format("{}: line {}, column {}: {}", path, where.line, where.column, e.description()));
    }
    for (const auto& [name, node] : doc) {
        const std::string key(name.str());
        if (key == "crime_costs") continue; // read_crime_costs
        auto it = std::find_if(table.begin(), table.end(), [&](const plan::InterventionSpec& s) { return s.key == key; });
        if (it == table.end()) {
            std::vector<std::string> keys;
            for (const auto& s : table) keys.push_back(s.key);
            throw InputError(fmt::format("{}: [{}] is not an intervention; they are: {}", path, key, fmt::join(keys, ", ")));
        }
        const toml::table* t = node.as_table();
        if (!t) throw InputError(fmt::format("{}: {} must be a table ([{}])", path, key, key));
        for (const auto& [field_name, value] : *t) {
            const std::string field(field_name.str());
            const auto where = fmt::format("{}: line {}: {}.{}", path, value.source().begin.line, key, field);
            const auto number = [&]() {
                if (auto v = value.value<double>()) return *v;
                throw InputError(fmt::format("{}: expected a number", where));
            };
            const auto text = [&]() {
                if (auto v = value.value<std::string>()) return *v;
                throw InputError(fmt::format("{}: expected a string in quotes", where));
            };
            if (field == "effect") {
                const double v = number();
                if (!(v >= 0 && v <= 1)) throw InputError(fmt::format("{}: {} is not a share between 0 and 1 (0.21 for 21 %)", where, v));
                it->effect = v;
            } else if (field == "cost") {
                const double v = number();
                if (!(v >= 0) || !std::isfinite(v)) throw InputError(fmt::format("{}: {} is not a cost of 0 or more (GBP)", where, v));
                it->unit_cost = v;
            } else if (field == "effect_source") {
                it->effect_source = text();
            } else if (field == "cost_source") {
                it->cost_source = text();
            } else if (field == "unit") {
                it->unit = text();
            } else if (field == "label") {
                it->label = text();
            } else if (field == "crime_types") {
                const toml::array* a = value.as_array();
                if (!a) throw InputError(fmt::format("{}: expected a list of crime types, [\"Burglary\", ...]", where));
                std::vector<std::string> types;
                for (const auto& v : *a) {
                    auto s = v.value<std::string>();
                    if (!s) throw InputError(fmt::format("{}: every crime type must be a string in quotes", where));
                    types.push_back(*s);
                }
                it->crime_types = std::move(types);
            } else {
                throw InputError(fmt::format("{}: unknown key; the keys are effect, effect_source, cost, unit, cost_source, crime_types, label", where));
            }
        }
    }
}

std::string interventions_toml(const std::vector<plan::InterventionSpec>& table) {
    std::string out;
    for (const auto& s : table) {
        toml::table t;
        t.insert("label", s.label);
        t.insert("effect", s.effect);
        t.insert("effect_source", s.effect_source);
        t.insert("cost", s.unit_cost);
        t.insert("unit", s.unit);
        t.insert("cost_source", s.cost_source);
        toml::array types;
        for (const auto& c : s.crime_types) types.push_back(c);
        t.insert("crime_types", types);
        std::ostringstream os;
        os << t;
        out += fmt::format("[{}]\n{}\n\n", s.key, os.str());
    }
    return out;
}

std::vector<plan::CrimeCost> read_crime_costs(const std::string& path, std::string& source) {
    toml::table doc;
    try {
        doc = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        throw InputError(fmt::format("{}: line {}, column {}: {}", path, where.line, where.column, e.description()));
    }
    std::vector<plan::CrimeCost> costs;
    const toml::table* t = doc["crime_costs"].as_table();
    if (!t) return costs;
    const CrimeTypes known;
    for (const auto& [name, value] : *t) {
        const std::string key(name.str());
        const auto where = fmt::format("{}: line {}: crime_costs.\"{}\"", path, value.source().begin.line, key);
        if (key == "source") {
            if (auto v = value.value<std::string>()) source = *v;
            else throw InputError(fmt::format("{}: expected a string in quotes", where));
            continue;
        }
        if (!known.find(key)) throw InputError(fmt::format("{}: '{}' is not a police.uk crime type (for example \"Burglary\", \"Vehicle crime\")", where, key));
        plan::CrimeCost c;
        c.type = key;
        if (auto v = value.value<double>()) {
            c.low = c.high = *v;
        } else if (const toml::array* a = value.as_array(); a && a->size() == 2 && a->get(0)->value<double>() && a->get(1)->value<double>()) {
            c.low = *a->get(0)->value<double>(), c.high = *a->get(1)->value<double>();
        } else {
            throw InputError(fmt::format("{}: expected a cost in GBP, or [low, high]", where));
        }
        if (!(c.low >= 0 && c.high >= c.low && std::isfinite(c.high)))
            throw InputError(fmt::format("{}: costs must be 0 or more GBP, the low one first", where));
        costs.push_back(std::move(c));
    }
    return costs;
}

} // namespace safer::layers
