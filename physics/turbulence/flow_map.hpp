#pragma once
// Flow maps F(x0) = x(t0 + T) of particles released at x0 at t0: fixed-step RK4 or adaptive
// Dormand–Prince, forward (T > 0) or backward (T < 0). Besides the position a particle may carry
//   - the flow-map gradient ∇F, by the variational equation d∇F/dt = ∇v(x(t), t) ∇F, ∇F(t0) = I;
//   - the trajectory integrals of diffusive momentum barriers (Haller et al., JFM 905 A17, 2020):
//     ∫ det∇F [∇F]⁻¹ Δv dt (as the adjugate of ∇F, which needs no inverse) and, in 2-D, ∫ ω dt.
// Particles run in parallel (oneTBB); each particle's result depends only on its seed, so any
// split over threads and MPI ranks gives the same numbers.
#include <span>
#include <vector>

#include "physics/turbulence/velocity_field.hpp"
#include "solvers/ode/runge_kutta.hpp"

namespace anneal::physics::turbulence {

enum class Integrator { rk4, rk45 };
std::string to_string(Integrator integrator);

struct FlowMapOptions {
  Integrator integrator = Integrator::rk4;
  double step = 0;  // RK4 step (0: |T| / 100); RK45: the initial step
  solvers::ode::AdaptiveOptions adaptive;
};

enum class Carry { position, gradient, barrier };

template <int D>
struct FlowMapResult {
  std::vector<Vec<D>> position;       // where each particle is at t0 + T (or where it stopped)
  std::vector<std::uint8_t> status;   // ParticleStatus
  std::vector<Mat<D>> gradient;       // ∇F (Carry::gradient and Carry::barrier)
  std::vector<Vec<D>> barrier;        // ∫ adj(∇F) Δv dt (Carry::barrier)
  std::vector<double> vorticity;      // ∫ ω dt (Carry::barrier, 2-D)
  long steps = 0;                     // accepted steps over all particles
  long rejected = 0;                  // rejected steps (RK45)
  double seconds = 0;                 // wall time of the integration
};

template <int D>
FlowMapResult<D> advect(const VelocityField<D>& field, std::span<const Vec<D>> seeds, double t0, double T,
                        const FlowMapOptions& options, Carry carry);

}  // namespace anneal::physics::turbulence
