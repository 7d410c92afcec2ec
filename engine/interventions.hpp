#pragma once
// Situational interventions, what they are expected to prevent, and a budget plan.
//
// Each intervention type addresses a set of crime types and prevents a share of them (its effect
// size, from systematic reviews) where nothing guards them now. A candidate is one intervention
// at one place (a grid cell, an alley segment): it addresses the crimes of those types recorded
// there, each of which it prevents with probability
//     p = effect × (1 − coverage now)
// (coverage: the lit or CCTV share of the cell; 0 for an ungated alley). Alone it prevents
// p × (crimes) crimes in a period as long as the data's. Two candidates may address the same
// crime (lighting and CCTV in one cell): a crime is prevented at most once, so a set S of
// candidates prevents, in expectation,
//     f(S) = Σ_crimes [1 − Π_{i in S addressing the crime} (1 − p_i)],
// a monotone submodular function (probabilistic coverage).
//
// The budget plan maximises f(S) subject to Σ cost ≤ budget:
//   * up to `exact_limit` candidates (40): exactly, by depth-first branch and bound. The bound at
//     a node is f(S) plus the fractional knapsack of the remaining candidates' marginal gains
//     given S, an upper bound because f is submodular.
//   * more: the modified greedy of Khuller, Moss & Naor (1999): add the affordable candidate
//     with the largest marginal gain per pound until none fits, then keep the better of that and
//     the best single candidate. It is guaranteed at least ½(1 − 1/e) ≈ 31.6 % of the optimum
//     (for submodular f: Krause & Guestrin 2005); the plan also reports how close it is to an
//     upper bound on the optimum (the fractional knapsack of the candidates' single values,
//     which bounds f because f is subadditive), which is usually far tighter.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/crime_types.hpp"

namespace safer::plan {

/// One intervention type: what it addresses and prevents, and what a unit of it costs.
struct InterventionSpec {
    std::string key;   // lighting, cctv, gating, target_hardening
    std::string label; // "improved street lighting"
    std::vector<std::string> crime_types; // police.uk types it addresses
    double effect = 0; // share of the addressed crimes prevented (0..1); 0 leaves it out of plans
    std::string effect_source;
    double unit_cost = 0;  // GBP per unit
    std::string unit;      // "new street light", "camera", "alley gate", "home"
    std::string cost_source;
};

/// The built-in table (README "safer score"): effects from systematic reviews, costs indicative.
std::vector<InterventionSpec> default_interventions();

struct Candidate {
    size_t intervention = 0;     // index into the table
    std::vector<uint32_t> crimes; // incidents it addresses (indices; each once)
    double p = 0;                // chance it prevents each of them
    double cost = 0;             // GBP
};

/// f(S): expected crimes prevented by the candidates `chosen` together.
double prevented(const std::vector<Candidate>& candidates, std::span<const size_t> chosen);
/// A candidate's value alone: p × |crimes|.
inline double prevented_alone(const Candidate& c) { return c.p * static_cast<double>(c.crimes.size()); }

/// The cost to society of one crime of a police.uk type, as a range (one police.uk type covers
/// several of the Home Office's categories: vehicle crime is theft of and from vehicles).
struct CrimeCost {
    std::string type; // police.uk crime type
    double low = 0, high = 0; // GBP
};

/// Expected crimes prevented by the `chosen` candidates, by the incident's crime type:
/// sum over crimes of type t of 1 - prod (1 - p_i) over the chosen candidates addressing it (each
/// crime once, as prevented() counts them). `type_of[c]` is crime c's type.
std::vector<std::pair<CrimeTypeId, double>> prevented_by_type(const std::vector<Candidate>& candidates, std::span<const size_t> chosen,
                                                              const std::vector<CrimeTypeId>& type_of);

struct Plan {
    std::vector<size_t> chosen; // candidate indices, ascending
    double prevented = 0;       // f(chosen)
    double cost = 0;
    bool exact = false;
    std::string method;         // how it was found, for the report
    double upper_bound = 0;     // on the best possible f within the budget
    uint64_t nodes = 0;         // branch-and-bound nodes visited
};

/// The plan within `budget` (GBP). Candidates with a cost above the budget or preventing nothing
/// are never chosen.
Plan plan_budget(const std::vector<Candidate>& candidates, double budget, size_t exact_limit = 40, uint64_t node_limit = 20'000'000);

/// Every subset, for checking (throws std::invalid_argument above 22 candidates).
Plan plan_exhaustive(const std::vector<Candidate>& candidates, double budget);

} // namespace safer::plan
