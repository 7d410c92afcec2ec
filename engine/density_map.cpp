#include "engine/density_map.hpp"

#include <fmt/core.h>

#include <algorithm>
#include "engine/geos.hpp"

namespace safer::kde {

DensityMap density_map(const Incidents& in, const std::vector<uint8_t>& selected, PeriodKind by, const Options& options,
                       const StudyArea* study_area, Progress* progress) {
    Points all;
    const Periods periods = by == PeriodKind::none ? Periods{} : periods_of(in.month, selected, by);
    std::vector<Points> by_period(by == PeriodKind::none ? 0 : periods.labels.size());
    // Sized once: a national year's points grown by doubling held twice their size at the peak.
    const size_t count = static_cast<size_t>(std::count(selected.begin(), selected.end(), 1));
    all.x.reserve(count), all.y.reserve(count);
    if (!in.weight.empty()) all.w.reserve(count);
    if (count == in.size() && by_period.empty()) { // every incident, one surface: whole columns
        all.x = in.x, all.y = in.y, all.w = in.weight;
    } else {
        for (size_t i = 0; i < in.size(); ++i) {
            if (!selected[i]) continue;
            all.x.push_back(in.x[i]);
            all.y.push_back(in.y[i]);
            if (!in.weight.empty()) all.w.push_back(in.weight[i]);
            if (by_period.empty()) continue; // one surface: the points of every period are `all`
            Points& p = by_period[static_cast<size_t>(periods.of[i])];
            p.x.push_back(in.x[i]);
            p.y.push_back(in.y[i]);
            if (!in.weight.empty()) p.w.push_back(in.weight[i]);
        }
    }
    DensityMap map;
    map.incidents = all.size();
    map.total_weight = all.total_weight();
    if (progress) progress->begin("estimating the density", 1000);
    Options with_progress = options;
    with_progress.progress = progress;
    map.surface = estimate(all, with_progress, study_area);
    if (progress) progress->end();
    Extent extent;
    if (study_area)
        for (const GEOSGeometry* g : study_area->polygons) extent.add(geos::extent(g));
    // The places the density step merged, if it kept every incident: hashing a million
    // incidents again took a twentieth of safer kde's time.
    map.scale = map.surface.place_x.empty() ? bandwidth_scale(all, map.surface.bandwidth, extent)
                                            : bandwidth_scale_of_places(map.surface.place_x, map.surface.place_y, map.surface.bandwidth,
                                                                        extent.empty() ? all.extent() : extent);
    const Grid& grid = map.surface.grid;
    if (by == PeriodKind::none) {
        // The incidents in each class, counted over their distinct places (a quarter as many for
        // police.uk's snapped points): the same sums exactly, as every weight is 1.
        Points places;
        if (all.w.empty() && !map.surface.place_x.empty())
            places.x = std::move(map.surface.place_x), places.y = std::move(map.surface.place_y), places.w = std::move(map.surface.place_w);
        Hotspots hs = hotspot_classes(grid, map.surface.value, places.x.empty() ? all : places);
        map.periods.push_back(PeriodSurface{"all", std::move(map.surface.value), std::move(hs), all.size()});
        std::vector<double>().swap(map.surface.place_x), std::vector<double>().swap(map.surface.place_y), std::vector<double>().swap(map.surface.place_w);
        return map;
    }
    std::vector<double>().swap(map.surface.place_x), std::vector<double>().swap(map.surface.place_y), std::vector<double>().swap(map.surface.place_w);
    std::vector<float> share;
    if (options.edge_correct) share = edge_share(grid, map.surface.inside, options.kernel, map.surface.bandwidth);
    if (progress) progress->begin(fmt::format("estimating {} surfaces, one per {}", by_period.size(), period_name(by)), by_period.size());
    for (size_t k = 0; k < by_period.size(); ++k) {
        std::vector<float> v = density(by_period[k], grid, options.kernel, map.surface.bandwidth, options.units);
        if (!map.surface.inside.empty())
            for (size_t i = 0; i < v.size(); ++i) {
                if (!map.surface.inside[i]) v[i] = nodata;
                else if (!share.empty()) v[i] = static_cast<float>(static_cast<double>(v[i]) / static_cast<double>(share[i]));
            }
        Hotspots hs = hotspot_classes(grid, v, by_period[k]);
        map.periods.push_back(PeriodSurface{periods.labels[k], std::move(v), std::move(hs), by_period[k].size()});
        if (progress) progress->advance(1);
    }
    if (progress) progress->end();
    return map;
}

} // namespace safer::kde
