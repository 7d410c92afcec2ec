#pragma once
// Inputs read once for many studies: `safer run` runs several commands (jobs) in one process, and
// each job's read_study takes its incidents, areas and assets from here instead of reading them
// again. A job borrows them: the incidents table itself (no copy), with the rows its own months
// and areas leave out set aside (a copy of those rows only) and put back when its study ends, so
// the next job finds the table whole. Each job gets the study a reading of its own would give
// (the same rows, rejects and accounting), because the same checks run on the same rows.
#include <memory>
#include <string>
#include <vector>

#include "engine/incidents.hpp"
#include "engine/month.hpp"
#include "layers/study.hpp"

namespace safer::layers {

class SharedInputs;

/// What a study has borrowed; given back by ~Study.
struct StudyLoan {
    SharedInputs* lender = nullptr;
    bool incidents = false, areas = false, assets = false;
    size_t area_entry = 0, asset_entry = 0;
    std::vector<RemovedRows> set_aside; // in the order they were taken out; put back in reverse
    std::vector<uint8_t> window_kept;   // rows of the shared table within the study's --from/--to (empty: all)
};

class SharedInputs {
public:
    /// Active (read_study uses it) until destroyed; one at a time. Rows outside `read_window` are
    /// rejected as they are read (outside_window), as with --from/--to: give the union of the
    /// jobs' months.
    explicit SharedInputs(MonthWindow read_window);
    ~SharedInputs();
    SharedInputs(const SharedInputs&) = delete;
    SharedInputs& operator=(const SharedInputs&) = delete;

    /// The active one, or null: then read_study reads every input itself.
    static SharedInputs* active();

    /// Sets s.crimes and s.inputs for `r`: the incidents read once, lent, with the rows outside
    /// r's --from/--to set aside and rejected as a reader would have.
    void lend_incidents(const StudyRequest& r, Study& s, Progress& progress);
    /// Sets s.areas (with r's population and households), the reports and s.area_of; each areas
    /// file, population file and location of the incidents is read or computed once.
    void lend_areas(const StudyRequest& r, Study& s, Progress& progress);
    /// Sets s.assets and the asset reports, each set of asset files read once.
    void lend_assets(const StudyRequest& r, Study& s, Progress& progress);
    /// A file every study records first among its inputs (the project file of safer run).
    void record_first(const std::string& path);
    /// SHA-256 of a file, computed once.
    std::string sha256(const std::string& path);
    /// Gives back what `s` borrowed (called by ~Study).
    void give_back(Study& s);

    /// Incident rows read (for the run's summary), and how many times each kind of input was read.
    uint64_t rows_read() const;
    struct Reads {
        size_t incidents = 0, areas = 0, populations = 0, asset_sets = 0;
    };
    Reads reads() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

} // namespace safer::layers
