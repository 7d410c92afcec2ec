#include <catch2/catch.hpp>

#include <fmt/core.h>

#include "engine/area_index.hpp"

using namespace safer;

namespace {
geos::Geometry rectangle(double x0, double y0, double x1, double y1) {
    return geos::checked(GEOSGeom_createRectangle_r(geos::context(), x0, y0, x1, y1), "rectangle");
}
} // namespace

TEST_CASE("Points go to the area containing them, boundary points to the first code", "[engine][assign]") {
    Areas areas;
    areas.code = {"A", "B", "C"};
    areas.name = areas.code;
    areas.geometry.push_back(rectangle(0, 0, 10, 10));
    areas.geometry.push_back(rectangle(10, 0, 20, 10));
    areas.geometry.push_back(rectangle(0, 10, 20, 20));
    areas.population.assign(3, 1);
    areas.households.assign(3, 1);
    const AreaIndex index(areas);
    const std::vector<double> x = {5, 15, 5, 10, 10, 10, 25, 20, 0, 5};
    const std::vector<double> y = {5, 5, 15, 5, 10, 15, 5, 20, 0, 5};
    const std::vector<int32_t> got = index.locate(x, y);
    // (10,5) lies on A|B -> A; (10,10) on A|B|C -> A; (10,15) inside C; (25,5) nowhere;
    // (20,20) a corner of C only; (0,0) a corner of A; the repeated (5,5) -> A again.
    CHECK(got == std::vector<int32_t>{0, 1, 2, 0, 0, 2, no_area, 2, 0, 0});
}

TEST_CASE("Assignment is the same for many points run in parallel", "[engine][assign]") {
    Areas areas;
    for (int i = 0; i < 10; ++i)
        for (int j = 0; j < 10; ++j) {
            areas.code.push_back(fmt::format("C{:02d}{:02d}", i, j));
            areas.geometry.push_back(rectangle(i * 10.0, j * 10.0, i * 10.0 + 10, j * 10.0 + 10));
        }
    areas.name = areas.code;
    areas.population.assign(areas.code.size(), 1);
    areas.households.assign(areas.code.size(), 1);
    std::vector<double> x, y;
    for (int64_t k = 0; k < 200000; ++k) {
        x.push_back(static_cast<double>(k * 7919 % 100000) / 1000.0 + 0.0005);
        y.push_back(static_cast<double>(k * 104729 % 100000) / 1000.0 + 0.0005);
    }
    const auto got = AreaIndex(areas).locate(x, y);
    for (size_t k = 0; k < x.size(); ++k) {
        const int i = static_cast<int>(x[k] / 10), j = static_cast<int>(y[k] / 10);
        REQUIRE(got[k] == i * 10 + j); // codes sort as C<i><j>
    }
}
