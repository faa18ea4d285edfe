// Strict configuration parsing: every shipped config loads; every bad value is an error naming
// the file, line and key path; workloads infer exact layer shapes.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "sw/common/Error.h"
#include "sw/config/ArchConfig.h"
#include "sw/plan/Plan.h"
#include "sw/runtime/Experiment.h"
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
    EXPECT_EQ(a.params.peArray.macUnits(), 1024u) << "shipped engines are 1024-MAC class";
    EXPECT_GT(a.energy.dramReadPjPerByte, 0.0);
    const bool ttc = entry.path().filename().string().rfind("ttc_", 0) == 0;
    EXPECT_EQ(a.params.tasdExtension, ttc);
    EXPECT_EQ(a.params.tasdUnit.count > 0, ttc);
    ++count;
  }
  EXPECT_GE(count, 7u);
  const config::ArchConfig m8 = config::loadArch(kRoot + "/configs/arch/ttc_vegeta_m8.yaml");
  ASSERT_EQ(m8.params.peArray.patterns.size(), 4u);
  EXPECT_TRUE(m8.params.peArray.supports(tasd::NMPattern::parse("2:8")));
  EXPECT_FALSE(m8.params.peArray.supports(tasd::NMPattern::parse("2:4")));
  const config::ArchConfig stc = config::loadArch(kRoot + "/configs/arch/stc.yaml");
  EXPECT_TRUE(stc.params.peArray.supports(tasd::NMPattern::parse("2:4")));
  EXPECT_FALSE(stc.params.peArray.supports(tasd::NMPattern::parse("1:4")));
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
  // Keys of earlier versions are named with their names now (one name per block).
  e = errorOf([&] { parse(archText("  tasd_units: {count: 4}\n")); });
  EXPECT_NE(e.find("x.yaml:5:3: arch.tasd_units: renamed to arch.tasd_unit"), std::string::npos)
      << e;
  e = errorOf([&] { parse(archText("  buffers: {s: {size_kib: 64}}\n")); });
  EXPECT_NE(e.find("arch.buffers: renamed to arch.buffer"), std::string::npos) << e;
  e = errorOf([&] { parse(archText(), {"arch.pe_array.rows=0"}); });
  EXPECT_NE(e.find("arch.pe_array.rows: value 0 is out of range [1, 256]"), std::string::npos) << e;
  e = errorOf([&] { parse(archText(), {"arch.pe_array.lanes=two"}); });
  EXPECT_NE(e.find("arch.pe_array.lanes: expected a non-negative integer, got 'two'"),
            std::string::npos)
      << e;
  e = errorOf([&] { parse(archText(), {"arch.pe_array.patterns=[\"3:6\"]"}); });
  EXPECT_NE(e.find("power of two"), std::string::npos) << e;
  e = errorOf([&] { parse(archText(), {"arch.tasd_extension=false", "arch.tasd_unit.count=4"}); });
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

TEST(ArchConfig, InstancesAndAddressMapAreCheckedAndNamed) {
  const config::ArchConfig one =
      config::parseArch(config::loadString(archText(), "x.yaml"), "x.yaml");
  EXPECT_EQ(one.params.instances, 1u);
  EXPECT_EQ(one.params.distribution, hw::Distribution::Batch);
  EXPECT_EQ(one.params.addressMap.dramBase, 0u);
  EXPECT_EQ(one.params.addressMap.regBase, hw::kDefaultRegBase);
  const config::ArchConfig four =
      config::parseArch(config::loadString(archText(), "x.yaml",
                                           {"arch.instances=4", "arch.distribute=channels",
                                            "arch.address_map.dram_base=2147483648",
                                            "arch.address_map.reg_base=268435456"}),
                        "x.yaml");
  EXPECT_EQ(four.params.instances, 4u);
  EXPECT_EQ(four.params.distribution, hw::Distribution::Channels);
  EXPECT_EQ(four.params.addressMap.dramBase, 0x80000000u);
  EXPECT_EQ(four.params.addressMap.regBaseOf(3), 0x10003000u);
  auto parse = [](const std::vector<std::string>& overrides) {
    config::parseArch(config::loadString(archText(), "x.yaml", overrides), "x.yaml");
  };
  std::string e = errorOf([&] { parse({"arch.instances=0"}); });
  EXPECT_NE(e.find("arch.instances"), std::string::npos) << e;
  e = errorOf([&] { parse({"arch.instances=17"}); });
  EXPECT_NE(e.find("arch.instances"), std::string::npos) << e;
  EXPECT_NE(e.find("16"), std::string::npos) << e;
  e = errorOf([&] { parse({"arch.distribute=rows"}); });
  EXPECT_NE(e.find("arch.distribute"), std::string::npos) << e;
  EXPECT_NE(e.find("channels"), std::string::npos) << e;
  e = errorOf([&] { parse({"arch.address_map.reg_base=4096"}); });  // inside the DRAM at 0
  EXPECT_NE(e.find("overlap"), std::string::npos) << e;
  EXPECT_NE(e.find("address_map"), std::string::npos) << e;
  e = errorOf([&] { parse({"arch.address_map.dram_base=2147483649"}); });
  EXPECT_NE(e.find("multiple of 0x1000"), std::string::npos) << e;
  e = errorOf(
      [&] { parse({"arch.address_map.dram_base=1099511623680"}); });  // the DRAM would pass 2^40
  EXPECT_NE(e.find("address_map"), std::string::npos) << e;
  e = errorOf([&] { parse({"arch.instances=2", "arch.decoder.impl=rtl"}); });
  EXPECT_NE(e.find("instances"), std::string::npos) << e;
}

TEST(ArchConfig, OverridesChangeValuesAndAppearInTheResolvedTree) {
  const config::ArchConfig a = config::parseArch(
      config::loadString(archText(), "x.yaml", {"arch.pe_array.rows=8", "arch.clock_ghz=2"}),
      "x.yaml");
  EXPECT_EQ(a.params.peArray.rows, 8u);
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
  EXPECT_EQ(loadWorkload("resnet50").totalMacs(), 4089184256u);  // ResNet-50 v1.5: 4.09 GMAC
  EXPECT_EQ(loadWorkload("resnet18").totalMacs(), 1814073344u);  // ResNet-18: 1.81 GMAC
  const uint64_t mbv2 = loadWorkload("mobilenetv2").totalMacs();
  EXPECT_NEAR(static_cast<double>(mbv2), 300.8e6, 2e6);  // MobileNetV2: ~300 MMAC
  // BERT-base at 128 tokens: per layer 4 x 128x768x768 + 2 x 12 x 128x128x64 + 2 x 128x768x3072.
  const uint64_t perLayer =
      4ull * 128 * 768 * 768 + 2ull * 12 * 128 * 128 * 64 + 2ull * 128 * 768 * 3072;
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
  e = errorOf(
      [&] { parse("    - {name: a, op: conv, cout: 8}\n    - {name: a, op: conv, cout: 8}\n"); });
  EXPECT_NE(e.find("duplicate layer name"), std::string::npos) << e;
  e = errorOf([&] {
    parse(
        "    - {name: a, op: add, input2: input}\n    - {name: b, op: add, input: a, input2: x}\n");
  });
  EXPECT_NE(e.find("'x'"), std::string::npos) << e;
}

TEST(Config, RepeatedKeysEmptyValuesAndNaNAreErrors) {
  auto parse = [](const std::string& text, const std::vector<std::string>& ov = {}) {
    return config::parseArch(config::loadString(text, "x.yaml", ov), "x.yaml");
  };
  // The second 'rows' would have been ignored (the first wins in yaml-cpp).
  std::string e = errorOf([&] { parse(archText("  clock_ghz: 1\n  clock_ghz: 2\n")); });
  EXPECT_NE(e.find("x.yaml:6:3: arch.clock_ghz: duplicate key (first given on line 5)"),
            std::string::npos)
      << e;
  e = errorOf([&] { parse(archText("  dram: {size_mib: 64, latency_ns: 1, size_mib: 128}\n")); });
  EXPECT_NE(e.find("arch.dram.size_mib: duplicate key"), std::string::npos) << e;
  e = errorOf(
      [] { config::loadString("plan:\n  layers:\n    - {layer: a, layer: b}\n", "p.yaml"); });
  EXPECT_NE(e.find("p.yaml:3:18: plan.layers[0].layer: duplicate key"), std::string::npos) << e;
  // "key:" with nothing after it, and --set key=, would have meant the default.
  e = errorOf([&] { parse(archText("  clock_ghz:\n")); });
  EXPECT_NE(e.find("x.yaml:5:3: arch.clock_ghz: empty value"), std::string::npos) << e;
  for (const char* empty : {"arch.clock_ghz=", "arch.clock_ghz=~", "arch.clock_ghz=null"}) {
    e = errorOf([&] { parse(archText(), {empty}); });
    EXPECT_NE(e.find("empty value"), std::string::npos) << empty << ": " << e;
  }
  e = errorOf([&] { parse(archText(), {"arch.dram={size_mib: 1, size_mib: 2}"}); });
  EXPECT_NE(e.find("arch.dram.size_mib: duplicate key"), std::string::npos) << e;
  e = errorOf([&] { parse(archText(), {"arch.clock_ghz=.nan"}); });
  EXPECT_NE(e.find("finite"), std::string::npos) << e;
  // Lists of numbers: finite and in range.
  const config::Node n = config::loadString("q: [0.25, 1]\nbad: [nan]\nhigh: [2]\n", "n.yaml");
  EXPECT_EQ(n.numberList("q", {}, 0.0, 1.0), (std::vector<double>{0.25, 1.0}));
  e = errorOf([&] { n.numberList("bad", {}, 0.0, 1.0); });
  EXPECT_NE(e.find("n.yaml:2:7: bad[0]: expected a finite number, got 'nan'"), std::string::npos)
      << e;
  e = errorOf([&] { n.numberList("high", {}, 0.0, 1.0); });
  EXPECT_NE(e.find("high[0]: value 2 is out of range [0, 1]"), std::string::npos) << e;
  EXPECT_EQ(n.numberList("absent", {0.5}, 0.0, 1.0), std::vector<double>{0.5});
}

TEST(Experiment, NameIsOnePlainNameAndSearchListsAreChecked) {
  const fs::path dir =
      fs::temp_directory_path() / ("tasdsim-config-test-" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto load = [&](const std::string& name, const std::string& extra) {
    const fs::path file = dir / "exp.yaml";
    std::ofstream(file) << "experiment:\n  name: " << name << "\n  arch: " << kRoot
                        << "/configs/arch/ttc_vegeta_m8.yaml\n  workload: " << kRoot
                        << "/configs/workloads/tiny_cnn.yaml\n  plan: {series: dense}\n"
                        << extra;
    return runtime::Experiment::load(file.string(), {});
  };
  EXPECT_EQ(load("tiny", "").name, "tiny");
  for (const char* bad : {"../../victim", "a/b", "'..'", "'a\\\\b'", "\"a\\nb\"", "''"}) {
    const std::string e = errorOf([&] { load(bad, ""); });
    EXPECT_NE(e.find("exp.yaml:2:9: experiment.name: "), std::string::npos) << bad << ": " << e;
  }
  std::string e = errorOf([&] { load("t", "  search: {operands: []}\n"); });
  EXPECT_NE(e.find("experiment.search.operands: an empty list"), std::string::npos) << e;
  e = errorOf([&] { load("t", "  search: {operands: [W, W]}\n"); });
  EXPECT_NE(e.find("operand 'W' appears twice"), std::string::npos) << e;
  e = errorOf([&] { load("t", "  search: {tau_quantiles: [0.5, nan]}\n"); });
  EXPECT_NE(e.find("experiment.search.tau_quantiles[1]: expected a finite number"),
            std::string::npos)
      << e;
  e = errorOf([&] { load("t", "  search: {tau_quantiles: [1.5]}\n"); });
  EXPECT_NE(e.find("out of range [0, 1]"), std::string::npos) << e;
  EXPECT_EQ(load("t", "  search: {tau_quantiles: [0.1]}\n").search.tauQuantiles,
            std::vector<double>{0.1});
  fs::remove_all(dir);
}

TEST(Workload, SizesAreCheckedArithmetic) {
  auto parse = [](const std::string& input, const std::string& layers) {
    return workload::syntheticWorkload(config::loadString(
        "workload:\n  name: w\n  input: " + input + "\n  layers:\n" + layers, "w.yaml"));
  };
  // n x groups = 2^32 wrapped to 0 output features in 32 bits (then a division by zero).
  std::string e = errorOf([&] {
    parse("{n: 1, h: 1, w: 1, c: 256}",
          "    - {name: mm, op: matmul, input2: synthetic, n: 16777216, groups: 256, synthetic2: "
          "{shape: {n: 4096, h: "
          "4096, w: 1, c: 256}}}\n");
  });
  EXPECT_NE(e.find("layer 'mm': n x groups = 4294967296 output features"), std::string::npos) << e;
  // 4096 x 65536 x 65536 x 2^20 elements = 2^64.
  e = errorOf([&] {
    parse("{n: 4096, h: 65536, w: 65536, c: 1048576}", "    - {name: p, op: global_avgpool}\n");
  });
  EXPECT_NE(e.find("element count overflows 64 bits"), std::string::npos) << e;
  e = errorOf([&] {
    parse("{n: 1, h: 65536, w: 65536, c: 1048576}",
          "    - {name: fc, op: gemm, out_features: 16777216}\n");
  });
  EXPECT_NE(e.find("layer 'fc': the layer's MAC count overflows 64 bits"), std::string::npos) << e;
  // The workload's total: each layer fits, their sum does not.
  std::string many;
  for (int i = 0; i < 5; ++i)  // 2^62 MACs each
    many += "    - {name: fc" + std::to_string(i) +
            ", op: gemm, input: input, out_features: 16777216}\n";
  e = errorOf([&] { parse("{n: 4096, h: 64, w: 1, c: 1048576}", many); });
  EXPECT_NE(e.find("the MAC count overflows 64 bits"), std::string::npos) << e;
  e = errorOf([&] {
    parse("{n: 1, h: 8, w: 8, c: 4}", "    - {name: p, op: maxpool, kernel: 3, pad_left: 3}\n");
  });
  EXPECT_NE(e.find("pooling padding (top 0, bottom 0, left 3, right 0) must be smaller than the "
                   "kernel (3x3)"),
            std::string::npos)
      << e;
  EXPECT_NO_THROW(
      parse("{n: 1, h: 8, w: 8, c: 4}", "    - {name: p, op: maxpool, kernel: 3, pad: 2}\n"));
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
    plan::Plan::fromYaml(
        config::loadString("plan:\n  layers:\n    - {layer: a, series: \"2:5\"}\n", "bad.yaml"));
  });
  EXPECT_NE(e.find("bad.yaml:3"), std::string::npos) << e;
  EXPECT_NE(e.find("power of two"), std::string::npos) << e;
  e = errorOf([] {
    plan::Plan::fromYaml(
        config::loadString("plan:\n  layers:\n    - {layer: a, operand: W, tau: 1}\n", "bad.yaml"));
  });
  EXPECT_NE(e.find("operand A only"), std::string::npos) << e;
}

}  // namespace
}  // namespace tasdsim
