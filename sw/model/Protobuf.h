#pragma once
// A protobuf wire-format reader (no schema, no libprotobuf): walks the fields of one message.
// Wire types: 0 varint, 1 fixed64, 2 length-delimited (strings, bytes, sub-messages, packed
// repeated scalars), 5 fixed32. Groups (3, 4) are obsolete and rejected. Every read is bounds-
// checked; a malformed or truncated message throws UserError naming the source and the byte
// offset, so a fuzzed file can never read past its buffer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tasdsim::model {

enum class WireType : uint8_t { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };

class ProtoReader {
 public:
  // data stays owned by the caller. source names the file for error messages; base is the
  // offset of data within that file (for messages nested in it).
  ProtoReader(std::string_view data, const std::string& source, size_t base = 0)
      : data_(data), source_(&source), base_(base) {}
  // The reader keeps a view of data and a pointer to source: temporaries would dangle.
  ProtoReader(std::string&& data, const std::string& source, size_t base = 0) = delete;
  ProtoReader(std::string_view data, std::string&& source, size_t base = 0) = delete;

  // Advances to the next field; false at the end of the message.
  bool next();
  uint32_t field() const { return field_; }
  WireType wireType() const { return wire_; }

  // Value of the current field; each throws UserError if the wire type does not fit.
  uint64_t varint();
  int64_t int64() { return static_cast<int64_t>(varint()); }
  int32_t int32() { return static_cast<int32_t>(varint()); }
  float fixedFloat();
  double fixedDouble();
  std::string_view bytes();
  std::string string() { return std::string(bytes()); }
  // A sub-message reader over the current length-delimited field.
  ProtoReader message();
  // Repeated scalars, packed or not: appends the current field's value(s).
  void appendInts(std::vector<int64_t>& out);
  void appendFloats(std::vector<float>& out);
  void appendDoubles(std::vector<double>& out);
  // Skips the current field's value (called automatically by next() if it was not read).
  void skip();

  const std::string& source() const { return *source_; }
  size_t offset() const { return base_ + pos_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  uint64_t readVarint();
  void need(size_t bytes) const;

  std::string_view data_;
  const std::string* source_;
  size_t base_;
  size_t pos_ = 0;
  uint32_t field_ = 0;
  WireType wire_ = WireType::Varint;
  bool consumed_ = true;
};

}  // namespace tasdsim::model
