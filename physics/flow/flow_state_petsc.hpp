#pragma once
// The state the flow solver's parts share (private to physics/flow): the grid, the ghosted
// fields and the rules for boundary faces and ghost layers.
#include <array>
#include <memory>

#include "physics/flow/mac_grid_petsc.hpp"
#include "physics/flow/scene.hpp"

namespace anneal::physics::flow {

struct FlowFields {
  explicit FlowFields(const MacGrid& grid);
  std::array<GhostedField, 3> u;  // velocity components on their faces (u[2] unused in 2-D)
  GhostedField scalar;
  GhostedField solid;  // 1 in solid cells, 0 in fluid (ghosts included)
};

// Face p of axis a is "fixed" when the time stepper and the projection must leave it alone: a
// face on a non-periodic domain boundary (its value comes from the boundary condition) or a face
// touching a solid cell (zero).
inline bool face_fixed(const MacGrid& grid, const GhostedField& solid, int a, long i, long j, long k) {
  const std::array<long, 3> p{i, j, k};
  const auto ua = static_cast<std::size_t>(a);
  if (!grid.periodic(a) && (p[ua] == 0 || p[ua] == grid.cells(a))) return true;
  std::array<long, 3> q = p;
  q[ua] -= 1;
  return solid(i, j, k) > 0.5 || solid(q[0], q[1], q[2]) > 0.5;
}

// The discrete divergence of cell (i, j, k): net outflow through its faces per volume. Needs the
// high faces, so ghosts must be current on a rank's high edges.
inline double cell_divergence(const MacGrid& grid, const FlowFields& f, long i, long j, long k) {
  double divergence = 0;
  for (int a = 0; a < grid.dim(); ++a) {
    const GhostedField& u = f.u[static_cast<std::size_t>(a)];
    std::array<long, 3> q{i, j, k};
    q[static_cast<std::size_t>(a)] += 1;
    divergence += (u(q[0], q[1], q[2]) - u(i, j, k)) / grid.h(a);
  }
  return divergence;
}

// Ghost layers beyond the physical boundaries (after exchange()): velocity and scalar.
void fill_velocity_ghosts(const Scene& scene, const MacGrid& grid, FlowFields& f);
void fill_scalar_ghosts(const Scene& scene, const MacGrid& grid, FlowFields& f);

// Sets the normal velocity on boundary faces for the step from t to t + dt: inflow profiles (with
// their perturbations at t + dt), convective outflow advanced by dt and shifted so that what flows
// out equals what flows in (the pressure equation's compatibility condition). Walls stay at zero.
void set_boundary_faces(const Scene& scene, const MacGrid& grid, FlowFields& f, long step, double t, double dt);

// The relative inflow perturbation of boundary `side` at face point x, time t, step: four
// azimuthal modes m = 0..3 (2-D: varicose and sinuous) at Strouhal numbers 0.3–0.6 with phases
// drawn from the seed, which excite the shear layers' instability at the nozzle scale, plus white
// noise that breaks every symmetry; scaled by the boundary's `noise`. Rank-independent.
double inflow_perturbation(const Scene& scene, int side, const std::array<double, 3>& x, double t, long step,
                           std::uint64_t face);

// The inflow shape in [0, 1] at a point of boundary `side` (coordinates in the domain).
double inflow_shape(const Scene& scene, int side, const std::array<double, 3>& x);

// The tendencies of the momentum and scalar equations (advection, diffusion, buoyancy) on owned,
// non-fixed faces and owned fluid cells. Ghosts must be current.
void momentum_tendency(const Scene& scene, const MacGrid& grid, const FlowFields& f,
                       std::array<GhostedField, 3>& tendency);
void scalar_tendency(const Scene& scene, const MacGrid& grid, const FlowFields& f, GhostedField& tendency);

// Marks solid cells from the scene's obstacles and mask file (collective: the mask is read by
// every rank, its own block).
void mark_solids(const Scene& scene, const MacGrid& grid, GhostedField& solid);

}  // namespace anneal::physics::flow
