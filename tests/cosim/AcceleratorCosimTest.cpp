// Whole simulations with RTL blocks (configs/arch/rtl/ttc_vegeta_m8_8x8.yaml): a small network
// runs end to end with the Verilated PE array, TASD units and decoder inside the accelerator
// model and matches its reference; against the same engine with impl: model, the PE array and
// the decoder leave every statistic unchanged (values, cycles, energy), and so do the TASD units:
// the same terms (same MACs, thresholded counts, outputs) in the same cycles, since the model
// times them as their RTL does.
// Unsupported combinations are UserErrors at config time naming what is supported; --trace
// writes one VCD per RTL block.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sw/common/Error.h"
#include "sw/config/ArchConfig.h"
#include "sw/config/ConfigNode.h"
#include "sw/runtime/NetworkRun.h"
#include "sw/runtime/Report.h"
#include "sw/runtime/Simulation.h"
#include "sw/workload/SyntheticNetwork.h"
#include "tests/common/RunInChild.h"

namespace tasdsim::runtime {
namespace {

namespace fs = std::filesystem;
const std::string kRoot = TASDSIM_SOURCE_DIR;
const std::string kRtlArch = kRoot + "/configs/arch/rtl/ttc_vegeta_m8_8x8.yaml";

struct SimCase {
  std::vector<std::string> overrides;  // arch.* assignments
  plan::Operand operand = plan::Operand::W;
  std::string series = "4:8+1:8";
  tasd::DType dtype = tasd::DType::I8;
  std::string vcdDir;
  std::string workloadYaml;  // empty: configs/workloads/tiny_cnn.yaml
};

SimulationInputs inputs(const SimCase& r) {
  SimulationInputs in;
  const config::ArchConfig arch = config::loadArch(kRtlArch, r.overrides);
  in.params = arch.params;
  in.energy = arch.energy;
  in.workload =
      r.workloadYaml.empty()
          ? workload::load(kRoot + "/configs/workloads/tiny_cnn.yaml")
          : workload::syntheticWorkload(config::loadString(r.workloadYaml, "test workload"));
  in.plan = plan::Plan::uniform(tasd::Series::parse(r.series), r.operand,
                                r.operand == plan::Operand::A ? 0.25 : -1);
  in.options.dtype = r.dtype;
  in.vcdDir = r.vcdDir;
  validatePlan(in.workload, in.plan, in.params);
  return in;
}

nlohmann::json simulateInChild(const SimCase& r) {
  const std::string text = test::runInChildBytes([&] {
    const SimulationOutput out = simulate(inputs(r));
    nlohmann::json j = statsJson(
        ExperimentInfo{"test", "rtl", "tiny_cnn", "uniform", "int8", "synthetic", false, 0, "", {}},
        out);
    j["all_counters"] = out.counters;
    return j.dump();
  });
  return text.empty() ? nlohmann::json{} : nlohmann::json::parse(text);
}

SimCase simCase(std::vector<std::string> overrides, plan::Operand operand = plan::Operand::W) {
  SimCase c;
  c.overrides = std::move(overrides);
  c.operand = operand;
  return c;
}

const std::vector<std::string> kAllModel = {"arch.pe_array.impl=model", "arch.tasd_unit.impl=model",
                                            "arch.decoder.impl=model"};

std::vector<std::string> only(const std::string& block) {
  std::vector<std::string> o;
  for (const char* b : {"pe_array", "tasd_unit", "decoder"}) {
    o.push_back(std::string("arch.") + b + ".impl=" + (block == b ? "rtl" : "model"));
  }
  return o;
}

void expectChecksPass(const nlohmann::json& j) {
  ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
  EXPECT_TRUE(j["status"]["checks_passed"].get<bool>());
  size_t checked = 0;
  for (const auto& l : j["layers"]) {
    if (!l["on_accelerator"].get<bool>()) continue;
    EXPECT_TRUE(l["check"]["passed"].get<bool>()) << l["name"];
    EXPECT_EQ(l["check"]["max_abs_error"].get<double>(), 0.0) << l["name"];
    ++checked;
  }
  EXPECT_GE(checked, 6u);
}

TEST(AcceleratorCosim, RtlPeArrayAndDecoderChangeNoStatistic) {
  const nlohmann::json model = simulateInChild(simCase(kAllModel));
  expectChecksPass(model);
  for (const char* block : {"pe_array", "decoder"}) {
    SCOPED_TRACE(block);
    const nlohmann::json rtl = simulateInChild(simCase(only(block)));
    expectChecksPass(rtl);
    EXPECT_EQ(rtl["all_counters"], model["all_counters"]);
    EXPECT_EQ(rtl["network"]["cycles"], model["network"]["cycles"]);
  }
}

TEST(AcceleratorCosim, EveryBlockRtlOnActivationsMatchesTheReference) {
  const nlohmann::json model = simulateInChild(simCase(kAllModel, plan::Operand::A));
  const nlohmann::json rtl =
      simulateInChild(simCase({}, plan::Operand::A));  // the config: all three RTL
  expectChecksPass(model);
  expectChecksPass(rtl);
  const auto& m = model["all_counters"];
  const auto& r = rtl["all_counters"];
  ASSERT_GT(m["accel.tasd_unit.tiles"].get<uint64_t>(), 0u);
  // The RTL units found the same terms: same MAC slots per term, same thresholded elements.
  for (const char* key :
       {"accel.tasd_unit.tiles", "accel.tasd_unit.thresholded", "accel.pe_array.mac_ops",
        "accel.pe_array.term0.mac_ops", "accel.pe_array.term1.mac_ops", "accel.pe_array.streams",
        "accel.decoder.instructions"}) {
    EXPECT_EQ(r[key], m[key]) << key;
  }
  // The model times the units as their RTL: every counter and the network's cycles are equal.
  EXPECT_EQ(r["accel.tasd_unit.busy_cycles"], m["accel.tasd_unit.busy_cycles"]);
  EXPECT_EQ(r, m);
  EXPECT_EQ(rtl["network"]["cycles"], model["network"]["cycles"]);
  std::printf(
      "tiny_cnn TASD-A 4:8+1:8: TASD-unit busy cycles model %llu, RTL %llu; network cycles model "
      "%llu, RTL %llu\n",
      static_cast<unsigned long long>(m["accel.tasd_unit.busy_cycles"].get<uint64_t>()),
      static_cast<unsigned long long>(r["accel.tasd_unit.busy_cycles"].get<uint64_t>()),
      static_cast<unsigned long long>(model["network"]["cycles"].get<uint64_t>()),
      static_cast<unsigned long long>(rtl["network"]["cycles"].get<uint64_t>()));
}

TEST(AcceleratorCosim, TraceWritesOneVcdPerRtlBlock) {
  const std::string dir = "accelerator_cosim_vcd";
  fs::remove_all(dir);
  fs::create_directories(dir);
  SimCase r = simCase({}, plan::Operand::A);
  r.vcdDir = dir;
  // One small layer: the 8x8 array's 2048-bit buses make the waveform of a network large.
  r.workloadYaml =
      "workload:\n  name: small\n  input: {n: 1, h: 6, w: 6, c: 16}\n  layers:\n"
      "    - {name: conv, op: conv, cout: 12, kernel: 3, pad: 1}\n";
  const nlohmann::json j = simulateInChild(r);
  ASSERT_TRUE(j["status"]["ok"].get<bool>()) << j["status"];
  EXPECT_TRUE(j["status"]["checks_passed"].get<bool>());
  for (const auto& [file, signal] :
       std::vector<std::pair<std::string, std::string>>{{"pe_array.vcd", "out_acc"},
                                                        {"tasd_unit.vcd", "out_resid"},
                                                        {"decoder.vcd", "out_fields"}}) {
    std::ifstream in(dir + "/" + file);
    ASSERT_TRUE(in.good()) << file;
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("$enddefinitions"), std::string::npos) << file;
    EXPECT_NE(text.str().find(signal), std::string::npos) << file;
    EXPECT_NE(text.str().find("\n#1"), std::string::npos) << file;  // time advanced
  }
  fs::remove_all(dir);
}

std::string userError(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(AcceleratorCosim, UnsupportedCombinationsAreUserErrors) {
  const auto arch = [](std::vector<std::string> o) {
    return userError([&] { config::loadArch(kRtlArch, o); });
  };
  std::string e = arch({"arch.pe_array.rows=16", "arch.pe_array.cols=16"});
  EXPECT_NE(e.find("ttc_vegeta_m8_8x8.yaml:"), std::string::npos) << e;  // file and line
  EXPECT_NE(e.find("16x16"), std::string::npos) << e;
  EXPECT_NE(e.find("4x4, 8x8"), std::string::npos) << e;
  e = arch({"arch.pe_array.overlap_streams=true"});
  EXPECT_NE(e.find("overlap_streams: false"), std::string::npos) << e;
  e = arch({"arch.pe_array.lanes=2"});
  EXPECT_NE(e.find("4 lanes"), std::string::npos) << e;
  e = arch({"arch.pe_array.patterns=[\"2:16\"]"});
  EXPECT_NE(e.find("m <= 8"), std::string::npos) << e;
  e = arch({"arch.tasd_unit.cycles_per_element=2"});
  EXPECT_NE(e.find("one element per cycle"), std::string::npos) << e;
  e = arch({"arch.tasd_unit.count=65"});
  EXPECT_NE(e.find("at most 64"), std::string::npos) << e;
  e = arch({"arch.decoder.cycles_per_instruction=3"});
  EXPECT_NE(e.find("one instruction per cycle"), std::string::npos) << e;
  EXPECT_EQ(arch({"arch.pe_array.rows=16", "arch.pe_array.cols=16", "arch.pe_array.impl=model"}),
            "");
  // Run-level: the value type, a timing-only run, waveforms without RTL blocks. simulate()
  // refuses before elaborating anything.
  SimCase fp32;
  fp32.dtype = tasd::DType::F32;
  e = userError([&] { simulate(inputs(fp32)); });
  EXPECT_NE(e.find("int8"), std::string::npos) << e;
  EXPECT_NE(e.find("fp32"), std::string::npos) << e;
  e = userError([&] {
    SimulationInputs in = inputs(SimCase{});
    in.options.functional = false;
    simulate(in);
  });
  EXPECT_NE(e.find("timing-only"), std::string::npos) << e;
  e = userError([&] {
    SimCase c = simCase(kAllModel);
    c.vcdDir = "somewhere";
    simulate(inputs(c));
  });
  EXPECT_NE(e.find("--trace"), std::string::npos) << e;
}

}  // namespace
}  // namespace tasdsim::runtime
