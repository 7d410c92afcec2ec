// The design-out-crime analysis (engine/design_out) on a 3 × 3 grid with one street light: the
// lit shares, the crimes each intervention addresses in each cell, the candidates with their
// chance of preventing each crime and their cost, and the budget plan against every subset tried.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

#include "engine/design_out.hpp"
#include "tests/support/hand_made.hpp"

using namespace safer;

namespace {
// The area 0..300 × 0..300 in 100 m cells (row 0 north: cell = 3 row + column). One light of
// radius 40 m at (150, 150), the centre of cell 4: its disc (and the equal-area polygon that stands
// for it, whose corners reach 40.1 m) lies inside that cell.
// Incidents: 0, 1 robberies at (150, 150), cell 4; 2 a robbery at (50, 250), cell 0;
// 3, 4 burglaries at (250, 50), cell 8; 5 drugs at (250, 250), cell 2 (no intervention addresses it).
struct Fixture {
    Areas areas = test::make_areas({{0, 0, 300, 2000}});
    test::IncidentList l;
    std::vector<int32_t> area_of;
    AssetSet assets;
    design::DesignOutModel model;
    Fixture() {
        l.add(150, 150, "2021-05", "Robbery", 2);
        l.add(50, 250, "2021-05", "Robbery");
        l.add(250, 50, "2021-05", "Burglary", 2);
        l.add(250, 250, "2021-05", "Drugs");
        area_of.assign(l.size(), 0);
        assets.has_lighting = true;
        assets.lights.push_back(LightRecord{150, 150, std::nullopt, 40.0, 1});
        model.table = plan::default_interventions();
        // Effects and costs of this test's own (the table's sources are not what is tested here).
        const std::map<std::string, std::pair<double, double>> set{
            {"lighting", {0.2, 1000}}, {"cctv", {0.1, 5000}}, {"gating", {0.4, 500}}, {"target_hardening", {0.5, 100}}};
        for (auto& spec : model.table) spec.effect = set.at(spec.key).first, spec.unit_cost = set.at(spec.key).second;
    }
    design::DesignOutPlan run() const { return design::design_out(model, assets, l.incidents, l.types, areas, area_of, nullptr); }
};
} // namespace

TEST_CASE("Design out: lit shares of cells and areas from the lights' discs", "[design_out]") {
    const Fixture f;
    const design::DesignOutPlan d = f.run();
    REQUIRE(d.unit_cells.size() == 9);
    CHECK(d.light_count == 1);
    CHECK(d.facts.radius_from_attribute == 1);
    // π 40² / 100² of cell 4, nothing elsewhere; π 40² / 300² of the area.
    for (size_t u = 0; u < 9; ++u) CHECK(d.cell_lit[u] == Approx(u == 4 ? std::numbers::pi * 0.16 : 0.0).epsilon(1e-9).margin(1e-12));
    CHECK(d.area_lit[0] == Approx(std::numbers::pi * 1600 / 90000).epsilon(1e-9));
    CHECK(d.area_seen[0] == 0); // no CCTV layer: nothing in view
}

TEST_CASE("Design out: candidates with their chance of prevention and cost, worked by hand", "[design_out]") {
    const Fixture f;
    const design::DesignOutPlan d = f.run();
    // Robbery is a street crime that lighting and CCTV address; burglary is for hardening and gates.
    CHECK(d.crimes_in[d.LIGHT][4] == std::vector<uint32_t>{0, 1});
    CHECK(d.crimes_in[d.LIGHT][0] == std::vector<uint32_t>{2});
    CHECK(d.crimes_in[d.HARDEN][8] == std::vector<uint32_t>{3, 4});
    CHECK(d.addressed_total[d.LIGHT] == 3);
    CHECK(d.area_count[d.HARDEN][0] == 2);
    // The default camera range, to detect (EN 62676-4: 25 px/m): 1920 px / (2 × 25 px/m × tan 30°) = 66.5 m.
    const double range = 1920 / (2 * 25 * std::tan(std::numbers::pi / 6));
    CHECK(d.default_range == Approx(range));
    // Units to cover what is not covered now: ⌈(1 − share) × 100² / disc⌉, at least 1.
    const auto units = [](double share, double radius) { return std::max(1.0, std::ceil((1 - share) * 10000 / (std::numbers::pi * radius * radius))); };
    const double lit4 = std::numbers::pi * 0.16;
    struct Expected {
        size_t intervention;
        int64_t cell;
        std::vector<uint32_t> crimes;
        double p, cost;
    };
    const std::vector<Expected> expected{
        {d.LIGHT, 0, {2}, 0.2, units(0, 15) * 1000},             // 15 lights of the default 15 m radius
        {d.CCTV, 0, {2}, 0.1, units(0, range) * 5000},           // 1 camera: its 66.5 m view covers the cell
        {d.LIGHT, 4, {0, 1}, 0.2 * (1 - lit4), units(lit4, 15) * 1000}, // 8 lights for the unlit 50 %
        {d.CCTV, 4, {0, 1}, 0.1, units(0, range) * 5000},
        {d.HARDEN, 8, {3, 4}, 0.5, 2 * 100},                     // one home a burglary
    };
    CHECK(units(0, 15) == 15);
    CHECK(units(0, range) == 1);
    CHECK(units(lit4, 15) == 8);
    REQUIRE(d.candidates.size() == expected.size());
    for (size_t k = 0; k < expected.size(); ++k) {
        INFO("candidate " << k);
        CHECK(d.candidates[k].intervention == expected[k].intervention);
        CHECK(d.info[k].cell == expected[k].cell);
        CHECK(d.candidates[k].crimes == expected[k].crimes);
        CHECK(d.candidates[k].p == Approx(expected[k].p).epsilon(1e-9));
        CHECK(d.candidates[k].cost == Approx(expected[k].cost));
    }
}

TEST_CASE("Design out: the plan is the best of every subset within the budget", "[design_out]") {
    Fixture f;
    f.model.budget = 20000;
    const design::DesignOutPlan d = f.run();
    REQUIRE(d.with_budget);
    // Every subset of the candidates, each crime prevented with chance 1 − Π(1 − p) over the
    // chosen candidates that address it.
    const size_t n = d.candidates.size();
    double best = -1, best_cost = 0;
    for (uint32_t mask = 0; mask < (1u << n); ++mask) {
        double cost = 0;
        std::map<uint32_t, double> survive;
        for (size_t k = 0; k < n; ++k)
            if (mask >> k & 1) {
                cost += d.candidates[k].cost;
                for (uint32_t c : d.candidates[k].crimes) {
                    auto [it, fresh] = survive.emplace(c, 1.0);
                    it->second *= 1 - d.candidates[k].p;
                }
            }
        if (cost > 20000) continue;
        double f_s = 0;
        for (const auto& [c, s] : survive) f_s += 1 - s;
        if (f_s > best + 1e-12) best = f_s, best_cost = cost;
    }
    // By hand: hardening H (£200, 1 crime), lighting L0 (£15,000, 0.2) and L4 (£8,000, 2 × 0.2 ×
    // 0.497 = 0.199), a camera C0 (£5,000, 0.1) and C4 (£5,000, 2 × 0.1). H + L0 + a camera costs
    // £20,200, over the budget; H + L4 + C0 + C4 (£18,200) prevents 1 + 0.1 + 2 (1 − 0.801 × 0.9)
    // = 1.479, more than H + L0 (1.2) or H + L0's crime with C0 (1.28).
    CHECK(best_cost == 18200);
    CHECK(d.chosen_plan.prevented == Approx(best).epsilon(1e-12));
    CHECK(d.chosen_plan.cost == Approx(18200));
    CHECK(d.chosen_plan.chosen == std::vector<size_t>{1, 2, 3, 4});
    // Order in the plan, by crimes prevented a pound alone: H 1/200, C4 0.2/5,000, L4 0.199/8,000,
    // C0 0.1/5,000.
    CHECK(d.plan_order == std::vector<int64_t>{0, 4, 3, 2, 1});
}
