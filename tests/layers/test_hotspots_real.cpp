// Real data, issue 4: the 1,005 Avon and Somerset LSOAs, 12 months (2021-04 to 2022-03) of
// neighbourhood crime, queen contiguity, Gi*. Contiguity and Gi* are recomputed here by brute
// force: every pair of polygons whose envelopes come within the tolerance is measured with plain
// GEOSDistance (no R-tree, no prepared geometry), and z from the closed formula.
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>
#include <set>

#include "engine/area_index.hpp"
#include "engine/crime_types.hpp"
#include "engine/fdr.hpp"
#include "engine/getis_ord.hpp"
#include "engine/spatial_weights.hpp"
#include "layers/area_reader.hpp"
#include "layers/incident_reader.hpp"

using namespace safer;

TEST_CASE("Real data: Gi* of neighbourhood crime on queen-contiguous LSOAs equals a brute-force computation", "[real][hotspots]") {
    const std::string data = SAFER_DATA_DIR;
    Progress quiet(true);
    layers::IngestOptions options;
    options.window.from = Month::parse("2021-04");
    options.window.to = Month::parse("2022-03");
    const layers::IngestResult r = layers::read_incidents({data + "/avon-and-somerset/crime/street"}, options, quiet);
    layers::AreaReport report;
    const Areas areas = layers::read_areas(data + "/avon-and-somerset/boundaries/lsoa_2011_avon_and_somerset.geojson", {}, report, quiet);
    REQUIRE(areas.size() == 1005);

    const std::vector<CrimeGroup> groups = builtin_crime_groups();
    const GroupMembership membership(groups, r.types);
    const std::vector<int32_t> area_of = AreaIndex(areas).locate(r.incidents.x, r.incidents.y);
    std::vector<double> x(areas.size(), 0);
    size_t total = 0;
    for (size_t i = 0; i < area_of.size(); ++i)
        if (area_of[i] >= 0 && membership.contains(0, r.incidents.type[i])) x[static_cast<size_t>(area_of[i])] += 1, ++total;
    CHECK(total > 10000);

    std::vector<const GEOSGeometry*> polygons;
    for (const auto& g : areas.geometry) polygons.push_back(g.get());
    const double tol = hotspots::default_snap_tolerance;
    const hotspots::SpatialWeights w = hotspots::contiguity(polygons, hotspots::Contiguity::queen, tol);

    // Brute-force queen neighbours.
    const size_t n = areas.size();
    std::vector<geos::Envelope> env;
    for (const auto* g : polygons) env.push_back(geos::envelope(g));
    std::vector<std::set<size_t>> brute(n);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j) {
            if (env[i].min_x > env[j].max_x + tol || env[j].min_x > env[i].max_x + tol || env[i].min_y > env[j].max_y + tol ||
                env[j].min_y > env[i].max_y + tol)
                continue;
            double d = 0;
            REQUIRE(GEOSDistance_r(geos::context(), polygons[i], polygons[j], &d) == 1);
            if (d <= tol) brute[i].insert(j), brute[j].insert(i);
        }
    size_t links = 0, mismatched = 0;
    for (size_t i = 0; i < n; ++i) {
        std::set<size_t> got;
        for (int64_t e = w.offsets[i]; e < w.offsets[i + 1]; ++e) got.insert(static_cast<size_t>(w.neighbours[static_cast<size_t>(e)]));
        got.erase(i);
        links += brute[i].size();
        if (got != brute[i]) ++mismatched;
    }
    CHECK(mismatched == 0);
    CHECK(links > 5 * n); // LSOAs have about six neighbours each

    // Gi* by its closed formula with binary weights, self included.
    double sum = 0, sum2 = 0;
    for (double v : x) sum += v, sum2 += v * v;
    const double mean = sum / static_cast<double>(n);
    const double s = std::sqrt(sum2 / static_cast<double>(n) - mean * mean);
    const hotspots::GiStarResult gi = hotspots::gi_star(x, w);
    REQUIRE(gi.z.size() == n);
    double worst = 0;
    size_t hot = 0, hot_fdr = 0;
    std::vector<double> p(n);
    for (size_t i = 0; i < n; ++i) {
        double lag = x[i];
        for (size_t j : brute[i]) lag += x[j];
        const double W = 1.0 + static_cast<double>(brute[i].size()); // = S1 for binary weights
        const double z = (lag - mean * W) / (s * std::sqrt((static_cast<double>(n) * W - W * W) / static_cast<double>(n - 1)));
        worst = std::max(worst, std::abs(z - gi.z[i]));
        p[i] = std::erfc(std::abs(z) / std::sqrt(2.0));
        if (p[i] < 0.05 && z > 0) ++hot;
    }
    CHECK(worst < 1e-9);
    // Benjamini-Hochberg by hand: the largest k with p_(k) <= 0.05 k / n; the k smallest p are
    // significant.
    std::vector<double> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    size_t k = 0;
    for (size_t i = 0; i < n; ++i)
        if (sorted[i] <= 0.05 * static_cast<double>(i + 1) / static_cast<double>(n)) k = i + 1;
    const double cut = k ? sorted[k - 1] : -1;
    for (size_t i = 0; i < n; ++i)
        if (p[i] <= cut && gi.z[i] > 0) ++hot_fdr;
    size_t engine_hot = 0, engine_hot_fdr = 0;
    for (size_t i = 0; i < n; ++i) {
        if (gi.p[i] < 0.05 && gi.z[i] > 0) ++engine_hot;
        if (gi.p_fdr[i] < 0.05 && gi.z[i] > 0) ++engine_hot_fdr;
    }
    CHECK(engine_hot == hot);
    CHECK(engine_hot_fdr == hot_fdr);
    CHECK(hot_fdr <= hot);
    CHECK(hot > 0);
    std::cout << "A&S neighbourhood crime 2021-04..2022-03, " << total << " incidents, " << n << " LSOAs, " << links / 2
              << " queen links: " << hot << " hot at 95 %, " << hot_fdr << " with FDR\n";
}
