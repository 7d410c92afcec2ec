#include "tools/commands.hpp"

namespace safer::tools {

const std::vector<CommandEntry>& command_table() {
    static const std::vector<CommandEntry> table = {
        {"ingest", "Read incidents, reproject them and write the incidents and rejects layers", setup_ingest},
        {"kde", "Kernel density surface of incidents (hotspot map), with its top 1/5/10 % hotspot areas", setup_kde},
        {"hotspots", "Hotspot statistics on grid cells or areas: Gi*, local and global Moran's I, concentration, emerging hot spots", setup_hotspots},
        {"score", "Guardianship coverage (lighting, CCTV, alley gates) and design-out-crime scores: unguarded crime, costed recommendations, a budget plan",
         setup_score},
        {"bid", "Safer Streets bid evidence: LSOA rates, ratios, change, Gi*, target-area candidates, density, HTML evidence pack", setup_bid},
        {"site", "Crime impact review of planning sites for Designing Out Crime Officers: rings, LSOAs, density, hot spots, CPTED findings, report",
         setup_site},
        {"segments", "Street segments as units: counts and rates per 100 m, concentration, Gi* along the network, network kernel density on lixels",
         setup_segments},
        {"evaluate",
         "Did it work? Crime in a target area before and after an intervention against its buffer and control areas: exact tests, WDQ, WDD, "
         "difference-in-differences, synthetic control, report",
         setup_evaluate},
        {"accuracy", "How well hotspot methods predict: train on some months, score hit rate, PAI, PEI and RRI on later months", setup_accuracy},
        {"nearrepeat", "Near repeats (the Knox test of Ratcliffe's Near Repeat Calculator) and repeat locations", setup_nearrepeat},
        {"areas", "Count incidents by area: counts, rates per 1,000 residents, ratios, ranks, monthly counts", setup_areas},
        {"run", "Run the jobs of a project file (TOML): every input read once, every output in one folder", setup_run},
    };
    return table;
}

} // namespace safer::tools
