#include "layers/shared_inputs.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <map>
#include <stdexcept>

#include "engine/area_index.hpp"
#include "layers/checksum.hpp"

namespace safer::layers {

namespace {

SharedInputs* g_active = nullptr;

std::string window_text(const MonthWindow& w) { return (w.from ? w.from->str() : "") + ".." + (w.to ? w.to->str() : ""); }

/// Key of the incidents read: the sources and every option but the months.
std::string incidents_key(const StudyRequest& r) {
    std::string key;
    for (const std::string& c : r.crimes) key += c + '\n';
    const IngestOptions& o = r.ingest;
    return key + fmt::format("{}|{}|{}|{}|{}|{}|{}", o.working_crs, o.input_crs, o.x_field, o.y_field, o.month_field, o.type_field, o.weight_field);
}

std::string areas_key(const StudyRequest& r) {
    return fmt::format("{}|{}|{}|{}|{}", r.areas_path, r.area_options.code_field, r.area_options.name_field, r.ingest.working_crs, r.ingest.input_crs);
}

std::string denominators_key(const StudyRequest& r) {
    const PopulationOptions& p = r.population_options;
    return fmt::format("{}|{}|{}|{}|{}|{}", areas_key(r), r.population_path, p.code_field, p.population_field, p.households_field, r.households_path);
}

std::string assets_key(const StudyRequest& r) {
    const AssetPaths& a = r.assets;
    return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", a.lighting, a.cctv, a.gates, a.paths, a.streets, a.occluders, r.ingest.working_crs,
                       a.options.input_crs, a.options.x_field, a.options.y_field, a.options.working_crs);
}

/// `window` asks for fewer months than `read`.
bool narrower(const MonthWindow& window, const MonthWindow& read) {
    const bool from = window.from && (!read.from || *window.from > *read.from);
    const bool to = window.to && (!read.to || *window.to < *read.to);
    return from || to;
}

/// Places `removed[k]` at `positions[k]` among `kept`: the column of the table before a take_out.
std::vector<int32_t> merge_back(const std::vector<int32_t>& kept, const std::vector<int32_t>& removed, const std::vector<size_t>& positions) {
    std::vector<int32_t> out(kept.size() + removed.size());
    for (size_t dst = 0, src = 0, r = 0; dst < out.size(); ++dst) out[dst] = r < positions.size() && positions[r] == dst ? removed[r++] : kept[src++];
    return out;
}

} // namespace

struct SharedInputs::Impl {
    MonthWindow read_window;
    struct IncidentEntry {
        std::string key;
        IngestResult result; // result.incidents is lent out while a study holds it
        FileChecksums checksums;
        uint64_t generation = 0;
        bool lent = false;
    };
    struct AreaEntry {
        std::string key;
        Areas areas; // lent out while a study holds it; population and households are set for each study
        AreaReport report;
        bool lent = false;
        bool overlaps_checked = false;
        uint64_t located_generation = UINT64_MAX; // of the incidents table area_of was computed for
        std::vector<int32_t> area_of;             // over that whole table
    };
    struct DenominatorEntry {
        std::string key;
        std::vector<double> population, households;
        PopulationReport report;
    };
    struct AssetEntry {
        std::string key;
        AssetSet assets;
        AssetReport lighting, cctv;
        bool lent = false;
    };
    std::optional<IncidentEntry> incidents;
    uint64_t generations = 0;
    std::vector<AreaEntry> areas;
    std::vector<DenominatorEntry> denominators;
    std::vector<AssetEntry> assets;
    std::map<std::string, std::string> sha256;
    std::vector<std::string> recorded_first;
    Reads reads;
};

SharedInputs::SharedInputs(MonthWindow read_window) : m(std::make_unique<Impl>()) {
    if (g_active) throw std::logic_error("one SharedInputs at a time");
    m->read_window = read_window;
    g_active = this;
}

SharedInputs::~SharedInputs() { g_active = nullptr; }

SharedInputs* SharedInputs::active() { return g_active; }

uint64_t SharedInputs::rows_read() const { return m->incidents ? m->incidents->result.rows_read : 0; }
SharedInputs::Reads SharedInputs::reads() const { return m->reads; }

void SharedInputs::record_first(const std::string& path) { m->recorded_first.push_back(path); }

std::string SharedInputs::sha256(const std::string& path) {
    auto it = m->sha256.find(path);
    if (it == m->sha256.end()) it = m->sha256.emplace(path, sha256_file(path)).first;
    return it->second;
}

void SharedInputs::lend_incidents(const StudyRequest& r, Study& s, Progress& progress) {
    const std::string key = incidents_key(r);
    if (!m->incidents || m->incidents->key != key) {
        if (m->incidents && m->incidents->lent) throw std::logic_error("the incidents are lent to another study");
        IngestOptions options = r.ingest;
        options.window = m->read_window;
        options.text_columns = true; // one table for every job of the run, whatever each uses
        options.checksums_later = false;
        m->incidents.reset(); // the previous table's memory first
        Impl::IncidentEntry e;
        e.key = key;
        e.result = read_incidents(r.crimes, options, progress);
        e.checksums = e.result.file_checksums();
        for (const auto& [file, digest] : e.checksums) m->sha256[file] = digest;
        e.generation = ++m->generations;
        m->incidents = std::move(e);
        ++m->reads.incidents;
    } else {
        progress.info(fmt::format("incidents: the {} rows read once for the run, months {}", m->incidents->result.rows_read, window_text(m->read_window)));
    }
    Impl::IncidentEntry& e = *m->incidents;
    if (e.lent) throw std::logic_error("the incidents are lent to another study");
    IngestResult& c = s.crimes;
    c.sources = e.result.sources;
    c.types = e.result.types;
    c.rejects = e.result.rejects;
    c.rows_read = e.result.rows_read;
    c.transform_operation = e.result.transform_operation;
    c.incidents = std::move(e.result.incidents);
    e.lent = true;
    s.loan = std::make_unique<StudyLoan>();
    s.loan->lender = this;
    s.loan->incidents = true;
    s.inputs.clear();
    for (const std::string& path : m->recorded_first) s.inputs.emplace_back(path, sha256(path));
    s.inputs.insert(s.inputs.end(), e.checksums.begin(), e.checksums.end());

    // The study's own --from/--to, within the months read: the rows outside are rejected as a
    // reader given those months would have rejected them.
    const MonthWindow& w = r.ingest.window;
    if (!narrower(w, m->read_window)) return;
    Incidents& in = c.incidents;
    std::vector<uint8_t> keep(in.size());
    bool dropped = false;
    for (size_t i = 0; i < in.size(); ++i) {
        keep[i] = w.contains(in.month[i]);
        if (!keep[i]) {
            dropped = true;
            c.rejects.add(in.source[i], in.line[i], RejectReason::outside_window, in.month[i].str(), in.month[i]);
        }
    }
    if (dropped) {
        s.loan->set_aside.push_back(in.take_out(keep));
        s.loan->window_kept = std::move(keep);
    }
    c.rejects.move_outside_read_window(w);
    c.rejects.sort();
}

void SharedInputs::lend_areas(const StudyRequest& r, Study& s, Progress& progress) {
    const std::string key = areas_key(r);
    const bool units = !r.area_options.codes_optional;
    auto entry = std::find_if(m->areas.begin(), m->areas.end(), [&](const Impl::AreaEntry& a) { return a.key == key; });
    // Areas read as a study area without codes cannot serve as units: reading them again says why.
    if (entry == m->areas.end() || (units && entry->report.code_field.empty())) {
        Impl::AreaEntry a;
        a.key = key;
        a.areas = detail::read_study_areas(r, a.report, progress);
        ++m->reads.areas;
        if (entry == m->areas.end()) {
            m->areas.push_back(std::move(a));
            entry = m->areas.end() - 1;
        } else {
            *entry = std::move(a);
        }
    } else {
        progress.info(fmt::format("{} areas from {} (read once for the run)", entry->areas.size(), r.areas_path));
    }
    const size_t area_entry = static_cast<size_t>(entry - m->areas.begin());
    Impl::AreaEntry& a = m->areas[area_entry];
    if (a.lent) throw std::logic_error("the areas are lent to another study");

    const std::string dkey = denominators_key(r);
    auto d = std::find_if(m->denominators.begin(), m->denominators.end(), [&](const Impl::DenominatorEntry& e) { return e.key == dkey; });
    if (d == m->denominators.end()) {
        Impl::DenominatorEntry e;
        e.key = dkey;
        a.areas.population.assign(a.areas.size(), std::nan(""));
        a.areas.households.assign(a.areas.size(), std::nan(""));
        detail::join_study_denominators(r, a.areas, e.report, progress);
        e.population = a.areas.population, e.households = a.areas.households;
        if (!r.population_path.empty() || !r.households_path.empty()) ++m->reads.populations;
        m->denominators.push_back(std::move(e));
        d = m->denominators.end() - 1;
    } else if (!r.population_path.empty()) {
        progress.info(fmt::format("population from {} (read once for the run): {} of {} areas matched", r.population_path, d->report.matched,
                                  a.areas.size()));
    }
    s.areas = std::move(a.areas);
    a.lent = true;
    s.loan->areas = true;
    s.loan->area_entry = area_entry;
    s.areas.population = d->population;
    s.areas.households = d->households;
    s.area_report = a.report;
    s.population_report = d->report;

    const uint64_t generation = m->incidents->generation;
    if (units && !a.overlaps_checked) {
        detail::refuse_overlapping_areas(AreaIndex(s.areas), s.areas, r.areas_path);
        a.overlaps_checked = true;
    }
    if (a.located_generation != generation) {
        // Every row of the table, those this study set aside for its months too, located once.
        const AreaIndex index(s.areas);
        const Incidents& in = s.crimes.incidents;
        std::vector<int32_t> area_of = index.locate(in.x, in.y, &progress);
        for (auto it = s.loan->set_aside.rbegin(); it != s.loan->set_aside.rend(); ++it)
            area_of = merge_back(area_of, index.locate(it->x, it->y), it->positions);
        a.area_of = std::move(area_of);
        a.located_generation = generation;
    }
    const std::vector<uint8_t>& kept = s.loan->window_kept;
    if (kept.empty()) {
        s.area_of = a.area_of;
    } else {
        s.area_of.clear();
        s.area_of.reserve(s.crimes.incidents.size());
        for (size_t i = 0; i < kept.size(); ++i)
            if (kept[i]) s.area_of.push_back(a.area_of[i]);
    }
}

void SharedInputs::lend_assets(const StudyRequest& r, Study& s, Progress& progress) {
    const AssetPaths& p = r.assets;
    if (p.lighting.empty() && p.cctv.empty() && p.gates.empty() && p.paths.empty() && p.streets.empty() && p.occluders.empty()) return;
    const std::string key = assets_key(r);
    auto entry = std::find_if(m->assets.begin(), m->assets.end(), [&](const Impl::AssetEntry& a) { return a.key == key; });
    if (entry == m->assets.end()) {
        Impl::AssetEntry a;
        a.key = key;
        a.assets = detail::read_study_assets(p, r.ingest.working_crs, progress, a.lighting, a.cctv);
        ++m->reads.asset_sets;
        m->assets.push_back(std::move(a));
        entry = m->assets.end() - 1;
    } else {
        progress.info("assets: read once for the run");
    }
    if (entry->lent) throw std::logic_error("the assets are lent to another study");
    s.assets = std::move(entry->assets);
    entry->lent = true;
    s.loan->assets = true;
    s.loan->asset_entry = static_cast<size_t>(entry - m->assets.begin());
    s.lighting_report = entry->lighting;
    s.cctv_report = entry->cctv;
}

void SharedInputs::give_back(Study& s) {
    StudyLoan& loan = *s.loan;
    if (loan.incidents && m->incidents) {
        Incidents& in = s.crimes.incidents;
        for (auto it = loan.set_aside.rbegin(); it != loan.set_aside.rend(); ++it) in.put_back(std::move(*it));
        m->incidents->result.incidents = std::move(in);
        m->incidents->lent = false;
    }
    if (loan.areas) {
        m->areas[loan.area_entry].areas = std::move(s.areas);
        m->areas[loan.area_entry].lent = false;
    }
    if (loan.assets) {
        m->assets[loan.asset_entry].assets = std::move(s.assets);
        m->assets[loan.asset_entry].lent = false;
    }
    s.loan.reset();
}

} // namespace safer::layers
