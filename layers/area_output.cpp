#include "layers/area_output.hpp"

#include <fmt/core.h>

namespace safer::layers {

Table areas_table(const Areas& areas, const std::vector<GroupColumns>& stats, std::string description) {
    Table t;
    t.name = "areas";
    t.description = std::move(description);
    t.geometry_kind = GeometryKind::polygon;
    for (const auto& g : areas.geometry) t.geometry.push_back(g.get());
    t.columns.push_back(Column::text("code", "Area code", areas.code));
    t.columns.push_back(Column::text("name", "Area name", areas.name));
    t.columns.push_back(Column::real("population", "Residents, from the population file; empty where unknown", areas.population));
    t.columns.push_back(Column::real("households", "Households, where the population or households file gives them", areas.households));
    for (const GroupColumns& g : stats) {
        const std::string& G = g.group;
        std::vector<int64_t> count(g.count.begin(), g.count.end()), rank(g.rank.begin(), g.rank.end());
        std::vector<uint8_t> unranked(areas.size());
        for (size_t a = 0; a < areas.size(); ++a) unranked[a] = g.rank[a] <= 0;
        t.columns.push_back(Column::integer(G + "_count", fmt::format("Incidents of the {} group in the area", G), count));
        t.columns.push_back(Column::real(G + "_rate", fmt::format("{} incidents per 1,000 residents; empty where the population is unknown", G), g.rate));
        t.columns.push_back(Column::real(G + "_ratio",
                                         fmt::format("{}_rate / the comparison rate (1000 x all {} incidents / all residents, over areas with a "
                                                     "population, or over the area's comparison group)",
                                                     G, G),
                                         g.ratio));
        t.columns.push_back(Column::integer(
            G + "_rank", fmt::format("Rank of {}_rate, 1 = highest (of the count when no population is given); ties share the best rank", G), rank,
            unranked));
        t.columns.push_back(Column::real(G + "_pct", fmt::format("Percentile of {}_rate among every area of the input with residents: 100 x areas whose rate is at or below it / those areas", G), g.pct));
    }
    return t;
}

} // namespace safer::layers
