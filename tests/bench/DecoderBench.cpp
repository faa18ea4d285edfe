// Microcode decoder bench: a host writes a program to memory and rings the doorbell through
// the registers; the decoder fetches and decodes it and a recording sink stands in for the
// dataflow controller. Checks dispatch order and fields, completion registers and signal, and
// that illegal programs end with an error status instead of a crash.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <systemc>

#include "hw/model/bus/Bus.h"
#include "hw/model/decoder/Decoder.h"
#include "hw/model/decoder/DecoderStats.h"
#include "hw/model/dram/Dram.h"
#include "hw/model/host_if/HostIf.h"
#include "sw/runtime/Host.h"
#include "sw/runtime/Microcode.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::hw {
namespace {

// The sink: records what the decoder dispatches.
struct RecordingDispatcher : sc_core::sc_module, DispatchIf {
  std::vector<isa::Instruction> received;
  CompletionInfo st;
  explicit RecordingDispatcher(sc_core::sc_module_name n) : sc_module(n) {}
  void beginProgram() override { st = CompletionInfo{}; }
  bool dispatch(const isa::Instruction& in, uint64_t) override {
    received.push_back(in);
    return true;
  }
  void drain() override {}
  void raise(ErrorCode code, uint64_t pc, const std::string& detail) override {
    if (st.error == ErrorCode::None) st = CompletionInfo{code, pc, 0, 0, detail};
  }
  CompletionInfo status() const override { return st; }
};

isa::Instruction ins(isa::Opcode op, std::initializer_list<uint64_t> fields) {
  isa::Instruction in;
  in.opcode = op;
  size_t i = 0;
  for (uint64_t f : fields)
    in.field[i++] = f;
  return in;
}

// Runs `words` (already encoded) as one program; returns what happened.
nlohmann::json runProgram(const std::vector<isa::Word>& words, uint64_t address = 0x100) {
  AcceleratorParams p;
  p.decoder.fetchBytes = 32;  // two instructions per fetch: exercises several bursts
  StatsRegistry stats;
  Bus bus("bus", {{"dram", 0, p.dram.sizeBytes, true}, {"host_if", kMmioBase, kMmioSize, false}});
  Dram dram("dram", p.dram, stats);
  HostIf hostIf("host_if", p.clockPeriodNs());
  Decoder decoder("decoder", p.decoder, p.context(), stats);
  RecordingDispatcher sink("sink");
  sc_core::sc_signal<bool> irq("irq");
  nlohmann::json out;
  runtime::Host host("host", [&](runtime::Host& h) {
    std::vector<uint8_t> bytes(words.size() * 16);
    for (size_t i = 0; i < words.size(); ++i)
      isa::store(words[i], bytes.data() + 16 * i);
    if (address < p.dram.sizeBytes) h.writeMemory(address, bytes.data(), bytes.size());
    out["id"] = h.readRegister(reg::kId);
    const CompletionInfo done = h.runProgram(address, bytes.size());
    out["error"] = static_cast<int>(done.error);
    out["error_pc"] = done.errorPc;
    out["instructions"] = done.instructions;
    out["cycles"] = done.cycles;
    out["status_after_ack"] = h.readRegister(reg::kStatus);
    out["irq_after_ack"] = irq.read();
  });
  bus.init_socket.bind(dram.target_socket);
  bus.init_socket.bind(hostIf.target_socket);
  decoder.fetch_socket.bind(bus.target_socket);
  host.bus_socket.bind(bus.target_socket);
  decoder.command_port.bind(hostIf);
  decoder.dispatch_port.bind(sink);
  hostIf.irq_out.bind(irq);
  host.irq_in[0].bind(irq);
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc_core::sc_start();
  out["dispatched"] = nlohmann::json::array();
  for (const isa::Instruction& in : sink.received)
    out["dispatched"].push_back(isa::disassemble(in));
  out["fetches"] = stats.value(DecoderStats::kFetches.path());
  out["failure"] = host.failure;
  return out;
}

std::vector<isa::Word> validProgram() {
  using isa::Opcode;
  return {isa::encode(ins(Opcode::CfgLayer, {64, 32, 128, 0, 0, 1, 0, 0})),
          isa::encode(ins(Opcode::CfgTerm, {0, 2, 8, 0x1000, 0x2000})),
          isa::encode(ins(Opcode::LoadS, {1, 0, 0, 16, 48, 0, 128})),
          isa::encode(ins(Opcode::Stream, {1, 0, 1, 1, 0, 1})),
          isa::encode(ins(Opcode::StoreC, {1, 16, 48, 0, 32})),
          isa::encode(ins(Opcode::End, {}))};
}

TEST(DecoderBench, DispatchesAValidProgramInOrder) {
  const auto r = nlohmann::json::parse(
      test::runInChildBytes([] { return runProgram(validProgram()).dump(); }));
  EXPECT_EQ(r["failure"], "");
  EXPECT_EQ(r["id"].get<uint64_t>(), reg::kIdValue);
  EXPECT_EQ(r["error"].get<int>(), 0);
  EXPECT_EQ(r["instructions"].get<int>(), 6);
  EXPECT_GT(r["cycles"].get<int>(), 6);  // at least one cycle per instruction plus fetch latency
  EXPECT_EQ(r["fetches"].get<int>(), 3);
  ASSERT_EQ(r["dispatched"].size(), 6u);
  EXPECT_EQ(r["dispatched"][2], "LOAD_S slot=1 term=0 dense=0 i0=16 ilen=48 k0=0 klen=128");
  EXPECT_EQ(r["dispatched"][5], "END");
  EXPECT_EQ(r["status_after_ack"].get<int>(), reg::kIdle);
  EXPECT_FALSE(r["irq_after_ack"].get<bool>());
}

TEST(DecoderBench, UnknownOpcodeStopsWithAnError) {
  auto words = validProgram();
  words[2].lo = (words[2].lo & ~uint64_t{0xff}) | 0x99;
  const auto r =
      nlohmann::json::parse(test::runInChildBytes([&] { return runProgram(words).dump(); }));
  EXPECT_EQ(r["error"].get<int>(), static_cast<int>(ErrorCode::IllegalInstruction));
  EXPECT_EQ(r["error_pc"].get<int>(), 2);
  EXPECT_EQ(r["dispatched"].size(), 2u);  // nothing after the bad word
}

TEST(DecoderBench, ReservedBitsStopWithAnError) {
  auto words = validProgram();
  words[4].hi |= uint64_t{1} << 60;  // STORE_C uses bits up to 88
  const auto r =
      nlohmann::json::parse(test::runInChildBytes([&] { return runProgram(words).dump(); }));
  EXPECT_EQ(r["error"].get<int>(), static_cast<int>(ErrorCode::IllegalInstruction));
  EXPECT_EQ(r["error_pc"].get<int>(), 4);
}

TEST(DecoderBench, MissingEndAndBadFetchAreReported) {
  auto words = validProgram();
  words.pop_back();
  auto r = nlohmann::json::parse(test::runInChildBytes([&] { return runProgram(words).dump(); }));
  EXPECT_EQ(r["error"].get<int>(), static_cast<int>(ErrorCode::MissingEnd));
  EXPECT_EQ(r["dispatched"].size(), 5u);
  r = nlohmann::json::parse(
      test::runInChildBytes([] { return runProgram(validProgram(), uint64_t{1} << 39).dump(); }));
  EXPECT_EQ(r["error"].get<int>(), static_cast<int>(ErrorCode::BusError));
}

}  // namespace
}  // namespace tasdsim::hw
