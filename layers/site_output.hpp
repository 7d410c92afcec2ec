#pragma once
// Writing the crime impact review of planning sites (safer site): the site, site_rings,
// site_incidents and site_paths layers, and the printable report (layers/templates/site_report).
#include <string>
#include <vector>

#include "engine/interventions.hpp"
#include "engine/site_review.hpp"
#include "layers/site_reader.hpp"
#include "layers/study.hpp"
#include "layers/table.hpp"

namespace safer::layers {

struct SiteOutputs {
    const Study& study;
    const site::SiteReview& review;
    const site::SiteOptions& options;
    const std::vector<plan::InterventionSpec>& table; // the effects the findings cite
    const SiteReport& site_report;
    std::string command_line;
};

/// The layers: site, site_rings, site_incidents and, with paths, site_paths. They point into the
/// review and into `owned`, which holds the incidents' points.
std::vector<Table> site_tables(const SiteOutputs& o, std::vector<geos::Geometry>& owned);
/// "hot spot at 99 % (Gi*, 100 m cells)", ...
std::string gi_status_text(const site::SiteReview& review, const site::SiteResult& r);
/// "rising (Mann-Kendall z 2.10, p 0.036)" or "no significant trend (...)".
std::string trend_text(const hotspots::MannKendall& trend);
/// The words of one finding.
std::string finding_text(const SiteOutputs& o, const site::SiteResult& r, const site::Finding& f);
/// "Context", "Natural surveillance", ...
const char* principle_name(site::Principle p);
/// The report: one printable, self-contained HTML file.
std::string site_report_html(const SiteOutputs& o);

} // namespace safer::layers
