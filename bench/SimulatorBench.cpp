// Simulator speed: the functional simulation of single ResNet-50 layers (values computed and
// checked) beside OpenBLAS sgemm of the same GEMM in the same run, and whole-network runs on
// TTC-VEGETA-M8 with values and timing-only. SystemC elaborates once per process, so every
// simulation runs in a forked child that reports the wall time of simulate() (manual timing).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <cblas.h>

#include "sw/config/ArchConfig.h"
#include "sw/config/ConfigNode.h"
#include "sw/runtime/Isolated.h"
#include "sw/runtime/Simulation.h"
#include "sw/workload/SyntheticNetwork.h"

namespace {

const std::string kRoot = TASDSIM_SOURCE_DIR;

struct LayerShape {
  const char* name;
  uint32_t h, w, cin, cout, kernel, stride, pad;
  const char* series;  // TASD-A series ("dense" for the image layer)
};

// Representative ResNet-50 layers (batch 1, 224x224).
const LayerShape kLayers[] = {
    {"conv1_7x7", 224, 224, 3, 64, 7, 2, 3, "dense"},
    {"layer1_conv2_3x3", 56, 56, 64, 64, 3, 1, 1, "4:8"},
    {"layer2_conv1_1x1", 56, 56, 256, 128, 1, 1, 0, "4:8"},
    {"layer3_conv2_3x3", 14, 14, 256, 256, 3, 1, 1, "4:8"},
    {"layer4_conv3_1x1", 7, 7, 512, 2048, 1, 1, 0, "4:8"},
};

std::string layerWorkload(const LayerShape& s) {
  return "workload:\n  name: " + std::string(s.name) +
         "\n  input: {n: 1, h: " + std::to_string(s.h) + ", w: " + std::to_string(s.w) +
         ", c: " + std::to_string(s.cin) +
         "}\n  layers:\n    - {name: l, op: conv, cout: " + std::to_string(s.cout) +
         ", kernel: " + std::to_string(s.kernel) + ", stride: " + std::to_string(s.stride) +
         ", pad: " + std::to_string(s.pad) + "}\n";
}

// Runs fn in a child (the runtime's child runner); returns the seconds it reports (negative on
// failure).
template <typename Fn>
double timedInChild(Fn&& fn) {
  try {
    const std::string text = tasdsim::runtime::runIsolated([&] {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.17g", fn());
      return std::string(buffer);
    });
    return std::stod(text);
  } catch (const std::exception&) {
    return -1;
  }
}

// Seconds of the whole simulate() call, or (modelOnly) of the accelerator model's execution of
// the layers (doorbell to completion: the simulated run, without host-side preparation and
// reference checks).
double simulateSeconds(const std::string& workloadText, const std::string& workloadFile,
                       const tasdsim::plan::Plan& plan, bool functional, bool modelOnly = false) {
  return timedInChild([&] {
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    tasdsim::runtime::SimulationInputs in;
    const auto arch = tasdsim::config::loadArch(kRoot + "/configs/arch/ttc_vegeta_m8.yaml");
    in.params = arch.params;
    in.energy = arch.energy;
    in.workload = workloadFile.empty() ? tasdsim::workload::syntheticWorkload(
                                             tasdsim::config::loadString(workloadText, "bench"))
                                       : tasdsim::workload::load(workloadFile);
    in.plan = plan;
    in.options.functional = functional;
    in.options.check = functional;
    const auto t0 = std::chrono::steady_clock::now();
    const auto out = tasdsim::runtime::simulate(in);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (modelOnly) {
      s = 0;
      for (const auto& l : out.run.layers)
        s += l.modelWallSeconds;
    }
    return out.run.failReason.empty() && out.run.checks != tasdsim::runtime::Checks::Failed ? s
                                                                                            : -1.0;
  });
}

// Per-layer model times of a whole-network run (child) and OpenBLAS sgemm of every layer's GEMM
// shape (this process, same run): the functional simulation rate against the host's sgemm.
void BM_NetworkLayersVsSgemm(benchmark::State& state, int sgemmThreads) {
  const tasdsim::plan::Plan plan =
      tasdsim::plan::Plan::load(kRoot + "/configs/plans/resnet50_tasd_a_m8.yaml");
  for (auto _ : state) {
    std::string text;
    try {
      text = tasdsim::runtime::runIsolated([&] {
        setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
        tasdsim::runtime::SimulationInputs in;
        const auto arch = tasdsim::config::loadArch(kRoot + "/configs/arch/ttc_vegeta_m8.yaml");
        in.params = arch.params;
        in.energy = arch.energy;
        in.workload = tasdsim::workload::load(kRoot + "/configs/workloads/resnet50.yaml");
        in.plan = plan;
        const auto out = tasdsim::runtime::simulate(in);
        std::string lines;
        for (const auto& l : out.run.layers) {
          if (!l.onAccelerator) continue;
          lines += std::to_string(l.m) + " " + std::to_string(l.n) + " " + std::to_string(l.k) +
                   " " + std::to_string(l.groups) + " " + std::to_string(l.modelWallSeconds) + "\n";
        }
        return !out.run.failReason.empty() || out.run.checks == tasdsim::runtime::Checks::Failed
                   ? std::string("failed")
                   : lines;
      });
    } catch (const std::exception&) {
      text.clear();
    }
    if (text.empty() || text == "failed") {
      state.SkipWithError("simulation failed");
      break;
    }
    openblas_set_num_threads(sgemmThreads);
    double model = 0, sgemm = 0, worst = 0;
    std::istringstream in(text);
    uint64_t m, n, k, g;
    double seconds;
    std::mt19937 rng(1);
    while (in >> m >> n >> k >> g >> seconds) {
      std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), c(m * n);
      const auto t0 = std::chrono::steady_clock::now();
      for (uint64_t i = 0; i < g; ++i) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0f,
                    a.data(), int(k), b.data(), int(n), 0.0f, c.data(), int(n));
      }
      const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      model += seconds;
      sgemm += t;
      worst = std::max(worst, seconds / t);
    }
    openblas_set_num_threads(0);
    state.SetIterationTime(model);
    state.counters["sgemm_ms"] = sgemm * 1e3;
    state.counters["ratio_total"] = model / sgemm;
    state.counters["ratio_worst_layer"] = worst;
  }
}

tasdsim::plan::Plan planFor(const LayerShape& s) {
  return tasdsim::plan::Plan::uniform(
      tasdsim::tasd::Series::parse(s.series),
      std::string(s.series) == "dense" ? tasdsim::plan::Operand::W : tasdsim::plan::Operand::A);
}

void BM_Sgemm(benchmark::State& state, LayerShape s, int threads) {
  openblas_set_num_threads(threads);
  const uint32_t ho = (s.h + 2 * s.pad - s.kernel) / s.stride + 1,
                 wo = (s.w + 2 * s.pad - s.kernel) / s.stride + 1;
  const int m = static_cast<int>(ho * wo), n = static_cast<int>(s.cout),
            k = static_cast<int>(s.kernel * s.kernel * s.cin);
  std::vector<float> a(size_t(m) * k), b(size_t(k) * n), c(size_t(m) * n);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  for (float& v : a)
    v = nd(rng);
  for (float& v : b)
    v = nd(rng);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data(), k, b.data(), n,
                0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["MACs"] = static_cast<double>(m) * n * k;
  openblas_set_num_threads(0);  // back to the default
}

// The simulated run of the layer (model execution with values) ...
void BM_SimulateLayer(benchmark::State& state, LayerShape s) {
  const std::string w = layerWorkload(s);
  for (auto _ : state) {
    const double seconds = simulateSeconds(w, "", planFor(s), true, true);
    if (seconds < 0) {
      state.SkipWithError("simulation failed");
      break;
    }
    state.SetIterationTime(seconds);
  }
}

// ... and the whole tasdsim run of it (synthetic values, host TASD, reference check included).
void BM_RunLayer(benchmark::State& state, LayerShape s) {
  const std::string w = layerWorkload(s);
  for (auto _ : state) {
    const double seconds = simulateSeconds(w, "", planFor(s), true);
    if (seconds < 0) {
      state.SkipWithError("simulation failed");
      break;
    }
    state.SetIterationTime(seconds);
  }
}

void BM_SimulateResNet50(benchmark::State& state, bool functional) {
  tasdsim::plan::Plan plan =
      tasdsim::plan::Plan::load(kRoot + "/configs/plans/resnet50_tasd_a_m8.yaml");
  for (auto _ : state) {
    const double seconds =
        simulateSeconds("", kRoot + "/configs/workloads/resnet50.yaml", plan, functional);
    if (seconds < 0) {
      state.SkipWithError("simulation failed");
      break;
    }
    state.SetIterationTime(seconds);
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (const LayerShape& s : kLayers) {
    benchmark::RegisterBenchmark((std::string("BM_Sgemm/") + s.name).c_str(), BM_Sgemm, s, 0)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((std::string("BM_Sgemm1T/") + s.name).c_str(), BM_Sgemm, s, 1)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((std::string("BM_SimulateLayer/") + s.name).c_str(),
                                 BM_SimulateLayer, s)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime()
        ->Iterations(5);
    benchmark::RegisterBenchmark((std::string("BM_RunLayer/") + s.name).c_str(), BM_RunLayer, s)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime()
        ->Iterations(3);
  }
  benchmark::RegisterBenchmark("BM_ResNet50LayersVsSgemm/sgemm_1_thread", BM_NetworkLayersVsSgemm,
                               1)
      ->Unit(benchmark::kMillisecond)
      ->UseManualTime()
      ->Iterations(1);
  benchmark::RegisterBenchmark("BM_ResNet50LayersVsSgemm/sgemm_default_threads",
                               BM_NetworkLayersVsSgemm, 0)
      ->Unit(benchmark::kMillisecond)
      ->UseManualTime()
      ->Iterations(1);
  benchmark::RegisterBenchmark("BM_SimulateResNet50/values", BM_SimulateResNet50, true)
      ->Unit(benchmark::kMillisecond)
      ->UseManualTime()
      ->Iterations(1);
  benchmark::RegisterBenchmark("BM_SimulateResNet50/timing_only", BM_SimulateResNet50, false)
      ->Unit(benchmark::kMillisecond)
      ->UseManualTime()
      ->Iterations(3);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// libsystemc references sc_main; this program has its own main and starts SystemC itself.
extern "C" int sc_main(int, char**) {
  return 1;
}
