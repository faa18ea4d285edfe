#include "sw/runtime/Preflight.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "hw/isa/Isa.h"
#include "sw/common/Checked.h"
#include "sw/common/Error.h"
#include "sw/common/HostMemory.h"
#include "sw/runtime/Microcode.h"

namespace tasdsim::runtime {
namespace {

using executor::GemmLayer;

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
  LayerCheck(const workload::Workload& w, const GemmLayer& l, size_t tableIndex)
      : w_(w), l_(l), index_(tableIndex) {}

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
  const workload::Workload& w_;
  const GemmLayer& l_;
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

// One group's GEMM as the accelerator backend sets it up (AcceleratorBackend::planLayer and
// placeOperands): S = W_g (the device computes C^T) unless the plan's operand is A.
struct GroupGemm {
  GemmJob job;
  bool sIsActivations = false;
  uint64_t rows = 0;         // rows of A_g over every image (64-bit: job.m/n are 32-bit)
  uint64_t actElements = 0;  // what memory holds of the activation operand
};

GroupGemm groupGemm(const GemmLayer& l, const plan::LayerPlan& lp, tasd::DType dtype) {
  GroupGemm g;
  g.sIsActivations = lp.operand == plan::Operand::A;
  const bool onTheFly = !lp.series.isDense() && (g.sIsActivations || !l.constantWeights);
  const bool terms = !lp.series.isDense() && !onTheFly;
  g.rows = l.rowsPerGroup();
  GemmJob& job = g.job;
  job.name = l.name;
  job.dtype = dtype;
  job.k = static_cast<uint32_t>(l.k);
  job.series = lp.series;
  job.m = static_cast<uint32_t>(g.sIsActivations ? g.rows : l.n);
  job.n = static_cast<uint32_t>(g.sIsActivations ? l.n : g.rows);
  job.sKind = onTheFly ? SKind::OnTheFly : terms ? SKind::Terms : SKind::Dense;
  DenseOperand act;
  if (l.conv) {
    act.conv = true;
    act.geometry = *l.conv;
    act.batch = static_cast<uint32_t>(l.batch);
    g.actElements = uint64_t{l.batch} * l.conv->inH * l.conv->inW * l.conv->channels;
  } else {
    g.actElements = g.rows * l.k;
  }
  (g.sIsActivations ? job.s : job.d) = act;
  return g;
}

void checkFields(const LayerCheck& check, const GemmLayer& l, const GroupGemm& g) {
  const char* rows = "GEMM rows M (batch x output positions)";
  const char* cols = "output channels per group N";
  check.field(g.sIsActivations ? g.rows : l.n, isa::Opcode::CfgLayer, isa::cfg_layer::M,
              g.sIsActivations ? rows : cols);
  check.field(g.sIsActivations ? l.n : g.rows, isa::Opcode::CfgLayer, isa::cfg_layer::N,
              g.sIsActivations ? cols : rows);
  check.field(l.k, isa::Opcode::CfgLayer, isa::cfg_layer::K,
              "GEMM depth K (kernel x input channels per group)");
  if (!l.conv) return;
  using namespace isa::cfg_conv;
  const isa::Opcode op = isa::Opcode::CfgConv;
  const tasd::ConvGeometry& c = *l.conv;
  check.field(l.batch, op, Batch, "the input batch n");
  check.field(c.inH, op, InH, "the input height h");
  check.field(c.inW, op, InW, "the input width w");
  check.field(c.channels, op, Channels, "input channels per group (c / groups)");
  check.field(c.kh, op, Kh, "kernel_h");
  check.field(c.kw, op, Kw, "kernel_w");
  check.field(c.strideH, op, StrideH, "stride_h");
  check.field(c.strideW, op, StrideW, "stride_w");
  check.field(c.padTop, op, PadTop, "pad_top");
  check.field(c.padLeft, op, PadLeft, "pad_left");
  check.field(c.padBottom, op, PadBottom, "pad_bottom");
  check.field(c.padRight, op, PadRight, "pad_right");
  check.field(c.dilationH, op, DilationH, "dilation");
  check.field(c.dilationW, op, DilationW, "dilation");
}

// Device bytes of one group's operands and results (AcceleratorBackend::placeOperands).
void placeGroup(DeviceLayout& memory, const GroupGemm& g, uint64_t elementBytes,
                bool tasdExtension) {
  const GemmJob& job = g.job;
  const uint64_t K = job.k;
  const std::optional<uint64_t> act = checkedMul(g.actElements, elementBytes);
  if (g.sIsActivations) {  // S = A (as memory holds it), D = W
    memory.allocate(act);
    memory.allocate(checkedProduct({job.n, K, elementBytes}));
  } else if (job.sKind == SKind::Terms) {  // D = A, S = W as compressed terms
    memory.allocate(act);
    for (const tasd::NMPattern& p : job.series.terms) {
      const uint64_t slots = (K + p.m - 1) / p.m * p.n;
      memory.allocate(checkedProduct({job.m, slots, elementBytes}));
      memory.allocate(checkedMul(job.m, (slots * p.indexBits() + 7) / 8));
    }
  } else {  // D = A, S = W (dense, or decomposed on the fly)
    memory.allocate(act);
    memory.allocate(checkedProduct({job.m, K, elementBytes}));
  }
  memory.allocate(checkedProduct({job.m, job.n, kAccumulatorBytes}));
  // int8 results may be requantised on the device: a per-channel table, and for a term-serial
  // series the partial sums beside the results (counted whenever they may be needed).
  if (job.dtype == tasd::DType::I8) {
    memory.allocate(checkedMul(g.sIsActivations ? job.n : job.m, isa::kOutTableBiasEntryBytes));
    if (!tasdExtension && job.sKind != SKind::Dense && job.series.order() > 1)
      memory.allocate(checkedProduct({job.m, job.n, kAccumulatorBytes}));
  }
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
  const uint64_t outputTiles =
      uint64_t{(job.m + t.mt - 1) / t.mt} * ((uint64_t{job.n} + t.nt - 1) / t.nt);
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

uint64_t elementsOf(const std::vector<int64_t>& shape) {
  uint64_t n = 1;
  for (int64_t d : shape)
    n = checkedMul(n, static_cast<uint64_t>(std::max<int64_t>(d, 0))).value_or(UINT64_MAX);
  return n;
}

// Host bytes while the layer runs (a lower estimate): its input, weights and output in the
// executor, every group's copies of both operands (bf16, int8), approximated S and dense D (kept
// for the reference check), one group's results, and the device memory written with values.
std::optional<uint64_t> hostBytes(const GemmLayer& l, const GroupGemm& g, uint64_t deviceBytes) {
  const GemmJob& job = g.job;
  const uint64_t K = job.k;
  // fp32 operands are used where the executor keeps them; other value types are copied.
  const std::optional<uint64_t> operands =
      job.dtype == tasd::DType::F32 ? 0 : checkedAdd(g.actElements, uint64_t{l.n} * K);
  const std::optional<uint64_t> kept = checkedMul(uint64_t{job.m} + job.n, K);
  const std::optional<uint64_t> perGroup =
      operands && kept ? checkedAdd(*operands, *kept) : std::nullopt;
  const std::optional<uint64_t> groups = perGroup ? checkedMul(*perGroup, l.groups) : std::nullopt;
  const std::optional<uint64_t> results = checkedProduct({job.m, job.n, 3});
  if (!groups || !results) return std::nullopt;
  std::optional<uint64_t> floats = 0;
  for (uint64_t part : {elementsOf(l.inputShape), elementsOf(l.weightShape),
                        elementsOf(l.outputShape), *groups, *results}) {
    floats = checkedAdd(*floats, part);
    if (!floats) return std::nullopt;
  }
  const std::optional<uint64_t> bytes = checkedMul(*floats, kFloatBytes);
  return bytes ? checkedAdd(*bytes, deviceBytes) : std::nullopt;
}

}  // namespace

LayerFootprint checkRunFits(const workload::Workload& w, const plan::Plan& plan,
                            const hw::AcceleratorParams& params, tasd::DType dtype, bool functional,
                            const MapperOptions& mapper) {
  return checkRunFits(w, plan, params, dtype, functional, hostMemoryLimitBytes(), mapper);
}

LayerFootprint checkRunFits(const workload::Workload& w, const plan::Plan& plan,
                            const hw::AcceleratorParams& params, tasd::DType dtype, bool functional,
                            uint64_t hostLimitBytes, const MapperOptions& options) {
  LayerFootprint largest;
  TilingMemo memo;  // repeated layers are tiled once
  MapperOptions mapper = options;
  if (!mapper.memo) mapper.memo = &memo;
  const uint64_t elementBytes = tasd::dtypeBytes(dtype);
  for (size_t i = 0; i < w.layers.size(); ++i) {
    if (w.layers[i].gemm < 0) continue;
    const GemmLayer& l = w.gemms[static_cast<size_t>(w.layers[i].gemm)];
    const LayerCheck check(w, l, i);
    const GroupGemm g = groupGemm(l, plan.forLayer(l.name), dtype);
    checkFields(check, l, g);

    DeviceLayout memory(check);
    for (size_t group = 0; group < l.groups; ++group)
      placeGroup(memory, g, elementBytes, params.tasdExtension);
    const uint64_t dataBytes = memory.used();
    if (dataBytes > params.dram.sizeBytes) {
      check.fail(fmt::format(
          "its operands and results need {} of device memory, more than the {} "
          "of arch.dram.size_mib = {}",
          formatBytes(dataBytes), formatBytes(params.dram.sizeBytes), params.dram.sizeBytes >> 20));
    }
    uint64_t host = 0;
    if (functional) {
      host = check.need(hostBytes(l, g, dataBytes), "host memory estimate");
      if (host > hostLimitBytes) {
        check.fail(
            fmt::format("computing its values needs about {} of host memory, more than the "
                        "{} this process may use (run with --timing-only, or make the layer "
                        "smaller)",
                        formatBytes(host), formatBytes(hostLimitBytes)));
      }
    }
    // One tile must fit the buffers (chooseTiling names the buffers and their keys otherwise).
    Tiling tiling;
    try {
      tiling = chooseTiling(params, g.job, mapper);
    } catch (const UserError& e) {
      std::string why = e.what();
      const std::string prefix = fmt::format("layer '{}': ", g.job.name);
      if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
      check.fail(why);
    }
    const std::optional<uint64_t> perGroupCode = programBytes(params, g, tiling);
    memory.allocate(perGroupCode ? checkedMul(*perGroupCode, l.groups) : std::nullopt);
    if (memory.used() > params.dram.sizeBytes) {
      check.fail(
          fmt::format("its operands, results and microcode need {} of device memory, more "
                      "than the {} of arch.dram.size_mib = {}",
                      formatBytes(memory.used()), formatBytes(params.dram.sizeBytes),
                      params.dram.sizeBytes >> 20));
    }
    largest.deviceBytes = std::max(largest.deviceBytes, memory.used());
    largest.hostBytes = std::max(largest.hostBytes, host);
  }
  return largest;
}

}  // namespace tasdsim::runtime
