#include "io/grid_file.hpp"

#include "core/error.hpp"
#include "io/schema.hpp"

namespace anneal::io {

Shape RectilinearGrid::field_shape(std::size_t components) const {
  Shape shape = is_3d() ? Shape{z.size(), y.size(), x.size()} : Shape{y.size(), x.size()};
  if (components > 1) shape.push_back(components);
  return shape;
}

std::vector<double> periodic_axis(double lo, double hi, std::size_t n) {
  std::vector<double> axis(n);
  for (std::size_t i = 0; i < n; ++i) axis[i] = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n);
  return axis;
}

void write_grid(H5File& file, const RectilinearGrid& grid) {
  auto put = [&](const char* name, const std::vector<double>& axis) {
    const std::string path = std::string("/grid/") + name;
    file.write<double>(path, axis, {axis.size()});
    file.set_attribute(path, "units", grid.units);
  };
  put("x", grid.x);
  put("y", grid.y);
  if (grid.is_3d()) put("z", grid.z);
}

RectilinearGrid read_grid(const H5File& file) {
  auto get = [&](const std::string& name) {
    const std::string path = "/grid/" + name;
    require_dataset(file, path, {DType::f64, DType::f32}, {kAny});
    std::vector<double> axis = file.read<double>(path).data;
    require_finite<double>(file, path, axis);
    ANNEAL_CHECK(axis.size() >= 2, "'{}': grid axis '{}' needs at least 2 nodes, has {}", file.path().string(),
                 path, axis.size());
    for (std::size_t i = 1; i < axis.size(); ++i)
      ANNEAL_CHECK(axis[i] > axis[i - 1], "'{}': grid axis '{}' is not strictly increasing at index {}",
                   file.path().string(), path, i);
    return axis;
  };
  RectilinearGrid grid;
  grid.x = get("x");
  grid.y = get("y");
  if (file.exists("/grid/z")) grid.z = get("z");
  if (file.has_attribute("/grid/x", "units")) grid.units = file.string_attribute("/grid/x", "units");
  return grid;
}

}  // namespace anneal::io
