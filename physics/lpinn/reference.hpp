#pragma once
// Reference solutions of w_t + f(w) w_x = ν w_xx (physics/lpinn/problem.hpp), computed without
// any network, to measure PINNs and LPINNs against and to check each other:
//   convection_exact   ν = 0, f = β: u0 at the foot of the characteristic, u0(x − βt) (periodic)
//   fourier_solution   f = β, ν ≥ 0: each Fourier mode of u0 advected and damped exactly
//   cole_hopf          Burgers: the Cole–Hopf integral, in log-sum-exp form so that it does not
//                      overflow at small ν (the naive exp(−U0/(2ν)) does at ν ≈ 0.003)
//   spectral_solution  any of the three: Fourier pseudo-spectral in x (2/3 dealiasing), fourth-order
//                      integrating-factor Runge–Kutta in t; a second, independent check
// All return u on the grid, [nt][nx] row-major (t slow), for increasing x inside the domain and
// t in [0, t_end]. The Dirichlet problems the solvers accept (u0 odd about both ends) are solved
// through their odd periodic extension, which satisfies u = 0 at the ends for all t.
#include <span>
#include <vector>

#include "physics/lpinn/problem.hpp"

namespace anneal::physics::lpinn {

std::vector<double> convection_exact(const Problem& problem, std::span<const double> x, std::span<const double> t);
// `modes`: the number of Fourier modes of u0 kept (sampled at 2·modes points).
std::vector<double> fourier_solution(const Problem& problem, std::span<const double> x, std::span<const double> t,
                                     int modes = 512);
std::vector<double> cole_hopf(const Problem& problem, std::span<const double> x, std::span<const double> t);

struct SpectralOptions {
  int modes = 1024;  // grid points (even); the top third of wavenumbers is filtered out
  double dt = 0;     // 0: from the advective CFL of the sampled u0 (0.2 h / max|f|), capped at 1e-3 t_end
};
std::vector<double> spectral_solution(const Problem& problem, std::span<const double> x, std::span<const double> t,
                                      const SpectralOptions& options = {});

// The reference a run is scored against: exact for convection, Fourier for convection–diffusion,
// Cole–Hopf for Burgers.
std::vector<double> reference_solution(const Problem& problem, std::span<const double> x, std::span<const double> t);

}  // namespace anneal::physics::lpinn
