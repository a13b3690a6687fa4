// Conservation laws of the discrete scheme: the projection leaves no divergence (to the solver's
// tolerance), and in a closed box the scalar's integral never changes (flux form, to round-off).
#include <catch2/catch.hpp>

#include <cmath>

#include "physics/flow/flow_solver.hpp"

using namespace anneal::physics::flow;

namespace {

// A closed box with a moving lid, a buoyant blob of scalar and a solid obstacle: every boundary and
// solid code path, no inflow or outflow.
const char* closed_box = R"(
[domain]
cells = [48, 40]
size = [1.2, 1.0]
[boundary]
x_min = "slip"
y_max = { type = "wall", velocity = [1.0, 0.0] }
[fluid]
viscosity = 0.002
diffusivity = 0.001
buoyancy = [0.0, 2.0]
[initial]
scalar_blob = { center = [0.4, 0.3], radius = 0.15, value = 1.0 }
[[obstacle]]
shape = "box"
min = [0.7, 0.2]
max = [0.9, 0.45]
[time]
cfl = 0.8
)";

}  // namespace

TEST_CASE("flow: every projection leaves a divergence-free velocity and a closed box conserves the scalar",
          "[flow]") {
  FlowSolver solver(parse_scene(closed_box, "closed_box.toml"));
  const double mass0 = solver.scalar_mass();
  REQUIRE(mass0 > 0);
  double worst_divergence = 0, worst_mass = 0, lowest = 1, highest = 0;
  for (int n = 0; n < 150; ++n) {
    const StepReport r = solver.step();
    worst_divergence = std::max(worst_divergence, r.max_divergence);
    worst_mass = std::max(worst_mass, std::abs(solver.scalar_mass() - mass0) / mass0);
  }
  for (double c : solver.scalar()) {
    lowest = std::min(lowest, c);
    highest = std::max(highest, c);
  }
  INFO("max relative divergence " << worst_divergence << ", scalar mass drift " << worst_mass);
  CHECK(solver.max_speed() > 0.5);  // the lid and the buoyant blob did move the fluid
  CHECK(worst_divergence <= 1e-8);
  CHECK(worst_mass <= 1e-12);
  // The limited scheme creates no new extrema: the scalar stays within [0, 1].
  CHECK(lowest >= -1e-12);
  CHECK(highest <= 1 + 1e-12);
}

TEST_CASE("flow: the pressure system of a projection is the one its solution solves", "[flow]") {
  FlowSolver solver(parse_scene(closed_box, "closed_box.toml"));
  for (int n = 0; n < 5; ++n) solver.step();
  const PressureSystem s = solver.pressure_system();
  const auto& A = s.matrix;
  REQUIRE(A.rows == 48 * 40);
  double residual = 0, rhs = 0, asymmetry = 0;
  for (long r = 0; r < A.rows; ++r) {
    double ax = 0;
    for (auto e = A.indptr[static_cast<std::size_t>(r)]; e < A.indptr[static_cast<std::size_t>(r) + 1]; ++e) {
      const auto c = static_cast<std::size_t>(A.indices[static_cast<std::size_t>(e)]);
      ax += A.data[static_cast<std::size_t>(e)] * s.solution[c];
      // symmetric: find (c, r)
      double transposed = 0;
      for (auto f = A.indptr[c]; f < A.indptr[c + 1]; ++f)
        if (A.indices[static_cast<std::size_t>(f)] == r) transposed = A.data[static_cast<std::size_t>(f)];
      asymmetry = std::max(asymmetry, std::abs(transposed - A.data[static_cast<std::size_t>(e)]));
    }
    residual += std::pow(ax - s.rhs[static_cast<std::size_t>(r)], 2);
    rhs += std::pow(s.rhs[static_cast<std::size_t>(r)], 2);
  }
  CHECK(asymmetry == 0.0);
  CHECK(std::sqrt(residual / rhs) < 1e-8);
  long solids = 0;
  for (auto t : s.cell_type) solids += t;
  CHECK(solids == 8 * 10);  // the box covers x in [0.7, 0.9] (8 cells) and y in [0.2, 0.45] (10 cells)
}
