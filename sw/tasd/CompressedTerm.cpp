#include "sw/tasd/CompressedTerm.h"

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/Half.h"
#include "sw/common/HostMemory.h"

namespace tasdsim::tasd {
namespace {

constexpr char kMagic[8] = {'T', 'A', 'S', 'D', 'T', 'E', 'R', 'M'};
constexpr uint32_t kFormatVersion = 1;
// magic(8) version(4) dtype(1) n(1) m(1) reserved(1) rows(8) cols(8)
constexpr size_t kHeaderBytes = 32;
// Refuse absurd headers before allocating: 2^40 bytes of payload.
constexpr uint64_t kMaxPayloadBytes = uint64_t{1} << 40;

template <typename T>
void putLE(std::vector<uint8_t>& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
}

template <typename T>
T getLE(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return static_cast<T>(v);
}

}  // namespace

DType parseDType(std::string_view text) {
  if (text == "fp32" || text == "f32" || text == "float32") return DType::F32;
  if (text == "bf16" || text == "bfloat16") return DType::BF16;
  if (text == "int8" || text == "i8") return DType::I8;
  throw UserError(fmt::format("data type '{}': expected fp32, bf16 or int8", text));
}

CompressedTerm::CompressedTerm(NMPattern pattern, DType dtype, size_t rows, size_t cols)
    : pattern_(pattern), dtype_(dtype), rows_(rows), cols_(cols) {
  blocksPerRow_ = (cols + pattern.m - 1) / pattern.m;
  metaBytesPerRow_ = (slotsPerRow() * pattern.indexBits() + 7) / 8;
  resizeLarge(values_, rows * valueBytesPerRow());
  resizeLarge(meta_, rows * metaBytesPerRow_);
}

size_t CompressedTerm::nonzeros() const {
  size_t count = 0;
  if (slotsPerRow() == 0) return 0;  // no columns: rows alone may be huge
  for (size_t r = 0; r < rows_; ++r) {
    for (size_t s = 0; s < slotsPerRow(); ++s) {
      if (dtype_ == DType::I8 ? valueAsInt8(r, s) != 0 : valueAsFloat(r, s) != 0.0f) ++count;
    }
  }
  return count;
}

uint32_t CompressedTerm::index(size_t row, size_t slot) const {
  const uint32_t bits = pattern_.indexBits();
  return readBits(metaRow(row), slot * bits, bits);
}

void CompressedTerm::setIndex(size_t row, size_t slot, uint32_t position) {
  const uint32_t bits = pattern_.indexBits();
  writeBits(metaRow(row), slot * bits, bits, position);
}

float CompressedTerm::valueAsFloat(size_t row, size_t slot) const {
  const uint8_t* p = valueRow(row) + slot * dtypeBytes(dtype_);
  switch (dtype_) {
    case DType::F32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case DType::BF16:
      return bf16ToFloat(getLE<uint16_t>(p));
    case DType::I8:
      return static_cast<float>(static_cast<int8_t>(*p));
  }
  return 0;
}

int8_t CompressedTerm::valueAsInt8(size_t row, size_t slot) const {
  return static_cast<int8_t>(valueRow(row)[slot]);
}

void CompressedTerm::setValue(size_t row, size_t slot, float v) {
  uint8_t* p = valueRow(row) + slot * dtypeBytes(dtype_);
  if (dtype_ == DType::F32) {
    std::memcpy(p, &v, 4);
  } else {
    const uint16_t b = floatToBf16(v);
    p[0] = static_cast<uint8_t>(b);
    p[1] = static_cast<uint8_t>(b >> 8);
  }
}

void CompressedTerm::setValue(size_t row, size_t slot, int8_t v) {
  valueRow(row)[slot] = static_cast<uint8_t>(v);
}

MatrixF CompressedTerm::toDenseF() const {
  MatrixF out(rows_, cols_);
  const uint32_t n = pattern_.n;
  if (blocksPerRow_ == 0) return out;
  for (size_t r = 0; r < rows_; ++r) {
    for (size_t b = 0; b < blocksPerRow_; ++b) {
      for (uint32_t s = 0; s < n; ++s) {
        const float v = valueAsFloat(r, b * n + s);
        if (v == 0.0f) continue;
        out(r, b * pattern_.m + index(r, b * n + s)) = v;
      }
    }
  }
  return out;
}

MatrixI8 CompressedTerm::toDenseI8() const {
  MatrixI8 out(rows_, cols_);
  const uint32_t n = pattern_.n;
  if (blocksPerRow_ == 0) return out;
  for (size_t r = 0; r < rows_; ++r) {
    for (size_t b = 0; b < blocksPerRow_; ++b) {
      for (uint32_t s = 0; s < n; ++s) {
        const int8_t v = valueAsInt8(r, b * n + s);
        if (v == 0) continue;
        out(r, b * pattern_.m + index(r, b * n + s)) = v;
      }
    }
  }
  return out;
}

std::vector<uint8_t> CompressedTerm::serialize() const {
  std::vector<uint8_t> header;
  header.reserve(kHeaderBytes);
  for (char c : kMagic)
    header.push_back(static_cast<uint8_t>(c));
  putLE<uint32_t>(header, kFormatVersion);
  header.push_back(static_cast<uint8_t>(dtype_));
  header.push_back(static_cast<uint8_t>(pattern_.n));
  header.push_back(static_cast<uint8_t>(pattern_.m));
  header.push_back(0);
  putLE<uint64_t>(header, rows_);
  putLE<uint64_t>(header, cols_);
  std::vector<uint8_t> out(kHeaderBytes + values_.size() + meta_.size());
  std::memcpy(out.data(), header.data(), kHeaderBytes);
  if (!values_.empty()) std::memcpy(out.data() + kHeaderBytes, values_.data(), values_.size());
  if (!meta_.empty())
    std::memcpy(out.data() + kHeaderBytes + values_.size(), meta_.data(), meta_.size());
  return out;
}

CompressedTerm CompressedTerm::deserialize(const std::vector<uint8_t>& bytes,
                                           const std::string& source) {
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    throw UserError(
        fmt::format("{}: not a compressed term file (missing TASDTERM header)", source));
  }
  const uint32_t version = getLE<uint32_t>(bytes.data() + 8);
  if (version != kFormatVersion) {
    throw UserError(
        fmt::format("{}: compressed term format version {} is not supported (expected {})", source,
                    version, kFormatVersion));
  }
  const uint8_t dt = bytes[12];
  if (dt > static_cast<uint8_t>(DType::I8))
    throw UserError(fmt::format("{}: unknown data type code {}", source, dt));
  NMPattern pattern;
  try {
    pattern = NMPattern::make(bytes[13], bytes[14]);
  } catch (const UserError& e) {
    throw UserError(fmt::format("{}: {}", source, e.what()));
  }
  const uint64_t rows = getLE<uint64_t>(bytes.data() + 16);
  const uint64_t cols = getLE<uint64_t>(bytes.data() + 24);
  const uint64_t blocks = (cols + pattern.m - 1) / pattern.m;
  if (rows > kMaxPayloadBytes || cols > kMaxPayloadBytes ||
      blocks * pattern.n > kMaxPayloadBytes / (rows ? rows : 1) / 4) {
    throw UserError(fmt::format("{}: implausible shape {}x{}", source, rows, cols));
  }
  const uint64_t slots = blocks * pattern.n;
  const uint64_t need = kHeaderBytes + rows * slots * dtypeBytes(static_cast<DType>(dt)) +
                        rows * ((slots * pattern.indexBits() + 7) / 8);
  if (bytes.size() != need) {
    throw UserError(
        fmt::format("{}: size {} bytes does not match its header ({} bytes expected; truncated?)",
                    source, bytes.size(), need));
  }
  CompressedTerm t(pattern, static_cast<DType>(dt), rows, cols);
  const uint8_t* p = bytes.data() + kHeaderBytes;
  if (!t.values_.empty()) std::memcpy(t.values_.data(), p, t.values_.size());
  if (!t.meta_.empty()) std::memcpy(t.meta_.data(), p + t.values_.size(), t.meta_.size());
  // A stored value must sit inside the row (not in the zero padding) and no two stored values
  // of one block may claim the same position.
  for (size_t r = 0; blocks > 0 && r < rows; ++r) {
    for (uint64_t b = 0; b < blocks; ++b) {
      uint32_t used = 0;
      for (uint32_t s = 0; s < pattern.n; ++s) {
        const size_t slot = b * pattern.n + s;
        const bool nonzero =
            t.dtype_ == DType::I8 ? t.valueAsInt8(r, slot) != 0 : t.valueAsFloat(r, slot) != 0.0f;
        if (!nonzero) continue;
        const uint32_t pos = t.index(r, slot);
        if (b * pattern.m + pos >= cols || (used >> pos) & 1u) {
          throw UserError(
              fmt::format("{}: row {} block {}: invalid metadata index {}", source, r, b, pos));
        }
        used |= 1u << pos;
      }
    }
  }
  return t;
}

bool CompressedTerm::operator==(const CompressedTerm& o) const {
  return pattern_ == o.pattern_ && dtype_ == o.dtype_ && rows_ == o.rows_ && cols_ == o.cols_ &&
         values_ == o.values_ && meta_ == o.meta_;
}

}  // namespace tasdsim::tasd
