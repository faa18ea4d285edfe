#pragma once
// Dense row-major matrix of T (float or int8_t). Rows are the GEMM's M (or N) dimension and
// columns the reduction dimension K, along which N:M blocks are formed.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sw/common/HostMemory.h"

namespace tasdsim::tasd {

template <typename T>
class Matrix {
 public:
  Matrix() = default;
  Matrix(size_t rows, size_t cols) : rows_(rows), cols_(cols) { resizeLarge(data_, rows * cols); }
  Matrix(size_t rows, size_t cols, std::vector<T> data)
      : rows_(rows), cols_(cols), data_(std::move(data)) {
    assert(data_.size() == rows_ * cols_);
  }

  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  size_t size() const { return data_.size(); }
  T& operator()(size_t r, size_t c) { return data_[r * cols_ + c]; }
  const T& operator()(size_t r, size_t c) const { return data_[r * cols_ + c]; }
  T* row(size_t r) { return data_.data() + r * cols_; }
  const T* row(size_t r) const { return data_.data() + r * cols_; }
  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  std::vector<T>& values() { return data_; }
  const std::vector<T>& values() const { return data_; }

  bool operator==(const Matrix& o) const {
    return rows_ == o.rows_ && cols_ == o.cols_ && data_ == o.data_;
  }

 private:
  size_t rows_ = 0;
  size_t cols_ = 0;
  std::vector<T> data_;
};

// Read-only view of row-major values someone else owns (a Matrix, or an array of a caller).
template <typename T>
struct MatrixView {
  const T* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;
  MatrixView(const T* values, size_t r, size_t c) : data(values), rows(r), cols(c) {}
  explicit MatrixView(const Matrix<T>& m) : data(m.data()), rows(m.rows()), cols(m.cols()) {}
  size_t size() const { return rows * cols; }
  const T* row(size_t r) const { return data + r * cols; }
};

using MatrixF = Matrix<float>;
using MatrixI8 = Matrix<int8_t>;

}  // namespace tasdsim::tasd
