// Whole-simulator checks (SPEC section 6): compute-bound identities, n:m scaling, series
// sums, TASD-unit throughput limits, bytes moved, and values matching the reference for every
// layer of small networks on every shipped arch config.
#include <filesystem>
#include <map>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/config/ArchConfig.h"
#include "sw/config/ConfigNode.h"
#include "sw/runtime/NetworkRun.h"
#include "sw/runtime/Preflight.h"
#include "sw/runtime/Report.h"
#include "sw/runtime/Simulation.h"
#include "sw/tasd/Decompose.h"
#include "sw/workload/SyntheticNetwork.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::runtime {
namespace {

namespace fs = std::filesystem;
const std::string kRoot = TASDSIM_SOURCE_DIR;

struct SimRun {
  std::string arch;  // file under configs/arch
  std::vector<std::string> archOverrides;
  std::string workloadYaml;  // text, or a file under configs/workloads when it ends in .yaml
  plan::Plan plan;
  tasd::DType dtype = tasd::DType::F32;
  bool functional = true;
  uint64_t dramBytes = 0;   // non-zero: the device memory size in bytes (instead of the arch's)
  bool plantFault = false;  // plant the decomposition's selection fault (tasd::plantSelectionFault)
  std::map<std::string, ActivationScales> int8Scales = {};  // static int8 layers (the output path)
  bool referenceThread = true;                              // RunOptions::referenceThread
};

nlohmann::json simulateInChild(const SimRun& r) {
  const std::string text = test::runInChildBytes([&] {
    SimulationInputs in;
    const config::ArchConfig arch =
        config::loadArch(kRoot + "/configs/arch/" + r.arch, r.archOverrides);
    in.params = arch.params;
    if (r.dramBytes) in.params.dram.sizeBytes = r.dramBytes;
    in.energy = arch.energy;
    const bool isFile =
        r.workloadYaml.size() > 5 && r.workloadYaml.substr(r.workloadYaml.size() - 5) == ".yaml";
    in.workload =
        isFile ? workload::load(kRoot + "/configs/workloads/" + r.workloadYaml)
               : workload::syntheticWorkload(config::loadString(r.workloadYaml, "test workload"));
    in.plan = r.plan;
    in.options.dtype = r.dtype;
    in.options.functional = r.functional;
    in.options.check = r.functional;
    in.options.int8Scales = r.int8Scales;
    in.options.referenceThread = r.referenceThread;
    validatePlan(in.workload, in.plan, in.params);
    tasd::plantSelectionFault(r.plantFault);
    const SimulationOutput out = simulate(in);
    return statsJson(ExperimentInfo{"test", r.arch, in.workload.name, in.plan.name, "", "synthetic",
                                    !r.functional, 0, in.energy.name, in.energy.notCosted},
                     out)
        .dump();
  });
  return text.empty() ? nlohmann::json{} : nlohmann::json::parse(text);
}

// One GEMM layer: rows x k input, n outputs.
std::string gemmWorkload(uint32_t rows, uint32_t k, uint32_t n) {
  return "workload:\n  name: gemm\n  input: {n: " + std::to_string(rows) +
         ", h: 1, w: 1, c: " + std::to_string(k) +
         "}\n  layers:\n    - {name: fc, op: gemm, out_features: " + std::to_string(n) + "}\n";
}

// A memory system that never limits compute: huge bandwidth, no latency.
const std::vector<std::string> kFastMemory = {"arch.dram.bandwidth_gbps=100000",
                                              "arch.dram.latency_ns=0"};

TEST(Simulation, ComputeBoundDenseLayerTakesMacsOverMacUnits) {
  // 256 x 512 x 256 on 1024 MACs, one tile (fits the buffers): 256*512*256 / 1024 cycles.
  SimRun r{"ttc_vegeta_m8.yaml", kFastMemory, gemmWorkload(256, 512, 256),
           plan::Plan::uniform(tasd::Series::dense(), plan::Operand::W)};
  const nlohmann::json j = simulateInChild(r);
  ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
  const nlohmann::json& l = j["layers"][0];
  const uint64_t macs = 256ull * 512 * 256, compute = macs / 1024;
  EXPECT_EQ(l["counters"]["pe_array.busy_cycles"].get<uint64_t>(), compute);
  EXPECT_EQ(l["mac_ops"].get<uint64_t>(), macs);
  // The layer takes the array's busy time plus one fill and drain (the streams overlap), the
  // first load and the last store, no more.
  const uint64_t cycles = l["cycles"].get<uint64_t>();
  EXPECT_GE(cycles, compute + 32);
  EXPECT_LE(cycles, compute + 32 + 2000);
  EXPECT_TRUE(l["check"]["passed"].get<bool>());
}

// The reference is independent of the decomposition the device runs: with a fault planted in the
// fast decomposition (the smallest entries kept instead of the largest), TASD-W terms written to
// the device and the TASD units' terms are wrong, and the checks catch it; without it they pass.
TEST(Simulation, AFaultPlantedInTheDecompositionFailsTheChecks) {
  for (const plan::Operand operand : {plan::Operand::W, plan::Operand::A}) {
    for (const tasd::DType dtype : {tasd::DType::F32, tasd::DType::I8}) {
      for (const bool fault : {false, true}) {
        SimRun r{"ttc_vegeta_m8.yaml",
                 {},
                 gemmWorkload(32, 64, 16),
                 plan::Plan::uniform(tasd::Series::parse("2:8+1:8"), operand)};
        r.dtype = dtype;
        r.plantFault = fault;
        r.referenceThread = fault;  // the reference work in line and on its thread
        const nlohmann::json j = simulateInChild(r);
        SCOPED_TRACE(::testing::Message()
                     << plan::operandName(operand) << " " << tasd::dtypeName(dtype)
                     << (fault ? " with the fault" : " without the fault"));
        ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
        const nlohmann::json& l = j["layers"][0];
        EXPECT_EQ(j["status"]["checks"], fault ? "failed" : "passed");
        EXPECT_EQ(l["check"]["passed"].get<bool>(), !fault);
        if (fault) {
          EXPECT_GT(l["check"]["mismatches"].get<uint64_t>(), 0u);
        }
      }
    }
  }
}

// Static int8: the store unit requantises every result to int8 (one op per result), its energy is
// counted at the table's per-result cost, and the int8 results match the reference bit for bit.
TEST(Simulation, TheOutputPathsRequantisationIsCountedInTheEnergy) {
  SimRun r{"ttc_vegeta_m8.yaml",
           {},
           gemmWorkload(32, 64, 16),
           plan::Plan::uniform(tasd::Series::parse("4:8"), plan::Operand::W)};
  r.dtype = tasd::DType::I8;
  r.int8Scales["fc"] = ActivationScales{0.05f, 0.5f};
  const nlohmann::json j = simulateInChild(r);
  ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
  EXPECT_EQ(j["status"]["checks"], "passed");
  const nlohmann::json& l = j["layers"][0];
  EXPECT_EQ(l["counters"]["store_unit.requant_ops"].get<uint64_t>(), 32u * 16u);
  EXPECT_GT(l["counters"]["store_unit.table_bytes"].get<uint64_t>(), 0u);
  const double requantPj =
      config::loadArch(kRoot + "/configs/arch/ttc_vegeta_m8.yaml", {}).energy.requantPj;
  EXPECT_DOUBLE_EQ(l["energy_pj"]["output_path"].get<double>(), 32.0 * 16.0 * requantPj);
  // Without static scales the results leave as int32 and nothing is requantised.
  r.int8Scales.clear();
  const nlohmann::json dynamic = simulateInChild(r);
  EXPECT_EQ(dynamic["layers"][0]["counters"]["store_unit.requant_ops"].get<uint64_t>(), 0u);
  EXPECT_EQ(dynamic["layers"][0]["energy_pj"]["output_path"].get<double>(), 0.0);
}

// A longer reduction never takes fewer cycles: for fixed M and N the layer's cycles do not
// decrease with K (K tiles split K evenly, so no short last tile leaves a load exposed), on the
// dense tensor core and on the STC at 2:4, with the shipped memory system.
TEST(Simulation, CyclesAreMonotonicInK) {
  for (const auto& [arch, series] : std::vector<std::pair<std::string, std::string>>{
           {"dense_tc.yaml", "dense"}, {"stc.yaml", "2:4"}}) {
    uint64_t previous = 0;
    for (uint32_t k = 64; k <= 2304; k += 64) {
      SimRun r{arch,
               {},
               gemmWorkload(128, k, 512),
               plan::Plan::uniform(tasd::Series::parse(series), plan::Operand::W)};
      r.dtype = tasd::DType::I8;
      r.functional = false;
      const nlohmann::json j = simulateInChild(r);
      ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
      const uint64_t cycles = j["layers"][0]["cycles"].get<uint64_t>();
      EXPECT_GE(cycles, previous) << arch << " K " << k << " (tiling " << j["layers"][0]["tiling"]
                                  << ")";
      previous = cycles;
    }
  }
}

// Compute-bound layers land within 5% of max(compute bound, DRAM bound): over a sweep of GEMM
// shapes on the dense tensor core and the STC at 2:4 (1024 MACs, 64 GB/s, int8 results), every
// layer whose
// compute bound is at least 1.5 x its DRAM bound and at least 32768 cycles (below that the
// layer's fixed costs - the first load's DRAM latency, one fill, the last store - weigh more).
TEST(Simulation, ComputeBoundLayersLandWithin5PercentOfTheBounds) {
  size_t checked = 0;
  for (const auto& [arch, series, fraction] :
       std::vector<std::tuple<std::string, std::string, double>>{{"dense_tc.yaml", "dense", 1.0},
                                                                 {"stc.yaml", "2:4", 0.5}}) {
    for (const uint32_t m : {64u, 128u, 512u}) {
      for (const uint32_t k : {128u, 576u, 1152u, 2048u}) {
        for (const uint32_t n : {256u, 1024u}) {
          const double compute = static_cast<double>(m) * k * n / 1024 * fraction;
          if (compute < 32768) continue;
          SimRun r{arch,
                   {},
                   gemmWorkload(m, k, n),
                   plan::Plan::uniform(tasd::Series::parse(series), plan::Operand::W)};
          r.dtype = tasd::DType::I8;
          r.functional = false;
          r.int8Scales["fc"] = ActivationScales{0.05f, 0.5f};  // int8 results, as `run` does
          const nlohmann::json j = simulateInChild(r);
          ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
          const double dram =
              static_cast<double>(j["counters"]["dram.read_bytes"].get<uint64_t>() +
                                  j["counters"]["dram.write_bytes"].get<uint64_t>()) /
              64;
          if (compute < 1.5 * dram) continue;
          const double cycles = static_cast<double>(j["layers"][0]["cycles"].get<uint64_t>());
          EXPECT_LE(cycles, 1.05 * std::max(compute, dram))
              << arch << " " << m << "-" << k << "-" << n << " (tiling " << j["layers"][0]["tiling"]
              << ")";
          ++checked;
        }
      }
    }
  }
  EXPECT_GE(checked, 20u);
}

TEST(Simulation, StructuredTermsScaleByNOverMAndSeriesAddUp) {
  const uint64_t dense = 256ull * 512 * 256 / 1024;
  for (const auto& [text, num] :
       std::vector<std::pair<std::string, uint64_t>>{{"2:8", 2}, {"4:8+1:8", 5}, {"1:8+1:8", 2}}) {
    SimRun r{"ttc_vegeta_m8.yaml", kFastMemory, gemmWorkload(256, 512, 256),
             plan::Plan::uniform(tasd::Series::parse(text), plan::Operand::W)};
    const nlohmann::json j = simulateInChild(r);
    SCOPED_TRACE(text);
    ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
    const nlohmann::json& l = j["layers"][0];
    EXPECT_EQ(l["counters"]["pe_array.busy_cycles"].get<uint64_t>(), dense * num / 8);
    uint64_t termCycles = 0;
    for (const auto& t : l["terms"])
      termCycles += t["cycles"].get<uint64_t>();
    EXPECT_EQ(termCycles, dense * num / 8);  // the series is the sum of its terms
    EXPECT_TRUE(l["check"]["passed"].get<bool>());
  }
}

TEST(Simulation, TasdUnitLimitThroughputExactlyWhenTooFew) {
  // TASD-A 4:8 on a 256 x 512 input (every value nonzero) feeding 64 outputs: the array needs
  // 256*512*64/2048 = 4096 cycles; a unit selects 4 elements of each of the 256*512/8 blocks, one
  // per cycle, the units take a tile's blocks in rounds, and each tile adds its fill and drain
  // (1 + terms = 2 cycles): one unit needs 65536 cycles plus 2 per tile, 64 units 1024 plus 2 per
  // tile when the tiles hold whole rounds of blocks.
  uint64_t cyclesFew = 0, cyclesMany = 0;
  for (uint32_t units : {1u, 64u}) {
    SimRun r{"ttc_vegeta_m8.yaml", kFastMemory, gemmWorkload(256, 512, 64),
             plan::Plan::uniform(tasd::Series::parse("4:8"), plan::Operand::A)};
    r.archOverrides.push_back("arch.tasd_unit.count=" + std::to_string(units));
    const nlohmann::json j = simulateInChild(r);
    ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
    const nlohmann::json& l = j["layers"][0];
    const uint64_t exposed = l["counters"]["pe_array.stall.wait_tasd_unit"].get<uint64_t>();
    const uint64_t tasdBusy = l["counters"]["tasd_unit.busy_cycles"].get<uint64_t>();
    const uint64_t tiles = l["counters"]["tasd_unit.tiles"].get<uint64_t>();
    ASSERT_GT(tiles, 0u);
    ASSERT_EQ(256ull * 512 / 8 % tiles, 0u);
    const uint64_t blocksPerTile = 256ull * 512 / 8 / tiles;  // the tiles are equal here
    EXPECT_EQ(tasdBusy, tiles * ((blocksPerTile + units - 1) / units * 4 + 2));
    if (units == 1) {
      EXPECT_GT(exposed, tasdBusy / 2);  // the array mostly waits for the units
      cyclesFew = l["cycles"].get<uint64_t>();
      EXPECT_GE(cyclesFew, tasdBusy);
    } else {
      // Hidden except while the first tile is decomposed (nothing to overlap with yet).
      EXPECT_LE(exposed, tasdBusy / tiles);
      cyclesMany = l["cycles"].get<uint64_t>();
    }
    EXPECT_TRUE(l["check"]["passed"].get<bool>());
  }
  EXPECT_GT(cyclesFew, 10 * cyclesMany);
}

TEST(Simulation, BytesMovedEqualWhatTheTilingImplies) {
  // Dense fp32 GEMM that fits one tile: S (weights 128 x 256), D (input 64 x 256) read once,
  // C (128 x 64 fp32) written once.
  SimRun r{"dense_tc.yaml",
           {},
           gemmWorkload(64, 256, 128),
           plan::Plan::uniform(tasd::Series::dense(), plan::Operand::W)};
  const nlohmann::json j = simulateInChild(r);
  ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
  const nlohmann::json& b = j["layers"][0]["counters"];
  EXPECT_EQ(b["load_unit.dram_bytes.s"].get<uint64_t>(), 128u * 256 * 4);
  EXPECT_EQ(b["load_unit.dram_bytes.d"].get<uint64_t>(), 64u * 256 * 4);
  EXPECT_EQ(b["memory_port.write_bytes"].get<uint64_t>(), 128u * 64 * 4);
  // Compressed terms: 2:8 values (fp32) plus 3-bit indices.
  SimRun t{"ttc_vegeta_m8.yaml",
           {},
           gemmWorkload(64, 256, 128),
           plan::Plan::uniform(tasd::Series::parse("2:8"), plan::Operand::W)};
  const nlohmann::json jt = simulateInChild(t);
  const uint64_t slots = 256 / 8 * 2;
  EXPECT_EQ(jt["layers"][0]["counters"]["load_unit.dram_bytes.s"].get<uint64_t>(),
            128u * (slots * 4 + slots * 3 / 8));
}

plan::Plan planFor(const std::string& arch, plan::Operand operand) {
  if (arch.find("vegeta_m8") != std::string::npos)
    return plan::Plan::uniform(tasd::Series::parse("4:8+1:8"), operand);
  if (arch.find("vegeta") != std::string::npos)
    return plan::Plan::uniform(tasd::Series::parse("2:4+1:4"), operand);
  if (arch.find("stc") != std::string::npos)
    return plan::Plan::uniform(tasd::Series::parse("2:4"), operand);
  return plan::Plan::uniform(tasd::Series::dense(), operand);
}

TEST(Simulation, EveryLayerMatchesItsReferenceOnEveryShippedArch) {
  size_t archs = 0;
  for (const auto& entry : fs::directory_iterator(kRoot + "/configs/arch")) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string arch = entry.path().filename().string();
    const bool ttc = arch.rfind("ttc_", 0) == 0;
    if (config::loadArch(entry.path().string()).params.peArray.impl != "model")
      continue;  // RTL configs: cosim tests
    ++archs;
    for (tasd::DType dtype : {tasd::DType::I8, tasd::DType::F32}) {
      for (plan::Operand operand : {plan::Operand::W, plan::Operand::A}) {
        if (operand == plan::Operand::A && !ttc) continue;  // no TASD units
        for (const char* net : {"tiny_cnn.yaml", "tiny_transformer.yaml"}) {
          if (!ttc && std::string(net) == "tiny_transformer.yaml" && arch != "dense_tc.yaml")
            continue;
          SimRun r{arch, {}, net, planFor(arch, operand), dtype};
          SCOPED_TRACE(arch + " " + net + " " + tasd::dtypeName(dtype) + " " +
                       plan::operandName(operand));
          const nlohmann::json j = simulateInChild(r);
          ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
          EXPECT_TRUE(j["status"]["checks_passed"].get<bool>());
          for (const auto& l : j["layers"]) {
            if (!l["on_accelerator"].get<bool>()) continue;
            ASSERT_TRUE(l.contains("check")) << l["name"];
            EXPECT_TRUE(l["check"]["passed"].get<bool>()) << l["name"];
            if (dtype == tasd::DType::I8) {
              EXPECT_EQ(l["check"]["max_abs_error"].get<double>(), 0.0) << l["name"];
            }
          }
        }
      }
    }
  }
  EXPECT_GE(archs, 7u);
}

// The reference work (reference approximation, quality, checks) gives the same results on its
// own thread as in line, for every kind of layer: TASD-W and TASD-A, fp32 and int8, convs, a
// grouped conv and attention's activation products.
TEST(Simulation, TheReferenceThreadGivesTheSameResultsAsInLine) {
  for (const char* net : {"tiny_cnn.yaml", "tiny_transformer.yaml"}) {
    for (const plan::Operand operand : {plan::Operand::W, plan::Operand::A}) {
      for (const tasd::DType dtype : {tasd::DType::F32, tasd::DType::I8}) {
        SCOPED_TRACE(::testing::Message()
                     << net << " " << plan::operandName(operand) << " " << tasd::dtypeName(dtype));
        SimRun r{"ttc_vegeta_m8.yaml", {}, net, planFor("ttc_vegeta_m8", operand), dtype};
        nlohmann::json on = simulateInChild(r);
        r.referenceThread = false;
        nlohmann::json inLine = simulateInChild(r);
        ASSERT_TRUE(on["status"]["ok"].get<bool>()) << on["status"];
        ASSERT_TRUE(inLine["status"]["ok"].get<bool>()) << inLine["status"];
        EXPECT_EQ(on["status"]["checks"], "passed");
        size_t checked = 0;
        for (const auto& l : on["layers"])
          checked += l.contains("check") && l.contains("quality");
        EXPECT_GT(checked, 0u) << on["layers"].dump().substr(0, 600);
        EXPECT_EQ(on["layers"], inLine["layers"]);
        EXPECT_EQ(on["network"], inLine["network"]);
      }
    }
  }
}

// Timing-only runs count their loads by span; with TASD-W (no value-dependent time) the
// counters (bytes and requests of every unit) and cycles are those of the run with values. With
// TASD-A the units' time depends on the activations' zeros (timing only takes every element as
// nonzero), but every memory access is the same.
TEST(Simulation, TimingOnlyGivesTheSameTiming) {
  for (plan::Operand operand : {plan::Operand::W, plan::Operand::A}) {
    SCOPED_TRACE(plan::operandName(operand));
    SimRun r{"ttc_vegeta_m8.yaml", {}, "tiny_cnn.yaml", planFor("ttc_vegeta_m8", operand)};
    const nlohmann::json full = simulateInChild(r);
    r.functional = false;
    const nlohmann::json timing = simulateInChild(r);
    ASSERT_TRUE(full["status"]["ok"].get<bool>());
    ASSERT_TRUE(timing["status"]["ok"].get<bool>());
    EXPECT_FALSE(timing["layers"][0].contains("check"));
    if (operand == plan::Operand::W) {
      EXPECT_EQ(full["network"]["cycles"], timing["network"]["cycles"]);
      EXPECT_EQ(full["network"]["counters"], timing["network"]["counters"]);
      continue;
    }
    for (const char* memory :
         {"load_unit.dram_bytes.s", "load_unit.dram_bytes.d", "load_unit.requests",
          "memory_port.read_bytes", "memory_port.read_requests", "memory_port.write_requests",
          "store_unit.requests", "buffer.s.write_bytes", "buffer.d.write_bytes"})
      EXPECT_EQ(full["network"]["counters"][memory], timing["network"]["counters"][memory])
          << memory;
  }
}

TEST(Simulation, BaseEngineRunsASeriesTermByTermThroughMemory) {
  // Same series, base engine vs TASD-extended: the base engine spills partial sums (LOAD_C) and
  // re-reads the dense operand for every term.
  SimRun base{"vegeta_m8.yaml",
              {},
              gemmWorkload(128, 512, 256),
              plan::Plan::uniform(tasd::Series::parse("4:8+1:8"), plan::Operand::W)};
  SimRun ttc = base;
  ttc.arch = "ttc_vegeta_m8.yaml";
  const nlohmann::json jb = simulateInChild(base), jt = simulateInChild(ttc);
  ASSERT_TRUE(jb["status"]["checks_passed"].get<bool>());
  ASSERT_TRUE(jt["status"]["checks_passed"].get<bool>());
  EXPECT_GT(jb["layers"][0]["counters"]["load_unit.dram_bytes.c"].get<uint64_t>(), 0u);
  EXPECT_EQ(jt["layers"][0]["counters"]["load_unit.dram_bytes.c"].get<uint64_t>(), 0u);
  // Each term's pass reads all of D (128 x 512 fp32) at least once: a run of the whole series in
  // one pass (as the TTC does) would read it once.
  EXPECT_GE(jb["layers"][0]["counters"]["load_unit.dram_bytes.d"].get<uint64_t>(),
            2u * 128 * 512 * 4);
  EXPECT_GT(jb["layers"][0]["cycles"].get<uint64_t>(), jt["layers"][0]["cycles"].get<uint64_t>());
}

// Shape and value edge cases (tests/sim/workloads/edge_cases.yaml, docs/ROBUSTNESS.md):
// batch 3, K = 3 below every block size, all-zero weights and activations, a depthwise conv
// and K = 2^18. Every layer matches its reference on a TASD engine, a base engine and the
// dense engine, for W and A series and both value types.
TEST(Simulation, EdgeCasesMatchTheirReferences) {
  const std::string edge = readFileText(kRoot + "/tests/sim/workloads/edge_cases.yaml");
  for (const char* arch : {"ttc_vegeta_m8.yaml", "vegeta.yaml", "dense_tc.yaml"}) {
    for (tasd::DType dtype : {tasd::DType::I8, tasd::DType::F32}) {
      for (plan::Operand operand : {plan::Operand::W, plan::Operand::A}) {
        if (operand == plan::Operand::A && std::string(arch) != "ttc_vegeta_m8.yaml") continue;
        SCOPED_TRACE(std::string(arch) + " " + tasd::dtypeName(dtype) + " " +
                     plan::operandName(operand));
        const nlohmann::json j =
            simulateInChild(SimRun{arch, {}, edge, planFor(arch, operand), dtype});
        ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
        EXPECT_TRUE(j["status"]["checks_passed"].get<bool>());
        std::map<std::string, nlohmann::json> layers;
        for (const auto& l : j["layers"])
          layers[l["name"].get<std::string>()] = l;
        EXPECT_EQ(layers["k3"]["gemm"]["k"], 3);
        EXPECT_EQ(layers["k3"]["gemm"]["m"], 3 * 5 * 5);  // the batch is in the rows
        EXPECT_EQ(layers["huge_k"]["gemm"]["k"], 1 << 18);
        EXPECT_EQ(layers["dw"]["gemm"]["k"], 9);
        for (const char* name : {"k3", "zero_w", "zero_a", "dw", "fc", "huge_k"}) {
          EXPECT_TRUE(layers[name]["check"]["passed"].get<bool>()) << name;
          EXPECT_GT(layers[name]["cycles"].get<uint64_t>(), 0u) << name;
        }
        // All-zero weights: nothing to approximate, the output is exactly zero.
        if (operand == plan::Operand::W) {
          EXPECT_EQ(layers["zero_w"]["quality"]["rel_frobenius_error"], 0.0);
        }
      }
    }
  }
}

// The run-fits check (Preflight) estimates device memory as the runtime places it: a device of
// exactly the estimate runs every layer, with precomputed terms, on-the-fly activations and
// activation x activation MatMuls; one of half the operands' size is refused up front.
TEST(Simulation, DeviceMemoryOfThePreflightEstimateIsEnough) {
  const config::ArchConfig arch = config::loadArch(kRoot + "/configs/arch/ttc_vegeta_m8.yaml");
  struct Case {
    const char* workload;
    plan::Plan plan;
    tasd::DType dtype;
  };
  const std::vector<Case> cases{
      {"tiny_cnn.yaml", plan::Plan::uniform(tasd::Series::parse("4:8+1:8"), plan::Operand::W),
       tasd::DType::F32},
      {"tiny_cnn.yaml", plan::Plan::uniform(tasd::Series::parse("2:8"), plan::Operand::A, 0.5),
       tasd::DType::BF16},
      {"tiny_transformer.yaml", plan::Plan::uniform(tasd::Series::dense(), plan::Operand::W),
       tasd::DType::I8}};
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.workload) + " " + c.plan.name);
    const workload::Workload w = workload::load(kRoot + "/configs/workloads/" + c.workload);
    // The tiles as the run chooses them (the microcode's size depends on them).
    const LayerFootprint need = checkRunFits(w, c.plan, arch.params, c.dtype, true,
                                             MapperOptions{MapperObjective::Cycles, &arch.energy});
    SimRun r{"ttc_vegeta_m8.yaml", {}, c.workload, c.plan, c.dtype};
    r.dramBytes = need.deviceBytes;
    const nlohmann::json j = simulateInChild(r);
    ASSERT_FALSE(j.is_null());
    EXPECT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
    hw::AcceleratorParams half = arch.params;
    half.dram.sizeBytes = need.deviceBytes / 2;
    EXPECT_THROW(checkRunFits(w, c.plan, half, c.dtype, true), UserError);
  }
}

}  // namespace
}  // namespace tasdsim::runtime
