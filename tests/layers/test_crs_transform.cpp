// The parallel transformation (layers/crs: a pool of PROJ objects cloned from one) must give every
// point exactly what a transformation made afresh by PROJ gives it, point by point, including the
// choice between PROJ's candidate operations by where the point lies.
#include <catch2/catch.hpp>
#include <proj.h>

#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "layers/crs.hpp"

using namespace safer::layers;

TEST_CASE("CrsTransform: every point as PROJ transforms it alone, across Great Britain and beyond", "[crs]") {
    std::vector<double> lon, lat;
    for (int i = 0; i <= 340; ++i)
        for (int j = 0; j <= 280; ++j) lon.push_back(-12 + 0.05 * i), lat.push_back(48 + 0.05 * j);
    std::vector<double> x = lon, y = lat;
    CrsTransform("EPSG:4326", "EPSG:27700").transform(x, y);

    PJ_CONTEXT* ctx = proj_context_create();
    PJ* made = proj_create_crs_to_crs(ctx, "EPSG:4326", "EPSG:27700", nullptr);
    REQUIRE(made);
    PJ* pj = proj_normalize_for_visualization(ctx, made);
    REQUIRE(pj);
    size_t differ = 0;
    std::set<std::string> operations;
    for (size_t k = 0; k < lon.size(); ++k) {
        const PJ_COORD out = proj_trans(pj, PJ_FWD, proj_coord(lon[k], lat[k], 0, 0));
        if (PJ* used = proj_trans_get_last_used_operation(pj)) {
            operations.insert(proj_pj_info(used).description);
            proj_destroy(used);
        }
        const bool failed = !std::isfinite(out.xy.x) || !std::isfinite(out.xy.y) || out.xy.x == HUGE_VAL;
        if (failed ? !(std::isnan(x[k]) && std::isnan(y[k])) : (std::memcmp(&out.xy.x, &x[k], sizeof(double)) != 0 || std::memcmp(&out.xy.y, &y[k], sizeof(double)) != 0))
            ++differ;
    }
    proj_destroy(pj);
    proj_destroy(made);
    proj_context_destroy(ctx);
    CHECK(lon.size() == 341 * 281);
    CHECK(differ == 0);
    // Both of PROJ's candidates were chosen somewhere: the Helmert transformation within Great
    // Britain and the ballpark offset outside it, so the comparison covers the choice.
    CHECK(operations.size() >= 2);
}
