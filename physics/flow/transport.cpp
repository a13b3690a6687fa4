// Advection, diffusion and buoyancy: the right-hand sides of the momentum and scalar equations on
// the MAC grid, in flux form so that what leaves one control volume enters its neighbour exactly.
#include <algorithm>

#include "physics/flow/flow_state_petsc.hpp"

namespace anneal::physics::flow {
namespace {

// Third-order upwind-biased (κ = 1/3) value at the interface between q0 and q1, upwind side
// chosen by the advecting velocity; qm1 and q2 are the next points out.
inline double upwind3(double velocity, double qm1, double q0, double q1, double q2) {
  return velocity >= 0 ? (-qm1 + 5.0 * q0 + 2.0 * q1) / 6.0 : (2.0 * q0 + 5.0 * q1 - q2) / 6.0;
}

// The same κ = 1/3 value limited by Koren's limiter (Koren 1993): third order where the scalar is
// smooth, no new extrema where it jumps (a scalar between 0 and 1 stays there).
inline double koren_side(double upwind, double centre, double downwind) {
  const double behind = centre - upwind, ahead = downwind - centre;
  if (behind * ahead <= 0) return centre;
  const double r = ahead / behind;
  const double phi = std::max(0.0, std::min({2.0 * r, (1.0 + 2.0 * r) / 3.0, 2.0}));
  return centre + 0.5 * phi * behind;
}
inline double koren(double velocity, double qm1, double q0, double q1, double q2) {
  return velocity >= 0 ? koren_side(qm1, q0, q1) : koren_side(q2, q1, q0);
}

using Index = std::array<long, 3>;
inline Index shifted(Index p, int axis, long by) {
  p[static_cast<std::size_t>(axis)] += by;
  return p;
}
inline double at(const GhostedField& f, const Index& p) { return f(p[0], p[1], p[2]); }

// Flux of u_a across the interface between faces p and p + e_d of its control volumes. The
// advecting velocity there is the mean of the two u_d faces that meet at that interface.
inline double momentum_flux(const FlowFields& f, int a, int d, const Index& p) {
  const GhostedField& ua = f.u[static_cast<std::size_t>(a)];
  const GhostedField& ud = f.u[static_cast<std::size_t>(d)];
  const Index up = shifted(p, d, 1);
  const double velocity = 0.5 * (at(ud, up) + at(ud, shifted(up, a, -1)));
  return velocity * upwind3(velocity, at(ua, shifted(p, d, -1)), at(ua, p), at(ua, up), at(ua, shifted(p, d, 2)));
}

// Flux of the scalar across the face between cells p and p + e_d.
inline double scalar_flux(const FlowFields& f, int d, const Index& p) {
  const GhostedField& c = f.scalar;
  const Index up = shifted(p, d, 1);
  const double velocity = at(f.u[static_cast<std::size_t>(d)], up);
  return velocity * koren(velocity, at(c, shifted(p, d, -1)), at(c, p), at(c, up), at(c, shifted(p, d, 2)));
}

}  // namespace

void momentum_tendency(const Scene& scene, const MacGrid& grid, const FlowFields& f,
                       std::array<GhostedField, 3>& tendency) {
  const double nu = scene.viscosity;
  for (int a = 0; a < grid.dim(); ++a) {
    const GhostedField& u = f.u[static_cast<std::size_t>(a)];
    GhostedField& out = tendency[static_cast<std::size_t>(a)];
    const double g = scene.buoyancy[static_cast<std::size_t>(a)];
    for_each_index(grid.owned_faces(a), [&](long i, long j, long k) {
      if (face_fixed(grid, f.solid, a, i, j, k)) {
        out(i, j, k) = 0;
        return;
      }
      const Index p{i, j, k};
      double rate = 0;
      for (int d = 0; d < grid.dim(); ++d) {
        const double h = grid.h(d);
        rate -= (momentum_flux(f, a, d, p) - momentum_flux(f, a, d, shifted(p, d, -1))) / h;
        rate += nu * (at(u, shifted(p, d, 1)) - 2.0 * at(u, p) + at(u, shifted(p, d, -1))) / (h * h);
      }
      // Buoyancy: the scalar (e.g. smoke temperature) at the face pushes along `buoyancy`.
      if (g != 0) rate += g * 0.5 * (at(f.scalar, p) + at(f.scalar, shifted(p, a, -1)));
      out(i, j, k) = rate;
    });
  }
}

void scalar_tendency(const Scene& scene, const MacGrid& grid, const FlowFields& f, GhostedField& tendency) {
  const double kappa = scene.diffusivity;
  const GhostedField& c = f.scalar;
  for_each_index(grid.owned_cells(), [&](long i, long j, long k) {
    if (f.solid(i, j, k) > 0.5) {
      tendency(i, j, k) = 0;
      return;
    }
    const Index p{i, j, k};
    double rate = 0;
    for (int d = 0; d < grid.dim(); ++d) {
      const double h = grid.h(d);
      const Index lo = shifted(p, d, -1), hi = shifted(p, d, 1);
      rate -= (scalar_flux(f, d, p) - scalar_flux(f, d, lo)) / h;
      if (kappa > 0) {
        // No diffusive flux into solids; the same expression on both sides of a face, so the
        // fluxes cancel exactly and the scalar is conserved to round-off.
        const double flux_hi = at(f.solid, hi) > 0.5 ? 0.0 : kappa * (at(c, hi) - at(c, p)) / h;
        const double flux_lo = at(f.solid, lo) > 0.5 ? 0.0 : kappa * (at(c, p) - at(c, lo)) / h;
        rate += (flux_hi - flux_lo) / h;
      }
    }
    tendency(i, j, k) = rate;
  });
}

}  // namespace anneal::physics::flow
