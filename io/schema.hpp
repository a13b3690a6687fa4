#pragma once
// Checks that an input holds what a command expects, with errors that name the file, the dataset,
// what was expected and what was found.
#include <cmath>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "io/hdf5_file.hpp"

namespace anneal::io {

// One axis of an expected shape: a fixed extent, or any extent (kAny).
inline constexpr std::size_t kAny = static_cast<std::size_t>(-1);

// Requires `dataset` to exist with one of `dtypes` and a shape matching `shape` (kAny = any extent).
// Returns its info.
DatasetInfo require_dataset(const H5File& file, std::string_view dataset, const std::vector<DType>& dtypes,
                            const Shape& shape);

// Requires every value to be finite; the error gives the first bad index.
template <class T>
void require_finite(const H5File& file, std::string_view dataset, std::span<const T> values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    ANNEAL_CHECK(std::isfinite(values[i]), "'{}': dataset '{}' holds a non-finite value ({}) at flat index {}",
                 file.path().string(), dataset, static_cast<double>(values[i]), i);
  }
}

}  // namespace anneal::io
