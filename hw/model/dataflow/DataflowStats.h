#pragma once
// Statistics of the dataflow controller and the load and store units, declared once
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

struct LoadUnitStats {
  static constexpr StatDecl kBusyCycles{"load_unit", "busy_cycles", "cycles",
                                        "cycles with a load in flight"};
  static constexpr StatDecl kRequests{"load_unit", "requests", "requests", "memory read requests"};
  static constexpr StatDecl kDramBytesS{"load_unit", "dram_bytes.s", "bytes",
                                        "bytes read for the structured operand"};
  static constexpr StatDecl kDramBytesD{"load_unit", "dram_bytes.d", "bytes",
                                        "bytes read for the dense operand"};
  static constexpr StatDecl kDramBytesC{"load_unit", "dram_bytes.c", "bytes",
                                        "bytes of partial sums read"};
  static constexpr StatDecl kStallWaitBufferFree{"load_unit", "stall.wait_buffer_free", "cycles",
                                                 "waiting for a slot's previous users"};

  static std::vector<StatInfo> declarations() {
    return infosOf(
        {kBusyCycles, kRequests, kDramBytesS, kDramBytesD, kDramBytesC, kStallWaitBufferFree});
  }
};

struct StoreUnitStats {
  static constexpr StatDecl kBusyCycles{"store_unit", "busy_cycles", "cycles",
                                        "cycles with a store in flight"};
  static constexpr StatDecl kRequests{"store_unit", "requests", "requests",
                                      "memory write requests"};
  static constexpr StatDecl kDramBytes{"store_unit", "dram_bytes", "bytes",
                                       "bytes of results written"};
  static constexpr StatDecl kRequantOps{"store_unit", "requant_ops", "results",
                                        "results requantised to int8 by the output path"};
  static constexpr StatDecl kTableBytes{"store_unit", "table_bytes", "bytes",
                                        "bytes of per-channel requantisation tables read"};
  static constexpr StatDecl kStallWaitResults{"store_unit", "stall.wait_results", "cycles",
                                              "waiting for the accumulator slot to be complete"};

  static std::vector<StatInfo> declarations() {
    return infosOf(
        {kBusyCycles, kRequests, kDramBytes, kRequantOps, kTableBytes, kStallWaitResults});
  }
};

}  // namespace tasdsim::hw
