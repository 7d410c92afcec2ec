#pragma once
// Writing near repeats and repeat locations (safer nearrepeat): the Knox table as a layer and a
// CSV, the repeat_locations points, the words of the findings and the HTML report
// (layers/templates/nearrepeat_report.mustache).
#include <string>
#include <vector>

#include "engine/geos.hpp"
#include "engine/near_repeat.hpp"
#include "layers/study.hpp"
#include "layers/table.hpp"

namespace safer::layers {

struct NearRepeatOutputs {
    const Study& study;
    const nearrepeat::KnoxResult& knox;
    const nearrepeat::RepeatLocations& repeats;
    const std::vector<size_t>& analysed; // the study's incidents analysed, in the order the engine had them
    std::string selection;               // "crime types Burglary"
    /// Months because the data gives months only (police.uk), not because --time-bands asked.
    bool months_from_data = false;
    std::string command_line;
};

/// "0" (the same place), "0-100", "100-200", ..., "500+" (metres).
std::string distance_band_label(const nearrepeat::KnoxResult& r, size_t row);
/// "0-14", "14-28", ..., "70+" (days), or "0-1", "1-2", "3+" (months).
std::string time_band_label(const nearrepeat::KnoxResult& r, size_t col);
/// "days" or "months".
const char* time_unit_name(nearrepeat::TimeUnit unit);

/// The layer near_repeat: one row a cell, with its edges, counts, ratio and p.
Table knox_table(const nearrepeat::KnoxResult& r);
/// The CSV: distance_band,time_band,observed,expected,knox_ratio,p_value, one row a cell.
std::string knox_csv(const nearrepeat::KnoxResult& r);
/// The layer repeat_locations: every map point with an incident, most incidents first.
Table repeat_locations_table(const NearRepeatOutputs& o, std::vector<geos::Geometry>& owned);

/// The findings in words, for stderr and the report: repeats at the same place, near repeats by
/// distance band, the strongest, or that there is none.
std::vector<std::string> near_repeat_findings(const nearrepeat::KnoxResult& r);
/// "The top 1 % of map points (25 of 2,480) hold 12.3 % of incidents; ..."
std::vector<std::string> repeat_location_findings(const nearrepeat::RepeatLocations& r, bool snapped);
/// The report: one self-contained HTML file.
std::string near_repeat_report_html(const NearRepeatOutputs& o);

} // namespace safer::layers
