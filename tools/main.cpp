// safer: hotspot and situational crime-prevention analysis. Exit codes: 0 done, 1 bad input,
// 2 usage, 3 I/O failure (README, "Commands").
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "engine/errors.hpp"
#include "layers/gdal_session.hpp"
#include "layers/output_files.hpp"
#include "layers/postgis.hpp"
#include "tools/commands.hpp"
#include "tools/options.hpp"

namespace {

/// "safer 0.1.0 (GDAL 3.6.2, GEOS 3.11.1, PROJ 9.1.1)": what --version prints, the libraries as
/// they run, since their versions change results (PROJ's transformations, GEOS's noding).
std::string version_text() {
    std::string geos = safer::layers::geos_version();
    geos = geos.substr(0, geos.find("-CAPI"));
    return fmt::format("safer {} (GDAL {}, GEOS {}, PROJ {})", SAFER_VERSION, safer::layers::gdal_version(), geos, safer::layers::proj_version());
}

/// Levenshtein distance, for "did you mean".
size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

/// The name among `names` nearest `typed`, if it is near enough to be what was meant: within two
/// edits (one for names of up to four letters), or `typed` the start of it.
std::string nearest(const std::string& typed, const std::vector<std::string>& names) {
    std::string best;
    size_t best_distance = SIZE_MAX;
    for (const std::string& n : names) {
        const size_t d = n.rfind(typed, 0) == 0 && typed.size() >= 2 ? 0 : edit_distance(typed, n);
        if (d < best_distance) best = n, best_distance = d;
    }
    const size_t limit = typed.size() <= 4 ? 1 : 2;
    return best_distance <= limit ? best : "";
}

/// Examples that end each command's --help.
const std::map<std::string, std::string> examples = {
    {"ingest",
     "  safer ingest --crimes ~/Downloads/police-uk/ -o incidents.gpkg\n"
     "  safer ingest --crimes 2023-01-avon-and-somerset-street.csv.gz --from 2023-01 --to 2023-01 -o january.fgb"},
    {"areas",
     "  safer areas --crimes ~/Downloads/police-uk/ --areas lsoa_2011.geojson --population File_6_IoD2019_Population.csv \\\n"
     "      --from 2021-04 --to 2022-03 -o avon.gpkg --csv avon-areas.csv     # then open avon.qgz in QGIS\n"
     "  safer areas --crimes out/town/crimes --areas out/town/lsoas.geojson -o areas.geojson"},
    {"kde",
     "  safer kde --crimes out/town/crimes --group neighbourhood --areas out/town/lsoas.geojson --bandwidth 250 --cell 10 -o density.gpkg\n"
     "  safer kde --crimes out/town/crimes --types Burglary -o burglary.tif\n"
     "  safer kde --crimes out/town/crimes --by month -o monthly.gpkg          # monthly.qgz steps through the months in QGIS\n"
     "  safer kde --crimes out/town/crimes --group neighbourhood --bandwidth predictive -o predictive.gpkg"},
    {"hotspots",
     "  safer hotspots --crimes out/town/crimes --grid 200 -o hotspots.gpkg\n"
     "  safer hotspots --crimes out/town/crimes --areas out/town/lsoas.geojson --population out/town/population.csv --by quarter \\\n"
     "      -o hotspots-areas.gpkg\n"
     "  safer hotspots --crimes out/town/crimes --grid 200 --permutations 0 -o hotspots.geojson"},
    {"score",
     "  safer score --crimes out/town/crimes --areas out/town/lsoas.geojson --lighting out/town/lights.csv --cctv out/town/cctv.csv \\\n"
     "      --paths out/town/paths.geojson --streets out/town/streets.geojson --gates out/town/gates.geojson --budget 50000 -o score.gpkg"},
    {"bid",
     "  safer bid --crimes out/town/crimes --areas out/town/lsoas.geojson --population out/town/population.csv -o bid.gpkg --report bid.html\n"
     "  safer bid --crimes ~/Downloads/police-uk/ --areas lsoa_2011.geojson --population File_6.csv --lighting lights.csv --budget 431185 \\\n"
     "      -o bid.gpkg --report bid.html"},
    {"site",
     "  safer site --site out/town/site.geojson --crimes out/town/crimes --areas out/town/lsoas.geojson --population out/town/population.csv \\\n"
     "      -o site.gpkg --report site.html\n"
     "  safer site --site 'POLYGON((451500 207500, 451700 207500, 451700 207700, 451500 207700, 451500 207500))' --crimes out/town/crimes \\\n"
     "      -o site.gpkg --report site.html --no-pdf"},
    {"segments",
     "  safer segments --crimes out/town/crimes --streets out/town/streets.geojson -o segments.gpkg --csv segments.csv\n"
     "  safer segments --crimes ~/Downloads/police-uk/ --streets roads.gpkg --areas district_lsoas.geojson --group neighbourhood -o segments.fgb"},
    {"evaluate",
     "  safer evaluate --crimes out/town-evaluate/crimes --areas out/town-evaluate/lsoas.geojson --target out/town-evaluate/intervention.geojson \\\n"
     "      --start 2023-01 -o evaluate.gpkg --report evaluate.html --csv evaluate.csv\n"
     "  safer evaluate --crimes ~/Downloads/police-uk/ --areas lsoa_2011.geojson --target scheme.geojson --start 2021-10 --group acquisitive \\\n"
     "      -o evaluate.gpkg --report evaluate.html"},
    {"accuracy",
     "  safer accuracy --crimes out/town/crimes --train 2023-01:2023-09 --test 2023-10:2023-12 --areas out/town/lsoas.geojson \\\n"
     "      -o accuracy.gpkg --csv accuracy.csv --report accuracy.html\n"
     "  safer accuracy --crimes out/town/crimes --train 2023-01:2023-09 --test 2023-10:2023-12 --methods kde:250,kde:auto,gistar:200 -o accuracy.csv"},
    {"nearrepeat",
     "  safer nearrepeat --crimes out/town/crimes --types Burglary -o nearrepeat.gpkg --csv knox.csv --report nearrepeat.html\n"
     "  safer nearrepeat --crimes burglaries.csv --time-bands 7 --time-count 4 --distance-bands 100 -o repeats.geojson   # a CSV with dates"},
    {"run",
     "  safer run out/demo.toml --overwrite            # the demo's project: areas, kde, bid, score and site on the town\n"
     "  safer run national.toml --dry-run              # print each job's command line and stop"},
};

// Built with a sanitizer (GCC says so by macro, clang by __has_feature).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SAFER_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define SAFER_SANITIZED 1
#endif
#endif

/// Ends a finished run without tearing down what the operating system reclaims anyway: every
/// output is written, flushed and renamed by now, so the libraries' exit handlers (GDAL's driver
/// manager, PROJ's contexts, oneTBB's worker threads) and the freeing of the heap only delay the
/// shell (3 % of safer kde on a million rows). The one exit handler of safer's own, removing the
/// process's temporary folder, is run here. Sanitizer builds exit normally, so that the leak
/// checker runs.
[[noreturn]] void exit_now(int code) {
    safer::layers::remove_process_temp_dir();
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
#ifdef SAFER_SANITIZED
    std::exit(code);
#else
    std::_Exit(code);
#endif
}

} // namespace

int main(int argc, char** argv) {
    using namespace safer::tools;
    for (int i = 0; i < argc; ++i) g_command_line += (i ? " " : "") + std::string(argv[i]);
    // It goes into metadata, reports and GeoTIFF tags: never with a database password.
    g_command_line = safer::layers::hide_passwords(g_command_line);

    CLI::App app{"safer: hotspot and situational crime-prevention analysis.\n"
                 "Reads police.uk incidents, area boundaries and population; writes GeoPackage layers with a QGIS project beside them.",
                 "safer"};
    app.require_subcommand(1);
    app.set_version_flag("--version", version_text());
    std::map<CLI::App*, Run> runs;
    std::vector<std::string> names;
    for (const CommandEntry& command : command_table()) {
        CLI::App* sub = app.add_subcommand(command.name, command.description);
        runs[sub] = command.setup(*sub);
        const std::string footer = sub->get_footer();
        sub->footer(footer + (footer.empty() ? "" : "\n\n") + "Examples (out/town is the synthetic town ./tools/demo makes):\n" + examples.at(command.name));
        names.emplace_back(command.name);
    }
    app.footer("Examples:\n  ./tools/demo                      # builds safer and runs the main jobs on a synthetic town (out/)\n"
               "  safer areas --help                # each command's manual\n"
               "  safer --version                   # with the GDAL, GEOS and PROJ versions it runs on");

    // A mistyped command: say which one was meant, rather than CLI11's "not expected".
    if (argc > 1 && argv[1][0] != '-' && std::find(names.begin(), names.end(), argv[1]) == names.end()) {
        const std::string meant = nearest(argv[1], names);
        fmt::print(stderr, "safer: error: '{}' is not a safer command{}; the commands are {} (safer --help)\n", argv[1],
                   meant.empty() ? "" : fmt::format("; did you mean '{}'?", meant), fmt::join(names, ", "));
        return 2;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ExtrasError& extras) {
        // A mistyped option: the nearest of the command's own.
        std::string hint;
        CLI::App* command = nullptr;
        for (CLI::App* s : app.get_subcommands([](CLI::App*) { return true; }))
            if (argc > 1 && s->get_name() == argv[1]) command = s;
        if (command) {
            std::vector<std::string> options;
            for (const CLI::Option* o : command->get_options())
                for (const std::string& n : o->get_lnames()) options.push_back("--" + n);
            for (int i = 2; i < argc && hint.empty(); ++i) {
                const std::string a = std::string(argv[i]).substr(0, std::string(argv[i]).find('='));
                if (a.rfind("--", 0) == 0 && std::find(options.begin(), options.end(), a) == options.end())
                    if (const std::string meant = nearest(a, options); !meant.empty()) hint = fmt::format(" (did you mean {}?)", meant);
            }
        }
        fmt::print(stderr, "safer: error: {}{}\nRun with --help for more information.\n", extras.what(), hint);
        return 2;
    } catch (const CLI::ParseError& parse) {
        const int code = app.exit(parse);
        return code == 0 ? 0 : 2;
    }
    try {
        for (CLI::App* sub : app.get_subcommands()) runs.at(sub)();
        exit_now(0);
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
