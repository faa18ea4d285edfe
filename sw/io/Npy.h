#pragma once
// NumPy .npy reader and writer (format versions 1.0, 2.0 and 3.0). Supported element types:
// float32 ('<f4'), float16 ('<f2'), int8 ('|i1') and int64 ('<i8', read only: labels), C order.
// Anything else is a UserError that names the file and the problem.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tasdsim::io {

enum class NpyType { F32, F16, I8, I64 };
const char* npyTypeName(NpyType t);

struct NpyArray {
  NpyType type = NpyType::F32;
  std::vector<size_t> shape;
  std::vector<uint8_t> data;  // raw little-endian elements

  size_t elements() const;
  // Values as float (float16 and int8 converted exactly).
  std::vector<float> toFloat() const;
  // Values as int8 (type must be I8).
  std::vector<int8_t> toInt8() const;
  // Values as int64 (type must be I64 or I8).
  std::vector<int64_t> toInt64() const;
};

NpyArray parseNpy(const std::vector<uint8_t>& bytes, const std::string& source);
NpyArray readNpy(const std::filesystem::path& path);

std::vector<uint8_t> encodeNpy(const std::vector<size_t>& shape, const float* data);
std::vector<uint8_t> encodeNpy(const std::vector<size_t>& shape, const int8_t* data);
// Atomic write (temporary file, then rename).
void writeNpy(const std::filesystem::path& path, const std::vector<size_t>& shape,
              const float* data);
void writeNpy(const std::filesystem::path& path, const std::vector<size_t>& shape,
              const int8_t* data);

}  // namespace tasdsim::io
