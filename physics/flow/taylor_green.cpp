#include "physics/flow/taylor_green.hpp"

#include <tbb/parallel_for.h>

#include <cmath>

#include "core/error.hpp"

namespace anneal::physics::flow {

std::array<double, 3> taylor_green_velocity(double x, double y, double z, double amplitude) {
  return {amplitude * std::sin(x) * std::cos(y) * std::cos(z), -amplitude * std::cos(x) * std::sin(y) * std::cos(z),
          0.0};
}

std::array<double, 3> taylor_green_vorticity(double x, double y, double z, double amplitude) {
  return {-amplitude * std::cos(x) * std::sin(y) * std::sin(z), -amplitude * std::sin(x) * std::cos(y) * std::sin(z),
          2.0 * amplitude * std::sin(x) * std::sin(y) * std::cos(z)};
}

void sample_taylor_green(const io::RectilinearGrid& grid, long first_plane, std::size_t planes,
                         std::span<double> velocity, double amplitude) {
  const std::size_t nx = grid.x.size(), ny = grid.y.size();
  const long nz = static_cast<long>(grid.z.size());
  ANNEAL_CHECK(velocity.size() == planes * ny * nx * 3, "Taylor-Green sample: buffer holds {} values, {} needed",
               velocity.size(), planes * ny * nx * 3);
  // Each value depends on its own node only, so any split over threads or ranks gives the same bits.
  tbb::parallel_for(std::size_t{0}, planes, [&](std::size_t p) {
    const long k = ((first_plane + static_cast<long>(p)) % nz + nz) % nz;
    const double z = grid.z[static_cast<std::size_t>(k)];
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < nx; ++i) {
        const auto u = taylor_green_velocity(grid.x[i], grid.y[j], z, amplitude);
        double* out = &velocity[((p * ny + j) * nx + i) * 3];
        out[0] = u[0];
        out[1] = u[1];
        out[2] = u[2];
      }
  });
}

}  // namespace anneal::physics::flow
