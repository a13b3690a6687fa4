#include "physics/turbulence/barriers.hpp"

#include <cmath>
#include <limits>
#include <algorithm>
#include <memory>

#include "core/error.hpp"

namespace anneal::physics::turbulence {

template <int D>
BarrierResult<D> barrier_field(const VelocityField<D>& field, std::span<const Vec<D>> seeds, double t0, double T,
                               double viscosity, const FlowMapOptions& options) {
  ANNEAL_CHECK(T != 0, "barrier fields need a non-zero integration time T");
  ANNEAL_CHECK(std::isfinite(viscosity) && viscosity >= 0, "the viscosity must be ≥ 0 (got {})", viscosity);
  const FlowMapResult<D> map = advect<D>(field, seeds, t0, T, options, Carry::barrier);
  const std::size_t n = seeds.size();
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  BarrierResult<D> out;
  out.status = map.status;
  out.particle_steps = map.steps;
  out.advection_seconds = map.seconds;
  out.barrier.resize(n);
  out.strength.assign(n, nan);
  if (D == 2) out.mean_vorticity.assign(n, nan);
  for (std::size_t p = 0; p < n; ++p) {
    if (map.status[p] != particle_ok) {
      out.barrier[p].fill(nan);
      continue;
    }
    double norm = 0;
    for (int i = 0; i < D; ++i) {
      const double b = viscosity / T * map.barrier[p][static_cast<std::size_t>(i)];
      out.barrier[p][static_cast<std::size_t>(i)] = b;
      norm += b * b;
    }
    out.strength[p] = std::sqrt(norm);
    if constexpr (D == 2) out.mean_vorticity[p] = map.vorticity[p] / T;
  }
  return out;
}

template <int D>
FtleResult<D> active_ftle(const io::RectilinearGrid& grid, const std::array<bool, 3>& periodic,
                          const std::vector<Vec<D>>& barrier, double viscosity, double S, Interpolation interpolation,
                          const FtleOptions& options, std::size_t first, std::size_t count) {
  ANNEAL_CHECK(viscosity > 0, "the active FTLE needs a viscosity > 0");
  ANNEAL_CHECK(S > 0, "the active FTLE needs a pseudo-time S > 0");
  auto data = std::make_shared<FlowData>();
  data->grid = grid;
  data->periodic = periodic;
  data->times = {0.0, S};  // steady: two identical frames
  const std::size_t nodes = data->nodes();
  ANNEAL_CHECK(barrier.size() == nodes, "active FTLE: {} barrier vectors for {} grid nodes", barrier.size(), nodes);
  data->velocity.resize(2 * nodes * D);
  data->mask.assign(nodes, 0);
  data->mask_static = true;
  for (std::size_t p = 0; p < nodes; ++p) {
    const bool good = std::isfinite(barrier[p][0]);
    data->mask[p] = good ? 0 : 1;
    for (int i = 0; i < D; ++i) {
      const double v = good ? barrier[p][static_cast<std::size_t>(i)] / viscosity : 0.0;
      data->velocity[p * D + static_cast<std::size_t>(i)] = v;
      data->velocity[(nodes + p) * D + static_cast<std::size_t>(i)] = v;
    }
  }
  const GriddedVelocity<D> field(data, interpolation, Interpolation::linear);
  const std::vector<Vec<D>> seeds = grid_points<D>(grid);
  ANNEAL_CHECK(first <= seeds.size(), "active FTLE: seed {} of {}", first, seeds.size());
  count = std::min(count, seeds.size() - first);
  return compute_ftle<D>(field, std::span<const Vec<D>>(seeds).subspan(first, count), 0.0, S, options,
                         min_spacing(grid));
}

template BarrierResult<2> barrier_field<2>(const VelocityField<2>&, std::span<const Vec<2>>, double, double, double,
                                        const FlowMapOptions&);
template BarrierResult<3> barrier_field<3>(const VelocityField<3>&, std::span<const Vec<3>>, double, double, double,
                                        const FlowMapOptions&);
template FtleResult<2> active_ftle<2>(const io::RectilinearGrid&, const std::array<bool, 3>&, const std::vector<Vec<2>>&,
                                   double, double, Interpolation, const FtleOptions&, std::size_t, std::size_t);
template FtleResult<3> active_ftle<3>(const io::RectilinearGrid&, const std::array<bool, 3>&, const std::vector<Vec<3>>&,
                                   double, double, Interpolation, const FtleOptions&, std::size_t, std::size_t);

}  // namespace anneal::physics::turbulence
