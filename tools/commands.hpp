#pragma once
// One function per subcommand: it declares the subcommand's options on `app` and returns the
// function that runs it once parsing succeeds.
#include <CLI/CLI.hpp>

#include <functional>

namespace safer::tools {

using Run = std::function<void()>;

Run setup_ingest(CLI::App& app);
Run setup_areas(CLI::App& app);
Run setup_kde(CLI::App& app);
Run setup_hotspots(CLI::App& app);
Run setup_score(CLI::App& app);
Run setup_bid(CLI::App& app);
Run setup_site(CLI::App& app);
Run setup_segments(CLI::App& app);
Run setup_evaluate(CLI::App& app);
Run setup_nearrepeat(CLI::App& app);
Run setup_accuracy(CLI::App& app);

} // namespace safer::tools
