#pragma once
// Barriers to diffusive momentum transport (Haller, Katsanoulis, Holzner, Frohnapfel & Gatti,
// "Objective barriers to the transport of dynamically active vector fields", JFM 905 A17, 2020).
// The Lagrangian-averaged barrier field of a flow with viscosity ν is
//   b(x0) = (ν/T) ∫_{t0}^{t0+T} det∇F [∇F]⁻¹ Δv(F(x0, t), t) dt,
// and barriers to momentum diffusion are the structures of the steady flow x0' = b(x0): its
// "active" FTLE ridges. In 2-D incompressible flow Δv = −J∇ω and det∇F·∇F⁻¹J = J∇Fᵀ, so
// b = −ν J∇₀ω̄_L with ω̄_L(x0) = (1/T)∫ω(F(x0, t), t) dt: momentum barriers are level curves of the
// trajectory-averaged vorticity, which is computed alongside.
#include <span>
#include <vector>

#include "io/grid_file.hpp"
#include "physics/turbulence/ftle.hpp"
#include "physics/turbulence/gridded_velocity.hpp"

namespace anneal::physics::turbulence {

template <int D>
struct BarrierResult {
  std::vector<Vec<D>> barrier;         // b(x0)
  std::vector<double> strength;        // |b|
  std::vector<double> mean_vorticity;  // ω̄_L (2-D)
  std::vector<std::uint8_t> status;
  long particle_steps = 0;
  double advection_seconds = 0;
};

// NaN where the particle failed. `field` must provide Δv (GriddedVelocity built with_laplacian).
template <int D>
BarrierResult<D> barrier_field(const VelocityField<D>& field, std::span<const Vec<D>> seeds, double t0, double T,
                               double viscosity, const FlowMapOptions& options);

// The active FTLE: the FTLE of the steady flow x' = b(x)/ν over the pseudo-time S, with b given on
// the nodes of `grid` (the seed grid; NaN nodes are masked) and interpolated as `interpolation`.
// Dividing by ν makes it independent of the viscosity's size: for a steady Beltrami flow (Δv = −v)
// b/ν = −v(x0), and the active FTLE over S equals the backward FTLE over T = S.
// Only the seeds [first, first + count) of the grid's nodes are advected (a rank's planes); the
// default, all of them.
template <int D>
FtleResult<D> active_ftle(const io::RectilinearGrid& grid, const std::array<bool, 3>& periodic,
                          const std::vector<Vec<D>>& barrier, double viscosity, double S, Interpolation interpolation,
                          const FtleOptions& options, std::size_t first = 0,
                          std::size_t count = static_cast<std::size_t>(-1));

}  // namespace anneal::physics::turbulence
