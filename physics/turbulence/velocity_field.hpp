#pragma once
// Velocity fields that particles are advected through: an interface that analytic flows (tests,
// the demo's double gyre) and gridded data (HDF5 time series) both implement.
//
// A sample that cannot be taken returns a non-zero ParticleStatus instead of a value: outside a
// non-periodic axis of the data, or inside masked (invalid) data. Particles are flagged, never
// clipped to the boundary.
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace anneal::physics::turbulence {

template <int D>
using Vec = std::array<double, D>;
template <int D>
using Mat = std::array<double, D * D>;  // row-major: g[i·D + j] = ∂v_i/∂x_j

enum ParticleStatus : std::uint8_t {
  particle_ok = 0,
  particle_left_domain = 1,   // crossed a non-periodic boundary of the data
  particle_masked = 2,        // reached masked (invalid) data
  particle_stalled = 3,       // the adaptive integrator gave up (step size underflow, too many steps)
};
std::string to_string(ParticleStatus status);

// The space and time where a field can be sampled; ±inf where unbounded.
template <int D>
struct FieldExtent {
  Vec<D> lo, hi;
  std::array<bool, D> periodic{};
  double t_lo = -std::numeric_limits<double>::infinity();
  double t_hi = std::numeric_limits<double>::infinity();
  // The data's smallest node spacing (0 for analytic fields): the length scale below which finite
  // differences of the flow map resolve it.
  double spacing = 0;
};

template <int D>
class VelocityField {
 public:
  virtual ~VelocityField() = default;
  virtual const FieldExtent<D>& extent() const = 0;
  virtual std::uint8_t velocity(const Vec<D>& x, double t, Vec<D>& v) const = 0;
  // v and its gradient ∇v.
  virtual std::uint8_t gradient(const Vec<D>& x, double t, Vec<D>& v, Mat<D>& g) const = 0;
  // Δv: the viscous term of the momentum equation (diffusive momentum barriers).
  virtual std::uint8_t laplacian(const Vec<D>& x, double t, Vec<D>& lap) const = 0;
  // A short description for logs and /meta ("double gyre A=0.1 ε=0.25", "gridded flow.h5").
  virtual std::string describe() const = 0;
};

// Vorticity: ω = ∂v/∂x − ∂u/∂y in 2-D; the vector ∇×v in 3-D.
inline double vorticity_2d(const Mat<2>& g) { return g[2] - g[1]; }
inline Vec<3> vorticity_3d(const Mat<3>& g) {
  return {g[7] - g[5], g[2] - g[6], g[3] - g[1]};
}

}  // namespace anneal::physics::turbulence
