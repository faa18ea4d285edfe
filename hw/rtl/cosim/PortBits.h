#pragma once
// Moving bits between C++ word buffers and the SystemC types Verilator gives a block's ports:
// bool (1 bit), uint32_t (2..32 bits), uint64_t (33..64 bits), sc_bv<N> (more). A buffer holds
// the port's bits in 32-bit words, least significant first. Internal to the adapters.
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include <systemc>

namespace tasdsim::rtl {

// A bit buffer for one port value.
class Bits {
 public:
  explicit Bits(uint32_t bits = 0) : words_((bits + 31) / 32, 0u) {}
  void clear() { std::fill(words_.begin(), words_.end(), 0u); }
  uint32_t* words() { return words_.data(); }
  const uint32_t* words() const { return words_.data(); }
  size_t wordCount() const { return words_.size(); }
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(words_.data()); }  // little-endian host
  // value (bits <= 32 wide) at bit offset
  void put(uint64_t offset, uint32_t bits, uint32_t value) {
    const uint64_t v = static_cast<uint64_t>(value & (bits >= 32 ? ~0u : (1u << bits) - 1u))
                       << (offset & 31);
    words_[offset >> 5] |= static_cast<uint32_t>(v);
    if ((offset & 31) + bits > 32) words_[(offset >> 5) + 1] |= static_cast<uint32_t>(v >> 32);
  }

 private:
  std::vector<uint32_t> words_;
};

// Bits (bits <= 32 wide) at offset of a word buffer.
inline uint32_t getBits(const uint32_t* words, uint64_t offset, uint32_t bits) {
  uint64_t v = words[offset >> 5] >> (offset & 31);
  if ((offset & 31) + bits > 32)
    v |= static_cast<uint64_t>(words[(offset >> 5) + 1]) << (32 - (offset & 31));
  return static_cast<uint32_t>(v & (bits >= 32 ? 0xffffffffull : (1ull << bits) - 1));
}

inline void toPort(const Bits& b, bool& v) {
  v = (b.words()[0] & 1u) != 0;
}
inline void toPort(const Bits& b, uint32_t& v) {
  v = b.words()[0];
}
inline void toPort(const Bits& b, uint64_t& v) {
  v = b.words()[0] | (b.wordCount() > 1 ? static_cast<uint64_t>(b.words()[1]) << 32 : 0);
}
template <int N>
void toPort(const Bits& b, sc_dt::sc_bv<N>& v) {
  for (size_t i = 0; i < b.wordCount(); ++i)
    v.set_word(static_cast<int>(i), b.words()[i]);
}

// Word i of a port value.
inline uint32_t wordOf(bool v, int i) {
  return i == 0 ? static_cast<uint32_t>(v) : 0u;
}
inline uint32_t wordOf(uint32_t v, int i) {
  return i == 0 ? v : 0u;
}
inline uint32_t wordOf(uint64_t v, int i) {
  return i == 0 ? static_cast<uint32_t>(v) : i == 1 ? static_cast<uint32_t>(v >> 32) : 0u;
}
template <int N>
uint32_t wordOf(const sc_dt::sc_bv<N>& v, int i) {
  return i < (N + 31) / 32 ? static_cast<uint32_t>(v.get_word(i)) : 0u;
}

// All words of a port value into a buffer of `count` words.
template <typename T>
void fromPort(const T& v, uint32_t* words, size_t count) {
  for (size_t i = 0; i < count; ++i)
    words[i] = wordOf(v, static_cast<int>(i));
}

// The value type of a Verilated port member (sc_in<T>& / sc_out<T>&).
template <typename Port>
using PortValue = typename std::remove_reference_t<Port>::data_type;

}  // namespace tasdsim::rtl
