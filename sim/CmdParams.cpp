// tasdsim params: every key of an arch config with its default, valid range, unit and meaning,
// from the blocks' declarations (hw/model/common/Params.h). `--format markdown` prints the table
// of docs/config.md.
#include <iostream>

#include "hw/model/top/AcceleratorParams.h"
#include "sim/Commands.h"

namespace tasdsim::cli {

void addParamsCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "params", "List the arch config's keys: default, valid range, unit and meaning");
  auto format = std::make_shared<std::string>("text");
  cmd->add_option("--format", *format, "text (aligned columns) or markdown (docs/config.md)")
      ->check(CLI::IsMember({"text", "markdown"}));
  cmd->callback([format] {
    const auto params = hw::archDeclarations();
    std::cout << (*format == "markdown" ? hw::paramsMarkdown(params) : hw::paramsText(params));
  });
}

}  // namespace tasdsim::cli
