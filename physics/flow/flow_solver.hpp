#pragma once
// An incompressible Navier–Stokes solver with a passive (or buoyant) scalar on a staggered MAC grid,
// distributed over MPI ranks by PETSc DMDAs.
//
// Method (docs/flow.md): SSP-RK3 (Shu & Osher 1988) in time, with a projection after every stage
// (Chorin's method; the pressure Poisson equation goes to a PETSc KSP, CG + GAMG by default).
// Advection in flux form with third-order upwind-biased (κ = 1/3) face values; the scalar's face
// values are limited (Koren 1993) so that it stays within its bounds, and its flux form conserves it
// to round-off. Viscosity and diffusivity explicit, second-order central. CFL-adaptive time step.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "physics/flow/scene.hpp"
#include "solvers/structured/cell_laplacian.hpp"

namespace anneal::physics::flow {

struct StepReport {
  double dt = 0;
  double cfl = 0;                // the advective CFL number of the step taken
  int poisson_iterations = 0;    // summed over the three stages
  double max_divergence = 0;     // max |∇·u| · h / max |u|, the worst after any of the step's projections
  double change_rate = 0;        // max |u^{n+1} − u^n| / dt (steady-state monitor)
};

// A box of cells: the part of the grid one rank owns, [offset, offset + count) per axis (x, y, z).
struct CellBlock {
  std::array<long, 3> offset{0, 0, 0}, count{0, 0, 0};
  long size() const { return count[0] * count[1] * count[2]; }
};

// A pressure Poisson system as the DCDM solver reads it (DESIGN.md §4 CSR layout, natural order).
struct PressureSystem {
  solvers::CellLattice lattice;
  solvers::CsrMatrix matrix;
  std::vector<double> rhs, solution;
  std::vector<std::uint8_t> cell_type;  // solvers::CellType per cell
  long step = 0;
  double time = 0;
};

// What a checkpoint holds: every face and cell value this rank owns, and the clock.
struct FlowCheckpoint {
  double time = 0;
  long step = 0;
  std::array<std::vector<double>, 3> velocity;  // faces of each component, owned block
  std::vector<double> scalar, pressure;         // owned cells
};

class FlowSolver {
 public:
  // Collective. Builds the grid, the obstacles (and reads the mask file), the initial state and
  // the pressure solver. PETSc options given to the program (-ksp_type, -pc_type, ...) apply.
  explicit FlowSolver(const Scene& scene);
  ~FlowSolver();
  FlowSolver(const FlowSolver&) = delete;
  FlowSolver& operator=(const FlowSolver&) = delete;

  // Takes one time step, no longer than `max_dt` (use it to land on output times). Collective.
  // Throws if the pressure solve does not converge or the flow blows up.
  StepReport step(double max_dt = 1e300);

  double time() const;
  long steps() const;
  const Scene& scene() const;
  std::string pressure_solver() const;  // "cg + gamg"

  // This rank's cells, and fields on them (x fastest; vectors interleaved [..][dim]).
  CellBlock block() const;
  std::vector<double> cell_velocity() const;   // face velocities averaged to cell centres
  std::vector<double> pressure() const;
  std::vector<double> scalar() const;
  std::vector<std::uint8_t> solid() const;
  // Raw staggered velocity: component `axis` on this rank's faces, and that face block.
  std::vector<double> face_velocity(int axis) const;
  CellBlock face_block(int axis) const;

  // Global diagnostics (collective).
  double kinetic_energy() const;  // ∫ ½|u|² dV over the fluid
  double scalar_mass() const;     // ∫ c dV over the fluid
  double max_divergence() const;  // max |∇·u| · h / max |u|
  double max_speed() const;

  // The system of the last projection (collective; every rank gets it).
  PressureSystem pressure_system() const;

  FlowCheckpoint checkpoint() const;
  void restore(const FlowCheckpoint& state);  // same scene, same ranks

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace anneal::physics::flow
