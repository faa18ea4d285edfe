// Decomposition throughput of a 4096 x 4096 fp32 matrix (dense Gaussian values), single thread,
// in bytes of input per second, beside a streaming read+write of the same size (the baseline).
#include <cstring>
#include <random>

#include <benchmark/benchmark.h>

#include "sw/tasd/Decompose.h"

namespace {

constexpr size_t kSide = 4096;

const tasdsim::tasd::MatrixF& input() {
  static const tasdsim::tasd::MatrixF a = [] {
    tasdsim::tasd::MatrixF m(kSide, kSide);
    std::mt19937 rng(1);
    std::normal_distribution<float> nd;
    for (float& v : m.values())
      v = nd(rng);
    return m;
  }();
  return a;
}

// Baseline: read every input byte and write as many (what any tensor pass must at least do).
void BM_StreamCopy(benchmark::State& state) {
  const auto& a = input();
  std::vector<float> out(a.size());
  for (auto _ : state) {
    std::memcpy(out.data(), a.data(), a.size() * sizeof(float));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * a.size() * sizeof(float)));
}
BENCHMARK(BM_StreamCopy)->Unit(benchmark::kMillisecond)->UseRealTime();

// Full decomposition: compressed terms (values + packed metadata) and the dense residual.
void BM_Decompose(benchmark::State& state, const char* series) {
  const auto& a = input();
  const auto s = tasdsim::tasd::Series::parse(series);
  for (auto _ : state) {
    auto d = tasdsim::tasd::decompose(a, s);
    benchmark::DoNotOptimize(d.terms.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * a.size() * sizeof(float)));
}
BENCHMARK_CAPTURE(BM_Decompose, s2_8, "2:8")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Decompose, s4_8_1_8, "4:8+1:8")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Decompose, s2_4_1_8, "2:4+1:8")->Unit(benchmark::kMillisecond)->UseRealTime();

// What tasdsim.decompose asks of the library by default: fresh results, the caller's array read
// in place, and the approximation written into the residual's memory (instead of R).
void BM_DecomposeApprox(benchmark::State& state, const char* series) {
  const auto& a = input();
  const auto s = tasdsim::tasd::Series::parse(series);
  const tasdsim::tasd::MatrixView<float> view(a.data(), a.rows(), a.cols());
  for (auto _ : state) {
    tasdsim::tasd::Decomposition<float> d;
    d.residual = tasdsim::tasd::MatrixF(a.rows(), a.cols());
    tasdsim::tasd::decompose(view, s, tasdsim::tasd::DType::F32, d, true, d.residual.data());
    benchmark::DoNotOptimize(d.terms.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * a.size() * sizeof(float)));
}
BENCHMARK_CAPTURE(BM_DecomposeApprox, s4_8_1_8, "4:8+1:8")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same into reused output buffers (steady state of decomposing many same-shape tensors).
void BM_DecomposeReuse(benchmark::State& state, const char* series) {
  const auto& a = input();
  const auto s = tasdsim::tasd::Series::parse(series);
  tasdsim::tasd::Decomposition<float> d;
  tasdsim::tasd::decompose(a, s, tasdsim::tasd::DType::F32, d);
  for (auto _ : state) {
    tasdsim::tasd::decompose(a, s, tasdsim::tasd::DType::F32, d);
    benchmark::DoNotOptimize(d.terms.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * a.size() * sizeof(float)));
}
BENCHMARK_CAPTURE(BM_DecomposeReuse, s2_8, "2:8")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_DecomposeReuse, s4_8_1_8, "4:8+1:8")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_DecomposeReuse, s2_4_1_8, "2:4+1:8")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
