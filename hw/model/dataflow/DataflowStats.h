#pragma once
// Statistics of the dataflow controller, declared once
// (hw/model/common/StatDecl.h).
#include <cctype>
#include <string>
#include <vector>

#include "hw/isa/Isa.h"
#include "hw/model/common/StatDecl.h"

namespace tasdsim::hw {

struct DataflowStats {
  // Indexed by the opcode's mnemonic in lower case: the opcodes below.
  static constexpr StatDecl kInstructions{"dataflow", "instructions.{}", "instructions",
                                          "instructions executed, by opcode"};
  static constexpr isa::Opcode kOpcodes[] = {
      isa::Opcode::CfgLayer, isa::Opcode::CfgTerm, isa::Opcode::CfgAddr, isa::Opcode::CfgConv,
      isa::Opcode::CfgTasd,  isa::Opcode::CfgOut,  isa::Opcode::LoadS,   isa::Opcode::LoadD,
      isa::Opcode::LoadC,    isa::Opcode::Tasd,    isa::Opcode::Stream,  isa::Opcode::StoreC,
      isa::Opcode::Barrier,  isa::Opcode::End};

  static std::string mnemonic(isa::Opcode op) {
    std::string m = isa::specOf(op).mnemonic;
    for (char& ch : m)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return m;
  }

  static std::vector<StatInfo> declarations() {
    std::vector<StatInfo> out;
    for (isa::Opcode op : kOpcodes)
      out.push_back(infoOf(kInstructions, mnemonic(op)));
    return out;
  }
};

}  // namespace tasdsim::hw
