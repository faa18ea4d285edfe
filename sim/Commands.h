#pragma once
// Subcommands of the tasdsim program. Each adds itself to the parent app; its callback throws
// UserError for bad input, which main turns into a one-line message and exit status 2.
#include <CLI/CLI.hpp>

namespace tasdsim::cli {

void addDecomposeCommand(CLI::App& app);

}  // namespace tasdsim::cli
