// The 2-D Taylor–Green vortex is an exact Navier–Stokes solution: u = sin x cos y e^{−2νt},
// v = −cos x sin y e^{−2νt}, so its kinetic energy decays as e^{−4νt}. The solver must converge to
// it at second order in h.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "physics/flow/flow_solver.hpp"

using namespace anneal::physics::flow;

namespace {

constexpr double kNu = 0.05, kEnd = 1.0;

std::string scene_text(int n) {
  return "[domain]\ncells = [" + std::to_string(n) + ", " + std::to_string(n) +
         "]\nsize = [6.283185307179586, 6.283185307179586]\n"
         "[boundary]\nx_min = 'periodic'\nx_max = 'periodic'\ny_min = 'periodic'\ny_max = 'periodic'\n"
         "[fluid]\nviscosity = 0.05\n[initial]\nvelocity = 'taylor_green'\n[time]\ncfl = 0.5\n";
}

struct Errors {
  double energy = 0, velocity = 0;
};

Errors run(int n) {
  FlowSolver solver(parse_scene(scene_text(n), "taylor_green.toml"));
  const double e0 = solver.kinetic_energy();
  while (solver.time() < kEnd - 1e-12) solver.step(kEnd - solver.time());
  Errors e;
  e.energy = std::abs(solver.kinetic_energy() / e0 - std::exp(-4 * kNu * kEnd));
  // Pointwise: u on its faces (x = i h, y = (j + ½) h) against the exact solution.
  const double h = 2 * std::numbers::pi / n, decay = std::exp(-2 * kNu * kEnd);
  const auto u = solver.face_velocity(0);
  const CellBlock b = solver.face_block(0);
  std::size_t m = 0;
  for (long j = b.offset[1]; j < b.offset[1] + b.count[1]; ++j)
    for (long i = b.offset[0]; i < b.offset[0] + b.count[0]; ++i, ++m) {
      const double x = static_cast<double>(i) * h, y = (static_cast<double>(j) + 0.5) * h;
      e.velocity = std::max(e.velocity, std::abs(u[m] - std::sin(x) * std::cos(y) * decay));
    }
  return e;
}

}  // namespace

TEST_CASE("flow: the Taylor-Green vortex decays as the exact solution, at second order in h", "[flow]") {
  const Errors coarse = run(16), medium = run(32), fine = run(64);
  const double energy_order_1 = std::log2(coarse.energy / medium.energy);
  const double energy_order_2 = std::log2(medium.energy / fine.energy);
  const double velocity_order = std::log2(medium.velocity / fine.velocity);
  INFO("energy errors " << coarse.energy << " " << medium.energy << " " << fine.energy);
  INFO("velocity errors " << coarse.velocity << " " << medium.velocity << " " << fine.velocity);
  CHECK(fine.energy < 1e-3);
  CHECK(energy_order_1 > 1.8);
  CHECK(energy_order_2 > 1.8);
  CHECK(velocity_order > 1.8);
}
