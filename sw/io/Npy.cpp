#include "sw/io/Npy.h"

#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "sw/common/Error.h"
#include "sw/common/FileUtil.h"
#include "sw/common/Half.h"

namespace tasdsim::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
constexpr size_t kMaxDims = 32;
constexpr size_t kMaxHeaderBytes = 1 << 20;

size_t elementBytes(NpyType t) {
  return t == NpyType::I64 ? 8 : t == NpyType::F32 ? 4 : t == NpyType::F16 ? 2 : 1;
}

// Minimal parser for the header's Python dict literal, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(std::string text, std::string source)
      : s_(std::move(text)), source_(std::move(source)) {}

  void parse(std::string& descr, bool& fortran, std::vector<size_t>& shape) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    expect('{');
    while (true) {
      skipSpace();
      if (peek() == '}') break;
      const std::string key = quoted();
      expect(':');
      if (key == "descr") {
        descr = quoted();
        haveDescr = true;
      } else if (key == "fortran_order") {
        fortran = boolean();
        haveFortran = true;
      } else if (key == "shape") {
        shape = tuple();
        haveShape = true;
      } else {
        fail(fmt::format("unexpected header key '{}'", key));
      }
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') break;
      fail("expected ',' or '}' in header");
    }
    if (!haveDescr || !haveFortran || !haveShape)
      fail("header lacks one of 'descr', 'fortran_order', 'shape'");
    // After the dictionary only the padding: spaces and the closing newline.
    ++pos_;
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t'))
      ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '\n') ++pos_;
    if (pos_ != s_.size())
      fail(fmt::format("unexpected text after the header dictionary at offset {}", pos_));
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw UserError(fmt::format("{}: malformed .npy header: {}", source_, what));
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t'))
      ++pos_;
  }
  char peek() {
    skipSpace();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  void expect(char c) {
    if (peek() != c) fail(fmt::format("expected '{}' at offset {}", c, pos_));
    ++pos_;
  }
  std::string quoted() {
    const char q = peek();
    if (q != '\'' && q != '"') fail(fmt::format("expected a quoted string at offset {}", pos_));
    const size_t end = s_.find(q, pos_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string out = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    skipSpace();
    if (s_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    fail("fortran_order is neither True nor False");
  }
  std::vector<size_t> tuple() {
    expect('(');
    std::vector<size_t> dims;
    while (true) {
      const char c = peek();
      if (c == ')') {
        ++pos_;
        break;
      }
      if (c < '0' || c > '9') fail(fmt::format("bad shape entry at offset {}", pos_));
      size_t v = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        const size_t digit = static_cast<size_t>(s_[pos_] - '0');
        if (v > (std::numeric_limits<size_t>::max() - digit) / 10) fail("shape entry too large");
        v = v * 10 + digit;
        ++pos_;
      }
      dims.push_back(v);
      if (dims.size() > kMaxDims) fail("too many dimensions");
      if (peek() == ',') ++pos_;
    }
    return dims;
  }

  std::string s_;
  std::string source_;
  size_t pos_ = 0;
};

std::string headerFor(const char* descr, const std::vector<size_t>& shape) {
  std::string dims;  // "(3, 4)", "(3,)" or "()"
  for (size_t i = 0; i < shape.size(); ++i)
    dims += fmt::format("{}{}", i ? ", " : "", shape[i]);
  if (shape.size() == 1) dims += ',';
  std::string h =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, dims);
  // Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64.
  const size_t total = kMagicBytes + 2 + 2 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  return h;
}

std::vector<uint8_t> encode(const char* descr, const std::vector<size_t>& shape, const void* data,
                            size_t bytes) {
  const std::string header = headerFor(descr, shape);
  std::vector<uint8_t> out(kMagic, kMagic + kMagicBytes);
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(header.size() & 0xff));
  out.push_back(static_cast<uint8_t>(header.size() >> 8));
  out.insert(out.end(), header.begin(), header.end());
  const auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + bytes);
  return out;
}

size_t product(const std::vector<size_t>& shape) {
  size_t n = 1;
  for (size_t d : shape)
    n *= d;
  return n;
}

}  // namespace

const char* npyTypeName(NpyType t) {
  return t == NpyType::F32   ? "float32"
         : t == NpyType::F16 ? "float16"
         : t == NpyType::I8  ? "int8"
                             : "int64";
}

size_t NpyArray::elements() const {
  return product(shape);
}

std::vector<float> NpyArray::toFloat() const {
  const size_t n = elements();
  std::vector<float> out(n);
  switch (type) {
    case NpyType::F32:
      if (n > 0) std::memcpy(out.data(), data.data(), n * 4);
      break;
    case NpyType::F16:
      for (size_t i = 0; i < n; ++i)
        out[i] = halfToFloat(static_cast<uint16_t>(data[2 * i] | (data[2 * i + 1] << 8)));
      break;
    case NpyType::I8:
      for (size_t i = 0; i < n; ++i)
        out[i] = static_cast<float>(static_cast<int8_t>(data[i]));
      break;
    case NpyType::I64:
      for (size_t i = 0; i < n; ++i) {
        int64_t v = 0;
        std::memcpy(&v, data.data() + 8 * i, 8);
        out[i] = static_cast<float>(v);
      }
      break;
  }
  return out;
}

std::vector<int8_t> NpyArray::toInt8() const {
  if (type != NpyType::I8)
    throw UserError(fmt::format("expected an int8 array, got {}", npyTypeName(type)));
  return std::vector<int8_t>(data.begin(), data.end());
}

std::vector<int64_t> NpyArray::toInt64() const {
  const size_t n = elements();
  std::vector<int64_t> out(n);
  if (type == NpyType::I8) {
    for (size_t i = 0; i < n; ++i)
      out[i] = static_cast<int8_t>(data[i]);
  } else if (type == NpyType::I64) {
    if (n > 0) std::memcpy(out.data(), data.data(), n * 8);
  } else {
    throw UserError(fmt::format("expected an integer array, got {}", npyTypeName(type)));
  }
  return out;
}

NpyArray parseNpy(const std::vector<uint8_t>& bytes, const std::string& source) {
  if (bytes.size() < kMagicBytes + 4 || std::memcmp(bytes.data(), kMagic, kMagicBytes) != 0) {
    throw UserError(fmt::format("{}: not a .npy file (missing \\x93NUMPY magic)", source));
  }
  const uint8_t major = bytes[6];
  size_t headerLen = 0, offset = 0;
  if (major == 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw UserError(fmt::format("{}: truncated .npy header", source));
    headerLen = static_cast<size_t>(bytes[8]) | (static_cast<size_t>(bytes[9]) << 8) |
                (static_cast<size_t>(bytes[10]) << 16) | (static_cast<size_t>(bytes[11]) << 24);
    offset = 12;
  } else {
    throw UserError(
        fmt::format("{}: unsupported .npy format version {}.{}", source, major, bytes[7]));
  }
  if (headerLen > kMaxHeaderBytes || offset + headerLen > bytes.size()) {
    throw UserError(
        fmt::format("{}: truncated .npy header ({} header bytes announced, file has {})", source,
                    headerLen, bytes.size()));
  }
  std::string header(bytes.begin() + static_cast<long>(offset),
                     bytes.begin() + static_cast<long>(offset + headerLen));
  std::string descr;
  bool fortran = false;
  NpyArray a;
  HeaderParser(header, source).parse(descr, fortran, a.shape);
  if (descr == "<f4" || descr == "=f4") {
    a.type = NpyType::F32;
  } else if (descr == "<f2" || descr == "=f2") {
    a.type = NpyType::F16;
  } else if (descr == "|i1" || descr == "<i1" || descr == "=i1" || descr == "i1") {
    a.type = NpyType::I8;
  } else if (descr == "<i8" || descr == "=i8") {
    a.type = NpyType::I64;
  } else {
    throw UserError(
        fmt::format("{}: unsupported dtype '{}' (supported: float32 '<f4', float16 '<f2', int8 "
                    "'|i1', int64 '<i8')",
                    source, descr));
  }
  if (fortran)
    throw UserError(
        fmt::format("{}: Fortran-ordered arrays are not supported; save with C order", source));
  // Overflow-safe size check before any allocation.
  size_t count = 1;
  for (size_t d : a.shape) {
    if (d != 0 && count > std::numeric_limits<size_t>::max() / 8 / d) {
      throw UserError(fmt::format("{}: shape too large", source));
    }
    count *= d;
  }
  const size_t need = count * elementBytes(a.type);
  const size_t have = bytes.size() - offset - headerLen;
  if (have < need) {
    throw UserError(fmt::format("{}: truncated data: {} bytes for {} {} elements, expected {}",
                                source, have, count, npyTypeName(a.type), need));
  }
  if (have > need)
    throw UserError(
        fmt::format("{}: {} unexpected bytes after the array data", source, have - need));
  a.data.assign(bytes.begin() + static_cast<long>(offset + headerLen), bytes.end());
  return a;
}

NpyArray readNpy(const std::filesystem::path& path) {
  return parseNpy(readFileBytes(path), path.string());
}

std::vector<uint8_t> encodeNpy(const std::vector<size_t>& shape, const float* data) {
  return encode("<f4", shape, data, product(shape) * 4);
}

std::vector<uint8_t> encodeNpy(const std::vector<size_t>& shape, const int8_t* data) {
  return encode("|i1", shape, data, product(shape));
}

void writeNpy(const std::filesystem::path& path, const std::vector<size_t>& shape,
              const float* data) {
  writeFileAtomic(path, encodeNpy(shape, data));
}

void writeNpy(const std::filesystem::path& path, const std::vector<size_t>& shape,
              const int8_t* data) {
  writeFileAtomic(path, encodeNpy(shape, data));
}

}  // namespace tasdsim::io
