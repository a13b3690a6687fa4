// Diffusive momentum barriers against closed forms: the decaying Taylor–Green vortex's
// trajectory-averaged vorticity, the 2-D identity b = −ν J∇ω̄_L, and for the (Beltrami) ABC flow
// b/ν = −v(x0) and the active FTLE equal to the backward FTLE.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

#include "physics/turbulence/analytic_flows.hpp"
#include "physics/turbulence/barriers.hpp"
#include "physics/turbulence/gridded_velocity.hpp"

using namespace anneal::physics::turbulence;
using anneal::io::RectilinearGrid;

namespace {
constexpr double pi = std::numbers::pi;

FlowMapOptions rk4(double step) {
  FlowMapOptions o;
  o.step = step;
  return o;
}
}  // namespace

TEST_CASE("Taylor–Green: ω̄_L and b = −ν J∇ω̄_L match the closed form, analytic and gridded", "[barriers]") {
  const double U = 1.0, nu = 0.05, t0 = 0.5, T = 3.0;
  const auto field = taylor_green(U, nu);
  std::vector<Vec<2>> seeds;
  for (const double x : {0.3, 1.1, 2.0, 4.4, 5.9})
    for (const double y : {0.2, 1.7, 3.0, 5.1}) seeds.push_back({x, y});

  RectilinearGrid grid;
  grid.x = anneal::io::periodic_axis(0, 2 * pi, 64);
  grid.y = anneal::io::periodic_axis(0, 2 * pi, 64);
  std::vector<double> times;
  for (int i = 0; i <= 40; ++i) times.push_back(0.1 * i);
  auto data = std::make_shared<FlowData>(sample_on_grid<2>(*field, grid, {true, true}, times));
  const GriddedVelocity<2> gridded(data, Interpolation::cubic, Interpolation::cubic, /*with_laplacian=*/true);

  for (const double sign : {1.0, -1.0}) {
    const double start = sign > 0 ? t0 : t0 + T, duration = sign * T;
    const auto exact = barrier_field<2>(*field, seeds, start, duration, nu, rk4(0.01));
    const auto sampled = barrier_field<2>(gridded, seeds, start, duration, nu, rk4(0.01));
    for (std::size_t p = 0; p < seeds.size(); ++p) {
      const double x = seeds[p][0], y = seeds[p][1];
      const double expected = taylor_green_mean_vorticity(U, nu, x, y, start, duration);
      INFO("T = " << duration << ", seed (" << x << ", " << y << ")");
      CHECK(exact.mean_vorticity[p] == Approx(expected).margin(1e-9));
      CHECK(sampled.mean_vorticity[p] == Approx(expected).margin(2e-3));
      // b = −ν J∇ω̄_L = −ν (∂_y ω̄_L, −∂_x ω̄_L), with ω̄_L ∝ sin x sin y.
      const double scale = expected / (std::sin(x) * std::sin(y));
      const double bx = -nu * scale * std::sin(x) * std::cos(y), by = nu * scale * std::cos(x) * std::sin(y);
      CHECK(exact.barrier[p][0] == Approx(bx).margin(1e-9));
      CHECK(exact.barrier[p][1] == Approx(by).margin(1e-9));
      CHECK(sampled.barrier[p][0] == Approx(bx).margin(2e-3 * nu));
      CHECK(sampled.barrier[p][1] == Approx(by).margin(2e-3 * nu));
      CHECK(exact.strength[p] == Approx(std::hypot(bx, by)).margin(1e-9));
    }
  }
}

TEST_CASE("ABC flow: b/ν = −v(x0), and the active FTLE equals the backward FTLE", "[barriers]") {
  const double nu = 1e-3, T = 1.0;
  const auto field = abc_flow(std::sqrt(3.0), std::sqrt(2.0), 1.0);
  RectilinearGrid grid;
  for (auto* axis : {&grid.x, &grid.y, &grid.z}) *axis = anneal::io::periodic_axis(0, 2 * pi, 24);
  const std::vector<Vec<3>> seeds = grid_points<3>(grid);

  // Steady Beltrami flow: v(F(x0, t)) = ∇F v(x0) and Δv = −v, so adj(∇F) Δv = −det(∇F) v(x0) = −v(x0).
  const auto b = barrier_field<3>(*field, seeds, 0.0, T, nu, rk4(0.01));
  double worst = 0;
  for (std::size_t p = 0; p < seeds.size(); ++p) {
    Vec<3> v;
    field->velocity(seeds[p], 0.0, v);
    for (int i = 0; i < 3; ++i) worst = std::max(worst, std::abs(b.barrier[p][i] / nu + v[i]));
  }
  CHECK(worst < 1e-8);

  // The active FTLE of b/ν over S = T (b interpolated from the seed grid) against the backward
  // FTLE of the flow itself over T, computed directly.
  FtleOptions options;
  options.flow.step = 0.01;
  const auto active = active_ftle<3>(grid, {true, true, true}, b.barrier, nu, T, Interpolation::cubic, options);
  const auto backward = compute_ftle<3>(*field, seeds, 0.0, -T, options, min_spacing(grid));
  double diff = 0, norm = 0;
  for (std::size_t p = 0; p < seeds.size(); ++p) {
    REQUIRE(active.status[p] == particle_ok);
    diff += std::pow(active.ftle[p] - backward.ftle[p], 2);
    norm += std::pow(backward.ftle[p], 2);
  }
  CHECK(std::sqrt(diff / norm) < 0.02);
}

TEST_CASE("the 2-D barrier integral and the level-curve form agree on the time-periodic double gyre", "[barriers]") {
  // No closed form here: b from ∫ adj(∇F) Δv dt against −ν J∇ω̄_L by central differences of ω̄_L.
  const double nu = 1e-3, T = 5.0, h = 1e-4;
  const auto field = double_gyre(DoubleGyre{});
  for (const Vec<2> x : {Vec<2>{0.4, 0.3}, Vec<2>{1.3, 0.6}, Vec<2>{0.9, 0.8}}) {
    const std::vector<Vec<2>> seeds = {x, {x[0] + h, x[1]}, {x[0] - h, x[1]}, {x[0], x[1] + h}, {x[0], x[1] - h}};
    const auto r = barrier_field<2>(*field, seeds, 0.0, T, nu, rk4(0.002));
    const double dwdx = (r.mean_vorticity[1] - r.mean_vorticity[2]) / (2 * h);
    const double dwdy = (r.mean_vorticity[3] - r.mean_vorticity[4]) / (2 * h);
    CHECK(r.barrier[0][0] == Approx(-nu * dwdy).epsilon(1e-5));
    CHECK(r.barrier[0][1] == Approx(nu * dwdx).epsilon(1e-5));
  }
}
