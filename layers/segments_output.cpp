#include "layers/segments_output.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include "layers/wording.hpp"

namespace safer::layers {

using segments::SegmentOptions;
using segments::SegmentResult;

namespace {

std::string method_words(network::Method m) {
    switch (m) {
    case network::Method::simple: return "simple (shortest distance, Xie & Yan 2008)";
    case network::Method::discontinuous: return "discontinuous (equal split at junctions, Okabe, Satoh & Sugihara 2009)";
    case network::Method::continuous: return "continuous (Okabe, Satoh & Sugihara 2009)";
    }
    return "";
}

/// "segment 12 (Milsom Street, 85 m)".
std::string segment_words(const SegmentResult& r, size_t s) {
    const streets::Segment& seg = r.network.segments[s];
    return fmt::format("segment {} ({}{:.0f} m)", s + 1, seg.name.empty() ? "" : seg.name + ", ", seg.length);
}

/// "Every crime type ..." as it reads inside a sentence.
std::string in_sentence(std::string text) {
    if (text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0])) && std::islower(static_cast<unsigned char>(text[1])))
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

std::string count_words(double n) {
    return n == std::floor(n) ? fmt::format("{:.0f}", n) : fmt::format("{:.1f}", n);
}

} // namespace

Table segments_table(const SegmentResult& r, const SegmentOptions& o, const std::string& selection) {
    const size_t n = r.network.segments.size();
    Table t;
    t.name = "segments";
    t.description = fmt::format("Street segments between junctions with the incidents of {} on each (nearest segment within {:g} m), rates per "
                                "100 m, network kernel density ({}) and Gi* (network distance band {:g} m)",
                                selection, o.tolerance, nkde_method_text(o), o.gi_band);
    t.geometry_kind = GeometryKind::line;
    std::vector<int64_t> id(n), lixels(n), neighbours(n), bin(n);
    std::vector<std::string> name(n), kind(n);
    std::vector<double> length(n), gi_z(n, NAN), gi_p(n, NAN);
    std::vector<uint8_t> no_gi(n, r.with_gi ? 0 : 1);
    for (size_t s = 0; s < n; ++s) {
        const streets::Segment& seg = r.network.segments[s];
        t.geometry.push_back(seg.geometry.get());
        id[s] = static_cast<int64_t>(s + 1);
        name[s] = seg.name;
        kind[s] = seg.kind;
        length[s] = seg.length;
        lixels[s] = r.lixels.first[s + 1] - r.lixels.first[s];
        neighbours[s] = r.neighbours.empty() ? 0 : r.neighbours[s];
        if (r.with_gi) gi_z[s] = r.gi.z[s], gi_p[s] = r.gi.p[s], bin[s] = r.gi.bin[s];
    }
    // The fields scripts rely on first, in this order (the --csv columns), then the rest.
    t.columns.push_back(Column::integer("segment_id", "Segment number, 1 = the first built", id));
    t.columns.push_back(Column::text("name", "Street name (of the line covering most of the segment)", name));
    t.columns.push_back(Column::real("length_m", "Length of the segment, metres", length));
    t.columns.push_back(Column::real("count", fmt::format("Incidents of {} whose nearest segment (within {:g} m) is this one", selection, o.tolerance), r.count));
    t.columns.push_back(Column::real("rate_per_100m", "Incidents per 100 m of the segment: 100 * count / length_m", r.rate_per_100m));
    t.columns.push_back(Column::real("nkde", fmt::format("Network kernel density, incidents per 100 m of street: the mean over the segment's lixels "
                                                         "({}), comparable with rate_per_100m",
                                                         nkde_method_text(o)),
                                     r.nkde));
    t.columns.push_back(Column::real("gi_z", "Getis-Ord Gi* z-score of count (Ord & Getis 1995), self included, network distance band", gi_z));
    t.columns.push_back(Column::integer("gi_bin", "Esri Gi_Bin from gi_p: +-3, 2, 1 = hot/cold at 99, 95, 90 %", bin, no_gi));
    t.columns.push_back(Column::text("kind", "Road class or highway value (of the line covering most of the segment)", kind));
    t.columns.push_back(Column::real("nkde_max", "The highest lixel density on the segment, incidents per 100 m", r.nkde_max));
    t.columns.push_back(Column::integer("lixels", fmt::format("Lixels the segment is cut into (equal, at most {:g} m)", o.lixel), lixels));
    t.columns.push_back(Column::integer("neighbours", fmt::format("Segments within {:g} m along the network (nearest points), its Gi* neighbours", o.gi_band),
                                        neighbours));
    t.columns.push_back(Column::real("gi_p", "Two-sided p of gi_z from the normal", gi_p));
    return t;
}

LixelLayer lixels_table(const SegmentResult& r, const SegmentOptions& o) {
    LixelLayer out;
    const size_t n = r.lixels.size();
    out.lines.reserve(n);
    std::vector<int64_t> id(n), segment(n);
    for (size_t i = 0; i < n; ++i) {
        out.lines.push_back(streets::piece(r.network, r.lixels.segment[i], r.lixels.from[i], r.lixels.to[i]));
        id[i] = static_cast<int64_t>(i + 1);
        segment[i] = r.lixels.segment[i] + 1;
    }
    Table& t = out.table;
    t.name = "lixels";
    t.description = fmt::format("Lixels (segments cut into equal pieces of at most {:g} m) with the network kernel density at their centres ({})", o.lixel,
                                nkde_method_text(o));
    t.geometry_kind = GeometryKind::line;
    for (const geos::Geometry& g : out.lines) t.geometry.push_back(g.get());
    t.columns.push_back(Column::integer("lixel_id", "Lixel number", id));
    t.columns.push_back(Column::integer("segment_id", "The segment it is part of (segments.segment_id)", segment));
    t.columns.push_back(Column::real("from_m", "Where it starts, metres along the segment from its first node", r.lixels.from));
    t.columns.push_back(Column::real("to_m", "Where it ends, metres along the segment", r.lixels.to));
    t.columns.push_back(Column::real("nkde", "Network kernel density at the lixel's centre, incidents per 100 m of street", r.lixel_nkde));
    return out;
}

IncidentLayer segment_incidents_table(const SegmentResult& r, const Incidents& in, const std::vector<uint8_t>& selected, const CrimeTypes& types) {
    IncidentLayer out;
    std::vector<int64_t> segment, line;
    std::vector<double> distance, position;
    std::vector<std::string> month, type, crime_id;
    std::vector<uint8_t> no_id;
    for (size_t i = 0; i < in.size(); ++i) {
        const int32_t s = r.placement.segment[i];
        if (s < 0 || !selected[i]) continue;
        out.points.push_back(geos::point(in.x[i], in.y[i]));
        segment.push_back(s + 1);
        distance.push_back(r.placement.distance[i]);
        position.push_back(r.placement.position[i]);
        month.push_back(in.month[i].str());
        type.emplace_back(types.name(in.type[i]));
        crime_id.emplace_back(in.crime_id[i]);
        no_id.push_back(in.crime_id[i].empty());
        line.push_back(static_cast<int64_t>(in.line[i]));
    }
    Table& t = out.table;
    t.name = "segment_incidents";
    t.description = "The incidents counted on the segments, at their own points, each with its segment";
    t.geometry_kind = GeometryKind::point;
    for (const geos::Geometry& g : out.points) t.geometry.push_back(g.get());
    t.columns.push_back(Column::integer("segment_id", "The segment it is counted on (segments.segment_id): the nearest", segment));
    t.columns.push_back(Column::real("distance_m", "Metres from the incident's point to the segment", distance));
    t.columns.push_back(Column::real("position_m", "Where it lies along the segment: metres from its first node", position));
    t.columns.push_back(Column::text("month", "Month of the incident, YYYY-MM", month));
    t.columns.push_back(Column::text("crime_type", "police.uk crime type", type));
    t.columns.push_back(Column::text("crime_id", "police.uk Crime ID (none for anti-social behaviour)", crime_id, no_id));
    t.columns.push_back(Column::integer("source_line", "Line of the source file the incident was read from", line));
    return out;
}

Table segments_csv_table(const Table& segments) {
    Table t;
    t.name = segments.name;
    for (const char* field : {"segment_id", "name", "length_m", "count", "rate_per_100m", "nkde", "gi_z", "gi_bin"})
        for (const Column& c : segments.columns)
            if (c.name == field) t.columns.push_back(c);
    return t;
}

Table segment_concentration_table(const SegmentResult& r, const std::string& selection) {
    const hotspots::Concentration& c = r.concentration;
    Table t;
    t.name = "concentration";
    t.description = fmt::format("Concentration of {} across street segments (Weisburd's law of crime concentration)", selection);
    std::vector<std::string> measure;
    std::vector<double> figure;
    const auto add = [&](std::string m, double v) { measure.push_back(std::move(m)), figure.push_back(v); };
    add("segments", static_cast<double>(c.units));
    add("incidents", c.incidents);
    add("segments_with_crime", static_cast<double>(r.segments_with_crime));
    add("share_of_segments_with_crime", static_cast<double>(r.segments_with_crime) / static_cast<double>(c.units));
    for (size_t k = 0; k < segments::holding_shares.size(); ++k) {
        const int pct = static_cast<int>(std::lround(100 * segments::holding_shares[k]));
        add(fmt::format("segments_holding_{}pct", pct), static_cast<double>(r.holding[k]));
        add(fmt::format("share_of_segments_holding_{}pct", pct), static_cast<double>(r.holding[k]) / static_cast<double>(c.units));
    }
    add("gini", c.gini);
    add("gini_generalised (Bernasco & Steenbeek 2017)", c.gini_generalised);
    add("share_in_top_1pct_of_segments", c.top1);
    add("share_in_top_5pct_of_segments", c.top5);
    add("share_in_top_10pct_of_segments", c.top10);
    if (r.with_gi) {
        add("hot_segments_95", static_cast<double>(r.hot95));
        add("cold_segments_95", static_cast<double>(r.cold95));
    }
    t.columns.push_back(Column::text("measure", "What the figure is", measure));
    t.columns.push_back(Column::real("value", "The figure (shares are 0..1)", figure));
    return t;
}

void append_segment_columns(Table& t, const SegmentResult& r, const std::vector<size_t>& segments) {
    std::vector<int64_t> id, bin;
    std::vector<std::string> name;
    std::vector<double> length, count, rate, nkde, gi_z;
    std::vector<uint8_t> no_gi;
    for (size_t s : segments) {
        const streets::Segment& seg = r.network.segments[s];
        t.geometry.push_back(seg.geometry.get());
        id.push_back(static_cast<int64_t>(s + 1)), name.push_back(seg.name), length.push_back(seg.length);
        count.push_back(r.count[s]), rate.push_back(r.rate_per_100m[s]), nkde.push_back(r.nkde[s]);
        gi_z.push_back(r.with_gi ? r.gi.z[s] : NAN), bin.push_back(r.with_gi ? r.gi.bin[s] : 0), no_gi.push_back(!r.with_gi);
    }
    t.columns.push_back(Column::integer("segment_id", "Street segment number (as the segments layer of safer segments)", id));
    t.columns.push_back(Column::text("name", "Street name", name));
    t.columns.push_back(Column::real("length_m", "Length of the segment, metres", length));
    t.columns.push_back(Column::real("count", "Incidents whose nearest street segment (within 30 m) is this one", count));
    t.columns.push_back(Column::real("rate_per_100m", "Incidents per 100 m of the segment", rate));
    t.columns.push_back(Column::real("nkde", "Network kernel density, incidents per 100 m of street (mean over the segment's lixels)", nkde));
    t.columns.push_back(Column::real("gi_z", "Getis-Ord Gi* z-score of the segment's count, network distance band", gi_z));
    t.columns.push_back(Column::integer("gi_bin", "Esri Gi_Bin: +-3, 2, 1 = hot/cold at 99, 95, 90 %", bin, no_gi));
}

std::vector<std::string> segment_report_header() {
    return {"street", "segment", "length m", "incidents", "per 100 m", "density per 100 m", "Gi*"};
}

std::vector<std::string> segment_report_row(const SegmentResult& r, size_t s) {
    const streets::Segment& seg = r.network.segments[s];
    const int bin = r.with_gi ? r.gi.bin[s] : 0;
    return {seg.name.empty() ? "(unnamed)" : seg.name, fmt::format("{}", s + 1), fmt::format("{:.0f}", seg.length), count_words(r.count[s]),
            fmt::format("{:.1f}", r.rate_per_100m[s]), fmt::format("{:.1f}", r.nkde[s]),
            !r.with_gi ? "n/a" : bin == 0 ? "not significant" : fmt::format("{} at {}", bin > 0 ? "hot" : "cold", confidence_text(bin))};
}

std::string segment_sentence(const SegmentResult& r, size_t s) {
    const streets::Segment& seg = r.network.segments[s];
    const int bin = r.with_gi ? r.gi.bin[s] : 0;
    return fmt::format("{} (segment {}, {:.0f} m): {}, {:.1f} per 100 m{}", seg.name.empty() ? "an unnamed street" : seg.name, s + 1, seg.length,
                       r.count[s] == 1 ? std::string("1 incident") : count_words(r.count[s]) + " incidents", r.rate_per_100m[s],
                       bin >= 1 ? fmt::format(", a hot spot at {} (Gi*)", confidence_text(bin)) : "");
}

std::vector<LateReject> off_network_rejects(const SegmentResult& r, const Incidents& in, double tolerance) {
    std::vector<LateReject> out;
    const streets::Placement& p = r.placement;
    for (size_t i = 0; i < p.segment.size(); ++i) {
        if (p.reason[i] == streets::OffNetwork::on_segment) continue;
        if (p.reason[i] == streets::OffNetwork::outside_network)
            out.push_back({i, RejectReason::outside_network, fmt::format("x {:.1f}, y {:.1f}: outside the street network's extent", in.x[i], in.y[i])});
        else
            out.push_back({i, RejectReason::far_from_street, fmt::format("x {:.1f}, y {:.1f}: no street segment within {:g} m", in.x[i], in.y[i], tolerance)});
    }
    return out;
}

std::string nkde_method_text(const SegmentOptions& o) {
    return fmt::format("{}, {} kernel, bandwidth {:g} m along the network", method_words(o.kde.method), network::kernel_name(o.kde.kernel),
                       o.kde.bandwidth);
}

std::string segments_method_sentence(const SegmentOptions& o) {
    return fmt::format("street segments run between the junctions of the street lines (every crossing is a junction); each incident counts on "
                       "its nearest segment within {:g} m; rates are per 100 m of the segment; the density is the network kernel density "
                       "(Okabe, Satoh & Sugihara 2009; {}), the mean over the segment's lixels of at most {:g} m, in incidents per 100 m of "
                       "street; Gi* (Ord & Getis 1995) of the counts takes as neighbours the segments within {:g} m along the network.",
                       o.tolerance, nkde_method_text(o), o.lixel, o.gi_band);
}

std::string nkde_formula_text() {
    return "Network kernel density (Okabe, Satoh & Sugihara 2009; the methods as R's spNetwork defines them), in incidents per\n"
           "100 m of street at each lixel centre x: nkde(x) = 100 * sum_j w_j k_j(x), with the one-dimensional kernel\n"
           "  K_h(d) = (15/16)(1 - (d/h)^2)^2 / h (quartic; epanechnikov (3/4)(1 - u^2)/h, triangular (1 - u)/h, uniform 1/(2h),\n"
           "  triweight (35/32)(1 - u^2)^3/h, u = d/h), 0 for d >= h, which integrates to 1 along a line, and\n"
           "  simple:        k_j(x) = K_h(d_j(x)), d_j the shortest distance along the network (Xie & Yan 2008);\n"
           "  discontinuous: the sum over the walks P from incident j to x that never turn straight back, |P| < h, of\n"
           "                 K_h(|P|) * prod over the nodes v P passes through of 1/(n_v - 1), n_v the node's degree\n"
           "                 (the kernel is split equally among the branches at each junction; mass 1);\n"
           "  continuous:    the same walks, factor 2/n_v into each other branch, plus walks turning back into the\n"
           "                 branch they came from with factor (2 - n_v)/n_v (continuous at junctions; mass 1).\n"
           "  An incident at a junction starts with 2/n into each branch; dead ends stop a walk. spNetwork's nkde(div =\n"
           "  \"none\") gives nkde/100.\n"
           "Segment nkde is the mean over its lixels. Gi* (Ord & Getis 1995) of counts with binary weights: segments whose\n"
           "nearest points are within --gi-band metres along the network, self included.\n"
           "Concentration: the fewest segments holding 25, 50 and 75 % of incidents (Weisburd 2015); Gini; the generalised\n"
           "Gini G' = max(1, n/N)(G - 1) + 1 for n segments and N incidents (Bernasco & Steenbeek 2017).";
}

std::vector<std::string> segments_summary(const SegmentResult& r, const SegmentOptions& o, const std::string& selection) {
    std::vector<std::string> out;
    const size_t n = r.network.segments.size();
    const auto share = [&](int64_t k) { return percent_fine(static_cast<double>(k) / static_cast<double>(n)); };
    out.push_back(fmt::format("{} incidents ({}) on {} street segments: half of them on {} segments ({} of the segments), a quarter on {} ({}), "
                              "three quarters on {} ({}); {} segments ({}) had any",
                              count_words(r.incidents), in_sentence(selection), n, r.holding[1], share(r.holding[1]), r.holding[0], share(r.holding[0]),
                              r.holding[2], share(r.holding[2]), r.segments_with_crime, share(r.segments_with_crime)));
    out.push_back(fmt::format("Gini {:.3f}, generalised Gini {:.3f} (Bernasco & Steenbeek 2017: {} incidents on {} segments)", r.concentration.gini,
                              r.concentration.gini_generalised, count_words(r.incidents), n));
    if (r.with_gi)
        out.push_back(fmt::format("Gi* with segments within {:g} m along the network as neighbours: {} segments hot and {} cold at 95 % confidence",
                                  o.gi_band, r.hot95, r.cold95));
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return r.count[a] > r.count[b]; });
    std::string top;
    for (size_t k = 0; k < std::min<size_t>(3, n) && r.count[order[k]] > 0; ++k)
        top += fmt::format("{}{}: {}", k ? "; " : "", segment_words(r, order[k]), count_words(r.count[order[k]]));
    if (!top.empty()) out.push_back("most incidents: " + top);
    const auto densest = std::max_element(r.lixel_nkde.begin(), r.lixel_nkde.end());
    if (densest != r.lixel_nkde.end() && *densest > 0) {
        const size_t lx = static_cast<size_t>(densest - r.lixel_nkde.begin());
        out.push_back(fmt::format("network density ({}): highest {:.2f} incidents per 100 m, on {}", nkde_method_text(o), *densest,
                                  segment_words(r, r.lixels.segment[lx])));
    }
    return out;
}

std::vector<std::string> segments_warnings(const SegmentResult& r, const SegmentOptions& o) {
    std::vector<std::string> out;
    if (r.walks_cut > 0)
        out.push_back(fmt::format("{} walks of the network density stopped after {} junctions with incidents still within {:g} m; densities "
                                  "where many junctions lie close together are slightly low (raise --max-depth)",
                                  r.walks_cut, o.kde.max_depth, o.kde.bandwidth));
    if (!r.with_gi) out.push_back("Gi* not computed: " + r.gi_note);
    else if (r.gi.few_units) out.push_back("fewer than 30 segments: Gi* may be unreliable");
    if (r.placement.ties > 0)
        out.push_back(fmt::format("{} incidents were equally near two or more segments (at a junction); each counts on the lowest segment_id",
                                  r.placement.ties));
    return out;
}

} // namespace safer::layers
