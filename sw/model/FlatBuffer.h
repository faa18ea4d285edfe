#pragma once
// A FlatBuffer reader without generated code: tables are read through their vtables, field by
// field id (the schema's field order). Every offset is checked against the buffer, so a
// malformed or truncated file gives a UserError naming the source, never a read outside it.
// Only what TFLite needs: scalars, sub-tables, strings, vectors of scalars and of tables.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace tasdsim::model {

class FbBuffer {
 public:
  FbBuffer(const uint8_t* data, size_t size, const std::string& source)
      : data_(data), size_(size), source_(&source) {}
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& source() const { return *source_; }
  [[noreturn]] void fail(size_t at, const std::string& what) const;
  // Bytes [at, at + n) must lie inside the buffer.
  void check(size_t at, size_t n, const char* what) const;
  template <typename T>
  T read(size_t at) const {
    check(at, sizeof(T), "scalar");
    T v;
    std::memcpy(&v, data_ + at, sizeof(T));  // FlatBuffers are little-endian, as is the host
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  const std::string* source_;
};

// A vector: length and where its elements start; element i of a table vector is a table.
class FbVector;

class FbTable {
 public:
  FbTable(const FbBuffer& buf, size_t pos);
  // The root table (offset at byte 0); checks the 4-byte identifier at bytes 4..8 if given.
  static FbTable root(const FbBuffer& buf, const char* identifier);

  bool has(int field) const { return fieldOffset(field) != 0; }
  template <typename T>
  T scalar(int field, T fallback) const {
    const uint16_t off = fieldOffset(field);
    return off ? buf_->read<T>(pos_ + off) : fallback;
  }
  std::optional<FbTable> table(int field) const;
  std::optional<FbVector> vector(int field, size_t elementBytes) const;
  std::string string(int field) const;
  size_t position() const { return pos_; }
  const FbBuffer& buffer() const { return *buf_; }

 private:
  uint16_t fieldOffset(int field) const;
  // Absolute position that the uoffset stored in the field points to.
  size_t indirect(int field) const;

  const FbBuffer* buf_;
  size_t pos_;
  size_t vtable_;
  uint16_t vtableBytes_;
};

class FbVector {
 public:
  FbVector(const FbBuffer& buf, size_t start, uint32_t length, size_t elementBytes)
      : buf_(&buf), start_(start), length_(length), elementBytes_(elementBytes) {}
  uint32_t size() const { return length_; }
  template <typename T>
  T at(uint32_t i) const {
    return buf_->read<T>(start_ + static_cast<size_t>(i) * elementBytes_);
  }
  FbTable tableAt(uint32_t i) const;
  std::string stringAt(uint32_t i) const;
  // The raw bytes of a vector of bytes.
  std::string_view bytes() const {
    return std::string_view(reinterpret_cast<const char*>(buf_->data() + start_),
                            length_ * elementBytes_);
  }

 private:
  const FbBuffer* buf_;
  size_t start_;
  uint32_t length_;
  size_t elementBytes_;
};

}  // namespace tasdsim::model
