#include "tests/fuzz/MicrocodeRun.h"

#include <cstdio>
#include <cstdlib>

#include "hw/isa/Isa.h"
#include "sw/runtime/Microcode.h"

namespace tasdsim::fuzz {

hw::AcceleratorParams microcodeParams() {
  hw::AcceleratorParams p;
  p.name = "fuzz";
  p.peArray.rows = p.peArray.cols = 4;
  p.peArray.lanes = 2;
  p.peArray.patterns = {tasd::NMPattern::parse("1:8"), tasd::NMPattern::parse("2:8"),
                        tasd::NMPattern::parse("4:8"), tasd::NMPattern::parse("2:4")};
  p.buffer.s.sizeBytes = p.buffer.d.sizeBytes = p.buffer.acc.sizeBytes = 16 * 1024;
  p.dram.sizeBytes = 64 << 20;
  p.tasdUnit.count = 4;
  return p;
}

namespace {

constexpr uint64_t kProgram = 0x100000;

isa::Instruction ins(isa::Opcode op, std::initializer_list<uint64_t> fields) {
  isa::Instruction in;
  in.opcode = op;
  size_t i = 0;
  for (uint64_t f : fields)
    in.field[i++] = f;
  return in;
}

// A valid start: a 16 x 16 x 32 int8 layer with two precomputed terms and a conv D operand.
std::vector<isa::Word> prefix() {
  using isa::Opcode;
  return {isa::encode(ins(Opcode::CfgLayer, {16, 16, 32, 2, 0, 2, 0, 0})),
          isa::encode(ins(Opcode::CfgTerm, {0, 2, 8, 0x10000, 0x20000})),
          isa::encode(ins(Opcode::CfgTerm, {1, 1, 8, 0x30000, 0x40000})),
          isa::encode(ins(Opcode::CfgAddr, {1, 0x50000, 32})),
          isa::encode(ins(Opcode::CfgAddr, {2, 0x60000, 64}))};
}

std::vector<uint8_t> seed(const runtime::GemmJob& job) {
  runtime::Program program;
  runtime::emitGemm(microcodeParams(), job, program);
  runtime::emitEnd(program);
  std::vector<uint8_t> bytes = program.bytes();
  bytes.insert(bytes.begin(), uint8_t{0});
  return bytes;
}

}  // namespace

hw::CompletionInfo runMicrocode(runtime::Host& host, const uint8_t* data, size_t size) {
  std::vector<uint8_t> program;
  if (size > 0) {
    if (data[0] & 1) {
      for (const isa::Word& w : prefix()) {
        uint8_t b[16];
        isa::store(w, b);
        program.insert(program.end(), b, b + 16);
      }
    }
    ++data;
    --size;
  }
  program.insert(program.end(), data, data + size);
  program.resize(program.size() / 16 * 16);
  if (!program.empty()) host.writeMemory(kProgram, program.data(), program.size());
  const hw::CompletionInfo info = host.runProgram(kProgram, program.size());
  if (static_cast<uint32_t>(info.error) > static_cast<uint32_t>(hw::ErrorCode::MissingEnd)) {
    std::fprintf(stderr, "impossible error code %u\n", static_cast<unsigned>(info.error));
    std::abort();
  }
  return info;
}

MicrocodeSession::MicrocodeSession() {
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  system_ = std::make_unique<hw::System>(microcodeParams(), stats_);
  host_ = std::make_unique<runtime::Host>("host", [this](runtime::Host& h) {
    for (;;) {
      if (pending_) {
        result_ = runMicrocode(h, data_, size_);
        pending_ = false;
      }
      sc_core::sc_pause();
      sc_core::wait(sc_core::SC_ZERO_TIME);
    }
  });
  host_->bus_socket.bind(system_->hostSocket());
  host_->irq_in[0].bind(system_->irq[0]);
  sc_core::sc_start();  // elaborate; the host pauses at once
}

MicrocodeSession::~MicrocodeSession() = default;

std::optional<hw::CompletionInfo> MicrocodeSession::run(const uint8_t* data, size_t size) {
  data_ = data;
  size_ = size;
  pending_ = true;
  sc_core::sc_start();
  if (pending_) return std::nullopt;
  return result_;
}

std::vector<std::vector<uint8_t>> microcodeSeeds() {
  std::vector<std::vector<uint8_t>> seeds;
  runtime::GemmJob job;
  job.m = 24;
  job.n = 20;
  job.k = 72;
  job.dtype = tasd::DType::I8;
  job.s = {false, {}, 1, 0x10000, job.k};
  job.d = {false, {}, 1, 0x20000, job.k};
  job.cAddress = 0x30000;
  job.cRowStride = job.n * 4;
  seeds.push_back(seed(job));  // dense

  runtime::GemmJob terms = job;
  terms.sKind = runtime::SKind::Terms;
  terms.series = tasd::Series::parse("2:8+1:8");
  terms.termValues = {0x40000, 0x48000};
  terms.termMeta = {0x50000, 0x58000};
  seeds.push_back(seed(terms));

  runtime::GemmJob fly = job;
  fly.sKind = runtime::SKind::OnTheFly;
  fly.series = tasd::Series::parse("4:8+1:8");
  fly.tau = 0.5f;
  fly.dtype = tasd::DType::F32;
  fly.s.rowStride = fly.d.rowStride = job.k * 4;
  seeds.push_back(seed(fly));

  runtime::GemmJob conv = job;
  tasd::ConvGeometry g;
  g.inH = g.inW = 6;
  g.channels = 8;
  g.kh = g.kw = 3;
  g.padTop = g.padLeft = g.padBottom = g.padRight = 1;
  conv.m = 16;
  conv.k = static_cast<uint32_t>(g.k());
  conv.n = static_cast<uint32_t>(g.outH() * g.outW());
  conv.d = {true, g, 1, 0x20000, 0};
  conv.s.rowStride = conv.k;
  conv.cRowStride = conv.n * 4;
  seeds.push_back(seed(conv));

  runtime::GemmJob convFly = fly;  // activations (implicit im2col) decomposed on the fly
  convFly.m = conv.n;
  convFly.n = 16;
  convFly.k = conv.k;
  convFly.s = {true, g, 1, 0x10000, 0};
  convFly.d = {false, {}, 1, 0x20000, uint64_t{conv.k} * 4};
  convFly.cRowStride = convFly.n * 4;
  seeds.push_back(seed(convFly));
  return seeds;
}

}  // namespace tasdsim::fuzz
