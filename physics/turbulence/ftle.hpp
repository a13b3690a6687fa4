#pragma once
// Finite-time Lyapunov exponents: FTLE(x0) = ln σ_max(∇F) / |T|, with σ_max the largest singular
// value of the flow-map gradient taken directly (not √λ_max of the Cauchy–Green tensor ∇Fᵀ∇F, which
// squares the condition number), raw values kept (σ_max < 1 gives a negative FTLE, not a clamp).
// ∇F comes from
//   (a) central differences of the flow map over an auxiliary grid of 2·D particles at ±δ around each
//       seed, or
//   (b) the variational equation integrated along each trajectory.
// (a) stops measuring the linearised map once the auxiliary particles separate by more than the data
// resolves (δ·σ_max larger than the grid spacing); such seeds are counted and reported.
#include <span>
#include <vector>

#include "io/grid_file.hpp"
#include "physics/turbulence/flow_map.hpp"

namespace anneal::physics::turbulence {

enum class GradientMethod { finite_differences, variational };
std::string to_string(GradientMethod method);

struct FtleOptions {
  GradientMethod method = GradientMethod::finite_differences;
  double fd_delta = 0;  // δ; 0: 1/100 of the seed spacing
  FlowMapOptions flow;
};

template <int D>
struct FtleResult {
  std::vector<double> ftle;           // per seed; NaN where the status is not ok
  std::vector<std::uint8_t> status;   // per seed: ok, or the worst of its particles
  std::size_t ill_conditioned = 0;    // finite differences: seeds with δ·σ_max above the data spacing
  double fd_delta = 0;
  std::size_t particles = 0;
  long particle_steps = 0;
  double advection_seconds = 0;
};

// ln σ_max(F) / |T|.
template <int D>
double ftle_from_gradient(const Mat<D>& F, double T);

// `seed_spacing`: the smallest spacing of the seed grid (sets the default δ).
template <int D>
FtleResult<D> compute_ftle(const VelocityField<D>& field, std::span<const Vec<D>> seeds, double t0, double T,
                           const FtleOptions& options, double seed_spacing);

// The nodes of a rectilinear grid as points, x fastest (the C order of fields [nz][ny][nx]).
template <int D>
std::vector<Vec<D>> grid_points(const io::RectilinearGrid& grid);

// The smallest node spacing of a grid.
double min_spacing(const io::RectilinearGrid& grid);

}  // namespace anneal::physics::turbulence
