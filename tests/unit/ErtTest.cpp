// Energy reference tables in Accelergy's ERT form: the shipped table, Accelergy's ERT.yaml and
// ERT_summary.yaml read as is and bound to the accelerator's components by arch.energy_bind, the
// energy each component then costs, and every bad table or binding named.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "hw/model/buffer/BufferStats.h"
#include "hw/model/common/StatDecl.h"
#include "hw/model/energy/EnergyModel.h"
#include "hw/model/energy/Ert.h"
#include "hw/model/pe_array/PeArrayStats.h"
#include "hw/model/top/AcceleratorStats.h"
#include "sw/common/Error.h"
#include "sw/config/ArchConfig.h"

namespace tasdsim {
namespace {

namespace fs = std::filesystem;
const std::string kRoot = TASDSIM_SOURCE_DIR;

class ErtFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tasdsim-ert-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (fs::path(dir_) / name).string();
    std::ofstream(path) << text;
    return path;
  }
  // The shipped dense TC with another energy table and binding.
  config::ArchConfig arch(const std::string& energyText, const std::string& bind = "") {
    std::ifstream in(kRoot + "/configs/arch/dense_tc.yaml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string from = "../energy/horowitz_45nm.yaml";
    text.replace(text.find(from), from.size(), write("energy.yaml", energyText));
    return config::loadArch(write("arch.yaml", text + bind));
  }
  std::string errorOf(const std::string& energyText, const std::string& bind = "") {
    try {
      arch(energyText, bind);
    } catch (const UserError& e) {
      return e.what();
    }
    return "";
  }

  std::string dir_;
};

// An Accelergy ERT_summary of a dense int8 tensor core, in the form Accelergy writes it.
const char* kSummary = R"(ERT_summary:
  version: 0.3
  table_summary:
  - name: system.DRAM
    actions:
    - name: read
      energy: 512
    - name: write
      energy: 480
    - name: idle
      energy: 0
    primitive_estimation(s):
    - name: system.DRAM
      estimator: Cacti
  - name: system.SM.SMEM
    actions:
    - name: write
      energy: 600
    - name: read
      energy: 536
    - name: metadata_read
      average_energy: 32
      max_energy: 40
      min_energy: 24
  - name: system.SM.Subpartition[0..3].RF
    actions:
    - name: write
      energy: 3.2
    - name: read
      energy: 3.1
  - name: system.SM.Subpartition[0..3].PE[0..255].LRF
    actions:
    - name: read
      energy: 0.025
  - name: system.SM.Subpartition[0..3].PE[0..255].MAC
    actions:
    - name: mac_random
      energy: 0.45
    - name: mac_gated
      energy: 0
)";

const char* kBind = R"(  energy_bind:
    mac: {table: "system.SM.Subpartition[0..3].PE[0..255].MAC"}
    operand: {table: system.SM.Subpartition.PE.LRF}
    s_buffer: {table: "system.SM.Subpartition[0..3].RF"}
    d_buffer: {table: system.SM.SMEM, bytes: 64, metadata_bytes: 8}
    acc_buffer: {table: "system.SM.Subpartition[0..3].RF"}
    dram: {table: system.DRAM, bytes: 8}
    index_mux: none
    tasd_unit: none
    output_path: none
    decoder: none
    idle: none
)";

TEST_F(ErtFiles, TheShippedTableCostsWhatItSays) {
  const config::ArchConfig a = config::loadArch(kRoot + "/configs/arch/dense_tc.yaml");
  const hw::EnergyTable& t = a.energy;
  EXPECT_EQ(t.name, "horowitz_45nm");
  EXPECT_DOUBLE_EQ(t.macInt8Pj, 0.3);
  EXPECT_DOUBLE_EQ(t.macBf16Pj, 2.0);
  EXPECT_DOUBLE_EQ(t.macFp32Pj, 4.6);
  EXPECT_DOUBLE_EQ(t.operandPjPerByte, 0.15);
  EXPECT_DOUBLE_EQ(t.dramReadPjPerByte, 160.0);
  EXPECT_DOUBLE_EQ(t.dramWritePjPerByte, 160.0);
  // 256 KiB in 32 banks: 8 KiB banks, the first size listed; 128 KiB in 16 banks likewise.
  EXPECT_DOUBLE_EQ(t.s.readPjPerByte, 1.25);
  EXPECT_DOUBLE_EQ(t.acc.writePjPerByte, 1.25);
  EXPECT_DOUBLE_EQ(t.requantPj, 3.3);
  EXPECT_TRUE(t.notCosted.empty());
  // Bank sizes between the listed ones interpolate log-log: 16 KiB lies halfway from 8 to 32.
  const config::ArchConfig b =
      config::loadArch(kRoot + "/configs/arch/dense_tc.yaml", {"arch.buffer.s.banks=16"});
  EXPECT_NEAR(b.energy.s.readPjPerByte, std::sqrt(1.25 * 2.5), 1e-12);
}

TEST_F(ErtFiles, AnAccelergySummaryIsReadAsIsAndBoundByName) {
  const hw::EnergyTable t = arch(kSummary, kBind).energy;
  EXPECT_EQ(t.name, "energy");
  EXPECT_DOUBLE_EQ(t.macInt8Pj, 0.45);  // no datatype argument: the one MAC for every type
  EXPECT_DOUBLE_EQ(t.macFp32Pj, 0.45);
  EXPECT_DOUBLE_EQ(t.operandPjPerByte, 0.025);  // found without its [a..b] ranges
  EXPECT_DOUBLE_EQ(t.dramReadPjPerByte, 512.0 / 8);
  EXPECT_DOUBLE_EQ(t.dramWritePjPerByte, 480.0 / 8);
  EXPECT_DOUBLE_EQ(t.d.readPjPerByte, 536.0 / 64);
  EXPECT_DOUBLE_EQ(t.d.writePjPerByte, 600.0 / 64);
  EXPECT_DOUBLE_EQ(t.d.metadataReadPjPerByte, 32.0 / 8);  // the summary's average energy
  EXPECT_DOUBLE_EQ(t.s.readPjPerByte, 3.1);
  EXPECT_DOUBLE_EQ(t.s.metadataReadPjPerByte, 3.1);  // no metadata action: read as data
  EXPECT_EQ(t.indexMuxPj + t.tasdComparePj + t.requantPj + t.decoderPjPerInstruction, 0.0);
  EXPECT_EQ(t.notCosted,
            (std::vector<std::string>{"index_mux", "tasd_unit", "output_path", "decoder", "idle"}));
}

TEST_F(ErtFiles, ActionArgumentsSelectAndAverageEntries) {
  // Accelergy's ERT.yaml lists an action once per argument set; those left open are averaged.
  const std::string ert = R"(ERT:
  version: 0.3
  tables:
  - name: tasdsim.PE.MAC
    actions:
    - {name: mac_random, arguments: {datatype: int8}, energy: 0.5}
    - {name: mac_random, arguments: {datatype: fp32}, energy: 5}
    - {name: mac_random, arguments: {datatype: bf16}, energy: 2}
  - name: tasdsim.SRAM
    actions:
    - {name: read, arguments: {data_delta: 0, address_delta: 0}, energy: 1}
    - {name: read, arguments: {data_delta: 1, address_delta: 1}, energy: 3}
    - {name: write, arguments: null, energy: 4}
  - name: tasdsim.DRAM
    actions:
    - {name: read, arguments: null, energy: 64}
    - {name: write, arguments: null, energy: 64}
)";
  const hw::EnergyTable t = arch(ert, R"(  energy_bind:
    operand: none
    index_mux: none
    tasd_unit: none
    output_path: none
    decoder: none
    idle: none
)")
                                .energy;
  EXPECT_DOUBLE_EQ(t.macInt8Pj, 0.5);
  EXPECT_DOUBLE_EQ(t.macFp32Pj, 5.0);
  EXPECT_DOUBLE_EQ(t.s.readPjPerByte, 2.0);
  EXPECT_DOUBLE_EQ(t.s.writePjPerByte, 4.0);
}

TEST_F(ErtFiles, BadTablesAndBindingsAreNamed) {
  const std::string e1 = errorOf(kSummary);  // tasdsim's own table names are not in it
  EXPECT_NE(e1.find("energy component mac"), std::string::npos) << e1;
  EXPECT_NE(e1.find("tasdsim.PE.MAC"), std::string::npos) << e1;
  EXPECT_NE(e1.find("system.DRAM"), std::string::npos) << e1;  // lists what it has
  EXPECT_NE(e1.find("energy_bind.mac"), std::string::npos) << e1;

  std::string bind = kBind;
  bind.replace(bind.find("system.DRAM"), 11, "system.DRAM0");
  EXPECT_NE(errorOf(kSummary, bind).find("no table 'system.DRAM0'"), std::string::npos);

  bind = kBind;
  bind.replace(bind.find("index_mux: none"), 15, "index_mux: {table: system.DRAM}");
  const std::string e2 = errorOf(kSummary, bind);
  EXPECT_NE(e2.find("table system.DRAM has no action 'mux' (it has: idle, read, write)"),
            std::string::npos)
      << e2;

  bind = kBind;
  bind.replace(bind.find("DRAM, bytes: 8"), 14, "DRAM, bytes: 0");
  const std::string e5 = errorOf(kSummary, bind);
  EXPECT_NE(e5.find("energy_bind.dram.bytes"), std::string::npos) << e5;

  EXPECT_NE(errorOf("energy: {dram_pj_per_byte: 1}\n").find("earlier table form"),
            std::string::npos);
  EXPECT_NE(errorOf("ERT:\n  tables:\n  - {name: a, actions: [{name: read, energy: -2}]}\n")
                .find("energy"),
            std::string::npos);
  EXPECT_NE(errorOf("ERT:\n  tables:\n  - {name: a, actions: []}\n  - {name: a, actions: []}\n")
                .find("listed twice"),
            std::string::npos);
  const std::string e3 =
      errorOf("ERT:\n  tables:\n  - {name: a, actions: [{name: read, energy: 1, extra: 2}]}\n");
  EXPECT_NE(e3.find("extra"), std::string::npos) << e3;
  const std::string e4 = errorOf(
      "ERT:\n  tables:\n  - name: tasdsim.PE.MAC\n    actions:\n"
      "    - {name: mac_random, arguments: {datatype: int4}, energy: 1}\n");
  EXPECT_NE(e4.find("no entry with arguments {datatype: int8}"), std::string::npos) << e4;
}

TEST(Energy, OperandDeliveryAndMetadataAreCountedPerAction) {
  hw::EnergyTable t;
  t.operandPjPerByte = 0.5;
  t.s = {2.0, 3.0, 7.0};
  std::map<std::string, uint64_t> stats;
  for (const std::string& p : hw::acceleratorStatPaths())
    stats["accel." + p] = 0;
  stats["accel." + hw::PeArrayStats::kMacOps.path()] = 100;
  stats["accel." + hw::BufferStats::kReadBytes.path("s")] = 50;
  stats["accel." + hw::BufferStats::kMetadataReadBytes.path("s")] = 10;
  stats["accel." + hw::BufferStats::kWriteBytes.path("s")] = 4;
  for (auto [dtype, bytes] : {std::pair{tasd::DType::I8, 1.0}, {tasd::DType::F32, 4.0}}) {
    const hw::EnergyBreakdown e =
        hw::computeEnergy(t, hw::AcceleratorParams{}, stats, "accel", dtype, 0.0);
    EXPECT_DOUBLE_EQ(e.operandDelivery, 100 * 2 * bytes * 0.5);
    EXPECT_DOUBLE_EQ(e.sBuffer, 40 * 2.0 + 10 * 7.0 + 4 * 3.0);
  }
}

}  // namespace
}  // namespace tasdsim
