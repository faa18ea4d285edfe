#pragma once
// One structured term in the compressed form hardware reads (SPEC section 1, docs/formats.md):
// per row, per block of m elements along K, n value slots and n metadata indices of log2(m)
// bits giving each value's in-block position. Slots of a block are ordered by ascending
// position; unused slots (a block with fewer than n nonzeros) hold value 0 and index 0.
// Metadata of a row is a little-endian bit stream (slot s of block b starts at bit
// (b*n + s)*log2(m)), padded to whole bytes so that every row starts on a byte boundary.
// A row whose K is not a multiple of m is zero-padded at its end.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "sw/tasd/DType.h"
#include "sw/tasd/Matrix.h"
#include "sw/tasd/Pattern.h"

namespace tasdsim::tasd {

class CompressedTerm {
 public:
  CompressedTerm() = default;
  // An all-empty term (every value 0, every index 0).
  CompressedTerm(NMPattern pattern, DType dtype, size_t rows, size_t cols);

  NMPattern pattern() const { return pattern_; }
  DType dtype() const { return dtype_; }
  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t blocksPerRow() const { return blocksPerRow_; }
  size_t slotsPerRow() const { return blocksPerRow_ * pattern_.n; }
  size_t valueBytesPerRow() const { return slotsPerRow() * dtypeBytes(dtype_); }
  size_t metaBytesPerRow() const { return metaBytesPerRow_; }
  // Number of stored (nonzero) values.
  size_t nonzeros() const;

  std::vector<uint8_t>& values() { return values_; }
  const std::vector<uint8_t>& values() const { return values_; }
  std::vector<uint8_t>& meta() { return meta_; }
  const std::vector<uint8_t>& meta() const { return meta_; }
  uint8_t* valueRow(size_t r) { return values_.data() + r * valueBytesPerRow(); }
  const uint8_t* valueRow(size_t r) const { return values_.data() + r * valueBytesPerRow(); }
  uint8_t* metaRow(size_t r) { return meta_.data() + r * metaBytesPerRow_; }
  const uint8_t* metaRow(size_t r) const { return meta_.data() + r * metaBytesPerRow_; }

  // Slot-level access; slot = block * n + s.
  uint32_t index(size_t row, size_t slot) const;
  void setIndex(size_t row, size_t slot, uint32_t position);
  float valueAsFloat(size_t row, size_t slot) const;  // F32/BF16 (I8 converted)
  int8_t valueAsInt8(size_t row, size_t slot) const;  // I8 only
  void setValue(size_t row, size_t slot, float v);    // F32/BF16 (BF16 rounds)
  void setValue(size_t row, size_t slot, int8_t v);   // I8 only

  // Dense form (rows x cols).
  MatrixF toDenseF() const;
  MatrixI8 toDenseI8() const;

  // Binary file form (docs/formats.md): "TASDTERM" header, then values, then metadata.
  std::vector<uint8_t> serialize() const;
  // Throws UserError naming source if the bytes are not a valid, complete term.
  static CompressedTerm deserialize(const std::vector<uint8_t>& bytes, const std::string& source);

  bool operator==(const CompressedTerm& o) const;

 private:
  NMPattern pattern_{1, 2};
  DType dtype_ = DType::F32;
  size_t rows_ = 0;
  size_t cols_ = 0;
  size_t blocksPerRow_ = 0;
  size_t metaBytesPerRow_ = 0;
  std::vector<uint8_t> values_;
  std::vector<uint8_t> meta_;
};

// Bit-stream helpers for packed metadata (little-endian, LSB first).
// bits <= 24. Touches only the bytes that hold the bits.
inline uint32_t readBits(const uint8_t* bytes, size_t bitOffset, uint32_t bits) {
  const size_t first = bitOffset >> 3;
  const uint32_t shift = static_cast<uint32_t>(bitOffset & 7);
  const size_t last = (bitOffset + bits - 1) >> 3;
  uint32_t window = 0;
  for (size_t i = first; i <= last; ++i)
    window |= static_cast<uint32_t>(bytes[i]) << (8 * (i - first));
  return (window >> shift) & ((bits >= 32 ? 0u : (1u << bits)) - 1u);
}

inline void writeBits(uint8_t* bytes, size_t bitOffset, uint32_t bits, uint32_t value) {
  const size_t first = bitOffset >> 3;
  const uint32_t shift = static_cast<uint32_t>(bitOffset & 7);
  const size_t last = (bitOffset + bits - 1) >> 3;
  const uint32_t mask = ((1u << bits) - 1u) << shift;
  const uint32_t v = (value << shift) & mask;
  for (size_t i = first; i <= last; ++i) {
    const uint32_t s = 8 * static_cast<uint32_t>(i - first);
    bytes[i] = static_cast<uint8_t>((bytes[i] & ~(mask >> s)) | (v >> s));
  }
}

// Copies count bits from src (starting at bit srcBit) to dst (starting at bit dstBit).
inline void copyBits(uint8_t* dst, size_t dstBit, const uint8_t* src, size_t srcBit, size_t count) {
  if ((dstBit & 7) == 0 && (srcBit & 7) == 0 && count >= 8) {  // whole bytes, then the tail
    const size_t bytes = count >> 3;
    std::memcpy(dst + (dstBit >> 3), src + (srcBit >> 3), bytes);
    dstBit += bytes * 8;
    srcBit += bytes * 8;
    count -= bytes * 8;
  }
  while (count > 0) {
    const uint32_t chunk = static_cast<uint32_t>(count < 24 ? count : 24);
    writeBits(dst, dstBit, chunk, readBits(src, srcBit, chunk));
    dstBit += chunk;
    srcBit += chunk;
    count -= chunk;
  }
}

}  // namespace tasdsim::tasd
