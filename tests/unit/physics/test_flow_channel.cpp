// Plane Poiseuille flow: a parabolic inflow into a straight channel must stay parabolic all the way
// to the convective outflow, with the pressure gradient of the exact solution, dp/dx = −12 ν U / H².
// This checks the inflow profile, the no-slip walls, the outflow condition and the pressure together.
#include <catch2/catch.hpp>

#include <cmath>

#include "physics/flow/flow_solver.hpp"

using namespace anneal::physics::flow;

namespace {

struct ChannelResult {
  double profile_error = 0, gradient = 0;
};

// Steady flow in a 3 × 1 channel of nx × ny cells; the profile error is measured on the face column
// at x = 2 (well away from both ends), the pressure gradient on the centreline between x ≈ 1.5 and 2.5.
ChannelResult channel(int nx, int ny) {
  const std::string text = "[domain]\ncells = [" + std::to_string(nx) + ", " + std::to_string(ny) +
                           "]\nsize = [3.0, 1.0]\n[boundary]\nx_min = { type = 'inflow', profile = 'parabolic', "
                           "speed = 1.0 }\nx_max = 'outflow'\n[fluid]\nviscosity = 0.1\n[time]\nend = 50.0\ncfl = 0.8\n";
  const Scene scene = parse_scene(text, "channel.toml");
  FlowSolver solver(scene);
  StepReport r;
  do r = solver.step();
  while (r.change_rate > 1e-7 && solver.time() < scene.end_time);
  REQUIRE(r.change_rate <= 1e-7);

  ChannelResult result;
  const auto u = solver.face_velocity(0);
  const CellBlock b = solver.face_block(0);
  const long column = 2 * nx / 3;
  for (long j = 0; j < ny; ++j) {
    const double xi = (static_cast<double>(j) + 0.5) / ny;
    result.profile_error = std::max(result.profile_error,
                                    std::abs(u[static_cast<std::size_t>(j * b.count[0] + column)] - 6 * xi * (1 - xi)));
  }
  const auto p = solver.pressure();
  const double h = 3.0 / nx;
  const long i1 = nx / 2, i2 = 5 * nx / 6;
  const auto at = [&](long i) { return 0.5 * (p[static_cast<std::size_t>((ny / 2) * nx + i)] + p[static_cast<std::size_t>((ny / 2 - 1) * nx + i)]); };
  result.gradient = (at(i2) - at(i1)) / (static_cast<double>(i2 - i1) * h);
  return result;
}

}  // namespace

TEST_CASE("flow: a channel with a parabolic inflow develops plane Poiseuille flow", "[flow]") {
  const ChannelResult coarse = channel(48, 16), fine = channel(96, 32);
  const double exact = -12 * 0.1 * 1.0;  // dp/dx = −12 ν U / H²
  INFO("profile errors " << coarse.profile_error << ", " << fine.profile_error << "; dp/dx " << coarse.gradient
                         << ", " << fine.gradient << " (exact " << exact << ")");
  // The ghost-cell no-slip wall is second order: the profile error falls about 4x per halving of h.
  CHECK(fine.profile_error < 3e-3);
  CHECK(coarse.profile_error / fine.profile_error > 3.0);
  CHECK(fine.gradient == Approx(exact).epsilon(0.01));
}
