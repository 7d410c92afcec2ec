#pragma once
// The study step every command shares: read each input once (incidents, areas, population,
// households, guardianship assets), locate the incidents in the areas, apply the month window,
// keep the accounting (rows read = used + rejected, by reason), make the common checks (LSOA code
// vintage, the incidents' and areas' extents, nothing left to count) and record every input
// file with its SHA-256.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/area_index.hpp"
#include "engine/areas.hpp"
#include "engine/assets.hpp"
#include "engine/lsoa_codes.hpp"
#include "engine/progress.hpp"
#include "engine/window.hpp"
#include "layers/area_reader.hpp"
#include "layers/asset_reader.hpp"
#include "layers/incident_reader.hpp"

namespace safer::layers {

struct AssetPaths {
    std::string lighting, cctv, gates, paths, streets, occluders;
    AssetOptions options; // working_crs is the study's
    bool any() const { return !lighting.empty() || !cctv.empty() || !paths.empty(); }
};

struct StudyRequest {
    std::vector<std::string> crimes;
    IngestOptions ingest; // the reader's window is --from/--to
    std::string areas_path;
    AreaOptions area_options;        // codes_optional for a study area that is not a set of units
    bool keep_outside_areas = false; // incidents outside every area stay (area_of = no_area) instead of being rejected
    std::string population_path;
    PopulationOptions population_options;
    std::string households_path; // a CSV of households by area code (column named like "households")
    /// With last_months: the months analysed are resolved over the data and the rest rejected
    /// (outside_window). Without: --from/--to as the reader applied them.
    WindowRule window;
    /// When not empty, the months analysed are these windows (safer accuracy's training and test
    /// months): incidents read within --from/--to but in none of them are rejected
    /// (outside_window), so every row stays accounted for.
    std::vector<MonthWindow> month_windows;
    AssetPaths assets;

    /// Every file or folder the request names, for checking that no output overwrites one.
    std::vector<std::string> input_paths() const;
};

using FileChecksums = std::vector<std::pair<std::string, std::string>>;

struct StudyLoan; // layers/shared_inputs.hpp

struct Study {
    IngestResult crimes;   // the incidents used, the rejects, the sources and crime types
    Areas areas;           // empty without --areas
    AreaReport area_report;
    PopulationReport population_report;
    std::vector<int32_t> area_of; // per incident: its area (no_area only with keep_outside_areas); empty without areas
    SourceCodeCheck codes;        // police.uk's LSOA codes against the areas the incidents fell in
    std::optional<AnalysisWindow> window; // with WindowRule::last_months
    AssetSet assets;
    AssetReport lighting_report, cctv_report; // what the readers of --lighting and --cctv found
    FileChecksums inputs; // every file read, once, with its SHA-256 ("" while it is taken after reading), in reading order
    std::string working_crs;

    /// `inputs` with every SHA-256, waiting for those taken after reading
    /// (IngestOptions::checksums_later).
    FileChecksums checksums() const;
    /// The incident files, by index as Incidents::source holds them (for the rejects layer).
    std::vector<std::string> source_paths() const;
    /// Moves the incidents at `indexes` (ascending) to the rejects, by `reason`: rows an analysis
    /// found it could not use, so that rows read = used + rejected still holds.
    void reject(const std::vector<size_t>& indexes, RejectReason reason, const std::function<std::string(size_t)>& detail);
    /// Records one more input file (an IMD table, a costs file, a site layer) with its SHA-256,
    /// if it is a file and not recorded already.
    void add_input(const std::string& path);

    /// Under safer run, the incidents, areas and assets are lent by the run's SharedInputs (read
    /// once for every job) and given back, whole, when the study ends: rows the study leaves
    /// out are set aside, not copied, and put back then.
    std::unique_ptr<StudyLoan> loan;
    Study();
    Study(Study&&) noexcept;
    Study& operator=(Study&&) noexcept;
    ~Study();
};

/// Reads and checks everything `request` names, printing what was read on `progress`. Throws
/// InputError when nothing is left to count, saying what most likely happened.
Study read_study(const StudyRequest& request, Progress& progress);

/// An incident an analysis could not use after the study, with its reason (safer segments: off
/// the street network).
struct LateReject {
    size_t incident; // index into study.crimes.incidents
    RejectReason reason;
    std::string detail;
};
/// Moves those incidents to the rejects, so rows read = used + rejected still holds; `area_of` is
/// compacted alongside. Throws InputError when nothing is left to count.
void reject_incidents(Study& study, const std::vector<LateReject>& rejects);

/// Prints what an asset reader read: the file, its format and CRS, what was used and left out.
void report_asset(Progress& progress, const AssetReport& report, const char* what);

namespace detail {
// The reading steps of read_study, which SharedInputs runs once for many studies.
Areas read_study_areas(const StudyRequest& r, AreaReport& report, Progress& progress);
/// r's population and households joined to `areas`, printing what matched.
void join_study_denominators(const StudyRequest& r, Areas& areas, PopulationReport& report, Progress& progress);
/// InputError naming the pairs when areas that should be units overlap by more than slivers.
void refuse_overlapping_areas(const AreaIndex& index, const Areas& areas, const std::string& path);
AssetSet read_study_assets(const AssetPaths& paths, const std::string& working_crs, Progress& progress, AssetReport& lighting, AssetReport& cctv);
} // namespace detail

} // namespace safer::layers
