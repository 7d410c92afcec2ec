#pragma once
// The subcommands, registered once in command_table(): main() adds each to the command line, and
// `safer run` calls them by name from a project file. Each setup function declares its
// subcommand's options on `app` and returns the function that runs it once parsing succeeds.
#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace safer::tools {

using Run = std::function<void()>;

struct CommandEntry {
    const char* name;
    const char* description;
    Run (*setup)(CLI::App& app);
};

/// Every subcommand, in the order `safer --help` lists them. A new command is one line here.
const std::vector<CommandEntry>& command_table();

Run setup_ingest(CLI::App& app);
Run setup_areas(CLI::App& app);
Run setup_kde(CLI::App& app);
Run setup_hotspots(CLI::App& app);
Run setup_score(CLI::App& app);
Run setup_bid(CLI::App& app);
Run setup_site(CLI::App& app);
Run setup_segments(CLI::App& app);
Run setup_run(CLI::App& app);
Run setup_evaluate(CLI::App& app);
Run setup_nearrepeat(CLI::App& app);
Run setup_accuracy(CLI::App& app);

} // namespace safer::tools
