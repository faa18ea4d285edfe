// Several accelerator instances on one bus and one DRAM (arch.instances, arch.distribute): every
// layer still matches its reference whichever way it is spread; a compute-bound layer speeds up
// with the instances while its work stays the same; a memory-bound one stays at the bandwidth
// roofline, which no instance count beats. Each simulation runs in a forked child.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sw/common/FileUtil.h"
#include "sw/config/ArchConfig.h"
#include "sw/config/ConfigNode.h"
#include "sw/runtime/NetworkRun.h"
#include "sw/runtime/Report.h"
#include "sw/runtime/Simulation.h"
#include "sw/workload/SyntheticNetwork.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::runtime {
namespace {

const std::string kRoot = TASDSIM_SOURCE_DIR;
const std::string kArch = "ttc_vegeta_m8.yaml";

struct SimRun {
  std::vector<std::string> archOverrides;
  std::string workloadText;
  plan::Plan plan;
  tasd::DType dtype = tasd::DType::F32;
  bool functional = true;
};

nlohmann::json simulateInChild(const SimRun& r) {
  const std::string text = test::runInChildBytes([&] {
    SimulationInputs in;
    const config::ArchConfig arch =
        config::loadArch(kRoot + "/configs/arch/" + kArch, r.archOverrides);
    in.params = arch.params;
    in.energy = arch.energy;
    in.workload = workload::syntheticWorkload(config::loadString(r.workloadText, "test workload"));
    in.plan = r.plan;
    in.options.dtype = r.dtype;
    in.options.functional = r.functional;
    in.options.check = r.functional;
    validatePlan(in.workload, in.plan, in.params);
    const SimulationOutput out = simulate(in);
    return statsJson(ExperimentInfo{"test", kArch, in.workload.name, in.plan.name, "", "synthetic",
                                    !r.functional, 0, in.energy.name, in.energy.notCosted},
                     out)
        .dump();
  });
  return text.empty() ? nlohmann::json{} : nlohmann::json::parse(text);
}

std::string shippedWorkload(const std::string& file, const std::string& from = "",
                            const std::string& to = "") {
  std::string t = readFileText(kRoot + "/configs/workloads/" + file);
  if (!from.empty()) t.replace(t.find(from), from.size(), to);
  return t;
}

std::string gemmWorkload(uint32_t rows, uint32_t k, uint32_t n) {
  return "workload:\n  name: gemm\n  input: {n: " + std::to_string(rows) +
         ", h: 1, w: 1, c: " + std::to_string(k) +
         "}\n  layers:\n    - {name: fc, op: gemm, out_features: " + std::to_string(n) + "}\n";
}

std::vector<std::string> with(std::vector<std::string> v, uint32_t instances,
                              const std::string& mode) {
  v.push_back("arch.instances=" + std::to_string(instances));
  v.push_back("arch.distribute=" + mode);
  return v;
}

const std::vector<std::string> kFastMemory = {"arch.dram.bandwidth_gbps=100000",
                                              "arch.dram.latency_ns=0"};

TEST(Instances, EveryLayerMatchesItsReferenceWhicheverWayItIsSpread) {
  // tiny_cnn at batch 3 (images split 2+1 or 1+1+1; its depthwise layer's 32 groups handed out
  // whole), tiny_transformer (rows and channels of matrices; 2-group attention MatMuls).
  const std::string cnn = shippedWorkload("tiny_cnn.yaml", "input: {n: 1,", "input: {n: 3,");
  const std::string transformer = shippedWorkload("tiny_transformer.yaml");
  for (uint32_t n : {2u, 3u}) {
    for (const std::string mode : {"batch", "channels"}) {
      for (const auto& [name, text, operand, dtype] :
           std::vector<std::tuple<std::string, std::string, plan::Operand, tasd::DType>>{
               {"tiny_cnn TASD-A fp32", cnn, plan::Operand::A, tasd::DType::F32},
               {"tiny_cnn TASD-W int8", cnn, plan::Operand::W, tasd::DType::I8},
               {"tiny_transformer TASD-W fp32", transformer, plan::Operand::W, tasd::DType::F32}}) {
        SCOPED_TRACE(name + ", " + std::to_string(n) + " instances, " + mode);
        SimRun r{with({}, n, mode), text,
                 plan::Plan::uniform(tasd::Series::parse("4:8+1:8"), operand), dtype};
        const nlohmann::json j = simulateInChild(r);
        ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
        EXPECT_TRUE(j["status"]["checks_passed"].get<bool>());
        // Every instance did part of the network's work.
        uint64_t sum = 0;
        for (uint32_t i = 0; i < n; ++i) {
          const uint64_t macs =
              j["counters"]["accel" + std::to_string(i) + ".pe_array.mac_ops"].get<uint64_t>();
          EXPECT_GT(macs, 0u) << "instance " << i;
          sum += macs;
        }
        EXPECT_EQ(sum, j["network"]["mac_ops"].get<uint64_t>());
      }
    }
  }
}

TEST(Instances, ComputeBoundLayerSpeedsUpAndKeepsItsWork) {
  // 256 x 512 x 256 dense on fast memory: 32768 compute cycles on one instance.
  const plan::Plan dense = plan::Plan::uniform(tasd::Series::dense(), plan::Operand::W);
  const nlohmann::json one = simulateInChild({kFastMemory, gemmWorkload(256, 512, 256), dense});
  ASSERT_TRUE(one["status"]["ok"].get<bool>()) << one["status"];
  const double c1 = one["network"]["cycles"].get<double>();
  for (const std::string mode : {"batch", "channels"}) {
    for (uint32_t n : {2u, 4u}) {
      SCOPED_TRACE(mode + " x" + std::to_string(n));
      const nlohmann::json j =
          simulateInChild({with(kFastMemory, n, mode), gemmWorkload(256, 512, 256), dense});
      ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
      EXPECT_TRUE(j["status"]["checks_passed"].get<bool>());
      const double cn = j["network"]["cycles"].get<double>();
      EXPECT_LT(cn, c1 / n * 1.25);  // near-linear: each instance has 1/n of the MACs
      EXPECT_GT(cn, c1 / n * 0.95);  // and no instance can do its share faster than its MAC units
      EXPECT_EQ(j["network"]["mac_ops"].get<uint64_t>(), one["network"]["mac_ops"].get<uint64_t>());
      EXPECT_DOUBLE_EQ(j["network"]["energy_pj"]["pe_macs"].get<double>(),
                       one["network"]["energy_pj"]["pe_macs"].get<double>());
    }
  }
}

TEST(Instances, MemoryBoundLayerStaysAtTheBandwidthRoofline) {
  // 1 GB/s = 1 byte per cycle at 1 GHz: moving the operands takes far longer than the 32768
  // compute cycles, so more instances (sharing the one DRAM channel) cannot help.
  const std::vector<std::string> slow = {"arch.dram.bandwidth_gbps=1"};
  const plan::Plan dense = plan::Plan::uniform(tasd::Series::dense(), plan::Operand::W);
  double c1 = 0;
  for (uint32_t n : {1u, 2u, 4u}) {
    SCOPED_TRACE(std::to_string(n) + " instances");
    const nlohmann::json j = simulateInChild(
        {with(slow, n, "channels"), gemmWorkload(256, 512, 256), dense, tasd::DType::F32, false});
    ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
    const double cycles = j["network"]["cycles"].get<double>();
    const double bytes = j["network"]["counters"]["memory_port.read_bytes"].get<double>() +
                         j["network"]["counters"]["memory_port.write_bytes"].get<double>();
    EXPECT_GE(cycles, bytes);               // the roofline: bytes / (1 byte per cycle)
    EXPECT_LE(cycles, bytes * 1.1 + 2000);  // memory-bound: close to it
    if (n == 1) c1 = cycles;
    EXPECT_GT(cycles, 0.9 * c1);  // no speedup past the roofline
  }
}

}  // namespace
}  // namespace tasdsim::runtime
