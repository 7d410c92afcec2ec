// safer accuracy: placeholder until the command is written.
#include "tools/commands.hpp"
namespace safer::tools {
Run setup_accuracy(CLI::App&) { return [] {}; }
} // namespace safer::tools
