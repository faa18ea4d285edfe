#include "sw/model/FlatBuffer.h"

#include <fmt/format.h>

#include "sw/common/Error.h"

namespace tasdsim::model {

void FbBuffer::fail(size_t at, const std::string& what) const {
  throw UserError(fmt::format("{}: malformed flatbuffer at byte {}: {}", *source_, at, what));
}

void FbBuffer::check(size_t at, size_t n, const char* what) const {
  if (at > size_ || n > size_ - at) {
    fail(at, fmt::format("{} of {} bytes runs past the end of the {}-byte file (truncated?)", what,
                         n, size_));
  }
}

FbTable::FbTable(const FbBuffer& buf, size_t pos) : buf_(&buf), pos_(pos) {
  const int32_t soffset = buf.read<int32_t>(pos);
  const int64_t vt = static_cast<int64_t>(pos) - soffset;
  if (vt < 0 || static_cast<uint64_t>(vt) + 4 > buf.size())
    buf.fail(pos, "vtable offset points outside the file");
  vtable_ = static_cast<size_t>(vt);
  vtableBytes_ = buf.read<uint16_t>(vtable_);
  const uint16_t tableBytes = buf.read<uint16_t>(vtable_ + 2);
  if (vtableBytes_ < 4 || (vtableBytes_ & 1))
    buf.fail(vtable_, fmt::format("vtable size {} is invalid", vtableBytes_));
  buf.check(vtable_, vtableBytes_, "vtable");
  buf.check(pos_, tableBytes < 4 ? 4 : tableBytes, "table");
}

FbTable FbTable::root(const FbBuffer& buf, const char* identifier) {
  buf.check(0, 8, "file header");
  if (identifier && std::memcmp(buf.data() + 4, identifier, 4) != 0) {
    buf.fail(4, fmt::format("file identifier is not '{}' (not this kind of file?)", identifier));
  }
  return FbTable(buf, buf.read<uint32_t>(0));
}

uint16_t FbTable::fieldOffset(int field) const {
  const size_t slot = 4 + 2 * static_cast<size_t>(field);
  if (field < 0 || slot + 2 > vtableBytes_) return 0;
  return buf_->read<uint16_t>(vtable_ + slot);
}

size_t FbTable::indirect(int field) const {
  const size_t at = pos_ + fieldOffset(field);
  const uint64_t target = static_cast<uint64_t>(at) + buf_->read<uint32_t>(at);
  if (target >= buf_->size())
    buf_->fail(at, fmt::format("offset of field {} points outside the file", field));
  return static_cast<size_t>(target);
}

std::optional<FbTable> FbTable::table(int field) const {
  if (!has(field)) return std::nullopt;
  return FbTable(*buf_, indirect(field));
}

std::optional<FbVector> FbTable::vector(int field, size_t elementBytes) const {
  if (!has(field)) return std::nullopt;
  const size_t at = indirect(field);
  const uint32_t length = buf_->read<uint32_t>(at);
  buf_->check(at + 4, static_cast<size_t>(length) * elementBytes, "vector");
  return FbVector(*buf_, at + 4, length, elementBytes);
}

std::string FbTable::string(int field) const {
  const std::optional<FbVector> v = vector(field, 1);
  return v ? std::string(v->bytes()) : std::string();
}

FbTable FbVector::tableAt(uint32_t i) const {
  if (i >= length_) buf_->fail(start_, "table vector index out of range");
  const size_t at = start_ + static_cast<size_t>(i) * 4;
  const uint64_t target = static_cast<uint64_t>(at) + buf_->read<uint32_t>(at);
  if (target >= buf_->size()) buf_->fail(at, "table offset points outside the file");
  return FbTable(*buf_, static_cast<size_t>(target));
}

std::string FbVector::stringAt(uint32_t i) const {
  const size_t at = start_ + static_cast<size_t>(i) * 4;
  const uint64_t target = static_cast<uint64_t>(at) + buf_->read<uint32_t>(at);
  const uint32_t length = buf_->read<uint32_t>(static_cast<size_t>(target));
  buf_->check(static_cast<size_t>(target) + 4, length, "string");
  return std::string(reinterpret_cast<const char*>(buf_->data() + target + 4), length);
}

}  // namespace tasdsim::model
