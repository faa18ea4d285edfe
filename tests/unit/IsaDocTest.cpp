// docs/isa.md lists every opcode and field exactly as hw/isa/Isa.cpp defines them.
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "hw/isa/Isa.h"

namespace tasdsim::isa {
namespace {

TEST(IsaDoc, TablesMatchTheDefinition) {
  std::ifstream in(std::string(TASDSIM_SOURCE_DIR) + "/docs/isa.md");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  size_t checked = 0;
  for (int code = 0; code < 256; ++code) {
    const OpcodeSpec* spec = findOpcode(static_cast<uint8_t>(code));
    if (!spec) continue;
    char header[64];
    std::snprintf(header, sizeof header, "### %s (opcode 0x%02X)", spec->mnemonic, code);
    const size_t at = doc.find(header);
    ASSERT_NE(at, std::string::npos) << header;
    const size_t end = doc.find("###", at + 3);
    const std::string section =
        doc.substr(at, end == std::string::npos ? std::string::npos : end - at);
    for (uint32_t i = 0; i < spec->fieldCount; ++i) {
      const FieldSpec& f = spec->fields[i];
      const std::string row = "| " + std::string(f.name) + " | [" +
                              std::to_string(f.lsb + f.width - 1) + ":" + std::to_string(f.lsb) +
                              "] | " + std::to_string(f.width) + " |";
      EXPECT_NE(section.find(row), std::string::npos) << spec->mnemonic << ": " << row;
      ++checked;
    }
  }
  EXPECT_GT(checked, 40u);
}

}  // namespace
}  // namespace tasdsim::isa
