#include "sw/runtime/Distribute.h"

#include "hw/isa/Isa.h"

namespace tasdsim::runtime {
namespace {

uint64_t ceilDiv(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

uint64_t tableEntryBytes(const OutputPath& out) {
  return out.bias ? isa::kOutTableBiasEntryBytes : isa::kOutTableEntryBytes;
}

uint64_t imageBytes(const DenseOperand& op, tasd::DType dtype) {
  return uint64_t{op.geometry.inH} * op.geometry.inW * op.geometry.channels *
         tasd::dtypeBytes(dtype);
}

uint64_t positionsPerImage(const DenseOperand& op) {
  return uint64_t{op.geometry.outH()} * op.geometry.outW();
}

}  // namespace

std::vector<std::pair<uint32_t, uint32_t>> shares(uint32_t total, uint32_t parts) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  if (parts == 0) return out;
  const uint32_t base = total / parts, extra = total % parts;
  uint32_t first = 0;
  for (uint32_t i = 0; i < parts; ++i) {
    const uint32_t count = base + (i < extra ? 1 : 0);
    if (count == 0) break;
    out.emplace_back(first, count);
    first += count;
  }
  return out;
}

GemmJob sliceRowsOfS(const GemmJob& job, uint32_t first, uint32_t count) {
  GemmJob s = job;
  s.m = count;
  const uint32_t eb = tasd::dtypeBytes(job.dtype);
  if (job.sKind == SKind::Terms) {
    for (size_t t = 0; t < job.series.order(); ++t) {
      const tasd::NMPattern p = job.series.terms[t];
      const uint64_t slots = ceilDiv(job.k, p.m) * p.n;  // per row, as the host packs them
      s.termValues[t] += uint64_t{first} * slots * eb;
      s.termMeta[t] += uint64_t{first} * ceilDiv(slots * p.indexBits(), 8);
    }
  } else {
    s.s.address += uint64_t{first} * job.s.rowStride;
  }
  s.cAddress += uint64_t{first} * job.cRowStride;
  if (job.output.requant && job.output.perRow)
    s.output.tableAddress += uint64_t{first} * tableEntryBytes(job.output);
  if (job.output.partialAddress)
    s.output.partialAddress += uint64_t{first} * job.output.partialRowStride;
  return s;
}

GemmJob sliceRowsOfD(const GemmJob& job, uint32_t first, uint32_t count) {
  GemmJob s = job;
  s.n = count;
  s.d.address += uint64_t{first} * job.d.rowStride;
  s.cAddress += uint64_t{first} * job.output.resultBytes(job.dtype);
  if (job.output.requant && !job.output.perRow)
    s.output.tableAddress += uint64_t{first} * tableEntryBytes(job.output);
  if (job.output.partialAddress)
    s.output.partialAddress += uint64_t{first} * 4;  // int32 accumulators
  return s;
}

GemmJob sliceImages(const GemmJob& job, bool ofS, uint32_t first, uint32_t count) {
  const DenseOperand& op = ofS ? job.s : job.d;
  const uint64_t positions = positionsPerImage(op);
  const uint32_t row0 = static_cast<uint32_t>(first * positions),
                 rows = static_cast<uint32_t>(count * positions);
  GemmJob s = ofS ? sliceRowsOfS(job, row0, rows) : sliceRowsOfD(job, row0, rows);
  DenseOperand& sliced = ofS ? s.s : s.d;
  sliced.address =
      op.address + uint64_t{first} * imageBytes(op, job.dtype);  // NHWC images, not rows
  sliced.batch = count;
  return s;
}

std::vector<std::vector<GemmJob>> distributeJob(const GemmJob& job, bool sIsWeights,
                                                hw::Distribution mode, uint32_t instances) {
  std::vector<std::vector<GemmJob>> out(instances);
  if (instances == 1) {
    out[0].push_back(job);
    return out;
  }
  const bool sliceS = mode == hw::Distribution::Channels ? sIsWeights : !sIsWeights;
  const DenseOperand& op = sliceS ? job.s : job.d;
  // A convolution operand splits into whole images only (its rows are output positions).
  if (op.conv) {
    uint32_t i = 0;
    for (const auto& [first, count] : shares(op.batch, instances))
      out[i++].push_back(sliceImages(job, sliceS, first, count));
    return out;
  }
  const uint32_t total = sliceS ? job.m : job.n;
  uint32_t i = 0;
  for (const auto& [first, count] : shares(total, instances)) {
    out[i++].push_back(sliceS ? sliceRowsOfS(job, first, count) : sliceRowsOfD(job, first, count));
  }
  return out;
}

}  // namespace tasdsim::runtime
