#include "engine/text.hpp"
#include "layers/study.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "engine/area_index.hpp"
#include "engine/errors.hpp"
#include "engine/grid.hpp"
#include "engine/numbers.hpp"
#include "layers/checksum.hpp"
#include "layers/code_table.hpp"
#include "layers/gdal_session.hpp"
#include "layers/sources.hpp"

#include <cpl_vsi.h>
#include "layers/shared_inputs.hpp"

namespace safer::layers {

std::vector<std::string> StudyRequest::input_paths() const {
    std::vector<std::string> paths = crimes;
    for (const std::string* p : {&areas_path, &population_path, &households_path, &assets.lighting, &assets.cctv, &assets.gates, &assets.paths,
                                 &assets.streets, &assets.occluders})
        if (!p->empty()) paths.push_back(*p);
    return paths;
}

namespace {

/// Up to `most` items joined by ", ", with ", ..." when there are more.
std::string some(const std::vector<std::string>& items, size_t most = 10) {
    return fmt::format("{}{}", fmt::join(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), most)), ", "),
                       items.size() > most ? ", ..." : "");
}

/// Keeps the incidents flagged and rejects the rest for their reason, so rows read = used +
/// rejected still holds; `area_of`, if not empty, is compacted alongside. Incidents on loan
/// (safer run) are set aside to be put back when the study ends, not dropped.
void keep_only(Study& s, const std::vector<uint8_t>& keep, const std::function<RejectReason(size_t)>& reason,
               const std::function<std::string(size_t)>& detail) {
    IngestResult& result = s.crimes;
    const Incidents& in = result.incidents;
    std::vector<int32_t>& area_of = s.area_of;
    std::vector<int32_t> kept_area;
    for (size_t i = 0; i < keep.size(); ++i) {
        if (!keep[i]) result.rejects.add(in.source[i], in.line[i], reason(i), detail(i));
        else if (!area_of.empty()) kept_area.push_back(area_of[i]);
    }
    if (s.loan && s.loan->incidents)
        s.loan->set_aside.push_back(result.incidents.take_out(keep));
    else
        result.incidents.keep(keep);
    result.rejects.sort();
    if (!area_of.empty()) area_of = std::move(kept_area);
}

void keep_only(Study& s, const std::vector<uint8_t>& keep, RejectReason reason, const std::function<std::string(size_t)>& detail) {
    keep_only(s, keep, [&](size_t) { return reason; }, detail);
}

void print_ingest_summary(const IngestResult& result, Progress& progress) {
    const uint64_t used = result.incidents.size();
    progress.info(fmt::format("read {} rows from {} file{}: {} used, {} rejected", grouped(static_cast<double>(result.rows_read)), result.sources.size(),
                              result.sources.size() == 1 ? "" : "s", grouped(static_cast<double>(used)), grouped(static_cast<double>(result.rows_read - used))));
    for (size_t r = 0; r < reject_reason_count; ++r) {
        const auto reason = static_cast<RejectReason>(r);
        if (const uint64_t n = result.rejects.count(reason))
            progress.info(fmt::format("  rejected {:>8}  {} ({})", grouped(static_cast<double>(n)), reason_text(reason), reason_code(reason)));
    }
    for (const auto& s : result.sources)
        if (s.rows == 0) progress.warn(fmt::format("{}: no rows after the header", s.path));
    // Named one by one up to a point: a file of a force's own offence codes has hundreds.
    constexpr size_t named_types = 10;
    auto unknown = result.unknown_types();
    std::stable_sort(unknown.begin(), unknown.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (size_t k = 0; k < std::min(unknown.size(), named_types); ++k)
        progress.warn(fmt::format("crime type '{}' is not a police.uk type; kept as its own type ({} rows)", unknown[k].first, unknown[k].second));
    if (unknown.size() > named_types) {
        uint64_t rows = 0;
        for (size_t k = named_types; k < unknown.size(); ++k) rows += unknown[k].second;
        progress.warn(fmt::format("and {} more crime types that are not police.uk types ({} rows), each kept as its own type", unknown.size() - named_types, rows));
    }
    if (result.transform_operation.starts_with("none: "))
        progress.info(fmt::format("coordinates not transformed: {}", result.transform_operation.substr(6)));
    else if (!result.transform_operation.empty())
        progress.info(fmt::format("coordinates transformed by PROJ: {}", result.transform_operation));
}

void report_source_codes(const SourceCodeCheck& check, const AreaReport& area_report, Progress& progress) {
    if (check.with_code == 0) return;
    progress.info(fmt::format("police.uk LSOA codes: {} of {} located rows agree with our assignment, {} name another "
                              "area, {} name no area given",
                              check.agree, check.with_code, check.disagree, check.unknown));
    if (check.unknown_2021_only > 0 && area_report.vintage == "2011")
        progress.warn(fmt::format("{} rows carry LSOA codes created in 2021 (for example {}), but the areas are 2011 LSOAs "
                                  "(field {}): the crime files use 2021 codes. Use 2021 boundaries (LSOA21CD) with them",
                                  check.unknown_2021_only, fmt::join(check.unknown_examples, ", "), area_report.code_field));
    else if (area_report.vintage == "2021" && check.unknown * 20 > check.with_code)
        progress.warn(fmt::format("{} of {} rows carry LSOA codes that are not among these 2021 areas (for example {}): "
                                  "the crime files may use 2011 codes. Use 2011 boundaries (LSOA11CD) with them",
                                  check.unknown, check.with_code, fmt::join(check.unknown_examples, ", ")));
    else if (check.disagree * 100 > check.with_code)
        progress.warn(fmt::format("{} rows ({:.1f} %) fall in a different area from the LSOA code police.uk gives",
                                  check.disagree, 100.0 * static_cast<double>(check.disagree) / static_cast<double>(check.with_code)));
}

std::string extent_text(const Extent& e) {
    return fmt::format("{:.0f}, {:.0f} to {:.0f}, {:.0f}", e.min_x, e.min_y, e.max_x, e.max_y);
}

/// What most likely left nothing to count, as the message of the InputError.
[[noreturn]] void nothing_to_count(const Study& s, const StudyRequest& r, uint64_t read_used, const Extent& incident_extent, bool located_none) {
    const IngestResult& c = s.crimes;
    if (c.rows_read == 0) throw InputError("no incident rows were read: the incident files hold no rows after their headers");
    if (read_used == 0) {
        RejectReason most = RejectReason::malformed_row;
        for (size_t k = 0; k < reject_reason_count; ++k)
            if (c.rejects.count(static_cast<RejectReason>(k)) > c.rejects.count(most)) most = static_cast<RejectReason>(k);
        std::string why;
        if (most == RejectReason::outside_crs_area || most == RejectReason::out_of_range)
            why = fmt::format(": the coordinates are probably in another CRS than the one they were read in (give --crs), or longitude and "
                              "latitude are swapped");
        else if (most == RejectReason::not_a_number)
            why = ": coordinates are written with decimal commas or other text; safer reads numbers like 51.4545 and -2.5879";
        else if (most == RejectReason::no_location)
            why = ": police.uk publishes some rows with no location, but here every row lacks one";
        if (most == RejectReason::outside_window) {
            Month first{INT32_MAX}, last{-1};
            for (const Reject& j : c.rejects.items())
                if (j.reason == RejectReason::outside_window)
                    if (auto m = Month::parse(j.detail)) first = std::min(first, *m), last = std::max(last, *m);
            why = fmt::format(": the files cover {} to {}, but --from/--to ask for {} to {}", first.str(), last.str(),
                              r.ingest.window.from ? r.ingest.window.from->str() : "the start", r.ingest.window.to ? r.ingest.window.to->str() : "the end");
        }
        throw InputError(fmt::format("nothing left to count: every one of the {} rows read was rejected, {} of them for {} ({}){}", c.rows_read,
                                     c.rejects.count(most), reason_text(most), reason_code(most), why));
    }
    if (located_none) {
        const Extent a = s.areas.extent();
        throw InputError(fmt::format("nothing left to count: none of the {} incidents read lies in any of the {} areas of {}. In {} the incidents "
                                     "span {} and the areas {}{}",
                                     read_used, s.areas.size(), r.areas_path, s.working_crs, extent_text(incident_extent), extent_text(a),
                                     incident_extent.overlaps(a) ? "" : ": they do not overlap, so one of them is probably in the wrong CRS (an "
                                                                       "input that declares none is read as --crs) or they cover different places"));
    }
    throw InputError(fmt::format("nothing left to count: none of the {} incidents in the areas is in the months analysed", read_used));
}

std::vector<FeatureRecord> read_features(const std::string& path, const AssetOptions& o, const char* what,
                                         std::vector<FeatureRecord> (*reader)(const std::string&, const AssetOptions&, AssetReport&),
                                         Progress& progress) {
    AssetReport report;
    std::vector<FeatureRecord> records = reader(path, o, report);
    report_asset(progress, report, what);
    return records;
}

/// Households by area: a column named like "households" (Census 2021 TS041, "Number of
/// households"), else KS401's "Household spaces with at least one usual resident" (Census 2011),
/// each as the ONS downloads them by LSOA ("geography code").
void read_households(Areas& areas, const std::string& path) {
    CodeTable h;
    try {
        h = read_code_table(path, {"households"});
    } catch (const InputError&) {
        h = read_code_table(path, {"with at least one usual resident"});
    }
    for (size_t a = 0; a < areas.size(); ++a)
        if (auto v = h.get(areas.code[a], 0)) {
            const std::optional<double> n = parse_people(*v);
            if (!n)
                throw InputError(fmt::format("{}: households '{}' for {} is not a count (a whole number from 0 to 100,000,000)", path, v->substr(0, 40),
                                             areas.code[a]));
            areas.households[a] = *n;
        }
}

} // namespace

void report_asset(Progress& progress, const AssetReport& r, const char* what) {
    progress.info(fmt::format("{}: {} {} from {} ({}{}, {}), {} used", what, r.features, r.format == "point CSV" ? "rows" : "features", r.path, r.format,
                              r.layer.empty() ? "" : " layer " + r.layer, r.crs, r.used));
    for (const auto& [reason, n] : r.left_out) progress.info(fmt::format("  left out {:>7}  {}", n, reason));
    for (const auto& [field, n] : r.fields_used) progress.info(fmt::format("  {:>7} with {}", n, field));
}

void reject_incidents(Study& s, const std::vector<LateReject>& rejects) {
    if (rejects.empty()) return;
    std::vector<uint8_t> keep(s.crimes.incidents.size(), 1);
    std::vector<const LateReject*> of(keep.size(), nullptr);
    for (const LateReject& r : rejects) keep[r.incident] = 0, of[r.incident] = &r;
    keep_only(s, keep, [&](size_t i) { return of[i]->reason; }, [&](size_t i) { return of[i]->detail; });
    if (s.crimes.incidents.size() == 0)
        throw InputError(fmt::format("nothing left to count: every incident was rejected, the last {} of them for {}", rejects.size(),
                                     reason_text(rejects.back().reason)));
}

std::vector<std::string> Study::source_paths() const {
    std::vector<std::string> paths;
    for (const auto& s : crimes.sources) paths.push_back(s.path);
    return paths;
}

void Study::reject(const std::vector<size_t>& indexes, RejectReason reason, const std::function<std::string(size_t)>& detail) {
    std::vector<uint8_t> keep(crimes.incidents.size(), 1);
    for (size_t i : indexes) keep[i] = 0;
    keep_only(*this, keep, reason, detail);
}

void Study::add_input(const std::string& path) {
    std::error_code ec;
    if (path.empty()) return;
    if (is_vsi_path(path)) {
        // A file GDAL reads from an archive or the network is an input like any other.
        ensure_gdal();
        VSIStatBufL st;
        if (VSIStatL(path.c_str(), &st) != 0 || !VSI_ISREG(st.st_mode)) return;
    } else if (!std::filesystem::is_regular_file(path, ec)) {
        return;
    }
    if (std::any_of(inputs.begin(), inputs.end(), [&](const auto& f) { return f.first == path; })) return;
    inputs.emplace_back(path, loan && loan->lender ? loan->lender->sha256(path) : sha256_file(path));
}

FileChecksums Study::checksums() const {
    FileChecksums out = inputs;
    for (auto& [file, digest] : out)
        if (digest.empty()) digest = crimes.checksum_of(file);
    return out;
}

namespace detail {

Areas read_study_areas(const StudyRequest& r, AreaReport& report, Progress& progress) {
    AreaOptions ao = r.area_options;
    ao.working_crs = r.ingest.working_crs;
    ao.input_crs = r.ingest.input_crs;
    Areas areas = read_areas(r.areas_path, ao, report, progress);
    progress.info(fmt::format("{} areas from {} (code field {}{})", areas.size(), r.areas_path,
                              report.code_field.empty() ? "none: numbered" : report.code_field,
                              report.name_field.empty() ? "" : ", name field " + report.name_field));
    if (!report.repaired.empty())
        progress.warn(fmt::format("{} invalid polygon(s) repaired with GEOS MakeValid: {}", report.repaired.size(), fmt::join(report.repaired, ", ")));
    return areas;
}

void join_study_denominators(const StudyRequest& r, Areas& areas, PopulationReport& pr, Progress& progress) {
    if (!r.population_path.empty()) {
        join_population(areas, r.population_path, r.population_options, pr);
        progress.info(fmt::format("population from {} (column '{}'): {} of {} areas matched; {} codes in the file name no area", r.population_path,
                                  pr.population_column.empty() ? pr.households_column : pr.population_column, pr.matched, areas.size(),
                                  pr.codes_not_in_areas));
    }
    if (!r.households_path.empty()) read_households(areas, r.households_path);
}

void refuse_overlapping_areas(const AreaIndex& index, const Areas& areas, const std::string& path) {
    size_t total = 0;
    const std::vector<AreaOverlap> pairs = index.overlaps(3, &total);
    if (pairs.empty()) return;
    std::vector<std::string> named;
    for (const AreaOverlap& o : pairs)
        named.push_back(fmt::format("{} covers {:.0f} % of {} ({:.0f} m2)", areas.code[o.outer], 100 * o.inner_share, areas.code[o.inner], o.area_m2));
    throw InputError(fmt::format("{}: {} pair{} of areas overlap (more than slivers between boundaries): {}{}. An incident in both would be counted "
                                 "in only one; give one set of areas that do not overlap (an outline of the whole district, or 2011 and 2021 "
                                 "boundaries together, would do this)",
                                 path, total, total == 1 ? "" : "s", fmt::join(named, "; "), total > pairs.size() ? fmt::format("; and {} more", total - pairs.size()) : ""));
}

AssetSet read_study_assets(const AssetPaths& p, const std::string& working_crs, Progress& progress, AssetReport& lighting, AssetReport& cctv) {
    AssetSet a;
    AssetOptions o = p.options;
    o.working_crs = working_crs;
    if (!p.lighting.empty()) {
        a.lights = read_lights(p.lighting, o, lighting);
        report_asset(progress, lighting, "street lights");
        a.has_lighting = true;
    }
    if (!p.cctv.empty()) {
        a.cameras = read_cameras(p.cctv, o, cctv);
        report_asset(progress, cctv, "CCTV cameras");
        a.has_cctv = true;
    }
    if (!p.occluders.empty()) {
        a.occluders = read_features(p.occluders, o, "building footprints (occluders)", read_occluders, progress);
        a.has_occluders = true;
    }
    if (!p.streets.empty()) {
        a.streets = read_features(p.streets, o, "streets", read_streets, progress);
        a.has_streets = true;
    }
    if (!p.paths.empty()) {
        a.paths = read_features(p.paths, o, "paths", read_paths, progress);
        a.has_paths = true;
        for (const FeatureRecord& f : a.streets) { // streets make the paths' junctions
            FeatureRecord copy;
            copy.geometry = geos::clone(f.geometry.get());
            copy.kind = f.kind, copy.name = f.name, copy.id = f.id, copy.is_path = false, copy.feature = f.feature;
            a.paths.push_back(std::move(copy));
        }
    }
    if (!p.gates.empty()) {
        a.gates = read_features(p.gates, o, "alley gates", read_gates, progress);
        a.has_gates = true;
    }
    return a;
}

} // namespace detail

Study::Study() = default;
Study::Study(Study&&) noexcept = default;
Study& Study::operator=(Study&& other) noexcept {
    if (this != &other) {
        if (loan && loan->lender) loan->lender->give_back(*this);
        crimes = std::move(other.crimes);
        areas = std::move(other.areas);
        area_report = std::move(other.area_report);
        population_report = std::move(other.population_report);
        area_of = std::move(other.area_of);
        codes = std::move(other.codes);
        window = other.window;
        assets = std::move(other.assets);
        lighting_report = std::move(other.lighting_report);
        cctv_report = std::move(other.cctv_report);
        inputs = std::move(other.inputs);
        working_crs = std::move(other.working_crs);
        loan = std::move(other.loan);
    }
    return *this;
}
Study::~Study() {
    if (loan && loan->lender) loan->lender->give_back(*this);
}

Study read_study(const StudyRequest& r, Progress& progress) {
    SharedInputs* shared = SharedInputs::active();
    Study s;
    s.working_crs = r.ingest.working_crs;
    if (shared) {
        shared->lend_incidents(r, s, progress);
    } else {
        IngestOptions ingest = r.ingest;
        // police.uk's own LSOA codes are checked against the areas the incidents fall in.
        if (!r.areas_path.empty() && !r.area_options.codes_optional) ingest.text_columns = true;
        s.crimes = read_incidents(r.crimes, ingest, progress);
        s.inputs = s.crimes.file_checksums(!ingest.checksums_later);
    }
    Incidents& in = s.crimes.incidents;
    const uint64_t read_used = in.size();
    Extent incident_extent;
    for (size_t i = 0; i < in.size(); ++i) incident_extent.add(in.x[i], in.y[i]);

    const bool with_areas = !r.areas_path.empty();
    const bool lsoa_units = with_areas && !r.area_options.codes_optional;
    bool located_none = false;
    if (with_areas) {
        if (shared) {
            shared->lend_areas(r, s, progress);
        } else {
            s.areas = detail::read_study_areas(r, s.area_report, progress);
            detail::join_study_denominators(r, s.areas, s.population_report, progress);
            const AreaIndex index(s.areas);
            if (lsoa_units) detail::refuse_overlapping_areas(index, s.areas, r.areas_path);
            s.area_of = index.locate(in.x, in.y, &progress);
        }
        for (const std::string* path : {&r.areas_path, &r.population_path, &r.households_path}) s.add_input(*path);
        if (!r.population_path.empty()) {
            std::vector<std::string> without;
            for (size_t a = 0; a < s.areas.size(); ++a)
                if (!(s.areas.population[a] > 0)) without.push_back(s.areas.code[a]);
            if (!without.empty())
                progress.warn(fmt::format("{} of {} areas have no (or zero) population in {}, so no rate: {}", without.size(), s.areas.size(),
                                          r.population_path, some(without)));
        }
        located_none = read_used > 0 && std::all_of(s.area_of.begin(), s.area_of.end(), [](int32_t a) { return a == no_area; });
    }

    if (!r.month_windows.empty()) {
        std::vector<uint8_t> keep(in.size());
        for (size_t i = 0; i < in.size(); ++i)
            keep[i] = std::any_of(r.month_windows.begin(), r.month_windows.end(), [&](const MonthWindow& w) { return w.contains(in.month[i]); });
        keep_only(s, keep, RejectReason::outside_window,
                  [&](size_t i) { return fmt::format("{}: between the windows analysed", in.month[i].str()); });
    }

    // The months analysed, resolved over the data's months (of the incidents in the areas). The
    // month is checked before the location, as when --from/--to are applied while reading, so the
    // counts by reason are the same however the months are given.
    if (r.window.last_months > 0 && !located_none && in.size() > 0) {
        Month first{INT32_MAX}, last{-1};
        for (size_t i = 0; i < in.size(); ++i)
            if (s.area_of.empty() || s.area_of[i] != no_area) first = std::min(first, in.month[i]), last = std::max(last, in.month[i]);
        s.window = resolve_window(r.window, first, last);
        const Month from = s.window->keep_from(), to = s.window->to;
        std::vector<uint8_t> keep(in.size());
        for (size_t i = 0; i < in.size(); ++i) keep[i] = in.month[i] >= from && in.month[i] <= to;
        if (std::find(keep.begin(), keep.end(), 0) != keep.end())
            keep_only(s, keep, RejectReason::outside_window, [&](size_t i) { return fmt::format("{}: outside the months analysed", in.month[i].str()); });
        s.crimes.rejects.move_outside_window(from, to);
        s.crimes.rejects.sort();
    }
    if (lsoa_units) s.codes = check_source_codes(in, s.area_of, s.areas);
    if (with_areas && !r.keep_outside_areas) {
        std::vector<uint8_t> inside(in.size());
        for (size_t i = 0; i < in.size(); ++i) inside[i] = s.area_of[i] != no_area;
        if (std::find(inside.begin(), inside.end(), 0) != inside.end())
            keep_only(s, inside, RejectReason::outside_areas, [&](size_t i) { return fmt::format("x {:.1f}, y {:.1f}", in.x[i], in.y[i]); });
    }
    print_ingest_summary(s.crimes, progress);
    if (lsoa_units) report_source_codes(s.codes, s.area_report, progress);
    const bool none_in_areas = !s.area_of.empty() && std::all_of(s.area_of.begin(), s.area_of.end(), [](int32_t a) { return a == no_area; });
    if (in.size() == 0 || none_in_areas) nothing_to_count(s, r, read_used, incident_extent, located_none);

    if (shared)
        shared->lend_assets(r, s, progress);
    else
        s.assets = detail::read_study_assets(r.assets, r.ingest.working_crs, progress, s.lighting_report, s.cctv_report);
    const AssetPaths& a = r.assets;
    for (const std::string* path : {&a.lighting, &a.cctv, &a.occluders, &a.streets, &a.paths, &a.gates}) s.add_input(*path);
    return s;
}

} // namespace safer::layers
