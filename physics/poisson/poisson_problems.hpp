#pragma once
// The Poisson module's own problems: the integer 7-point Laplacian on nx×ny×nz unit cells (the
// DCDM paper's stencil: −1 per open face, the count of open faces on the diagonal), each of the six
// walls Dirichlet (u = 0 beyond it) or Neumann (no flux), solid obstacles decoupled as identity rows,
// and the right-hand sides the module trains and tests on.
#include <array>
#include <cstdint>
#include <vector>

#include "physics/poisson/poisson_system.hpp"

namespace anneal::physics::poisson {

// How obstacle coordinates are measured. cells: cell (i, j, k) spans [i, i+1)×[j, j+1)×[k, k+1).
// unit: lengths in units of the grid's longest side, so an N³ grid is the unit cube and a sphere
// stays round on a non-cubic grid.
enum class Units { cells, unit };

// A cell is solid when its centre lies in the obstacle (boundary included).
struct Sphere {
  std::array<double, 3> centre{0.5, 0.5, 0.5};
  double radius = 0.25;
  Units units = Units::unit;
};
struct Box {
  std::array<double, 3> lo{0, 0, 0}, hi{0, 0, 0};
  Units units = Units::unit;
};

struct GridProblem {
  std::array<long, 3> cells{32, 32, 32};  // nx, ny, nz
  // walls[axis][0] at the low end, [axis][1] at the high end. Dirichlet all round by default: a
  // definite system; all Neumann gives the singular (consistent) systems of fluid pressure solves.
  std::array<std::array<solvers::Wall, 2>, 3> walls{{{solvers::Wall::dirichlet, solvers::Wall::dirichlet},
                                                     {solvers::Wall::dirichlet, solvers::Wall::dirichlet},
                                                     {solvers::Wall::dirichlet, solvers::Wall::dirichlet}}};
  std::vector<Sphere> spheres;
  std::vector<Box> boxes;
};

// Every wall the same.
std::array<std::array<solvers::Wall, 2>, 3> all_walls(solvers::Wall wall);

// The solid mask (1 solid, 0 fluid) of the problem's obstacles, natural order.
std::vector<std::uint8_t> obstacle_mask(const GridProblem& problem);

// The matrix, grid, cell types and null space (constants on each fluid component that no Dirichlet
// wall touches); rhs zero, no solution. Throws if the obstacles leave no fluid cell.
PoissonSystem build_poisson_problem(const GridProblem& problem);

// Right-hand sides. Each is zero on solid cells and orthogonal to the system's null space, so that
// A x = b is consistent. `seed` selects the random draw (core/rng.hpp: the value at a cell does not
// depend on the order cells are visited).

// b = A z / ‖A z‖ with z ~ N(0, 1) on the fluid cells: the DCDM paper's test vectors, in the range of A.
std::vector<double> random_range_rhs(const PoissonSystem& system, std::uint64_t seed);
// A smooth source: b = h²·f at the cell centres (h = 1 / longest side, so that A u = b is −∇²u = f
// on the unit-scaled domain), f a sum of `modes` products of cosines with wave numbers 0..3 per
// axis, random phases and N(0, 1) amplitudes.
std::vector<double> smooth_rhs(const PoissonSystem& system, std::uint64_t seed, int modes = 4);
// A source of total strength 1 spread evenly over the fluid cells whose centres lie in the sphere,
// or in the one cell holding its centre if none does (a point source). On a singular system the
// projection adds a uniform sink.
std::vector<double> sphere_source_rhs(const PoissonSystem& system, const Sphere& source);

}  // namespace anneal::physics::poisson
