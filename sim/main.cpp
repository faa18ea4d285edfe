// tasdsim: command-line entry point. Parsing and dispatch only; the work lives in sw/ and hw/.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "sim/Commands.h"
#include "sw/common/Error.h"
#include "sw/common/Interrupt.h"

namespace {
constexpr int kExitUserError = 2;
constexpr int kExitInternalError = 3;
}  // namespace

// libsystemc defines main() and references sc_main(); tasdsim has its own main and starts the
// SystemC kernel itself (sw/runtime/Simulation), so this entry is never called.
extern "C" int sc_main(int, char**) { return kExitInternalError; }

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  // SIGINT/SIGTERM: unfinished outputs are removed and the program ends with 128 + signal.
  tasdsim::installInterruptHandlers();
  int exitCode = 0;
  CLI::App app{"TASDsim: TASD decomposition and structured-sparse accelerator simulation", "tasdsim"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tasdsim 0.1.0");
  tasdsim::cli::addDecomposeCommand(app);
  tasdsim::cli::addRunCommand(app, exitCode);
  tasdsim::cli::addSearchCommand(app, exitCode);
  tasdsim::cli::addImportCommand(app);
  tasdsim::cli::addAccuracyCommand(app);
  tasdsim::cli::addSearchModelCommand(app, exitCode);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "tasdsim: error: " << e.what() << " (see tasdsim --help)\n";
    return kExitUserError;
  } catch (const tasdsim::Interrupted& e) {
    std::cerr << "tasdsim: " << e.what() << '\n';
    return 128 + e.signal();
  } catch (const tasdsim::UserError& e) {
    std::cerr << "tasdsim: error: " << e.what() << '\n';
    return kExitUserError;
  } catch (const std::exception& e) {
    std::cerr << "tasdsim: internal error: " << e.what() << '\n';
    return kExitInternalError;
  }
  return exitCode;
}
