#include "io/schema.hpp"

#include <fmt/format.h>

namespace anneal::io {
namespace {
std::string shape_pattern(const Shape& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + (shape[i] == kAny ? std::string("*") : std::to_string(shape[i]));
  return text + "]";
}
}  // namespace

DatasetInfo require_dataset(const H5File& file, std::string_view dataset, const std::vector<DType>& dtypes,
                            const Shape& shape) {
  const DatasetInfo info = file.dataset_info(dataset);
  bool dtype_ok = false;
  std::string expected_types;
  for (DType d : dtypes) {
    dtype_ok = dtype_ok || (info.supported && info.dtype == d);
    expected_types += (expected_types.empty() ? "" : " or ") + to_string(d);
  }
  bool shape_ok = info.shape.size() == shape.size();
  for (std::size_t i = 0; shape_ok && i < shape.size(); ++i) shape_ok = shape[i] == kAny || shape[i] == info.shape[i];
  ANNEAL_CHECK(dtype_ok && shape_ok, "'{}': dataset '{}' should be {} of shape {}, but is {} of shape {}",
               file.path().string(), dataset, expected_types, shape_pattern(shape), info.type_text,
               to_string(info.shape));
  return info;
}

}  // namespace anneal::io
