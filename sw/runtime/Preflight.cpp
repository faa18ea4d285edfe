#include "sw/runtime/Preflight.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "hw/isa/Isa.h"
#include "sw/common/Checked.h"
#include "sw/common/Error.h"
#include "sw/common/HostMemory.h"
#include "sw/runtime/Microcode.h"
#include "sw/workload/HostOps.h"

namespace tasdsim::runtime {
namespace {

using workload::LayerOp;
using workload::LayerSpec;

constexpr uint64_t kDeviceAlignBytes = 256;  // DeviceMemory's alignment (Host.h)
constexpr uint64_t kFloatBytes = 4;          // host values are fp32
constexpr uint64_t kAccumulatorBytes = 4;    // results: fp32 or int32
// Instructions of a layer's configuration (CFG_LAYER, CFG_TERM per term, CFG_ADDR x3,
// CFG_CONV x2, CFG_TASD) and its end, rounded up.
constexpr uint64_t kConfigInstructions = 16;

uint64_t fieldMax(isa::Opcode op, uint8_t field) {
  const uint8_t width = isa::specOf(op).fields[field].width;
  return width >= 64 ? UINT64_MAX : (uint64_t{1} << width) - 1;
}

// Names and reports a layer that cannot run.
class LayerCheck {
 public:
  LayerCheck(const workload::WorkloadSpec& w, const LayerSpec& l, size_t index)
      : w_(w), l_(l), index_(index) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw UserError(fmt::format("workload '{}', workload.layers[{}] ('{}'): {}", w_.name, index_,
                                l_.name, problem));
  }

  // value must fit the ISA field; what: the quantity and where it comes from.
  void field(uint64_t value, isa::Opcode op, uint8_t field, const std::string& what) const {
    const uint64_t max = fieldMax(op, field);
    if (value > max) {
      const isa::OpcodeSpec& spec = isa::specOf(op);
      fail(fmt::format("{} = {} does not fit the microcode's {}-bit {}.{} field (at most {})", what,
                       value, static_cast<unsigned>(spec.fields[field].width), spec.mnemonic,
                       spec.fields[field].name, max));
    }
  }

  uint64_t need(std::optional<uint64_t> v, const char* what) const {
    if (!v) fail(fmt::format("the {} overflows 64 bits", what));
    return *v;
  }

 private:
  const workload::WorkloadSpec& w_;
  const LayerSpec& l_;
  size_t index_;
};

// Device memory as DeviceMemory hands it out: 256-byte aligned regions one after another.
class DeviceLayout {
 public:
  explicit DeviceLayout(const LayerCheck& check) : check_(check) {}
  void allocate(std::optional<uint64_t> bytes) {
    const uint64_t at = check_.need(checkedRoundUp(used_, kDeviceAlignBytes), "device memory size");
    used_ =
        check_.need(checkedAdd(at, check_.need(bytes, "device memory size")), "device memory size");
  }
  uint64_t used() const { return used_; }

 private:
  const LayerCheck& check_;
  uint64_t used_ = 0;
};

// The GEMM of one group as the network runner sets it up (NetworkRunner::computeLayer).
struct GroupGemm {
  GemmJob job;
  bool sIsActivations = false;
  bool actIsConv = false;
  uint64_t actElements = 0;  // what memory holds of the activation operand
};

GroupGemm groupGemm(const LayerSpec& l, const plan::LayerPlan& lp, tasd::DType dtype) {
  GroupGemm g;
  const bool isMatMul = l.op == LayerOp::MatMul;
  const bool onTheFly = !lp.series.isDense() && (lp.operand == plan::Operand::A || isMatMul);
  g.sIsActivations = lp.operand == plan::Operand::A;
  const uint64_t M = l.gemmM(), N = l.gemmN(), K = l.gemmK();
  GemmJob& job = g.job;
  job.name = l.name;
  job.dtype = dtype;
  job.m = static_cast<uint32_t>(g.sIsActivations ? M : N);
  job.n = static_cast<uint32_t>(g.sIsActivations ? N : M);
  job.k = static_cast<uint32_t>(K);
  job.series = lp.series;
  DenseOperand act;
  if (l.op == LayerOp::Conv) {
    act.conv = true;
    act.geometry = workload::convGeometry(l);
    act.batch = l.in.n;
    g.actIsConv = true;
  }
  g.actElements =
      l.op == LayerOp::Conv ? uint64_t{l.in.n} * l.in.h * l.in.w * (l.in.c / l.groups) : M * K;
  if (g.sIsActivations || isMatMul) {
    job.sKind = onTheFly ? SKind::OnTheFly : SKind::Dense;
    if (g.sIsActivations)
      job.s = act;  // else S is the weights (or input2), D the activations as a matrix
  } else {
    job.sKind = lp.series.isDense() ? SKind::Dense : SKind::Terms;
    job.d = act;
  }
  return g;
}

void checkFields(const LayerCheck& check, const LayerSpec& l, const GroupGemm& g) {
  const char* mWhat = g.sIsActivations ? "GEMM rows M (batch x output height x width)"
                                       : "output channels per group N";
  const char* nWhat = g.sIsActivations ? "output channels per group N"
                                       : "GEMM rows M (batch x output height x width)";
  // The 64-bit sizes: job.m and job.n are 32-bit.
  check.field(g.sIsActivations ? l.gemmM() : l.gemmN(), isa::Opcode::CfgLayer, isa::cfg_layer::M,
              mWhat);
  check.field(g.sIsActivations ? l.gemmN() : l.gemmM(), isa::Opcode::CfgLayer, isa::cfg_layer::N,
              nWhat);
  check.field(l.gemmK(), isa::Opcode::CfgLayer, isa::cfg_layer::K,
              "GEMM depth K (kernel x input channels per group)");
  if (!g.actIsConv) return;
  using namespace isa::cfg_conv;
  const isa::Opcode op = isa::Opcode::CfgConv;
  check.field(l.in.n, op, Batch, "the input batch n");
  check.field(l.in.h, op, InH, "the input height h");
  check.field(l.in.w, op, InW, "the input width w");
  check.field(l.in.c / l.groups, op, Channels, "input channels per group (c / groups)");
  check.field(l.kh, op, Kh, "kernel_h");
  check.field(l.kw, op, Kw, "kernel_w");
  check.field(l.strideH, op, StrideH, "stride_h");
  check.field(l.strideW, op, StrideW, "stride_w");
  check.field(l.padTop, op, PadTop, "pad_top");
  check.field(l.padLeft, op, PadLeft, "pad_left");
  check.field(l.padBottom, op, PadBottom, "pad_bottom");
  check.field(l.padRight, op, PadRight, "pad_right");
  check.field(l.dilation, op, DilationH, "dilation");
}

// Device bytes of one group's operands and results (NetworkRunner's placement).
void placeGroup(DeviceLayout& memory, const GroupGemm& g, bool isMatMul, uint64_t elementBytes) {
  const GemmJob& job = g.job;
  const uint64_t K = job.k;
  const std::optional<uint64_t> act = checkedMul(g.actElements, elementBytes);
  if (g.sIsActivations) {  // S: the activations as memory holds them; D: the weights
    memory.allocate(act);
    memory.allocate(checkedProduct({job.n, K, elementBytes}));
  } else if (isMatMul) {  // S: the second input; D: the activations as a matrix
    memory.allocate(checkedProduct({job.m, K, elementBytes}));
    memory.allocate(checkedProduct({job.n, K, elementBytes}));
  } else if (job.sKind == SKind::Terms) {  // D: the activations; S: compressed terms
    memory.allocate(act);
    for (const tasd::NMPattern& p : job.series.terms) {
      const uint64_t slots = (K + p.m - 1) / p.m * p.n;
      memory.allocate(checkedProduct({job.m, slots, elementBytes}));
      memory.allocate(checkedMul(job.m, (slots * p.indexBits() + 7) / 8));
    }
  } else {  // D: the activations; S: dense weights
    memory.allocate(act);
    memory.allocate(checkedProduct({job.m, K, elementBytes}));
  }
  memory.allocate(checkedProduct({job.m, job.n, kAccumulatorBytes}));
}

// An upper bound of the microcode of one group: per tile of (rows, columns, K) a LOAD_D, a
// LOAD_S per term, a TASD and a STREAM; per output tile a LOAD_C and a STORE_C; per term a
// pass when the series runs term by term.
std::optional<uint64_t> programBytes(const hw::AcceleratorParams& params, const GroupGemm& g,
                                     const Tiling& t) {
  const GemmJob& job = g.job;
  const uint64_t terms = job.sKind == SKind::Dense ? 1 : job.series.order();
  // TilePlanner::kExtent: K, or the channel count when a conv input is read through im2col.
  const DenseOperand* conv =
      job.d.conv ? &job.d : (job.sKind != SKind::Terms && job.s.conv ? &job.s : nullptr);
  const uint64_t kExtent = conv ? conv->geometry.channels : job.k;
  const uint64_t outputTiles = uint64_t{(job.m + t.mt - 1) / t.mt} * ((job.n + t.nt - 1) / t.nt);
  const uint64_t passes = !params.tasdExtension && terms > 1 ? terms : 1;
  const std::optional<uint64_t> tiles =
      checkedProduct({outputTiles, (kExtent + t.kt - 1) / t.kt, passes});
  if (!tiles) return std::nullopt;
  const std::optional<uint64_t> perTile = checkedMul(*tiles, 3 + terms);
  const std::optional<uint64_t> perOutput = checkedProduct({outputTiles, passes, 2});
  if (!perTile || !perOutput) return std::nullopt;
  const std::optional<uint64_t> count =
      checkedAdd(*perTile, *perOutput + kConfigInstructions + terms);
  return count ? checkedMul(*count, isa::kInstructionBytes) : std::nullopt;
}

// Host bytes the network runner holds while the layer runs (a lower estimate): its input(s),
// weights and output, every group's approximated S and dense D (kept for the reference
// check), one group's operands and results, and the device memory written with values.
std::optional<uint64_t> hostBytes(const LayerSpec& l, const GroupGemm& g, uint64_t deviceBytes) {
  const GemmJob& job = g.job;
  const uint64_t G = l.groups, K = job.k;
  const std::optional<uint64_t> perGroup = checkedMul(uint64_t{job.m} + job.n, K);
  const std::optional<uint64_t> results = checkedProduct({job.m, job.n, 3});
  const std::optional<uint64_t> kept = perGroup ? checkedMul(*perGroup, G) : std::nullopt;
  if (!perGroup || !results || !kept) return std::nullopt;
  uint64_t floats = 0;
  for (std::optional<uint64_t> part :
       {std::optional<uint64_t>(l.in.elements()),
        std::optional<uint64_t>(l.op == LayerOp::MatMul ? l.in2.elements() : 0),
        std::optional<uint64_t>(l.weightCount()), std::optional<uint64_t>(l.out.elements()), kept,
        perGroup, results}) {
    const std::optional<uint64_t> sum = checkedAdd(floats, *part);
    if (!sum) return std::nullopt;
    floats = *sum;
  }
  const std::optional<uint64_t> bytes = checkedMul(floats, kFloatBytes);
  return bytes ? checkedAdd(*bytes, deviceBytes) : std::nullopt;
}

}  // namespace

LayerFootprint checkRunFits(const workload::WorkloadSpec& w, const plan::Plan& plan,
                            const hw::AcceleratorParams& params, tasd::DType dtype,
                            bool functional) {
  return checkRunFits(w, plan, params, dtype, functional, hostMemoryLimitBytes());
}

LayerFootprint checkRunFits(const workload::WorkloadSpec& w, const plan::Plan& plan,
                            const hw::AcceleratorParams& params, tasd::DType dtype, bool functional,
                            uint64_t hostLimitBytes) {
  LayerFootprint largest;
  const uint64_t elementBytes = tasd::dtypeBytes(dtype);
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const LayerSpec& l = w.layers[i];
    if (!l.isCompute()) continue;
    const LayerCheck check(w, l, i);
    GroupGemm g = groupGemm(l, plan.forLayer(l.name), dtype);
    checkFields(check, l, g);

    DeviceLayout memory(check);
    for (uint32_t group = 0; group < l.groups; ++group)
      placeGroup(memory, g, l.op == LayerOp::MatMul, elementBytes);
    const uint64_t dataBytes = memory.used();
    if (dataBytes > params.dram.sizeBytes) {
      check.fail(fmt::format(
          "its operands and results need {} of device memory, more than the {} of "
          "arch.dram.size_mib = {}",
          formatBytes(dataBytes), formatBytes(params.dram.sizeBytes), params.dram.sizeBytes >> 20));
    }
    uint64_t host = 0;
    if (functional) {
      host = check.need(hostBytes(l, g, dataBytes), "host memory estimate");
      if (host > hostLimitBytes) {
        check.fail(fmt::format(
            "computing its values needs about {} of host memory, more than the {} this process may "
            "use (run with --timing-only, or make the layer smaller)",
            formatBytes(host), formatBytes(hostLimitBytes)));
      }
    }
    // One tile must fit the buffers (chooseTiling names the buffers and their keys otherwise).
    Tiling tiling;
    try {
      tiling = chooseTiling(params, g.job);
    } catch (const UserError& e) {
      std::string why = e.what();
      const std::string prefix = fmt::format("layer '{}': ", g.job.name);
      if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
      check.fail(why);
    }
    const std::optional<uint64_t> perGroupCode = programBytes(params, g, tiling);
    memory.allocate(perGroupCode ? checkedMul(*perGroupCode, l.groups) : std::nullopt);
    if (memory.used() > params.dram.sizeBytes) {
      check.fail(fmt::format(
          "its operands, results and microcode need {} of device memory, more than the {} of "
          "arch.dram.size_mib = {}",
          formatBytes(memory.used()), formatBytes(params.dram.sizeBytes),
          params.dram.sizeBytes >> 20));
    }
    largest.deviceBytes = std::max(largest.deviceBytes, memory.used());
    largest.hostBytes = std::max(largest.hostBytes, host);
  }
  return largest;
}

}  // namespace tasdsim::runtime
