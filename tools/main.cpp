// safer: hotspot and situational crime-prevention analysis. Exit codes: 0 done, 1 bad input,
// 2 usage, 3 I/O failure (README, "Commands").
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <exception>
#include <functional>
#include <map>

#include "engine/errors.hpp"
#include "layers/postgis.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

int main(int argc, char** argv) {
    using namespace safer::tools;
    for (int i = 0; i < argc; ++i) g_command_line += (i ? " " : "") + std::string(argv[i]);
    // It goes into metadata, reports and GeoTIFF tags: never with a database password.
    g_command_line = safer::layers::hide_passwords(g_command_line);

    CLI::App app{"safer: hotspot and situational crime-prevention analysis.\n"
                 "Reads police.uk incidents, area boundaries and population; writes GeoPackage layers.",
                 "safer"};
    app.require_subcommand(1);
    app.set_version_flag("--version", SAFER_VERSION);
    std::map<CLI::App*, Run> runs;
    const auto add = [&](const char* name, const char* description, Run (*setup)(CLI::App&)) {
        CLI::App* sub = app.add_subcommand(name, description);
        runs[sub] = setup(*sub);
    };
    add("ingest", "Read incidents, reproject them and write the incidents and rejects layers", setup_ingest);
    add("kde", "Kernel density surface of incidents (hotspot map), with its top 1/5/10 % hotspot areas", setup_kde);
    add("hotspots", "Hotspot statistics on grid cells or areas: Gi*, local and global Moran's I, concentration, emerging hot spots", setup_hotspots);
    add("score", "Guardianship coverage (lighting, CCTV, alley gates) and design-out-crime scores: unguarded crime, costed recommendations, a budget plan", setup_score);
    add("bid", "Safer Streets bid evidence: LSOA rates, ratios, change, Gi*, target-area candidates, density, HTML evidence pack", setup_bid);
    add("site", "Crime impact review of planning sites for Designing Out Crime Officers: rings, LSOAs, density, hot spots, CPTED findings, report", setup_site);
    add("segments", "Street segments as units: counts and rates per 100 m, concentration, Gi* along the network, network kernel density on lixels", setup_segments);
    add("evaluate", "Did it work? Crime in a target area before and after an intervention against its buffer and control areas: exact tests, WDQ, WDD, difference-in-differences, synthetic control, report", setup_evaluate);
    add("areas", "Count incidents by area: counts, rates per 1,000 residents, ratios, ranks, monthly counts", setup_areas);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    try {
        for (CLI::App* sub : app.get_subcommands()) runs.at(sub)();
        return 0;
    } catch (const safer::Error& e) {
        fmt::print(stderr, "safer: error: {}\n", e.what());
        return e.exit_code();
    } catch (const std::bad_alloc&) {
        fmt::print(stderr, "safer: error: out of memory\n");
        return 3;
    } catch (const std::exception& e) {
        fmt::print(stderr, "safer: error: {}\n", e.what());
        return 3;
    }
}
