#pragma once
// Writing street segments (safer segments): the segments layer, the lixels with their density,
// the concentration and Lorenz tables, the incidents off the network as rejects, and the words of
// the summary and warnings.
#include <string>
#include <vector>

#include "engine/geos.hpp"
#include "engine/incidents.hpp"
#include "engine/segments.hpp"
#include "layers/study.hpp"
#include "layers/table.hpp"

namespace safer::layers {

/// The `segments` layer: segment_id, name, length_m, count, rate_per_100m, nkde, gi_z, gi_bin, then
/// kind, nkde_max, lixels, neighbours, gi_p. It points into `r`.
Table segments_table(const segments::SegmentResult& r, const segments::SegmentOptions& o, const std::string& selection);

/// The --csv table: segment_id, name, length_m, count, rate_per_100m, nkde, gi_z, gi_bin (the
/// fields scripts rely on; the layer has more).
Table segments_csv_table(const Table& segments);

/// The `lixels` layer: each lixel's line and density. The lines are owned here.
struct LixelLayer {
    std::vector<geos::Geometry> lines;
    Table table;
};
LixelLayer lixels_table(const segments::SegmentResult& r, const segments::SegmentOptions& o);

/// The `segment_incidents` layer (--incidents): each incident counted, at its own point, with its
/// segment, its distance from it and its place along it. Made before the study's incidents are
/// compacted by reject_incidents (it indexes them as analyse_segments saw them).
struct IncidentLayer {
    std::vector<geos::Geometry> points;
    Table table;
};
IncidentLayer segment_incidents_table(const segments::SegmentResult& r, const Incidents& incidents, const std::vector<uint8_t>& selected,
                                      const CrimeTypes& types);

/// The `concentration` table: segments, incidents, the segments holding 25, 50 and 75 % of them,
/// Gini and generalised Gini, the top 1, 5 and 10 % shares, hot and cold segments.
Table segment_concentration_table(const segments::SegmentResult& r, const std::string& selection);

/// Appends the lines and figures of some segments (segment_id, name, length_m, count,
/// rate_per_100m, nkde, gi_z, gi_bin) to a table that lists them for a place: the streets near a
/// planning site, the streets of a target area. It points into `r`.
void append_segment_columns(Table& t, const segments::SegmentResult& r, const std::vector<size_t>& segments);
/// A report table's header and a segment's row in it: street, segment, length, incidents, per
/// 100 m, density per 100 m, Gi*.
std::vector<std::string> segment_report_header();
std::vector<std::string> segment_report_row(const segments::SegmentResult& r, size_t segment);
/// "Milsom Street (segment 12, 85 m): 45 incidents, 53 per 100 m, a hot spot at 95 % (Gi*)".
std::string segment_sentence(const segments::SegmentResult& r, size_t segment);

/// The incidents not on a segment, as rejects by reason (outside_network, far_from_street).
std::vector<LateReject> off_network_rejects(const segments::SegmentResult& r, const Incidents& incidents, double tolerance);

/// "network KDE: discontinuous (equal split), quartic kernel, h = 200 m, lixels of at most 50 m".
std::string nkde_method_text(const segments::SegmentOptions& o);
/// The method in one sentence, for the methods sections of reports.
std::string segments_method_sentence(const segments::SegmentOptions& o);
/// The formulas of the network kernel density, for --help and the README.
std::string nkde_formula_text();

/// What the run found, in sentences: the network, the placement, Weisburd's figures, the hottest
/// segments.
std::vector<std::string> segments_summary(const segments::SegmentResult& r, const segments::SegmentOptions& o, const std::string& selection);
/// What a reader should be warned of: walks cut at max_depth, Gi* not computed, few segments.
std::vector<std::string> segments_warnings(const segments::SegmentResult& r, const segments::SegmentOptions& o);

} // namespace safer::layers
