#pragma once
// Writing results: GeoPackage layers (and CSV tables), atomically.
#include <memory>
#include <string>
#include <vector>

#include "engine/area_stats.hpp"
#include "engine/areas.hpp"
#include "engine/crime_types.hpp"
#include "engine/incidents.hpp"
#include "engine/rejects.hpp"

namespace safer::layers {

/// Fails early, before any work, if `path` exists and `overwrite` is false (UsageError), or its
/// folder does not exist or is not writable (IoError).
void check_output_path(const std::string& path, bool overwrite);

/// A GeoPackage written to a temporary file beside the final path and renamed into place by
/// commit(), so the final path holds either the previous file or the complete new one. A writer
/// destroyed without commit() removes its temporary file.
class GeoPackageWriter {
public:
    GeoPackageWriter(std::string path, bool overwrite, std::string working_crs);
    ~GeoPackageWriter();
    GeoPackageWriter(const GeoPackageWriter&) = delete;
    GeoPackageWriter& operator=(const GeoPackageWriter&) = delete;

    /// `area_of` may be empty (ingest: no areas); `areas` then may be null.
    void write_incidents(const Incidents& incidents, const CrimeTypes& types, const std::vector<CrimeGroup>& groups,
                         const std::vector<int32_t>& area_of, const Areas* areas);
    void write_rejects(const Rejects& rejects, const std::vector<std::string>& sources);
    void write_areas(const Areas& areas, const std::vector<GroupColumns>& stats);
    void write_area_months(const Areas& areas, const std::vector<AreaMonthCount>& rows, const std::vector<CrimeGroup>& groups);
    /// Recorded in the GeoPackage metadata (gpkg_metadata).
    void set_metadata(const std::string& key, const std::string& value);
    void commit();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// The `areas` table as CSV, written atomically.
void write_areas_csv(const std::string& path, bool overwrite, const Areas& areas, const std::vector<GroupColumns>& stats);

/// The crime group each type is labelled with in the `incidents` layer: the first of the groups
/// (in their given order) that holds it, leaving out the catch-all "all"; "other" when none does.
std::vector<std::string> label_groups(const std::vector<CrimeGroup>& groups, const CrimeTypes& types);

} // namespace safer::layers
