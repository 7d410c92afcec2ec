#include "tools/legacy.hpp"

#include <fmt/core.h>

#include "engine/area_index.hpp"

namespace safer::tools {
layers::IngestOptions resolve(const CrimeOptions& c) { return c.request().ingest; }
std::vector<uint8_t> select(const CrimeSelection& s, const layers::IngestResult& result, std::string& label, std::string& description) {
    const CrimeSelection::Chosen c = s.choose(result.types);
    label = c.label, description = c.description;
    return c.incidents(result.incidents);
}
std::vector<int32_t> keep_located(layers::IngestResult& result, const std::vector<int32_t>& area_of) {
    const Incidents& in = result.incidents;
    std::vector<uint8_t> inside(area_of.size());
    std::vector<int32_t> kept;
    for (size_t i = 0; i < area_of.size(); ++i) {
        inside[i] = area_of[i] != no_area;
        if (inside[i]) kept.push_back(area_of[i]);
        else result.rejects.add(in.source[i], in.line[i], RejectReason::outside_areas, fmt::format("x {:.1f}, y {:.1f}", in.x[i], in.y[i]));
    }
    result.incidents.keep(inside);
    result.rejects.sort();
    return kept;
}
void print_ingest_summary(const layers::IngestResult& result, uint64_t used, Progress& progress) {
    progress.info(fmt::format("read {} rows from {} file{}: {} used, {} rejected", result.rows_read, result.sources.size(),
                              result.sources.size() == 1 ? "" : "s", used, result.rows_read - used));
    for (size_t r = 0; r < reject_reason_count; ++r) {
        const auto reason = static_cast<RejectReason>(r);
        if (const uint64_t n = result.rejects.count(reason))
            progress.info(fmt::format("  rejected {:>8}  {} ({})", n, reason_text(reason), reason_code(reason)));
    }
    for (const auto& s : result.sources)
        if (s.rows == 0) progress.warn(fmt::format("{}: no rows after the header", s.path));
    for (const auto& [type, count] : result.unknown_types())
        progress.warn(fmt::format("crime type '{}' is not a police.uk type; kept as its own type ({} rows)", type, count));
    if (!result.transform_operation.empty()) progress.info(fmt::format("coordinates transformed by PROJ: {}", result.transform_operation));
}
void record_run(layers::GeoPackageWriter& writer, const std::vector<std::pair<std::string, std::string>>& checksums, const std::string& parameters_json) {
    writer.record(layers::RunRecord{g_command_line, checksums, parameters_json});
}
} // namespace safer::tools
