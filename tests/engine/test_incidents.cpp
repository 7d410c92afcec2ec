// Setting rows aside and putting them back (Incidents::take_out, put_back): how safer run lets
// several analyses, each with its own months and areas, share one table of incidents.
#include <catch2/catch.hpp>
#include <fmt/core.h>

#include <cmath>
#include <map>
#include <random>

#include "engine/incidents.hpp"

namespace {

using safer::Incidents;

Incidents table(size_t rows, std::mt19937& rng) {
    Incidents in;
    safer::CrimeTypes types;
    for (size_t i = 0; i < rows; ++i) {
        in.x.push_back(static_cast<double>(i) + 0.5);
        in.y.push_back(-static_cast<double>(i));
        in.month.push_back(safer::Month{24000 + static_cast<int32_t>(i % 13)});
        in.type.push_back(static_cast<safer::CrimeTypeId>(i % 5));
        // Crime IDs of every length, some empty (anti-social behaviour has none).
        in.crime_id.push_back(i % 4 == 0 ? std::string() : std::string(rng() % 70, static_cast<char>('a' + i % 26)));
        in.location.push_back(fmt::format("On or near street {}", i % 7));
        in.lsoa_code_source.push_back(fmt::format("E0100{}", i % 11));
        in.outcome.push_back(i % 3 ? "Under investigation" : "");
        in.source.push_back(static_cast<uint32_t>(i / 10));
        in.line.push_back(i + 2);
    }
    return in;
}

// Every column of row i of a against row j of b.
bool same_row(const Incidents& a, size_t i, const Incidents& b, size_t j) {
    return a.x[i] == b.x[j] && a.y[i] == b.y[j] && a.month[i] == b.month[j] && a.type[i] == b.type[j] && a.crime_id[i] == b.crime_id[j] &&
           a.location[i] == b.location[j] && a.lsoa_code_source[i] == b.lsoa_code_source[j] && a.outcome[i] == b.outcome[j] &&
           a.source[i] == b.source[j] && a.line[i] == b.line[j];
}

} // namespace

TEST_CASE("Rows taken out leave the kept rows in order, and put back restore the table exactly", "[incidents]") {
    std::mt19937 rng(7);
    for (size_t rows : {0u, 1u, 2u, 17u, 1000u}) {
        for (double share : {0.0, 0.01, 0.5, 0.97, 1.0}) {
            const Incidents original = table(rows, rng);
            Incidents in = original;
            std::vector<uint8_t> keep(rows);
            for (auto& k : keep) k = std::uniform_real_distribution<double>(0, 1)(rng) >= share;
            safer::RemovedRows removed = in.take_out(keep);

            // The kept rows, in order, written out by a loop of their own.
            size_t j = 0;
            for (size_t i = 0; i < rows; ++i)
                if (keep[i]) REQUIRE(same_row(original, i, in, j++));
            REQUIRE(in.size() == j);
            REQUIRE(removed.size() == rows - j);

            in.put_back(std::move(removed));
            REQUIRE(in.size() == rows);
            for (size_t i = 0; i < rows; ++i) REQUIRE(same_row(original, i, in, i));
        }
    }
}

TEST_CASE("Two take-outs undone in reverse order restore the table", "[incidents]") {
    std::mt19937 rng(11);
    const Incidents original = table(500, rng);
    Incidents in = original;
    std::vector<uint8_t> first(500), second;
    for (size_t i = 0; i < 500; ++i) first[i] = i % 3 != 0; // the months of one job
    safer::RemovedRows a = in.take_out(first);
    second.resize(in.size());
    for (size_t i = 0; i < second.size(); ++i) second[i] = i % 5 != 4; // then its areas
    safer::RemovedRows b = in.take_out(second);
    REQUIRE(in.size() == 500 - a.size() - b.size());
    in.put_back(std::move(b));
    in.put_back(std::move(a));
    for (size_t i = 0; i < 500; ++i) REQUIRE(same_row(original, i, in, i));
}

TEST_CASE("Distinct locations of many rows are numbered in order of first appearance, as a map over the rows numbers them", "[incidents]") {
    // 400,000 rows (past the size at which the search is split into parts) at about 20,000
    // places, with -0.0 beside +0.0 (one place) and a few rows at places of their own.
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> place(0, 19999), lone(0, 99);
    std::vector<double> x, y;
    for (size_t i = 0; i < 400000; ++i) {
        const int p = place(rng);
        if (lone(rng) == 0) {
            x.push_back(1e6 + static_cast<double>(i)), y.push_back(0.25);
        } else if (p == 0) {
            x.push_back(i % 2 ? -0.0 : 0.0), y.push_back(0.0);
        } else {
            x.push_back(450000 + 25.0 * (p % 150)), y.push_back(200000 + 25.0 * (p / 150));
        }
    }
    // Expected, by a map from the coordinates to the number given when first met.
    std::map<std::pair<double, double>, uint32_t> number;
    std::vector<uint32_t> location_of;
    std::vector<uint32_t> weight;
    std::vector<double> px, py;
    for (size_t i = 0; i < x.size(); ++i) {
        const auto [it, fresh] = number.emplace(std::make_pair(x[i] + 0.0, y[i] + 0.0), static_cast<uint32_t>(px.size()));
        if (fresh) px.push_back(x[i]), py.push_back(y[i]), weight.push_back(0);
        ++weight[it->second];
        location_of.push_back(it->second);
    }
    const safer::WeightedLocations got = safer::unique_locations(x, y);
    REQUIRE(got.x.size() == px.size());
    CHECK(got.location_of == location_of);
    CHECK(got.weight == weight);
    CHECK(got.x == px);
    CHECK(got.y == py);
    size_t signs_differ = 0; // each place keeps its first row's coordinates, -0.0 or +0.0 as given
    for (size_t k = 0; k < px.size(); ++k) signs_differ += std::signbit(got.x[k]) != std::signbit(px[k]);
    CHECK(signs_differ == 0);
}
