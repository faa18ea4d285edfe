// tasdsim params: every key of an arch config with its default, valid range, unit and meaning,
// from the blocks' declarations (hw/model/common/Params.h). tasdsim counters: every counter of
// the blocks with its unit and meaning, from their declarations (hw/model/common/StatDecl.h).
// `--format markdown` prints the tables of docs/config.md and docs/outputs.md.
#include <iostream>

#include "hw/model/system/SystemStats.h"
#include "hw/model/top/AcceleratorParams.h"
#include "sim/Commands.h"

namespace tasdsim::cli {
namespace {

std::shared_ptr<std::string> addFormatOption(CLI::App* cmd, const char* doc) {
  auto format = std::make_shared<std::string>("text");
  cmd->add_option("--format", *format,
                  std::string("text (aligned columns) or markdown (") + doc + ")")
      ->check(CLI::IsMember({"text", "markdown"}));
  return format;
}

}  // namespace

void addParamsCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "params", "List the arch config's keys: default, valid range, unit and meaning");
  auto format = addFormatOption(cmd, "docs/config.md");
  cmd->callback([format] {
    const auto params = hw::archDeclarations();
    std::cout << (*format == "markdown" ? hw::paramsMarkdown(params) : hw::paramsText(params));
  });
  auto* counters = app.add_subcommand(
      "counters", "List the counters of stats.json (the blocks' statistics): unit and meaning");
  auto counterFormat = addFormatOption(counters, "docs/outputs.md");
  counters->callback([counterFormat] {
    const std::vector<hw::StatInfo> stats = hw::systemStatDeclarations();
    std::cout << (*counterFormat == "markdown" ? hw::statsMarkdown(stats) : hw::statsText(stats));
  });
}

}  // namespace tasdsim::cli
