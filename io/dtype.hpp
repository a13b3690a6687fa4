#pragma once
// Element types anneal stores in HDF5, and shapes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace anneal::io {

enum class DType { f32, f64, i32, i64, u8 };

using Shape = std::vector<std::size_t>;

template <class T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::u8; }

std::size_t dtype_size(DType dtype);
std::string to_string(DType dtype);
std::string to_string(const Shape& shape);  // "[64, 64, 3]"
std::size_t element_count(const Shape& shape);

// An n-d array read from a file: row-major (C order) data and its shape.
template <class T>
struct Array {
  Shape shape;
  std::vector<T> data;
};

}  // namespace anneal::io
