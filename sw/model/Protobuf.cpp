#include "sw/model/Protobuf.h"

#include <cstring>

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::model {
namespace {
constexpr int kMaxVarintBytes = 10;
constexpr uint32_t kMaxFieldNumber = (1u << 29) - 1;
}  // namespace

void ProtoReader::fail(const std::string& what) const {
  throw UserError(
      fmt::format("{}: malformed protobuf at byte {}: {}", *source_, base_ + pos_, what));
}

void ProtoReader::need(size_t bytes) const {
  if (bytes > data_.size() - pos_)
    fail(fmt::format("needs {} more bytes, only {} left (truncated file?)", bytes,
                     data_.size() - pos_));
}

uint64_t ProtoReader::readVarint() {
  uint64_t value = 0;
  for (int i = 0; i < kMaxVarintBytes; ++i) {
    if (pos_ >= data_.size()) fail("varint runs past the end (truncated file?)");
    const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    value |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if (b < 0x80) return value;
  }
  fail("varint longer than 10 bytes");
}

bool ProtoReader::next() {
  if (!consumed_) skip();
  if (pos_ >= data_.size()) return false;
  const uint64_t key = readVarint();
  const uint64_t field = key >> 3;
  const uint32_t wire = static_cast<uint32_t>(key & 7);
  if (field == 0 || field > kMaxFieldNumber) fail(fmt::format("invalid field number {}", field));
  if (wire != 0 && wire != 1 && wire != 2 && wire != 5)
    fail(fmt::format("unsupported wire type {}", wire));
  field_ = static_cast<uint32_t>(field);
  wire_ = static_cast<WireType>(wire);
  consumed_ = false;
  return true;
}

uint64_t ProtoReader::varint() {
  if (wire_ != WireType::Varint) fail(fmt::format("field {} should be a varint", field_));
  consumed_ = true;
  return readVarint();
}

float ProtoReader::fixedFloat() {
  if (wire_ != WireType::Fixed32) fail(fmt::format("field {} should be a 32-bit float", field_));
  need(4);
  float v;
  std::memcpy(&v, data_.data() + pos_, 4);
  pos_ += 4;
  consumed_ = true;
  return v;
}

double ProtoReader::fixedDouble() {
  if (wire_ != WireType::Fixed64) fail(fmt::format("field {} should be a 64-bit double", field_));
  need(8);
  double v;
  std::memcpy(&v, data_.data() + pos_, 8);
  pos_ += 8;
  consumed_ = true;
  return v;
}

std::string_view ProtoReader::bytes() {
  if (wire_ != WireType::Bytes) fail(fmt::format("field {} should be length-delimited", field_));
  const uint64_t len = readVarint();
  if (len > data_.size() - pos_) {
    fail(fmt::format("field {} claims {} bytes, only {} left (truncated file?)", field_, len,
                     data_.size() - pos_));
  }
  const std::string_view out = data_.substr(pos_, static_cast<size_t>(len));
  pos_ += static_cast<size_t>(len);
  consumed_ = true;
  return out;
}

ProtoReader ProtoReader::message() {
  const std::string_view body = bytes();
  // The sub-message's base is where its body starts (after the length prefix).
  return ProtoReader(body, *source_, base_ + pos_ - body.size());
}

void ProtoReader::appendInts(std::vector<int64_t>& out) {
  if (wire_ == WireType::Varint) {
    out.push_back(int64());
    return;
  }
  const std::string_view packed = bytes();
  ProtoReader inner(packed, *source_, base_ + pos_ - packed.size());
  while (inner.pos_ < packed.size())
    out.push_back(static_cast<int64_t>(inner.readVarint()));
}

void ProtoReader::appendFloats(std::vector<float>& out) {
  if (wire_ == WireType::Fixed32) {
    out.push_back(fixedFloat());
    return;
  }
  const std::string_view packed = bytes();
  if (packed.size() % 4)
    fail(fmt::format("packed float field {} has {} bytes, not a multiple of 4", field_,
                     packed.size()));
  const size_t n = packed.size() / 4;
  const size_t at = out.size();
  out.resize(at + n);
  std::memcpy(out.data() + at, packed.data(), packed.size());
}

void ProtoReader::appendDoubles(std::vector<double>& out) {
  if (wire_ == WireType::Fixed64) {
    out.push_back(fixedDouble());
    return;
  }
  const std::string_view packed = bytes();
  if (packed.size() % 8)
    fail(fmt::format("packed double field {} has {} bytes, not a multiple of 8", field_,
                     packed.size()));
  const size_t n = packed.size() / 8;
  const size_t at = out.size();
  out.resize(at + n);
  std::memcpy(out.data() + at, packed.data(), packed.size());
}

void ProtoReader::skip() {
  if (consumed_) return;
  switch (wire_) {
    case WireType::Varint:
      readVarint();
      break;
    case WireType::Fixed64:
      need(8);
      pos_ += 8;
      break;
    case WireType::Fixed32:
      need(4);
      pos_ += 4;
      break;
    case WireType::Bytes:
      bytes();
      break;
  }
  consumed_ = true;
}

}  // namespace tasdsim::model
