// tasdsim: command-line entry point. Parsing and dispatch only; the work lives in sw/ and hw/.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "sim/Commands.h"
#include "sw/common/Error.h"
#include "sw/common/Interrupt.h"
#include "sw/common/Output.h"

namespace {
constexpr int kExitUserError = 2;
constexpr int kExitInternalError = 3;

// Every message is one line: line breaks and other control characters in it (a value or a
// file name that holds them) are shown escaped.
std::string oneLine(const std::string& message) {
  std::string out;
  for (const char c : message) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

// libsystemc defines main() and references sc_main(); tasdsim has its own main and starts the
// SystemC kernel itself (sw/runtime/Simulation), so this entry is never called.
extern "C" int sc_main(int, char**) {
  return kExitInternalError;
}

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  // SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ: unfinished outputs are removed and the program
  // ends with 128 + signal.
  tasdsim::installInterruptHandlers();
  int exitCode = 0;
  CLI::App app{"TASDsim: TASD decomposition and structured-sparse accelerator simulation",
               "tasdsim"};
  app.require_subcommand(1);
  app.set_version_flag("--version", tasdsim::toolIdentity());
  tasdsim::cli::addDecomposeCommand(app);
  tasdsim::cli::addRunCommand(app, exitCode);
  tasdsim::cli::addSearchCommand(app, exitCode);
  tasdsim::cli::addImportCommand(app);
  tasdsim::cli::addAccuracyCommand(app);
  tasdsim::cli::addSearchModelCommand(app, exitCode);
  tasdsim::cli::addParamsCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "tasdsim: error: " << oneLine(e.what()) << " (see tasdsim --help)\n";
    return kExitUserError;
  } catch (const tasdsim::Interrupted& e) {
    std::cerr << "tasdsim: " << oneLine(e.what()) << '\n';
    return 128 + e.signal();
  } catch (const tasdsim::UserError& e) {
    std::cerr << "tasdsim: error: " << oneLine(e.what()) << '\n';
    return kExitUserError;
  } catch (const std::exception& e) {
    std::cerr << "tasdsim: internal error: " << oneLine(e.what()) << '\n';
    return kExitInternalError;
  }
  return exitCode;
}
