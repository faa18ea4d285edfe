#include "sw/runtime/BatchRun.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "sw/common/ParallelFor.h"
#include "sw/runtime/Isolated.h"

namespace tasdsim::runtime {
namespace {

// Plain bytes in and out of the result pipe.
template <typename T>
void put(std::string& out, const T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <typename T>
T take(const std::string& in, size_t& at) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (at + sizeof(T) > in.size()) throw std::logic_error("simulateSets: truncated child result");
  T v;
  std::memcpy(&v, in.data() + at, sizeof v);
  at += sizeof v;
  return v;
}

std::string encode(const std::vector<SetResult>& results) {
  std::string out;
  put<uint64_t>(out, results.size());
  for (const SetResult& r : results) {
    put<uint8_t>(out, r.checksPassed);
    put(out, r.totals);
    put<uint64_t>(out, r.values.size());
    out.append(reinterpret_cast<const char*>(r.values.data()), r.values.size() * sizeof(float));
    put<uint64_t>(out, r.failReason.size());
    out += r.failReason;
  }
  return out;
}

std::vector<SetResult> decode(const std::string& in) {
  size_t at = 0;
  std::vector<SetResult> out(take<uint64_t>(in, at));
  for (SetResult& r : out) {
    r.checksPassed = take<uint8_t>(in, at) != 0;
    r.totals = take<NetworkTotals>(in, at);
    r.values.resize(take<uint64_t>(in, at));
    for (float& v : r.values)
      v = take<float>(in, at);
    const uint64_t n = take<uint64_t>(in, at);
    if (at + n > in.size()) throw std::logic_error("simulateSets: truncated child result");
    r.failReason = in.substr(at, n);
    at += n;
  }
  return out;
}

}  // namespace

std::vector<SetResult> simulateSets(
    const SimulationInputs& base, const std::vector<std::vector<model::Tensor>>& sets,
    size_t processes, const OutputReduction& reduce,
    const std::function<void(size_t done, size_t total)>& progress) {
  processes = std::max<size_t>(1, std::min(processes, sets.size()));
  std::vector<std::function<std::string()>> work;
  for (size_t p = 0; p < processes; ++p) {
    const size_t first = p * sets.size() / processes, last = (p + 1) * sets.size() / processes;
    work.push_back([&, first, last] {
      SimulationInputs in = base;
      in.options.functional = true;
      in.options.referenceThread = processes < hostThreads();
      in.options.inputs.assign(sets.begin() + static_cast<std::ptrdiff_t>(first),
                               sets.begin() + static_cast<std::ptrdiff_t>(last));
      std::vector<SetResult> results;
      in.options.onRun = [&](size_t, std::vector<model::Tensor>& outputs, const RunResult& run) {
        SetResult r;
        r.failReason = run.failReason;
        r.checksPassed = run.checksPassed();
        r.totals = networkTotals(run);
        if (run.failReason.empty()) r.values = reduce(outputs);
        results.push_back(std::move(r));
        reportIsolatedProgress();
      };
      const SimulationOutput out = simulate(in);
      // Sets after a failure (or every set, when the simulation failed before the first) did
      // not run.
      while (results.size() < last - first) {
        SetResult r;
        r.failReason = out.run.failReason.empty() ? "not run: an earlier input set failed"
                                                  : out.run.failReason;
        r.checksPassed = false;
        results.push_back(std::move(r));
      }
      return encode(results);
    });
  }
  const std::vector<std::string> parts = runIsolatedParallel(work, [&](size_t done) {
    if (progress) progress(done, sets.size());
  });
  std::vector<SetResult> out;
  for (const std::string& part : parts) {
    std::vector<SetResult> r = decode(part);
    out.insert(out.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
  }
  return out;
}

}  // namespace tasdsim::runtime
