#pragma once
// Transitional: what the commands not yet moved to the study step still call. Goes when they do.
#include "layers/geopackage.hpp"
#include "layers/incident_reader.hpp"
#include "tools/options.hpp"

namespace safer::tools {
layers::IngestOptions resolve(const CrimeOptions& c);
std::vector<uint8_t> select(const CrimeSelection& s, const layers::IngestResult& result, std::string& label, std::string& description);
std::vector<int32_t> keep_located(layers::IngestResult& result, const std::vector<int32_t>& area_of);
void print_ingest_summary(const layers::IngestResult& result, uint64_t used, Progress& progress);
void record_run(layers::GeoPackageWriter& writer, const std::vector<std::pair<std::string, std::string>>& checksums, const std::string& parameters_json);
} // namespace safer::tools
