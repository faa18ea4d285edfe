// tasdsim._core: the Python binding of the TASD library, the simulator and the graph executor.
// NumPy arrays in and out: an input array is read in place (no copy when it is C-contiguous of
// the right type), results move into arrays without copies. The GIL is released while C++ runs.
// A UserError becomes tasdsim.UserError with the message the CLI prints.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/HostMemory.h"
#include "sw/common/Interrupt.h"
#include "sw/common/Output.h"
#include "sw/common/ParallelFor.h"
#include "sw/runtime/ExperimentRun.h"
#include "sw/runtime/HostComparison.h"
#include "sw/tasd/Decompose.h"
#include "sw/tasd/Lowering.h"
#include "sw/tasder/ModelSearch.h"
#include "sw/workload/Workload.h"

namespace py = pybind11;

namespace tasdsim::python {
namespace {

// An array that owns a vector moved into it (no copy).
template <typename T, typename Elem = T>
py::array_t<Elem> moveToArray(std::vector<T>&& values, const std::vector<py::ssize_t>& shape) {
  auto owner = std::make_unique<std::vector<T>>(std::move(values));
  const Elem* data = reinterpret_cast<const Elem*>(owner->data());
  py::capsule free(owner.get(), [](void* p) { delete static_cast<std::vector<T>*>(p); });
  owner.release();
  return py::array_t<Elem>(shape, data, free);
}

py::dict qualityDict(const tasd::Quality& q) {
  py::dict d;
  d["kept_nonzero_fraction"] = q.keptNonzeroFraction;
  d["kept_l1_fraction"] = q.keptL1Fraction;
  d["kept_energy"] = q.keptEnergy;
  d["rel_frobenius_error"] = q.relFrobeniusError;
  d["kept_nonzeros"] = q.keptNonzeros;
  d["total_nonzeros"] = q.totalNonzeros;
  return d;
}

// Slots s..s+7 of a row, whose `bits`-bit indices are the low 8 x bits of `group`, into 8 bytes.
void unpackGroup(uint64_t group, uint32_t bits, uint64_t mask, uint8_t* dst) {
  for (uint32_t i = 0; i < 8; ++i)
    dst[i] = static_cast<uint8_t>((group >> (i * bits)) & mask);
}

#if defined(__x86_64__)
// The same with one bit deposit: the low `bits` bits of every byte of `bytesMask` receive the
// next `bits` bits of the group. Used where BMI2's pdep is a single fast instruction (every core
// with AVX-512; the earlier AMD cores that microcode it have no AVX-512).
__attribute__((target("bmi2"))) void unpackRowPdep(const uint8_t* meta, size_t readable,
                                                   uint32_t bits, uint64_t bytesMask, uint8_t* dst,
                                                   size_t groups) {
  for (size_t g = 0; g < groups; ++g) {
    const size_t at = g * bits;
    uint64_t group = 0;
    std::memcpy(&group, meta + at, at + 8 <= readable ? 8 : bits);
    const uint64_t bytes = _pdep_u64(group, bytesMask);
    std::memcpy(dst + g * 8, &bytes, 8);
  }
}
bool fastPdep() {
  static const bool have = __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("avx512f");
  return have;
}
#endif

// The in-block positions of a term's slots, rows x blocks x n, from its packed metadata: eight
// slots at a time from `bits` whole bytes (a row's metadata starts on a byte), into memory that
// is not zero-filled first (every byte is written) and is advised huge pages.
py::array_t<uint8_t> termIndices(const tasd::CompressedTerm& t) {
  const size_t slots = t.slotsPerRow(), count = t.rows() * slots;
  std::unique_ptr<uint8_t[]> out(new uint8_t[std::max<size_t>(count, 1)]);
  adviseHugePages(out.get(), count);
  const uint32_t bits = t.pattern().indexBits();
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  {
    py::gil_scoped_release release;
    // Blocks of rows on the host's cores (each row's indices are its own).
    constexpr size_t kRowsPerPiece = 256;
    const size_t pieces = (t.rows() + kRowsPerPiece - 1) / kRowsPerPiece;
    parallelFor(pieces, pieces > 1 ? hostThreads() : 1, [&](size_t piece) {
      const size_t rowEnd = std::min(t.rows(), (piece + 1) * kRowsPerPiece);
      for (size_t r = piece * kRowsPerPiece; r < rowEnd; ++r) {
        const uint8_t* meta = t.metaRow(r);
        // Bytes readable from this row's metadata on (8-byte loads stay inside the buffer).
        const size_t readable = t.meta().size() - r * t.metaBytesPerRow();
        uint8_t* dst = out.get() + r * slots;
        size_t s = 0;
#if defined(__x86_64__)
        if (fastPdep()) {
          unpackRowPdep(meta, readable, bits, mask * 0x0101010101010101ull, dst, slots / 8);
          s = slots / 8 * 8;
        }
#endif
        for (; s + 8 <= slots; s += 8) {  // slots s..s+7 are bytes [s*bits/8, (s+8)*bits/8)
          const size_t at = s / 8 * bits;
          uint64_t group = 0;
          std::memcpy(&group, meta + at, at + 8 <= readable ? 8 : bits);
          unpackGroup(group, bits, mask, dst + s);
        }
        for (; s < slots; ++s)  // the last few
          dst[s] = static_cast<uint8_t>(t.index(r, s));
      }
    });
  }
  uint8_t* data = out.get();
  py::capsule free(out.release(), [](void* p) { delete[] static_cast<uint8_t*>(p); });
  return py::array_t<uint8_t>(
      {static_cast<py::ssize_t>(t.rows()), static_cast<py::ssize_t>(t.blocksPerRow()),
       static_cast<py::ssize_t>(t.pattern().n)},
      data, free);
}

py::array termValues(tasd::CompressedTerm& t) {
  const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(t.rows()),
                                       static_cast<py::ssize_t>(t.blocksPerRow()),
                                       static_cast<py::ssize_t>(t.pattern().n)};
  switch (t.dtype()) {
    case tasd::DType::F32:
      return moveToArray<uint8_t, float>(std::move(t.values()), shape);
    case tasd::DType::I8:
      return moveToArray<uint8_t, int8_t>(std::move(t.values()), shape);
    default: {  // bf16 values are returned as the float32 they stand for
      std::vector<float> f;
      resizeLarge(f, t.rows() * t.slotsPerRow());
      for (size_t r = 0; r < t.rows(); ++r)
        for (size_t s = 0; s < t.slotsPerRow(); ++s)
          f[r * t.slotsPerRow() + s] = t.valueAsFloat(r, s);
      return moveToArray(std::move(f), shape);
    }
  }
}

template <typename T>
py::dict decomposeArray(const T* data, size_t rows, size_t cols, const tasd::Series& series,
                        tasd::DType storage, bool withApprox, bool withResidual) {
  tasd::Decomposition<T> d;
  const tasd::MatrixView<T> a(data, rows, cols);
  std::vector<T> approx;
  {
    py::gil_scoped_release release;
    // The approximation is written row by row during the decomposition: into its own array when
    // the residual is returned too, else into the residual's memory (already faulted in).
    if (withApprox && withResidual) resizeLarge(approx, rows * cols);
    T* approxOut = nullptr;
    if (withApprox) {
      if (!withResidual) d.residual = tasd::Matrix<T>(rows, cols);
      approxOut = withResidual ? approx.data() : d.residual.data();
    }
    if constexpr (std::is_same_v<T, float>) {
      tasd::decompose(a, series, storage, d, true, approxOut);
    } else {
      tasd::decompose(a, series, d, true, approxOut);
    }
    if (withApprox && !withResidual) approx = std::move(d.residual.values());
  }
  const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(rows),
                                       static_cast<py::ssize_t>(cols)};
  py::dict out;
  out["series"] = series.str();
  out["storage_dtype"] = tasd::dtypeName(storage);
  py::list terms, cumulative;
  for (size_t i = 0; i < d.terms.size(); ++i) {
    py::dict t;
    t["pattern"] = d.terms[i].pattern().str();
    t["nonzeros"] = d.termStats[i].nonzeros;
    t["indices"] = termIndices(d.terms[i]);
    t["values"] = termValues(d.terms[i]);
    terms.append(t);
    cumulative.append(qualityDict(d.qualityAfter(i + 1)));
  }
  out["terms"] = terms;
  out["metrics"] = qualityDict(d.quality());
  out["cumulative"] = cumulative;
  out["compute_fraction"] = series.computeFraction();
  if (withApprox) out["approx"] = moveToArray(std::move(approx), shape);
  if (withResidual) out["residual"] = moveToArray(std::move(d.residual.values()), shape);
  return out;
}

// decompose(array, series, dtype=None, layout=None): a 2-D array (rows x K) as is, a 4-D conv
// weight lowered to Cout x (R*S*C) by its layout, as `tasdsim decompose` does.
py::dict decompose(py::array array, const std::string& seriesText,
                   const std::optional<std::string>& dtype,
                   const std::optional<std::string>& layout, bool withApprox, bool withResidual) {
  const tasd::Series series = tasd::Series::parse(seriesText);
  const bool isInt8 = py::isinstance<py::array_t<int8_t>>(array) && array.dtype().kind() == 'i';
  const tasd::DType storage =
      tasd::decompositionStorage(isInt8, dtype, "array", "dtype", "an int8 array");
  if (!isInt8 && array.dtype().kind() != 'f')
    throw UserError(fmt::format("array: expected a float or int8 array, got dtype {}",
                                std::string(py::str(array.dtype()))));
  const py::ssize_t ndim = array.ndim();
  if (ndim == 2 && layout)
    throw UserError("array: layout applies to 4-D conv weights, this array is 2-D");
  if (ndim == 4 && !layout)
    throw UserError("array: 4-D array needs layout OIHW, OHWI or HWIO to be lowered to a GEMM");
  if (ndim != 2 && ndim != 4)
    throw UserError(
        fmt::format("array: expected a 2-D matrix or 4-D conv weights, got {} dimensions", ndim));
  if (array.size() == 0) throw UserError("array: the array is empty");
  auto run = [&](auto tag) {
    using T = decltype(tag);
    auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(array);
    if (ndim == 2)
      return decomposeArray<T>(a.data(), a.shape(0), a.shape(1), series, storage, withApprox,
                               withResidual);
    const std::array<size_t, 4> dims{
        static_cast<size_t>(a.shape(0)), static_cast<size_t>(a.shape(1)),
        static_cast<size_t>(a.shape(2)), static_cast<size_t>(a.shape(3))};
    const tasd::Matrix<T> lowered =
        tasd::lowerConvWeights(a.data(), dims, tasd::parseConvLayout(*layout));
    return decomposeArray<T>(lowered.data(), lowered.rows(), lowered.cols(), series, storage,
                             withApprox, withResidual);
  };
  return isInt8 ? run(int8_t{}) : run(float{});
}

model::Tensor toTensor(const py::array& array) {
  std::vector<int64_t> shape(array.shape(), array.shape() + array.ndim());
  if (array.dtype().kind() == 'f') {
    auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(array);
    return model::Tensor::floats(shape, std::vector<float>(a.data(), a.data() + a.size()));
  }
  if (array.dtype().kind() == 'i' || array.dtype().kind() == 'u' || array.dtype().kind() == 'b') {
    auto a = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(array);
    return model::Tensor::ints(shape, std::vector<int64_t>(a.data(), a.data() + a.size()));
  }
  throw UserError(fmt::format("input: unsupported dtype {}", std::string(py::str(array.dtype()))));
}

std::vector<model::Tensor> toTensors(const std::vector<py::array>& arrays) {
  std::vector<model::Tensor> out;
  for (const py::array& a : arrays)
    out.push_back(toTensor(a));
  return out;
}

py::array fromTensor(model::Tensor&& t) {
  std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
  if (t.isFloat()) return moveToArray(std::move(t.f), shape);
  return moveToArray(std::move(t.i), shape);
}

py::dict outputsDict(std::vector<std::pair<std::string, model::Tensor>>&& outputs) {
  py::dict d;
  for (auto& [name, t] : outputs)
    d[py::str(name)] = fromTensor(std::move(t));
  return d;
}

// simulate: one `tasdsim run` in a child process (SystemC elaborates once per process, so
// any number of calls work), GIL released while it runs.
py::dict simulate(const runtime::RunRequest& request) {
  runtime::RunReport report;
  runtime::Experiment experiment;
  {
    py::gil_scoped_release release;
    const runtime::PreparedRun run = runtime::prepareRun(request);
    experiment = run.experiment;
    report = runtime::executeRunIsolated(run);
  }
  py::dict out;
  const py::object loads = py::module_::import("json").attr("loads");
  out["stats"] = loads(report.statsJson);
  out["stats_json"] = report.statsJson;
  out["layers_csv"] = report.layersCsv;
  out["wall_clock"] = loads(report.wallClockJson);
  out["wall_clock_json"] = report.wallClockJson;
  out["summary"] = report.summary;
  out["resolved_config"] = config::dump(experiment.resolved);
  out["fail_reason"] = report.failReason;
  out["checks"] = runtime::checksName(report.checks);
  // None when nothing was compared (checks off, timing only): never "passed" unchecked.
  if (report.checks == runtime::Checks::Passed || report.checks == runtime::Checks::Failed) {
    out["checks_passed"] = report.checks == runtime::Checks::Passed;
  } else {
    out["checks_passed"] = py::none();
  }
  std::vector<std::pair<std::string, model::Tensor>> outputs;
  for (runtime::NamedTensor& t : report.outputs)
    outputs.emplace_back(t.name, std::move(t.tensor));
  out["outputs"] = outputsDict(std::move(outputs));
  return out;
}

plan::Plan planOf(const std::string& planFile, const std::string& series,
                  const std::string& operand, double tauQuantile) {
  if (!planFile.empty() && !series.empty())
    throw UserError("--plan and --series exclude each other");
  if (!planFile.empty()) return plan::Plan::load(planFile);
  if (series.empty()) return plan::Plan{};
  if (operand != "W" && operand != "A") throw UserError("--operand must be W or A");
  if (tauQuantile >= 0 && operand != "A")
    throw UserError("--tau-quantile applies to --operand A only (the threshold of activations)");
  return plan::Plan::uniform(tasd::Series::parse(series),
                             operand == "W" ? plan::Operand::W : plan::Operand::A, tauQuantile);
}

// A model (ONNX, TFLite or import YAML) on the host graph executor, with a plan's TASD applied
// as the executor applies it (TasdHook).
py::dict runOnExecutor(const std::string& modelPath, const std::vector<py::array>& inputs,
                       const std::vector<int64_t>& inputShape, const std::string& planFile,
                       const std::string& series, const std::string& operand, double tauQuantile) {
  std::vector<model::Tensor> given = toTensors(inputs);
  std::vector<std::pair<std::string, model::Tensor>> named;
  {
    py::gil_scoped_release release;
    workload::LoadOptions lo;
    lo.inputShape = inputShape;
    if (inputShape.empty() && given.size() == 1) lo.inputShape = given.front().shape;
    const workload::Workload w = workload::load(modelPath, lo);
    if (given.empty()) given = w.inputs;
    if (given.size() != w.inputs.size())
      throw UserError(fmt::format("input: model '{}' has {} inputs; {} given", modelPath,
                                  w.inputs.size(), given.size()));
    const plan::Plan plan = planOf(planFile, series, operand, tauQuantile);
    const std::map<std::string, float> taus = runtime::planThresholds(w, plan, given);
    std::vector<model::Tensor> outs = runtime::runOnHost(w, plan, taus, given);
    const auto& graphOutputs = w.graph()->outputs;
    for (size_t i = 0; i < outs.size(); ++i)
      named.emplace_back(graphOutputs[i].name, std::move(outs[i]));
  }
  return outputsDict(std::move(named));
}

// TASDER on a classifier with labelled examples (tasdsim search-model --model): the plan YAML,
// search.json text, summary text and experiment YAML.
py::dict searchModel(const std::string& model, const py::array& inputs, const py::array& labels,
                     const std::string& arch, const std::string& searchSplit,
                     const std::string& testSplit, const std::string& calibrationSplit,
                     size_t probe, double target, const std::string& cost, const std::string& dtype,
                     const std::string& operands, size_t rounds, size_t threads,
                     const std::string& denseArch) {
  auto x = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(inputs);
  auto y = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(labels);
  if (!x || !y) throw UserError("search_model: inputs must be a float array, labels integers");
  if (y.ndim() != 1)
    throw UserError(
        fmt::format("labels: must be one-dimensional (N), got {} dimensions", y.ndim()));
  std::vector<size_t> shape(x.shape(), x.shape() + x.ndim());
  std::vector<float> values(x.data(), x.data() + x.size());
  std::vector<int64_t> labelValues(y.data(), y.data() + y.size());
  py::dict out;
  tasder::ModelSearchReport report;
  {
    py::gil_scoped_release release;
    const auto data =
        tasder::makeLabelledData(shape, std::move(values), labelValues, "inputs", "labels");
    tasder::ModelSearchOptions o;
    o.arch = arch;
    o.denseArch = denseArch;
    o.target = target;
    o.cost = cost;
    o.dtype = dtype;
    o.operands = operands;
    o.rounds = rounds;
    o.threads = threads;
    tasder::checkModelSearchOptions(o);
    report = tasder::searchModel(
        tasder::classifierData(model, data, {searchSplit, testSplit, calibrationSplit, probe}), o);
  }
  out["plan"] = report.plan.toYaml();
  out["search_json"] = report.summary.dump();
  out["summary"] = report.text;
  out["experiment"] = report.experimentYaml;
  return out;
}

}  // namespace
}  // namespace tasdsim::python

// libsystemc defines main() and references sc_main(); the module starts the SystemC kernel
// itself (sw/runtime/Simulation, in a child process), so this entry is never called. Exported:
// libsystemc resolves it when the module is loaded.
extern "C" __attribute__((visibility("default"))) int sc_main(int, char**) {
  return 3;
}

PYBIND11_MODULE(_core, m) {
  using namespace tasdsim;
  // Each call returns large arrays (about 130 MB for a 4096 x 4096 decomposition): served from
  // the heap, freed ones are reused instead of zero-filled anew (sw/common/HostMemory.h).
  reuseLargeAllocations();
  m.doc() =
      "TASDsim: TASD decomposition, the structured-sparse accelerator simulator and the graph "
      "executor";
  m.attr("__version__") = toolIdentity();
  // NumPy's C API is looked up once, in a function-local static of pybind11 (2.10) that is
  // initialised with the GIL held and imports numpy (which releases the GIL): two threads making
  // their first arrays at once (simulate() from a thread pool) deadlock. Look it up now, while
  // the import runs in one thread.
  py::detail::npy_api::get();
  static py::exception<UserError> userError(m, "UserError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const UserError& e) {
      userError(e.what());
    } catch (const Interrupted& e) {
      PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    }
  });
  m.def("decompose", &python::decompose, py::arg("array"), py::arg("series"),
        py::arg("dtype") = py::none(), py::arg("layout") = py::none(), py::arg("approx") = true,
        py::arg("residual") = false);
  m.def(
      "simulate",
      [](const std::string& experiment, const std::vector<std::string>& overrides,
         const std::string& workload, const std::string& inputNpy,
         const std::vector<py::array>& inputs, bool timingOnly, bool compareExecutor,
         const std::string& planFile, const std::string& series, const std::string& operand,
         double tauQuantile) {
        runtime::RunRequest r;
        r.experiment = experiment;
        r.overrides = overrides;
        r.workload = workload;
        r.inputNpy = inputNpy;
        r.inputs = python::toTensors(inputs);
        r.timingOnly = timingOnly;
        r.compareExecutor = compareExecutor;
        r.planFile = planFile;
        r.series = series;
        r.operand = operand;
        r.tauQuantile = tauQuantile;
        return python::simulate(r);
      },
      py::arg("experiment"), py::arg("overrides"), py::arg("workload"), py::arg("input_npy"),
      py::arg("inputs"), py::arg("timing_only"), py::arg("compare_executor"), py::arg("plan"),
      py::arg("series"), py::arg("operand"), py::arg("tau_quantile"));
  m.def("search_model", &python::searchModel, py::arg("model"), py::arg("inputs"),
        py::arg("labels"), py::arg("arch"), py::arg("search_split"), py::arg("test_split"),
        py::arg("calibration_split"), py::arg("probe"), py::arg("target"), py::arg("cost"),
        py::arg("dtype"), py::arg("operands"), py::arg("rounds"), py::arg("threads"),
        py::arg("dense_arch"));
  m.def("run_on_executor", &python::runOnExecutor, py::arg("model"), py::arg("inputs"),
        py::arg("input_shape"), py::arg("plan"), py::arg("series"), py::arg("operand"),
        py::arg("tau_quantile"));
}
