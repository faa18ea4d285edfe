// A run that cannot fit is refused before anything is allocated (sw/runtime/Preflight): the
// microcode's field widths, one tile in the buffers, device memory, host memory.
#include <functional>

#include <gtest/gtest.h>

#include "sw/common/Error.h"
#include "sw/config/ArchConfig.h"
#include "sw/config/ConfigNode.h"
#include "sw/runtime/Preflight.h"
#include "sw/workload/SyntheticNetwork.h"

namespace tasdsim::runtime {
namespace {

const std::string kRoot = TASDSIM_SOURCE_DIR;
constexpr uint64_t kGiB = uint64_t{1} << 30;

std::string errorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

config::ArchConfig arch(const std::vector<std::string>& overrides = {}) {
  return config::loadArch(kRoot + "/configs/arch/ttc_vegeta_m8.yaml", overrides);
}

workload::Workload workloadOf(const std::string& input, const std::string& layers) {
  return workload::syntheticWorkload(config::loadString(
      "workload:\n  name: w\n  input: " + input + "\n  layers:\n" + layers, "w.yaml"));
}

workload::Workload tinyCnn(const std::vector<std::string>& overrides = {}) {
  workload::LoadOptions options;
  options.overrides = overrides;
  return workload::load(kRoot + "/configs/workloads/tiny_cnn.yaml", options);
}

const plan::Plan kDense = plan::Plan::uniform(tasd::Series::dense(), plan::Operand::W);

TEST(Preflight, ShippedRunsFitAndFootprintsGrowWithTheWork) {
  const hw::AcceleratorParams p = arch().params;
  const LayerFootprint small = checkRunFits(tinyCnn(), kDense, p, tasd::DType::F32, true);
  EXPECT_GT(small.deviceBytes, 0u);
  EXPECT_GT(small.hostBytes, small.deviceBytes);  // values are kept on the host too
  const LayerFootprint big = checkRunFits(tinyCnn({"workload.input.h=48", "workload.input.w=48"}),
                                          kDense, p, tasd::DType::F32, true);
  EXPECT_GT(big.deviceBytes, 4 * small.deviceBytes);  // 16x the pixels, the same weights
  // int8 values take a quarter of the operand bytes.
  EXPECT_LT(checkRunFits(tinyCnn(), kDense, p, tasd::DType::I8, true).deviceBytes,
            small.deviceBytes);
  // Timing-only runs compute no values: no host estimate.
  EXPECT_EQ(checkRunFits(tinyCnn(), kDense, p, tasd::DType::F32, false).hostBytes, 0u);
  const workload::Workload r50 = workload::load(kRoot + "/configs/workloads/resnet50.yaml");
  EXPECT_NO_THROW(checkRunFits(r50, kDense, p, tasd::DType::F32, true));
}

TEST(Preflight, SizesThatDoNotFitTheMicrocodeFieldsAreNamed) {
  const hw::AcceleratorParams p = arch().params;
  std::string e = errorOf(
      [&] { checkRunFits(tinyCnn({"workload.input.n=256"}), kDense, p, tasd::DType::F32, false); });
  EXPECT_EQ(
      e,
      "workload 'tiny_cnn', workload.layers[0] ('conv1'): the input batch n = 256 does not fit the "
      "microcode's 8-bit CFG_CONV.batch field (at most 255)");
  e = errorOf([&] {
    checkRunFits(tinyCnn({"workload.input.c=65536"}), kDense, p, tasd::DType::F32, false);
  });
  EXPECT_NE(e.find("input channels per group (c / groups) = 65536"), std::string::npos) << e;
  EXPECT_NE(e.find("CFG_CONV.channels"), std::string::npos) << e;
  e = errorOf([&] {
    checkRunFits(tinyCnn({"workload.input.h=65536"}), kDense, p, tasd::DType::F32, false);
  });
  EXPECT_NE(e.find("the input height h = 65536"), std::string::npos) << e;
  // A convolution over 4096 x 4096 positions: a GEMM of 2^24 rows, one more than CFG_LAYER holds.
  e = errorOf([&] {
    checkRunFits(
        workloadOf("{n: 1, h: 4096, w: 4096, c: 1}", "    - {name: c, op: conv, cout: 8}\n"),
        kDense, p, tasd::DType::F32, false);
  });
  EXPECT_NE(e.find("workload.layers[0] ('c'): GEMM rows M (batch x output positions) = 16777216"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("CFG_LAYER.n field (at most 16777215)"), std::string::npos)
      << e;  // W operand: M is the n side
}

TEST(Preflight, BuffersSmallerThanOneTileNameTheirKeys) {
  // A 512-byte D slot holds a dense tile but not one K tile of whole 8-blocks of a series.
  const hw::AcceleratorParams tiny =
      arch({"arch.buffer.d.size_kib=1", "arch.buffer.acc.size_kib=1"}).params;
  EXPECT_NO_THROW(checkRunFits(tinyCnn(), kDense, tiny, tasd::DType::F32, false));
  const plan::Plan series = plan::Plan::uniform(tasd::Series::parse("4:8+1:8"), plan::Operand::W);
  const std::string e =
      errorOf([&] { checkRunFits(tinyCnn(), series, tiny, tasd::DType::F32, false); });
  EXPECT_NE(e.find("workload.layers[0] ('conv1'): no tile of the"), std::string::npos) << e;
  EXPECT_NE(e.find("arch.buffer.s, d, acc.size_kib"), std::string::npos) << e;
}

TEST(Preflight, DeviceAndHostMemoryAreCheckedBeforeAllocating) {
  // 4096 x 2^20 fp32 weights: 16 GiB, in a 4 GiB DRAM.
  const workload::Workload big = workloadOf("{n: 1, h: 1, w: 1, c: 1048576}",
                                            "    - {name: fc, op: gemm, out_features: 4096}\n");
  std::string e =
      errorOf([&] { checkRunFits(big, kDense, arch().params, tasd::DType::F32, false); });
  EXPECT_EQ(e,
            "workload 'w', workload.layers[0] ('fc'): its operands and results need 16.0 GiB of "
            "device memory, "
            "more than the 4.0 GiB of arch.dram.size_mib = 4096");
  // With room on the device, the values still need host memory.
  const hw::AcceleratorParams roomy = arch({"arch.dram.size_mib=65536"}).params;
  const LayerFootprint timing = checkRunFits(big, kDense, roomy, tasd::DType::F32, false, 1 * kGiB);
  EXPECT_GE(timing.deviceBytes, 16 * kGiB);
  e = errorOf([&] { checkRunFits(big, kDense, roomy, tasd::DType::F32, true, 32 * kGiB); });
  EXPECT_NE(e.find("computing its values needs about"), std::string::npos) << e;
  EXPECT_NE(e.find("more than the 32.0 GiB this process may use (run with --timing-only"),
            std::string::npos)
      << e;
  EXPECT_GE(checkRunFits(big, kDense, roomy, tasd::DType::F32, true, 1024 * kGiB).hostBytes,
            48 * kGiB);
}

}  // namespace
}  // namespace tasdsim::runtime
