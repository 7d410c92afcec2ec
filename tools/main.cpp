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
    for (const CommandEntry& command : command_table()) {
        CLI::App* sub = app.add_subcommand(command.name, command.description);
        runs[sub] = command.setup(*sub);
    }

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
