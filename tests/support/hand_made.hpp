#pragma once
// Hand-made inputs for engine tests: squares as areas, incidents placed one by one.
#include <fmt/core.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/areas.hpp"
#include "engine/crime_types.hpp"
#include "engine/geos.hpp"
#include "engine/incidents.hpp"
#include "engine/month.hpp"

namespace safer::test {

inline geos::Geometry rectangle(double x0, double y0, double x1, double y1) {
    return geos::checked(GEOSGeom_createRectangle_r(geos::context(), x0, y0, x1, y1), "rectangle");
}

inline Month month(const char* text) { return *Month::parse(text); }

/// Areas A0, A1, ... with the given squares' south-west corners and side, population and households.
struct AreaRow {
    double x0, y0, side, population, households = std::nan("");
};
inline Areas make_areas(const std::vector<AreaRow>& rows) {
    Areas areas;
    for (size_t a = 0; a < rows.size(); ++a) {
        const AreaRow& r = rows[a];
        areas.code.push_back(fmt::format("A{}", a));
        areas.name.push_back(fmt::format("Area {}", a));
        areas.population.push_back(r.population);
        areas.households.push_back(r.households);
        areas.geometry.push_back(rectangle(r.x0, r.y0, r.x0 + r.side, r.y0 + r.side));
    }
    return areas;
}

/// Incidents added one at a time, with their crime types interned as the reader does.
struct IncidentList {
    Incidents incidents;
    CrimeTypes types;
    void add(double x, double y, const char* month_text, const char* type, size_t times = 1, const char* location = "") {
        for (size_t k = 0; k < times; ++k) {
            incidents.location.push_back(location);
            incidents.x.push_back(x);
            incidents.y.push_back(y);
            incidents.month.push_back(month(month_text));
            incidents.type.push_back(types.intern(type));
            incidents.source.push_back(0);
            incidents.line.push_back(incidents.line.size() + 2);
        }
    }
    size_t size() const { return incidents.size(); }
};

} // namespace safer::test
