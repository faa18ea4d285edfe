// Strict configuration parsing: every shipped config loads; every bad value is an error naming
// the file, line and key path; workloads infer exact layer shapes.
#include <filesystem>

#include <gtest/gtest.h>

#include "sw/common/Error.h"
#include "sw/config/ArchConfig.h"
#include "sw/plan/Plan.h"
#include "sw/workload/SyntheticNetwork.h"
#include "sw/workload/Workload.h"

namespace tasdsim {
namespace {

namespace fs = std::filesystem;
const std::string kRoot = TASDSIM_SOURCE_DIR;

std::string errorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(ArchConfig, EveryShippedArchLoadsAndValidates) {
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(kRoot + "/configs/arch")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    const config::ArchConfig a = config::loadArch(entry.path().string());
    EXPECT_TRUE(a.params.validate().empty());
    EXPECT_EQ(a.params.pe.macUnits(), 1024u) << "shipped engines are 1024-MAC class";
    EXPECT_GT(a.energy.dramPjPerByte, 0.0);
    const bool ttc = entry.path().filename().string().rfind("ttc_", 0) == 0;
    EXPECT_EQ(a.params.tasdExtension, ttc);
    EXPECT_EQ(a.params.tasd.count > 0, ttc);
    ++count;
  }
  EXPECT_GE(count, 7u);
  const config::ArchConfig m8 = config::loadArch(kRoot + "/configs/arch/ttc_vegeta_m8.yaml");
  ASSERT_EQ(m8.params.pe.patterns.size(), 4u);
  EXPECT_TRUE(m8.params.pe.supports(tasd::NMPattern::parse("2:8")));
  EXPECT_FALSE(m8.params.pe.supports(tasd::NMPattern::parse("2:4")));
  const config::ArchConfig stc = config::loadArch(kRoot + "/configs/arch/stc.yaml");
  EXPECT_TRUE(stc.params.pe.supports(tasd::NMPattern::parse("2:4")));
  EXPECT_FALSE(stc.params.pe.supports(tasd::NMPattern::parse("1:4")));
}

const char* kArch = R"(arch:
  name: test
  pe_array: {rows: 4, cols: 4, lanes: 2, patterns: ["2:4"]}
  energy: ENERGY
)";

std::string archText(const std::string& extra = "") {
  std::string t = kArch;
  t.replace(t.find("ENERGY"), 6, kRoot + "/configs/energy/horowitz_45nm.yaml");
  return t + extra;
}

TEST(ArchConfig, ErrorsNameFileLineAndKeyPath) {
  auto parse = [](const std::string& text, const std::vector<std::string>& ov = {}) {
    return config::parseArch(config::loadString(text, "x.yaml", ov), "x.yaml");
  };
  EXPECT_NO_THROW(parse(archText()));
  std::string e = errorOf([&] { parse(archText("  bogus: 1\n")); });
  EXPECT_NE(e.find("x.yaml:5:3: arch.bogus: unknown key"), std::string::npos) << e;
  e = errorOf([&] { parse(archText(), {"arch.pe_array.rows=0"}); });
  EXPECT_NE(e.find("arch.pe_array.rows: value 0 is out of range [1, 256]"), std::string::npos) << e;
  e = errorOf([&] { parse(archText(), {"arch.pe_array.lanes=two"}); });
  EXPECT_NE(e.find("arch.pe_array.lanes: expected a non-negative integer, got 'two'"), std::string::npos) << e;
  e = errorOf([&] { parse(archText(), {"arch.pe_array.patterns=[\"3:6\"]"}); });
  EXPECT_NE(e.find("power of two"), std::string::npos) << e;
  e = errorOf([&] { parse(archText(), {"arch.tasd_extension=false", "arch.tasd_units.count=4"}); });
  EXPECT_NE(e.find("tasd_extension"), std::string::npos) << e;  // base engine with TASD units
  e = errorOf([&] { parse(archText(), {"arch.energy=missing.yaml"}); });
  EXPECT_NE(e.find("missing.yaml: cannot open"), std::string::npos) << e;
  e = errorOf([&] { parse("arch: [1, 2\n"); });
  EXPECT_NE(e.find("x.yaml:"), std::string::npos);
  EXPECT_NE(e.find("YAML"), std::string::npos) << e;
  e = errorOf([&] { parse(archText(), {"arch.dram.bandwidth_gbps=-3"}); });
  EXPECT_NE(e.find("arch.dram.bandwidth_gbps"), std::string::npos) << e;
  e = errorOf([&] { parse(archText(), {"nokey"}); });
  EXPECT_NE(e.find("key.path=value"), std::string::npos) << e;
}

TEST(ArchConfig, OverridesChangeValuesAndAppearInTheResolvedTree) {
  const config::ArchConfig a =
      config::parseArch(config::loadString(archText(), "x.yaml", {"arch.pe_array.rows=8", "arch.clock_ghz=2"}), "x.yaml");
  EXPECT_EQ(a.params.pe.rows, 8u);
  EXPECT_DOUBLE_EQ(a.params.clockGHz, 2.0);
  EXPECT_EQ(a.resolved["pe_array"]["rows"].as<int>(), 8);
  // Defaults are filled in.
  EXPECT_EQ(a.resolved["pe_array"]["pipeline_latency_cycles"].as<int>(), 8 + 4);  // rows + cols
  EXPECT_TRUE(a.resolved["dram"]["bandwidth_gbps"].IsDefined());
}

workload::Workload loadWorkload(const std::string& name) {
  return workload::load(kRoot + "/configs/workloads/" + name + ".yaml");
}

TEST(Workload, StandardNetworksHaveTheirKnownSizes) {
  // Dense MACs from the published layer shapes.
  EXPECT_EQ(loadWorkload("resnet50").totalMacs(), 4089184256u);   // ResNet-50 v1.5: 4.09 GMAC
  EXPECT_EQ(loadWorkload("resnet18").totalMacs(), 1814073344u);   // ResNet-18: 1.81 GMAC
  const uint64_t mbv2 = loadWorkload("mobilenetv2").totalMacs();
  EXPECT_NEAR(static_cast<double>(mbv2), 300.8e6, 2e6);           // MobileNetV2: ~300 MMAC
  // BERT-base at 128 tokens: per layer 4 x 128x768x768 + 2 x 12 x 128x128x64 + 2 x 128x768x3072.
  const uint64_t perLayer = 4ull * 128 * 768 * 768 + 2ull * 12 * 128 * 128 * 64 + 2ull * 128 * 768 * 3072;
  EXPECT_EQ(loadWorkload("bert_base").totalMacs(), 12 * perLayer);
  const workload::Workload r50 = loadWorkload("resnet50");
  const executor::GemmLayer* fc = r50.findGemm("fc");
  ASSERT_NE(fc, nullptr);
  EXPECT_EQ(fc->k, 2048u);
  const executor::GemmLayer* c = r50.findGemm("layer4.2.conv3");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->outputShape, (std::vector<int64_t>{1, 7, 7, 2048}));
  EXPECT_EQ(c->m, 49u);
  EXPECT_EQ(c->n, 2048u);
  EXPECT_EQ(r50.findLayer("pool1")->op, "maxpool");
  EXPECT_EQ(r50.findLayer("pool1")->gemm, -1);
}

TEST(Workload, InconsistentLayersAreErrors) {
  auto parse = [](const std::string& layers) {
    return workload::syntheticWorkload(config::loadString(
        "workload:\n  name: w\n  input: {n: 1, h: 4, w: 4, c: 8}\n  layers:\n" + layers, "w.yaml"));
  };
  EXPECT_NO_THROW(parse("    - {name: a, op: conv, cout: 8, kernel: 3, pad: 1}\n"));
  std::string e = errorOf([&] { parse("    - {name: a, op: conv, cout: 8, kernel: 9}\n"); });
  EXPECT_NE(e.find("kernel larger"), std::string::npos) << e;
  e = errorOf([&] { parse("    - {name: a, op: conv, cout: 8, input: nope}\n"); });
  EXPECT_NE(e.find("'nope' is not an earlier layer"), std::string::npos) << e;
  e = errorOf([&] { parse("    - {name: a, op: conv, cout: 6, groups: 4}\n"); });
  EXPECT_NE(e.find("groups"), std::string::npos) << e;
  e = errorOf([&] { parse("    - {name: a, op: pool}\n"); });
  EXPECT_NE(e.find("w.yaml:5"), std::string::npos) << e;
  EXPECT_NE(e.find("'pool' is not one of"), std::string::npos) << e;
  e = errorOf([&] { parse("    - {name: a, op: conv, cout: 8}\n    - {name: a, op: conv, cout: 8}\n"); });
  EXPECT_NE(e.find("duplicate layer name"), std::string::npos) << e;
  e = errorOf([&] { parse("    - {name: a, op: add, input2: input}\n    - {name: b, op: add, input: a, input2: x}\n"); });
  EXPECT_NE(e.find("'x'"), std::string::npos) << e;
}

TEST(Plan, ParsesRoundTripsAndRejectsBadEntries) {
  const std::string text = R"(plan:
  name: p
  quality_measure: rel_error
  default: {operand: A, series: "4:8", tau_quantile: 0.3}
  layers:
    - {layer: conv1, operand: W, series: "2:8+1:8", predicted_cost: 0.375}
)";
  const plan::Plan p = plan::Plan::fromYaml(config::loadString(text, "p.yaml"));
  EXPECT_EQ(p.forLayer("conv1").series.str(), "2:8+1:8");
  EXPECT_EQ(p.forLayer("other").operand, plan::Operand::A);
  EXPECT_DOUBLE_EQ(p.forLayer("other").tauQuantile, 0.3);
  const plan::Plan again = plan::Plan::fromYaml(config::loadString(p.toYaml(), "again.yaml"));
  EXPECT_EQ(again.forLayer("conv1").series, p.forLayer("conv1").series);
  EXPECT_DOUBLE_EQ(*again.forLayer("conv1").predictedCost, 0.375);
  std::string e = errorOf([] {
    plan::Plan::fromYaml(config::loadString("plan:\n  layers:\n    - {layer: a, series: \"2:5\"}\n", "bad.yaml"));
  });
  EXPECT_NE(e.find("bad.yaml:3"), std::string::npos) << e;
  EXPECT_NE(e.find("power of two"), std::string::npos) << e;
  e = errorOf([] {
    plan::Plan::fromYaml(config::loadString("plan:\n  layers:\n    - {layer: a, operand: W, tau: 1}\n", "bad.yaml"));
  });
  EXPECT_NE(e.find("operand A only"), std::string::npos) << e;
}

}  // namespace
}  // namespace tasdsim
