#pragma once
// Writing the crime impact review of planning sites (safer site): the site, site_rings,
// site_incidents and site_paths layers, and the printable report (layers/templates/site_report).
#include <span>
#include <string>
#include <vector>

#include "engine/interventions.hpp"
#include "engine/site_review.hpp"
#include "layers/site_reader.hpp"
#include "layers/study.hpp"
#include "layers/table.hpp"
#include "layers/templates.hpp"

namespace safer::layers {

struct SiteOutputs {
    const Study& study;
    const site::SiteStudy& review; // the study-wide part of the review
    const site::SiteOptions& options;
    const std::vector<plan::InterventionSpec>& table; // the effects the findings cite
    const SiteReport& site_report;
    std::string command_line;
};

/// The rows of `sites` in the layers site, site_rings, site_incidents and, with paths, site_paths
/// (each table there even with no row). They point into the results and into `owned`, which holds
/// the incidents' points. Written batch by batch with GeoPackageWriter::append_table.
std::vector<Table> site_tables(const SiteOutputs& o, std::span<const site::SiteResult> sites, std::vector<geos::Geometry>& owned);
/// "hot spot at 99 % (Gi*, 100 m cells)", ...
std::string gi_status_text(const site::SiteStudy& review, const site::SiteResult& r);
/// "rising (Mann-Kendall z 2.10, p 0.036)" or "no significant trend (...)".
std::string trend_text(const hotspots::MannKendall& trend);
/// The words of one finding.
std::string finding_text(const SiteOutputs& o, const site::SiteResult& r, const site::Finding& f);
/// "Context", "Natural surveillance", ...
const char* principle_name(site::Principle p);
/// The report's budget for its detailed sections: 150 MB of HTML (a browser still opens it; the
/// report holds it about three times over while it is rendered).
inline constexpr double report_budget_bytes = 150e6;
/// Bytes of HTML a detailed site section takes at most, from the incidents within its largest
/// ring (each drawn on its map): an upper bound of those measured on the Avon and Somerset data
/// (about 100 bytes an incident and 10 to 40 kB a site, with street lights).
double site_section_bytes(size_t incidents);
/// How many sites the report details: the first `requested` (every site if fewer), checked up
/// front against report_budget_bytes by the reviewer's bounds. Over the budget, a number the user
/// gave (`given`) is refused (UsageError naming how many fit); the default is cut to what fits,
/// with a warning.
size_t report_sites(size_t requested, bool given, const site::SiteReviewer& reviewer, Progress& progress);

/// The printable report, built site by site as the sites are reviewed, so that it holds only what
/// it shows: the first `detailed` sites in full (maps, tables, findings), and every site as one row
/// of a summary table (when there is more than one site).
class SiteReportBuilder {
public:
    SiteReportBuilder(const SiteOutputs& o, size_t sites, size_t detailed);
    /// The next site, in the order of the sites.
    void add(const site::SiteResult& r);
    /// The report: one printable, self-contained HTML file.
    std::string html() const;

private:
    const SiteOutputs& m_o;
    size_t m_sites, m_detailed, m_added = 0;
    std::vector<std::string> m_label; // crime group of each type, for the maps' colours
    TemplateData m_sections{TemplateData::type::list};
    TemplateData m_summary{TemplateData::type::list};
};

} // namespace safer::layers
