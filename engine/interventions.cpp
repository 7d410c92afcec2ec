#include "engine/interventions.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <unordered_map>

namespace safer::plan {

std::vector<InterventionSpec> default_interventions() {
    const std::vector<std::string> street = {"Robbery", "Theft from the person", "Violence and sexual offences", "Anti-social behaviour", "Vehicle crime"};
    const std::string local = "; replace with your own quotes or schedule of rates (--costs)";
    return {
        {"lighting", "improved street lighting", street, 0.21,
         "Welsh & Farrington (2008), Effects of improved street lighting on crime, Campbell Systematic Reviews 2008:13: 13 studies, "
         "crime 21 % lower where lighting was improved than in comparison areas",
         2050, "new street light",
         "GBP 600 to 1,400 for a column and lantern and GBP 900 to 1,200 to connect it to the supply, the figures quoted to this project by "
         "Safer Streets bid teams: the midpoints, GBP 1,000 + GBP 1,050" + local},
        {"cctv", "CCTV", street, 0.16,
         "Welsh & Farrington (2009), Public area CCTV and crime prevention: an updated systematic review and meta-analysis, Justice "
         "Quarterly 26(4): 41 studies, crime 16 % lower; Piza, Welsh, Farrington & Thomas (2019), Criminology & Public Policy 18(1), "
         "confirm a significant but modest fall, largest in car parks and for vehicle and property crime",
         19075.81, "new camera and pole",
         "North Worcestershire Community Safety Partnership, 2020/21 PCC CCTV grant: one new camera and pole in Sanders Park, GBP 19,075.81 "
         "(camera upgrades on existing poles cost it GBP 1,994 to 5,016 each)" + local},
        {"gating", "alley gating", {"Burglary"}, 0.37,
         "Bowers, Johnson & Hirschfield (2004), Closing off opportunities for crime: an evaluation of alley-gating, European Journal on "
         "Criminal Policy and Research 10(4): burglary 37 % lower than in comparison areas (Liverpool, 3,178 gates); Sidebottom et al. "
         "(2018), Gating alleys to reduce crime: a meta-analysis and realist synthesis, Justice Quarterly 35(1): a significant fall "
         "in burglary with little displacement",
         1500, "alley gate",
         "an alley-gate scheme, two gates closing both ends of an alley, from about GBP 3,000, as quoted to this project by Safer Streets bid "
         "teams" + local},
        {"target_hardening", "target hardening of burgled homes", {"Burglary"}, 0.0,
         "no pooled area-level effect from a systematic review is built in (Tseloni et al. 2017, Crime Science 6:3, show that door "
         "and window locks with security lighting protect homes most, but not by how much an area's burglary falls): set an effect "
         "in --costs to plan it",
         250, "home", "no published schedule: a Safer Streets scheme's door and window locks and property marking for one home, indicative" + local},
    };
}

double prevented(const std::vector<Candidate>& candidates, std::span<const size_t> chosen) {
    std::unordered_map<uint32_t, double> survive;
    for (size_t i : chosen)
        for (uint32_t c : candidates[i].crimes) {
            auto [it, added] = survive.emplace(c, 1.0);
            it->second *= 1 - candidates[i].p;
        }
    double f = 0;
    for (const auto& [crime, s] : survive) f += 1 - s;
    return f;
}

std::vector<std::pair<CrimeTypeId, double>> prevented_by_type(const std::vector<Candidate>& candidates, std::span<const size_t> chosen,
                                                              const std::vector<CrimeTypeId>& type_of) {
    std::unordered_map<uint32_t, double> survive;
    for (size_t i : chosen)
        for (uint32_t c : candidates[i].crimes) {
            auto [it, added] = survive.emplace(c, 1.0);
            it->second *= 1 - candidates[i].p;
        }
    std::map<CrimeTypeId, double> by_type;
    for (const auto& [crime, s] : survive) by_type[type_of[crime]] += 1 - s;
    return {by_type.begin(), by_type.end()};
}

namespace {

/// Crime ids renumbered 0..m-1 and each candidate's list in those numbers.
struct Problem {
    std::vector<std::vector<uint32_t>> crimes;
    std::vector<double> p, cost;
    size_t m = 0;
    explicit Problem(const std::vector<Candidate>& cands) {
        std::unordered_map<uint32_t, uint32_t> id;
        for (const Candidate& c : cands) {
            std::vector<uint32_t> list;
            for (uint32_t x : c.crimes) list.push_back(id.emplace(x, static_cast<uint32_t>(id.size())).first->second);
            crimes.push_back(std::move(list));
            p.push_back(std::clamp(c.p, 0.0, 1.0));
            cost.push_back(std::max(0.0, c.cost));
        }
        m = id.size();
    }
    double gain(size_t i, const std::vector<double>& survive) const {
        double s = 0;
        for (uint32_t c : crimes[i]) s += survive[c];
        return p[i] * s;
    }
    void take(size_t i, std::vector<double>& survive) const {
        for (uint32_t c : crimes[i]) survive[c] *= 1 - p[i];
    }
};

/// Fractional knapsack of (value, cost) items within `budget`.
double fractional(std::vector<std::pair<double, double>> items, double budget) {
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
        return a.first * b.second > b.first * a.second; // value/cost descending, zero cost first
    });
    double v = 0, left = budget;
    for (const auto& [value, cost] : items) {
        if (!(value > 0)) continue;
        if (cost <= left) {
            v += value;
            left -= cost;
        } else {
            if (cost > 0) v += value * left / cost;
            break;
        }
    }
    return v;
}

Plan greedy(const Problem& pr, double budget) {
    const size_t n = pr.p.size();
    std::vector<double> survive(pr.m, 1.0);
    // Lazy greedy: gains only fall as the plan grows (submodularity), so a stale gain is an upper
    // bound and a candidate whose recomputed gain still leads is the true best.
    using Item = std::pair<double, size_t>; // (ratio, candidate)
    const auto ratio = [&](double gain, size_t i) { return pr.cost[i] > 0 ? gain / pr.cost[i] : (gain > 0 ? 1e300 : 0); };
    std::priority_queue<Item> queue;
    for (size_t i = 0; i < n; ++i) {
        const double g = pr.gain(i, survive);
        if (g > 0 && pr.cost[i] <= budget) queue.emplace(ratio(g, i), i);
    }
    Plan plan;
    double left = budget;
    while (!queue.empty()) {
        const auto [r, i] = queue.top();
        queue.pop();
        if (pr.cost[i] > left) continue; // never fits again: the budget only shrinks
        const double g = pr.gain(i, survive);
        if (!(g > 0)) continue;
        const double fresh = ratio(g, i);
        if (!queue.empty() && fresh < queue.top().first) {
            queue.emplace(fresh, i);
            continue;
        }
        plan.chosen.push_back(i);
        plan.prevented += g;
        plan.cost += pr.cost[i];
        left -= pr.cost[i];
        pr.take(i, survive);
    }
    // The best single candidate, in case one large item beats the ratio order.
    double best_single = 0;
    size_t best = n;
    std::vector<double> fresh(pr.m, 1.0);
    for (size_t i = 0; i < n; ++i) {
        if (pr.cost[i] > budget) continue;
        const double g = pr.gain(i, fresh);
        if (g > best_single) best_single = g, best = i;
    }
    if (best < n && best_single > plan.prevented) {
        plan.chosen = {best};
        plan.prevented = best_single;
        plan.cost = pr.cost[best];
    }
    std::sort(plan.chosen.begin(), plan.chosen.end());
    return plan;
}

} // namespace

Plan plan_budget(const std::vector<Candidate>& candidates, double budget, size_t exact_limit, uint64_t node_limit) {
    const Problem pr(candidates);
    const size_t n = candidates.size();
    std::vector<std::pair<double, double>> singles;
    {
        std::vector<double> fresh(pr.m, 1.0);
        for (size_t i = 0; i < n; ++i)
            if (pr.cost[i] <= budget) singles.emplace_back(pr.gain(i, fresh), pr.cost[i]);
    }
    const double bound = fractional(singles, budget);
    Plan best = greedy(pr, budget);
    best.upper_bound = bound;
    best.method = fmt::format("greedy (Khuller, Moss & Naor 1999: largest gain per pound, or the best single candidate if better; "
                              "guaranteed at least 31.6 % of the best possible) over {} candidates",
                              n);
    if (n > exact_limit) return best;

    // Branch and bound over the candidates in decreasing order of value per pound.
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    {
        std::vector<double> fresh(pr.m, 1.0);
        std::vector<double> v(n);
        for (size_t i = 0; i < n; ++i) v[i] = pr.gain(i, fresh);
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] * pr.cost[b] > v[b] * pr.cost[a]; });
    }
    std::vector<double> survive(pr.m, 1.0);
    std::vector<size_t> current;
    double best_value = best.prevented;
    std::vector<size_t> best_set = best.chosen;
    uint64_t nodes = 0;
    bool stopped = false;
    std::vector<std::pair<double, double>> items;
    // Depth-first: at depth k decide order[k]; value and cost so far.
    const auto search = [&](auto&& self, size_t k, double value, double cost) -> void {
        if (++nodes > node_limit) {
            stopped = true;
            return;
        }
        if (value > best_value + 1e-12) {
            best_value = value;
            best_set = current;
        }
        if (k == n) return;
        items.clear();
        for (size_t q = k; q < n; ++q) {
            const size_t i = order[q];
            if (cost + pr.cost[i] <= budget) items.emplace_back(pr.gain(i, survive), pr.cost[i]);
        }
        if (value + fractional(items, budget - cost) <= best_value + 1e-12) return;
        const size_t i = order[k];
        if (cost + pr.cost[i] <= budget) {
            const double g = pr.gain(i, survive);
            if (g > 0) {
                std::vector<double> saved;
                saved.reserve(pr.crimes[i].size());
                for (uint32_t c : pr.crimes[i]) saved.push_back(survive[c]);
                pr.take(i, survive);
                current.push_back(i);
                self(self, k + 1, value + g, cost + pr.cost[i]);
                current.pop_back();
                for (size_t q = 0; q < pr.crimes[i].size(); ++q) survive[pr.crimes[i][q]] = saved[q];
                if (stopped) return;
            }
        }
        self(self, k + 1, value, cost);
    };
    search(search, 0, 0.0, 0.0);
    Plan plan;
    plan.chosen = best_set;
    std::sort(plan.chosen.begin(), plan.chosen.end());
    plan.prevented = prevented(candidates, plan.chosen);
    for (size_t i : plan.chosen) plan.cost += candidates[i].cost;
    plan.nodes = nodes;
    if (stopped) {
        plan.upper_bound = bound;
        plan.method = fmt::format("branch and bound over {} candidates, stopped after {} nodes: the best plan found (at least the greedy's)", n, node_limit);
        return plan;
    }
    plan.exact = true;
    plan.upper_bound = plan.prevented;
    plan.method = fmt::format("exact: branch and bound over {} candidates ({} nodes)", n, nodes);
    return plan;
}

Plan plan_exhaustive(const std::vector<Candidate>& candidates, double budget) {
    const size_t n = candidates.size();
    if (n > 22) throw std::invalid_argument("plan_exhaustive: more than 22 candidates");
    Plan best;
    best.exact = true;
    best.method = "exhaustive";
    std::vector<size_t> set;
    for (uint64_t mask = 0; mask < (uint64_t{1} << n); ++mask) {
        double cost = 0;
        set.clear();
        for (size_t i = 0; i < n; ++i)
            if (mask >> i & 1) cost += candidates[i].cost, set.push_back(i);
        if (cost > budget) continue;
        const double v = prevented(candidates, set);
        if (v > best.prevented + 1e-12) {
            best.prevented = v;
            best.cost = cost;
            best.chosen = set;
        }
    }
    best.upper_bound = best.prevented;
    return best;
}

} // namespace safer::plan
