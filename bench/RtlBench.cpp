// Co-simulation speed. SystemC elaborates once per process, so every measurement runs in a
// forked child that reports its own wall time.
//
// - BM_RtlPeArrayRate/<R>x<C>: the Verilated PE array driven through its adapter (the feeder,
//   the gated SystemC clock, the Verilated model): STREAMs of a 64 x 64 x 512 int8 tile, 4:8+1:8,
//   back to back. Counter `rtl_cycles_per_s`: RTL clock cycles simulated per wall second (goal
//   for 8x8: >= 200k). Baseline in the same run: BM_ModelPeArrayRate, the C++ model's
//   streamCompute of the same tiles (counter `model_cycles_per_s`: modelled cycles per second).
// - BM_LayerRtlVsModel/<case>: one whole simulate() of the same run with impl: rtl and with
//   impl: model (configs/arch/rtl/ttc_vegeta_m8_8x8.yaml); the iteration time is the RTL run,
//   counter `slowdown` = RTL wall / model wall.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <systemc>

#include "hw/model/pe_array/StreamMath.h"
#include "hw/rtl/cosim/Cosim.h"
#include "sw/common/FileUtil.h"
#include "sw/config/ArchConfig.h"
#include "sw/config/ConfigNode.h"
#include "sw/runtime/Isolated.h"
#include "sw/runtime/Simulation.h"
#include "sw/tasd/Decompose.h"
#include "sw/workload/SyntheticNetwork.h"

namespace {

const std::string kRoot = TASDSIM_SOURCE_DIR;

struct Measurement {
  double seconds = -1;
  double cycles = 0;
};

// Runs fn in a child (the runtime's child runner); returns what it reports (seconds < 0 on
// failure).
Measurement inChild(const std::function<Measurement()>& fn) {
  try {
    const std::string bytes = tasdsim::runtime::runIsolated([&] {
      setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
      const Measurement m = fn();
      return std::string(reinterpret_cast<const char*>(&m), sizeof m);
    });
    Measurement m;
    if (bytes.size() == sizeof m) std::memcpy(&m, bytes.data(), sizeof m);
    return m;
  } catch (const std::exception&) {
    return {};
  }
}

// One 64 x 64 x 512 int8 tile decomposed into 4:8+1:8, as a STREAM sees it.
struct Tile {
  tasdsim::hw::AcceleratorParams params;
  tasdsim::hw::LayerState layer;
  tasdsim::hw::STile s;
  tasdsim::hw::DTile d;
  tasdsim::hw::AccTile acc;
  tasdsim::hw::StreamShape shape;

  Tile(uint32_t rows, uint32_t cols) {
    constexpr uint32_t kM = 64, kN = 64, kK = 512;
    params.peArray.rows = rows;
    params.peArray.cols = cols;
    params.peArray.lanes = 4;
    params.peArray.pipelineLatencyCycles = rows + cols;
    params.peArray.patterns = {tasdsim::tasd::NMPattern::parse("4:8"),
                               tasdsim::tasd::NMPattern::parse("1:8")};
    params.peArray.impl = "rtl";
    params.peArray.overlapStreams = false;  // the RTL array drains every stream
    const tasdsim::tasd::Series series = tasdsim::tasd::Series::parse("4:8+1:8");
    layer.configured = true;
    layer.dtype = tasdsim::tasd::DType::I8;
    layer.terms = 2;
    for (uint32_t t = 0; t < 2; ++t)
      layer.term[t] = tasdsim::hw::TermConfig{true, series.terms[t], 0, 0};
    std::mt19937 rng(1);
    tasdsim::tasd::MatrixI8 a(kM, kK);
    for (int8_t& v : a.values())
      v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    s.rows = {0, kM};
    s.ks = {0, kK};
    s.terms = tasdsim::tasd::decompose(a, series).terms;
    s.termLoaded[0] = s.termLoaded[1] = true;
    d.cols = {0, kN};
    d.ks = {0, kK};
    d.loaded = true;
    d.kMajorI.resize(uint64_t{kN} * kK);
    for (int32_t& v : d.kMajorI)
      v = static_cast<int>(rng() % 256) - 128;
    shape.rows = kM;
    shape.cols = kN;
    shape.ks = kK;
    shape.firstTerm = 0;
    shape.termCount = 2;
    shape.clear = true;
  }
};

constexpr int kStreams = 20;

struct RateTop : sc_core::sc_module {
  Tile tile;
  std::unique_ptr<tasdsim::rtl::PeArrayRtl> rtl;
  Measurement m;
  RateTop(sc_core::sc_module_name name, uint32_t rows, uint32_t cols)
      : sc_module(name), tile(rows, cols) {
    rtl = tasdsim::rtl::makePeArrayRtl("rtl", tile.params.peArray, tile.params.context(), {});
    SC_HAS_PROCESS(RateTop);
    SC_THREAD(run);
  }
  void run() {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kStreams; ++i)
      m.cycles +=
          static_cast<double>(rtl->stream(tile.layer, tile.s, tile.d, tile.acc, tile.shape));
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sc_core::sc_stop();
  }
};

void BM_RtlPeArrayRate(benchmark::State& state, uint32_t size) {
  for (auto _ : state) {
    const Measurement m = inChild([&] {
      sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                              sc_core::SC_DO_NOTHING);
      RateTop top("top", size, size);
      sc_core::sc_start();
      return top.m;
    });
    if (m.seconds < 0) {
      state.SkipWithError("co-simulation failed");
      break;
    }
    state.SetIterationTime(m.seconds);
    state.counters["rtl_cycles"] = m.cycles;
    state.counters["rtl_cycles_per_s"] = m.cycles / m.seconds;
  }
}

// The C++ model's work for the same streams: cost and values.
void BM_ModelPeArrayRate(benchmark::State& state, uint32_t size) {
  Tile tile(size, size);
  tile.params.peArray.impl = "model";
  for (auto _ : state) {
    double cycles = 0;
    for (int i = 0; i < kStreams; ++i) {
      cycles +=
          static_cast<double>(tasdsim::hw::streamCost(tile.params.peArray, tile.params.buffer.s,
                                                      tile.params.buffer.d, tile.layer, tile.shape)
                                  .computeCycles);
      tasdsim::hw::streamCompute(tile.layer, tile.s, tile.d, tile.acc, tile.shape);
    }
    benchmark::DoNotOptimize(tile.acc.i.data());
    state.counters["model_cycles"] = cycles;
    state.counters["model_cycles_per_s"] =
        benchmark::Counter(cycles, benchmark::Counter::kIsIterationInvariantRate);
  }
}

struct LayerCase {
  const char* name;
  const char* workload;  // YAML text
  const char* series;
  const char* operand;
  std::vector<std::string> rtlBlocks;
};

double simulateSeconds(const LayerCase& c, bool rtl) {
  return inChild([&] {
           std::vector<std::string> overrides;
           for (const char* b : {"pe_array", "tasd_unit", "decoder"}) {
             bool on = false;
             for (const std::string& r : c.rtlBlocks)
               on = on || r == b;
             overrides.push_back(std::string("arch.") + b +
                                 ".impl=" + (rtl && on ? "rtl" : "model"));
           }
           const auto arch = tasdsim::config::loadArch(
               kRoot + "/configs/arch/rtl/ttc_vegeta_m8_8x8.yaml", overrides);
           tasdsim::runtime::SimulationInputs in;
           in.params = arch.params;
           in.energy = arch.energy;
           in.workload = tasdsim::workload::syntheticWorkload(
               tasdsim::config::loadString(c.workload, "bench"));
           in.plan = tasdsim::plan::Plan::uniform(tasdsim::tasd::Series::parse(c.series),
                                                  std::string(c.operand) == "A"
                                                      ? tasdsim::plan::Operand::A
                                                      : tasdsim::plan::Operand::W,
                                                  std::string(c.operand) == "A" ? 0.25 : -1.0);
           in.options.dtype = tasdsim::tasd::DType::I8;
           const auto t0 = std::chrono::steady_clock::now();
           const auto out = tasdsim::runtime::simulate(in);
           Measurement m;
           m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
           m.cycles = static_cast<double>(out.counters.at("accel.pe_array.busy_cycles"));
           if (!out.run.failReason.empty() || out.run.checks == tasdsim::runtime::Checks::Failed)
             m.seconds = -1;
           return m;
         })
      .seconds;
}

const char* kConvLayer =
    "workload:\n  name: conv\n  seed: 5\n  input: {n: 1, h: 28, w: 28, c: 64}\n  layers:\n"
    "    - {name: conv, op: conv, cout: 64, kernel: 3, pad: 1, act: relu}\n";

void BM_LayerRtlVsModel(benchmark::State& state, LayerCase c) {
  for (auto _ : state) {
    const double rtl = simulateSeconds(c, true), model = simulateSeconds(c, false);
    if (rtl < 0 || model < 0) {
      state.SkipWithError("simulation failed");
      break;
    }
    state.SetIterationTime(rtl);
    state.counters["model_ms"] = model * 1e3;
    state.counters["slowdown"] = rtl / model;
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (uint32_t size : {4u, 8u}) {
    const std::string v = std::to_string(size) + "x" + std::to_string(size);
    benchmark::RegisterBenchmark(("BM_ModelPeArrayRate/" + v).c_str(), BM_ModelPeArrayRate, size)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_RtlPeArrayRate/" + v).c_str(), BM_RtlPeArrayRate, size)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime()
        ->Iterations(3);
  }
  const std::string tinyCnn = tasdsim::readFileText(kRoot + "/configs/workloads/tiny_cnn.yaml");
  const std::vector<LayerCase> cases = {
      {"conv3x3_64_pe_array", kConvLayer, "4:8+1:8", "W", {"pe_array"}},
      {"conv3x3_64_all_blocks_tasd_a",
       kConvLayer,
       "4:8+1:8",
       "A",
       {"pe_array", "tasd_unit", "decoder"}},
      {"tiny_cnn_pe_array", tinyCnn.c_str(), "4:8+1:8", "W", {"pe_array"}},
  };
  for (const LayerCase& c : cases) {
    benchmark::RegisterBenchmark((std::string("BM_LayerRtlVsModel/") + c.name).c_str(),
                                 BM_LayerRtlVsModel, c)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime()
        ->Iterations(3);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// libsystemc references sc_main; this program has its own main and starts SystemC itself.
extern "C" int sc_main(int, char**) {
  return 1;
}
