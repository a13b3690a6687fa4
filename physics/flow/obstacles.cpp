// Solid obstacles: primitives (spheres, boxes, cylinders) and user masks. A cell is solid when its
// centre is inside an obstacle: cut cells count as solid, so curved walls are staircases of cells.
#include <cmath>

#include "core/error.hpp"
#include "io/hdf5_file.hpp"
#include "io/schema.hpp"
#include "physics/flow/flow_state_petsc.hpp"

namespace anneal::physics::flow {
namespace {

bool inside(const Obstacle& o, const std::array<double, 3>& x, int dim) {
  switch (o.shape) {
    case ObstacleShape::sphere: {
      double r2 = 0;
      for (int a = 0; a < dim; ++a) r2 += std::pow(x[static_cast<std::size_t>(a)] - o.center[static_cast<std::size_t>(a)], 2);
      return r2 < o.radius * o.radius;
    }
    case ObstacleShape::cylinder: {  // infinite along its axis (a disk in 2-D)
      double r2 = 0;
      for (int a = 0; a < dim; ++a)
        if (dim == 2 || a != o.axis) r2 += std::pow(x[static_cast<std::size_t>(a)] - o.center[static_cast<std::size_t>(a)], 2);
      return r2 < o.radius * o.radius;
    }
    case ObstacleShape::box:
      for (int a = 0; a < dim; ++a) {
        const auto ua = static_cast<std::size_t>(a);
        if (x[ua] < o.min[ua] || x[ua] > o.max[ua]) return false;
      }
      return true;
  }
  return false;
}

}  // namespace

void mark_solids(const Scene& scene, const MacGrid& grid, GhostedField& solid) {
  solid.fill(0.0);
  const IndexBox& own = grid.owned_cells();
  std::vector<std::uint8_t> mask;
  if (!scene.mask_file.empty()) {
    const auto file = io::H5File::open_read(scene.mask_file);
    io::Shape expected{static_cast<std::size_t>(grid.cells(1)), static_cast<std::size_t>(grid.cells(0))};
    if (scene.dim == 3) expected.insert(expected.begin(), static_cast<std::size_t>(grid.cells(2)));
    io::require_dataset(file, scene.mask_dataset, {io::DType::u8}, expected);
    mask = file.read<std::uint8_t>(scene.mask_dataset).data;
  }
  for (long k = own.lo[2]; k < own.hi[2]; ++k)
    for (long j = own.lo[1]; j < own.hi[1]; ++j)
      for (long i = own.lo[0]; i < own.hi[0]; ++i) {
        const std::array<double, 3> x{(static_cast<double>(i) + 0.5) * grid.h(0), (static_cast<double>(j) + 0.5) * grid.h(1),
                                      (static_cast<double>(k) + 0.5) * grid.h(2)};
        bool is_solid = false;
        for (const Obstacle& o : scene.obstacles) is_solid |= inside(o, x, scene.dim);
        if (!mask.empty())
          is_solid |= mask[static_cast<std::size_t>((k * grid.cells(1) + j) * grid.cells(0) + i)] != 0;
        solid(i, j, k) = is_solid ? 1.0 : 0.0;
      }
  solid.exchange();
}

}  // namespace anneal::physics::flow
