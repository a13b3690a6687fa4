#include "physics/flow/vorticity.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace anneal::physics::flow {
namespace {

// Derivative weights along one axis: d/dx f at node i = sum_s w[s] f[idx[s]].
struct Stencil {
  std::array<long, 4> index{};  // node indices, possibly outside [0, n) on a periodic axis
  std::array<double, 4> weight{};
  int size = 0;
};

// Weights of the derivative at `at` of the quadratic through (x0, x1, x2).
std::array<double, 3> lagrange3_derivative(double x0, double x1, double x2, double at) {
  return {((at - x1) + (at - x2)) / ((x0 - x1) * (x0 - x2)), ((at - x0) + (at - x2)) / ((x1 - x0) * (x1 - x2)),
          ((at - x0) + (at - x1)) / ((x2 - x0) * (x2 - x1))};
}

std::vector<Stencil> axis_stencils(const std::vector<double>& x, bool periodic, const char* name) {
  const std::size_t n = x.size();
  std::vector<Stencil> stencils(n);
  if (periodic) {
    ANNEAL_CHECK(n >= 5, "periodic axis {} needs at least 5 nodes for 4th-order differences, has {}", name, n);
    const double h = x[1] - x[0];
    for (std::size_t i = 1; i < n; ++i)
      ANNEAL_CHECK(std::abs((x[i] - x[i - 1]) - h) <= 1e-9 * std::abs(h),
                   "periodic axis {} must be evenly spaced (node {} breaks the spacing)", name, i);
    for (std::size_t i = 0; i < n; ++i) {
      const long c = static_cast<long>(i);
      stencils[i] = {{c - 2, c - 1, c + 1, c + 2}, {1 / (12 * h), -8 / (12 * h), 8 / (12 * h), -1 / (12 * h)}, 4};
    }
    return stencils;
  }
  ANNEAL_CHECK(n >= 3, "axis {} needs at least 3 nodes for finite differences, has {}", name, n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t lo = std::clamp<std::size_t>(i, 1, n - 2) - 1;  // one-sided at the ends
    const auto w = lagrange3_derivative(x[lo], x[lo + 1], x[lo + 2], x[i]);
    const long l = static_cast<long>(lo);
    stencils[i] = {{l, l + 1, l + 2, 0}, {w[0], w[1], w[2], 0}, 3};
  }
  return stencils;
}

long wrap(long i, long n) { return ((i % n) + n) % n; }

}  // namespace

PlaneWindow vorticity_input_window(std::size_t nz, bool periodic_z, std::size_t z_begin, std::size_t z_end) {
  const long h = static_cast<long>(kVorticityHalo);
  long first = static_cast<long>(z_begin) - h, last = static_cast<long>(z_end) + h;
  if (!periodic_z) {
    first = std::max(first, 0L);
    last = std::min(last, static_cast<long>(nz));
  }
  return {first, static_cast<std::size_t>(last - first)};
}

void compute_vorticity(const io::RectilinearGrid& grid, const Periodicity& periodic, const PlaneWindow& window,
                       std::span<const double> velocity, std::size_t z_begin, std::size_t z_end,
                       std::span<double> vorticity) {
  ANNEAL_CHECK(grid.is_3d(), "vorticity needs a 3-D grid (/grid/z)");
  const std::size_t nx = grid.x.size(), ny = grid.y.size();
  const auto sx = axis_stencils(grid.x, periodic.x, "x");
  const auto sy = axis_stencils(grid.y, periodic.y, "y");
  const auto sz = axis_stencils(grid.z, periodic.z, "z");
  const std::size_t plane = ny * nx * 3;
  ANNEAL_CHECK(velocity.size() == window.count * plane, "vorticity: velocity slab has {} values, {} expected",
               velocity.size(), window.count * plane);
  ANNEAL_CHECK(vorticity.size() == (z_end - z_begin) * plane, "vorticity: output slab has {} values, {} expected",
               vorticity.size(), (z_end - z_begin) * plane);

  // Component c of u at node (k, j, i); k is a global plane index inside the window.
  auto u = [&](long k, long j, long i, int c) {
    const auto p = static_cast<std::size_t>(k - window.first);
    ANNEAL_ASSERT(p < window.count);
    return velocity[((p * ny + static_cast<std::size_t>(j)) * nx + static_cast<std::size_t>(i)) * 3 +
                    static_cast<std::size_t>(c)];
  };

  tbb::parallel_for(z_begin, z_end, [&](std::size_t k) {
    const long kk = static_cast<long>(k);
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < nx; ++i) {
        const long jj = static_cast<long>(j), ii = static_cast<long>(i);
        // d[axis][component]
        double d[3][3] = {};
        for (int c = 0; c < 3; ++c) {
          const Stencil& ax = sx[i];
          for (int s = 0; s < ax.size; ++s)
            d[0][c] += ax.weight[s] * u(kk, jj, wrap(ax.index[s], static_cast<long>(nx)), c);
          const Stencil& ay = sy[j];
          for (int s = 0; s < ay.size; ++s)
            d[1][c] += ay.weight[s] * u(kk, wrap(ay.index[s], static_cast<long>(ny)), ii, c);
          const Stencil& az = sz[k];
          // Along z the window already holds the wrapped ghost planes, so indices stay unwrapped.
          for (int s = 0; s < az.size; ++s) d[2][c] += az.weight[s] * u(az.index[s], jj, ii, c);
        }
        double* out = &vorticity[(((k - z_begin) * ny + j) * nx + i) * 3];
        out[0] = d[1][2] - d[2][1];  // ∂w/∂y − ∂v/∂z
        out[1] = d[2][0] - d[0][2];  // ∂u/∂z − ∂w/∂x
        out[2] = d[0][1] - d[1][0];  // ∂v/∂x − ∂u/∂y
      }
  });
}

}  // namespace anneal::physics::flow
