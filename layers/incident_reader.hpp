#pragma once
// Reading incidents: police.uk street-level CSVs (files, folders, .csv.gz, zips), point CSVs with
// named x/y/month/type columns, and any OGR point layer. Every row read is either used or
// rejected with a reason; read = used + rejected.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/crime_types.hpp"
#include "engine/incidents.hpp"
#include "layers/sources.hpp"
#include "engine/month.hpp"
#include "engine/progress.hpp"
#include "engine/rejects.hpp"

namespace safer::layers {

struct IngestOptions {
    MonthWindow window;
    std::string working_crs = "EPSG:27700";
    /// CRS of coordinates in point CSVs, and of OGR layers that declare none. Empty: EPSG:4326
    /// when the x column is named like a longitude, else EPSG:27700.
    std::string input_crs;
    std::string x_field, y_field, month_field, type_field; // override column detection
    /// A numeric column weighting each incident (point CSVs and OGR layers); empty: none.
    std::string weight_field;
    /// false: the Crime ID, location, LSOA code and outcome columns are not kept (Incidents'
    /// text columns stay empty), for commands that use none of them: a fifth less reading time
    /// and 80 bytes less per row. It holds when every source is a plain CSV file, whose rows a
    /// duplicate check can read again by their byte offset; otherwise the text is kept.
    bool text_columns = true;
    /// true: plain files are checksummed after reading, on a thread of the lowest priority
    /// (DeferredSha256), and IngestResult::file_checksums() waits for it; for a command that
    /// records its inputs only once its analysis is done (safer kde).
    bool checksums_later = false;
};

struct SourceSummary {
    std::string path;
    std::string format; // "police.uk street CSV", "point CSV", or the OGR driver name
    std::string crs;
    uint64_t rows = 0;
    std::string file;   // the file on disk holding it (the zip, for a zip member)
    std::string sha256; // of `file`, when the reader computed it while reading
};

struct IngestResult {
    std::vector<SourceSummary> sources;
    CrimeTypes types;
    Incidents incidents;
    Rejects rejects;
    uint64_t rows_read = 0;
    std::string transform_operation;

    /// Checksums taken after reading (IngestOptions::checksums_later); null otherwise.
    std::shared_ptr<DeferredSha256> later;

    /// (file, SHA-256) for each file on disk read, once each, in reading order. Checksums the
    /// reader could not take while reading (compressed files, zips, OGR layers) are computed here.
    /// Without `wait`, those being taken after reading are left "" (see checksum_of).
    std::vector<std::pair<std::string, std::string>> file_checksums(bool wait = true) const;
    /// The SHA-256 of one file read (waiting for it if it is being taken after reading).
    std::string checksum_of(const std::string& file) const;
    /// Types met that are not police.uk's, with their row counts.
    std::vector<std::pair<std::string, uint64_t>> unknown_types() const;
};

IngestResult read_incidents(const std::vector<std::string>& arguments, const IngestOptions& options,
                            Progress& progress);

/// The police.uk street-level header, for messages.
inline constexpr const char* police_header =
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
    "Last outcome category,Context";

} // namespace safer::layers
