// Reference executor speed on the real PP-OCRv4 rec model (one 48x64 digit image, one thread,
// OpenBLAS limited to one thread), beside a baseline measured in the same run: the dense sgemm
// calls of exactly the model's Conv/Gemm/MatMul shapes (every group, operands preallocated),
// i.e. the GEMM work any executor must do. Needs scripts/fetch_realdata.sh.
#include <cblas.h>

#include <memory>

#include <benchmark/benchmark.h>

#include "sw/executor/DigitAccuracy.h"
#include "sw/executor/Executor.h"
#include "sw/executor/TasdHook.h"
#include "sw/model/Onnx.h"

namespace {

using namespace tasdsim;

struct Setup {
  std::shared_ptr<const model::Graph> graph;
  model::Tensor input;
  std::vector<executor::GemmLayer> layers;
  std::string error;
};

const Setup& setup() {
  static const Setup s = [] {
    Setup out;
    try {
      const std::string root = TASDSIM_SOURCE_DIR "/realdata/";
      out.graph = std::make_shared<const model::Graph>(
          model::loadOnnx(root + "ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx"));
      out.input = executor::ocrDigitInput(
          executor::loadDigits(root + "mnist/src/digits", 0, 1).front().pixels);
      executor::setBlasThreads(1);
      executor::Executor ex(out.graph);
      ex.run({out.input});
      out.layers = ex.layers();
    } catch (const std::exception& e) {
      out.error = std::string(e.what()) + " (run scripts/fetch_realdata.sh)";
    }
    return out;
  }();
  return s;
}

// Baseline: the model's GEMMs as plain sgemm calls on preallocated operands.
void BM_DenseGemmsOfModel(benchmark::State& state) {
  const Setup& s = setup();
  if (!s.error.empty()) {
    state.SkipWithError(s.error.c_str());
    return;
  }
  std::vector<std::vector<float>> a, w, c;
  for (const auto& l : s.layers) {
    a.emplace_back(l.m * l.k, 0.5f);
    w.emplace_back(l.n * l.k, 0.25f);
    c.emplace_back(l.m * l.n);
  }
  for (auto _ : state) {
    for (size_t i = 0; i < s.layers.size(); ++i) {
      const auto& l = s.layers[i];
      for (size_t g = 0; g < l.groups; ++g) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(l.m),
                    static_cast<int>(l.n), static_cast<int>(l.k), 1.0f, a[i].data(),
                    static_cast<int>(l.k), w[i].data(), static_cast<int>(l.k), 0.0f, c[i].data(),
                    static_cast<int>(l.n));
      }
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_DenseGemmsOfModel)->Unit(benchmark::kMillisecond)->UseRealTime();

void runImages(benchmark::State& state, executor::GemmHook* hook) {
  const Setup& s = setup();
  if (!s.error.empty()) {
    state.SkipWithError(s.error.c_str());
    return;
  }
  executor::Executor ex(s.graph);
  ex.setHook(hook);
  ex.run({s.input});  // weights lowered and prepared once, outside the timing
  for (auto _ : state) {
    auto out = ex.run({s.input});
    benchmark::DoNotOptimize(out.front().f.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// One image, unmodified model.
void BM_ExecutorImage(benchmark::State& state) {
  runImages(state, nullptr);
}
BENCHMARK(BM_ExecutorImage)->Unit(benchmark::kMillisecond)->UseRealTime();

std::vector<executor::LayerTasd> everyLayer(const char* w, const char* a, float tau) {
  std::vector<executor::LayerTasd> out(setup().layers.size());
  for (auto& l : out) {
    l.weights = tasdsim::tasd::Series::parse(w);
    l.activations = tasdsim::tasd::Series::parse(a);
    l.tau = tau;
  }
  return out;
}

// TASD-W 4:8 on every layer: the approximated weights are cached, so the cost per image is
// the same as unmodified.
void BM_ExecutorImageTasdW(benchmark::State& state) {
  executor::TasdHook hook(everyLayer("4:8", "dense", -1));
  runImages(state, &hook);
}
BENCHMARK(BM_ExecutorImageTasdW)->Unit(benchmark::kMillisecond)->UseRealTime();

// TASD-A 4:8 with a threshold on every layer: every A_g is materialised (depthwise convolutions
// leave their direct kernel for one GEMM per channel) and decomposed per image.
void BM_ExecutorImageTasdA(benchmark::State& state) {
  executor::TasdHook hook(everyLayer("dense", "4:8", 0.01f));
  runImages(state, &hook);
}
BENCHMARK(BM_ExecutorImageTasdA)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
