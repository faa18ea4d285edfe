#pragma once
// Subcommands of the tasdsim program. Each adds itself to the parent app; its callback throws
// UserError for bad input, which main turns into a one-line message and exit status 2.
#include <CLI/CLI.hpp>

namespace tasdsim::cli {

void addDecomposeCommand(CLI::App& app);
// Sets exitCode (1 when the simulation fails or a layer does not match its reference).
void addRunCommand(CLI::App& app, int& exitCode);
void addSearchCommand(CLI::App& app, int& exitCode);
void addImportCommand(CLI::App& app);
void addAccuracyCommand(CLI::App& app);
void addSearchModelCommand(CLI::App& app, int& exitCode);
void addParamsCommand(CLI::App& app);

}  // namespace tasdsim::cli
